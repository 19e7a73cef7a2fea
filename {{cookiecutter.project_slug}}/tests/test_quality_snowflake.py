"""The quality suites on the Snowflake target: Great Expectations' Snowflake SQL datasource, against fakesnow.

fakesnow (a DuckDB-backed Snowflake emulator) serves the Snowflake REST protocol on
loopback, in a process of its own; the real path is a cloud account. The suites
connect through snowflake-sqlalchemy exactly as with an account (the endpoint goes
in SNOWFLAKE_HOST, SNOWFLAKE_PORT and SNOWFLAKE_PROTOCOL), send their Snowflake SQL
(VARIANT paths, TRY_TO_TIMESTAMP_TZ, PARSE_JSON) as query assets, and the checks run
in the emulator. The tables are the session's built warehouse, copied in as they are.
"""

from __future__ import annotations

import dataclasses

import duckdb
import pytest
import snowflake.connector

from {{ cookiecutter.package_name }}.quality.expectations.runner import run_suites
from {{ cookiecutter.package_name }}.quality.expectations.suites import SUITES

# The full tier (make test-all): each test starts fakesnow's server.
pytestmark = pytest.mark.full

DATABASE = "QUALITY"
# What the suites read: raw, staging and the candidate analytics tables.
TABLES = [
    ("raw", "raw_events"),
    ("staging", "stg_events"),
    ("analytics_candidate", "analytics_orders"),
    ("analytics_candidate", "analytics_order_items"),
    ("analytics_candidate", "analytics_customer_summary"),
    ("analytics_candidate", "analytics_sessions"),
]


@pytest.fixture(scope="module")
def snowflake_warehouse(fake_snowflake, built_warehouse, tmp_path_factory):
    """The built warehouse's tables, through Parquet files, in the emulator; settings for the Snowflake target."""
    folder = tmp_path_factory.mktemp("quality-snowflake")
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
        for schema, name in TABLES:
            con.execute(f"copy (select * from {schema}.{name}) to '{folder / name}.parquet'")
    with snowflake.connector.connect(**fake_snowflake) as connection:
        cursor = connection.cursor()
        cursor.execute(f"create database if not exists {DATABASE}")
        cursor.execute(f"use database {DATABASE}")
        for schema, name in TABLES:
            cursor.execute(f"create schema if not exists {schema}")
            cursor.execute(f"create table {schema}.{name} as select * from read_parquet('{folder / name}.parquet')")
    return dataclasses.replace(built_warehouse, dbt_target="snowflake", warehouse_path=folder / "unused.duckdb")


@pytest.fixture
def snowflake_env(fake_snowflake, monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_DATABASE", DATABASE)
    for name in ("account", "user", "password", "host", "port", "protocol"):
        monkeypatch.setenv(f"SNOWFLAKE_{name.upper()}", str(fake_snowflake[name]))


def test_the_suites_pass_on_snowflake_through_its_sql_datasource(snowflake_warehouse, snowflake_env):
    report = run_suites(snowflake_warehouse)
    assert report.failures == ()
    assert [result.suite for result in report.results][:2] == ["raw_events", "stg_events"]
    assert all(result.expectations > 0 and result.failed == 0 for result in report.results)
    assert report.data_docs.is_file()


def test_a_bad_row_in_snowflake_fails_its_expectation_by_name(snowflake_warehouse, snowflake_env, fake_snowflake):
    with snowflake.connector.connect(**fake_snowflake, database=DATABASE) as connection:
        connection.cursor().execute(
            "update analytics_candidate.analytics_customer_summary set f_score = 9 "
            "where customer_id = (select min(customer_id) from analytics_candidate.analytics_customer_summary)"
        )
    summary_suite = [suite for suite in SUITES if suite.name == "analytics_customer_summary"]
    report = run_suites(snowflake_warehouse, suites=summary_suite)
    assert not report.passed
    assert len(report.failures) == 1
    assert report.failures[0].startswith(
        "analytics_customer_summary: RFM score f_score within 1-5 (expect_column_values_to_be_between on f_score): "
        "1 unexpected"
    )
