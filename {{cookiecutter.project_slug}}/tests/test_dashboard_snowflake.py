"""The dashboard on the Snowflake target, against fakesnow, a DuckDB-backed Snowflake emulator.

An emulator, because the real path is a cloud account: fakesnow serves Snowflake's
HTTP protocol on 127.0.0.1 and translates Snowflake SQL to DuckDB, so the app goes
through the real Snowflake connector with the same SQL it sends to Snowflake. The
emulator's tables are copies of the DuckDB test warehouse's. What it cannot show:
fakesnow sums DECIMAL money as floating point (Snowflake keeps NUMBER(38, 2)), so
money is compared to the cent; and it checks neither roles nor grants.
"""

from __future__ import annotations

import duckdb
import pytest
import snowflake.connector

from {{ cookiecutter.package_name }}.warehouse.kpis import read_kpis
from test_dashboard import expected_panels, messages, records, run_app, table, tiles

# The full tier (make test-all): each test starts fakesnow's server.
pytestmark = pytest.mark.full

TABLES = [
    ("analytics", "analytics_orders"),
    ("analytics", "analytics_order_items"),
    ("analytics", "analytics_customer_summary"),
    ("analytics", "analytics_sessions"),
]


@pytest.fixture
def snowflake_env(fake_snowflake, monkeypatch):
    """The app on DASHBOARD_TARGET=snowflake, its credentials and endpoint from the environment."""
    for name in ("DBT_TARGET", "DASHBOARD_SCHEMA", "WAREHOUSE_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DASHBOARD_TARGET", "snowflake")
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", fake_snowflake["account"])
    monkeypatch.setenv("SNOWFLAKE_USER", fake_snowflake["user"])
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", fake_snowflake["password"])
    monkeypatch.setenv("SNOWFLAKE_HOST", fake_snowflake["host"])
    monkeypatch.setenv("SNOWFLAKE_PORT", str(fake_snowflake["port"]))
    monkeypatch.setenv("SNOWFLAKE_PROTOCOL", fake_snowflake["protocol"])

    def use_database(database: str) -> None:
        monkeypatch.setenv("SNOWFLAKE_DATABASE", database)

    return use_database


def copy_to_snowflake(fake_snowflake, database: str, warehouse_path, tmp_path) -> None:
    """The test warehouse's tables, through Parquet files, into the emulator's database."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        for schema, name in TABLES:
            con.execute(f"copy (select * from {schema}.{name}) to '{tmp_path / name}.parquet'")
    with snowflake.connector.connect(**fake_snowflake, database=database) as connection:
        cursor = connection.cursor()
        for schema, name in TABLES:
            cursor.execute(f"create schema if not exists {schema}")
            cursor.execute(f"create table {schema}.{name} as select * from read_parquet('{tmp_path / name}.parquet')")


def test_the_snowflake_target_shows_the_same_figures(fake_snowflake, snowflake_env, built_warehouse, tmp_path):
    copy_to_snowflake(fake_snowflake, "SHOP", built_warehouse.warehouse_path, tmp_path)
    snowflake_env("SHOP")
    app = run_app()
    assert "Figures from Snowflake SHOP.analytics" in " ".join(caption.value for caption in app.caption)
    kpis = read_kpis(built_warehouse.warehouse_path)
    assert tiles(app) == {
        "Revenue": f"${kpis.revenue:,.2f}",
        "Orders": f"{kpis.orders:,}",
        "Average order value": f"${kpis.average_order_value:,.2f}",
        "Customers": f"{kpis.buyers:,}",
        "Conversion rate": f"{kpis.session_conversion:.1%}",
    }
    (first, last), channels = app.date_input(key="dates").value, app.multiselect(key="channels").value
    expected = expected_panels(built_warehouse.warehouse_path, first, last, channels)
    for panel, first_column in (("by_channel", "channel"), ("by_country", "country")):
        rows = records(table(app, first_column), first_column, "revenue", "orders")
        # fakesnow sums DECIMAL money as floats: compare to the cent
        assert [(name, round(revenue, 2), orders) for name, revenue, orders in rows] == [
            row[:3] for row in expected[panel]
        ]
    assert table(app, "step_number")["sessions"].tolist() == list(expected["funnel"][0])
    assert records(table(app, "hour_of_day"), "hour_of_day", "orders") == expected["by_hour"]


def test_missing_tables_on_snowflake_say_what_to_run(fake_snowflake, snowflake_env):
    with snowflake.connector.connect(**fake_snowflake, database="EMPTY") as connection:
        connection.cursor().execute("select 1")
    snowflake_env("EMPTY")
    app = run_app()
    assert "not in the warehouse yet" in messages(app) and "make demo" in messages(app)


def test_missing_snowflake_credentials_are_named(snowflake_env, monkeypatch):
    snowflake_env("ANOTHER")  # not SHOP, whose figures the app has cached
    monkeypatch.delenv("SNOWFLAKE_PASSWORD")
    app = run_app()
    assert "SNOWFLAKE_PASSWORD not set" in messages(app) and ".env.example" in messages(app)
