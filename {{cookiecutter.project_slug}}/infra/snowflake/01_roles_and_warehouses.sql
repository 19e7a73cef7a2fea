-- 1. Who does what, and on which compute. Three roles, one job each:
--      loader: loads the lake into the raw schema (COPY INTO, Snowpipe);
--      {{ cookiecutter.snowflake_role | lower }}: reads raw and builds the dbt models (the role of dbt's profile);
--      reporter: reads the marts and analytics tables (dashboards, Looker Studio).
--    Each gets its own warehouse, suspended after a minute idle, under one
--    resource monitor that stops them all at the monthly credit quota.
--    Re-runnable: every statement creates only what is missing.
--    Run as a user with ACCOUNTADMIN; then give people their role, e.g.
--      grant role {{ cookiecutter.snowflake_role | lower }} to user <their user name>;
--    (`make snowflake-setup` runs the scripts in order: see README, Running on Snowflake.)

-- Roles are created by USERADMIN and granted to SYSADMIN, so administrators keep control.
use role useradmin;

create role if not exists loader
comment = 'Loads raw events from the lake into {{ cookiecutter.snowflake_database | lower }}.raw';
create role if not exists {{ cookiecutter.snowflake_role | lower }}
comment = 'Reads raw events and builds the dbt models of {{ cookiecutter.project_slug }}';
create role if not exists reporter
comment = 'Reads the marts and analytics tables of {{ cookiecutter.project_slug }}';

use role securityadmin;

grant role loader to role sysadmin;
grant role {{ cookiecutter.snowflake_role | lower }} to role sysadmin;
grant role reporter to role sysadmin;

-- The user running this setup acts as each role in turn (the loader owns the stage and
-- the raw tables), so it holds all three; give everyone else only the role they need.
set setup_user = current_user();
grant role loader to user identifier($setup_user);
grant role {{ cookiecutter.snowflake_role | lower }} to user identifier($setup_user);
grant role reporter to user identifier($setup_user);

-- Warehouses belong to SYSADMIN; each role may only use (and resume) its own.
use role sysadmin;

create warehouse if not exists loading_wh
warehouse_size = xsmall
auto_suspend = 60
auto_resume = true
initially_suspended = true
comment = 'COPY INTO of the raw events';
create warehouse if not exists {{ cookiecutter.snowflake_warehouse | lower }}
warehouse_size = xsmall
auto_suspend = 60
auto_resume = true
initially_suspended = true
comment = 'dbt transformations of {{ cookiecutter.project_slug }}';
create warehouse if not exists reporting_wh
warehouse_size = xsmall
auto_suspend = 60
auto_resume = true
initially_suspended = true
comment = 'Dashboard queries';

grant usage, operate on warehouse loading_wh to role loader;
grant usage, operate on warehouse {{ cookiecutter.snowflake_warehouse | lower }} to role {{ cookiecutter.snowflake_role | lower }};
grant usage, operate on warehouse reporting_wh to role reporter;

-- Only ACCOUNTADMIN creates resource monitors. The quota counts the credits of
-- all three warehouses together; raise it with
-- `alter resource monitor {{ cookiecutter.package_name }}_monitor set credit_quota = ...`.
use role accountadmin;

create resource monitor if not exists {{ cookiecutter.package_name }}_monitor
with
credit_quota = 10
frequency = monthly
start_timestamp = immediately
triggers
on 75 percent do notify
on 100 percent do suspend
on 110 percent do suspend_immediate;

alter warehouse loading_wh set resource_monitor = {{ cookiecutter.package_name }}_monitor;
alter warehouse {{ cookiecutter.snowflake_warehouse | lower }} set resource_monitor = {{ cookiecutter.package_name }}_monitor;
alter warehouse reporting_wh set resource_monitor = {{ cookiecutter.package_name }}_monitor;
