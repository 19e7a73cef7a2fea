-- 2. The database, with one schema per layer; the raw schema holds the load.
use role accountadmin;

create database if not exists {{ cookiecutter.snowflake_database }};
grant ownership on database {{ cookiecutter.snowflake_database }} to role {{ cookiecutter.snowflake_role }} copy current grants;

use role {{ cookiecutter.snowflake_role }};
use database {{ cookiecutter.snowflake_database }};
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists analytics;
