-- 1. The role dbt works as, and the warehouse it runs on.
-- Run as ACCOUNTADMIN (or a role with CREATE ROLE and CREATE WAREHOUSE).
use role accountadmin;

create role if not exists {{ cookiecutter.snowflake_role }}
    comment = 'Loads raw events and builds the dbt models of {{ cookiecutter.project_slug }}';
grant role {{ cookiecutter.snowflake_role }} to role sysadmin;

create warehouse if not exists {{ cookiecutter.snowflake_warehouse }}
    warehouse_size = xsmall
    auto_suspend = 60
    auto_resume = true
    initially_suspended = true
    comment = 'dbt transformations of {{ cookiecutter.project_slug }}';
grant usage, operate on warehouse {{ cookiecutter.snowflake_warehouse }} to role {{ cookiecutter.snowflake_role }};

-- Let your own user act as the role (replace with your Snowflake user name):
-- grant role {{ cookiecutter.snowflake_role }} to user <your_user>;
