-- 2. The database, with one schema per layer. Each schema is owned by the role
--    that writes it, so no role can change another's tables:
--      raw                                    loader
--      staging, intermediate, marts,          {{ cookiecutter.snowflake_role | lower }} (dbt; audit holds its checks,
--      analytics_candidate, analytics,        snapshots the order status history)
--      audit, snapshots
--    The reporter only reads marts and analytics, including tables dbt creates later.
--    Write-audit-publish: dbt builds the analytics tables into analytics_candidate,
--    which the reporter cannot read; `dbt run-operation publish_analytics` clones them
--    into analytics once the audit passed, and grants the reporter each published table.
use role sysadmin;

create database if not exists {{ cookiecutter.snowflake_database | lower }}
comment = 'E-commerce analytics of {{ cookiecutter.project_slug }}: raw events and the dbt layers';
use database {{ cookiecutter.snowflake_database | lower }};

create schema if not exists raw comment = 'Raw events as loaded from the lake';
create schema if not exists staging comment = 'dbt: typed, deduplicated events';
create schema if not exists intermediate comment = 'dbt: sessions, order lifecycles, order lines';
create schema if not exists marts comment = 'dbt: facts and dimensions';
create schema if not exists analytics_candidate comment = 'dbt: analytics tables before the audit';
create schema if not exists analytics comment = 'dbt: tables for dashboards, published after the audit';
create schema if not exists audit comment = 'dbt: checks on the pipeline itself';
create schema if not exists snapshots comment = 'dbt: history of order status changes';

use role securityadmin;

grant usage on database {{ cookiecutter.snowflake_database | lower }} to role loader;
grant usage on database {{ cookiecutter.snowflake_database | lower }} to role {{ cookiecutter.snowflake_role | lower }};
grant usage on database {{ cookiecutter.snowflake_database | lower }} to role reporter;

grant ownership on schema raw to role loader copy current grants;
grant ownership on schema staging to role {{ cookiecutter.snowflake_role | lower }} copy current grants;
grant ownership on schema intermediate to role {{ cookiecutter.snowflake_role | lower }} copy current grants;
grant ownership on schema marts to role {{ cookiecutter.snowflake_role | lower }} copy current grants;
grant ownership on schema analytics_candidate to role {{ cookiecutter.snowflake_role | lower }} copy current grants;
grant ownership on schema analytics to role {{ cookiecutter.snowflake_role | lower }} copy current grants;
grant ownership on schema audit to role {{ cookiecutter.snowflake_role | lower }} copy current grants;
grant ownership on schema snapshots to role {{ cookiecutter.snowflake_role | lower }} copy current grants;

-- dbt reads the raw tables (05_raw_tables.sql creates them) and nothing else of the loader's.
grant usage on schema raw to role {{ cookiecutter.snowflake_role | lower }};
grant select on future tables in schema raw to role {{ cookiecutter.snowflake_role | lower }};

-- Future grants: every table and view dbt (re)creates in these schemas is readable at once.
grant usage on schema marts to role reporter;
grant usage on schema analytics to role reporter;
grant select on all tables in schema marts to role reporter;
grant select on all tables in schema analytics to role reporter;
grant select on future tables in schema marts to role reporter;
grant select on future tables in schema analytics to role reporter;
grant select on future views in schema marts to role reporter;
grant select on future views in schema analytics to role reporter;
