-- Assignment A3, least privilege (assignments/a3_analyst_grants/README.md).
-- An analyst role that reads the published analytics tables, today's and
-- tomorrow's, on the reporting warehouse, and can do nothing else. Not run by
-- `make snowflake-setup`: run it by hand after the numbered scripts.

-- BEGIN SOLUTION
-- SOLUTION-CANARY-A3-7a2f60d9
use role useradmin;

create role if not exists analyst
comment = 'Reads the published analytics tables of {{ cookiecutter.project_slug }}';

use role securityadmin;

grant role analyst to role sysadmin;

grant usage on warehouse reporting_wh to role analyst;
grant usage on database {{ cookiecutter.snowflake_database | lower }} to role analyst;
grant usage on schema {{ cookiecutter.snowflake_database | lower }}.analytics to role analyst;
grant select on all tables in schema {{ cookiecutter.snowflake_database | lower }}.analytics to role analyst;
grant select on future tables in schema {{ cookiecutter.snowflake_database | lower }}.analytics to role analyst;
-- END SOLUTION
-- BEGIN STARTER
-- -- Starter: no statements yet. Write yours below this line.
-- END STARTER
