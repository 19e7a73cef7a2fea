"""The dashboard through Streamlit's AppTest (no browser): its figures equal SQL on the same tables.

The app runs as under `streamlit run`, on a real DuckDB warehouse built by dbt. The
expected figures come from the CLI's KPI summary and from SQL written here, apart
from the app's own queries.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from {{ cookiecutter.package_name }}.warehouse.kpis import read_kpis

from conftest import PROJECT_DIR

APP = PROJECT_DIR / "dashboard" / "app.py"
# Holds the DuckDB file open for writing, as `dbt build` does, until its stdin closes.
HOLD_WRITE_LOCK = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()"


@pytest.fixture
def dashboard_env(monkeypatch: pytest.MonkeyPatch):
    """Point the app at a warehouse file, on the local target and its default schema."""

    def use(warehouse_path: Path) -> None:
        monkeypatch.setenv("PROJECT_DIR", str(PROJECT_DIR))
        monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse_path))
        for name in ("DASHBOARD_TARGET", "DBT_TARGET", "DASHBOARD_SCHEMA"):
            monkeypatch.delenv(name, raising=False)

    return use


def run_app(app: AppTest | None = None) -> AppTest:
    app = app or AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception, [exception.message for exception in app.exception]
    return app


def tiles(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def table(app: AppTest, first_column: str):
    """The panel table whose first column is `first_column` (each panel's is different)."""
    (frame,) = [element.value for element in app.dataframe if element.value.columns[0] == first_column]
    return frame


def messages(app: AppTest) -> str:
    return " ".join(element.value for element in [*app.info, *app.warning, *app.error])


def records(frame, *columns) -> list[tuple]:
    return [tuple(row) for row in frame[list(columns)].itertuples(index=False)]


def sql(warehouse_path: Path, query: str, params: list) -> list[tuple]:
    """Rows of `query`, Decimals as floats (the app's tables hold floats)."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        rows = con.execute(query, params).fetchall()
    return [tuple(float(value) if isinstance(value, Decimal) else value for value in row) for row in rows]


def expected_panels(warehouse_path: Path, start: date, end: date, channels: list[str]) -> dict[str, list[tuple]]:
    """Each panel's figures, by straightforward SQL on the same tables."""
    where = "order_date between ? and ? and channel in (select unnest(?))"
    where_sessions = "cast(session_started_at as date) between ? and ? and channel in (select unnest(?))"
    params = [start, end, channels]
    orders = f"(select * from analytics.analytics_orders where {where})"
    sessions = f"(select * from analytics.analytics_sessions where {where_sessions})"
    items = f"analytics.analytics_order_items where order_id in (select order_id from {orders})"

    def rows(query: str, repeat: int = 1) -> list[tuple]:
        return sql(warehouse_path, query, params * repeat)

    return {
        "kpis": rows(
            f"select sum(net_revenue), count(*), round(sum(net_revenue) / count(*) filter (where is_revenue), 2), "
            f"count(distinct customer_id), (select count(*) filter (where has_order) / count(*) from {sessions}) "
            f"from {orders}",
            repeat=2,
        ),
        "revenue_over_time": rows(f"select order_date, sum(net_revenue), count(*) from {orders} group by 1 order by 1"),
        "by_channel": rows(
            f"select channel, sum(net_revenue), count(*), "
            f"(select count(*) from {sessions} as s where s.channel = o.channel) "
            f"from {orders} as o group by channel order by 2 desc, 1",
            repeat=2,
        ),
        "by_category": rows(
            f"select product_category, sum(net_line_revenue), coalesce(sum(quantity) filter (where is_revenue), 0) "
            f"from {items} group by 1 order by 2 desc, 1"
        ),
        "by_product": rows(
            f"select product_id, sum(net_line_revenue), coalesce(sum(quantity) filter (where is_revenue), 0) "
            f"from {items} group by 1 order by 2 desc, 1"
        ),
        "by_hour": rows(f"select hour(order_created_at), count(*) from {orders} group by 1 order by 1"),
        "customer_lifetime_value": rows(
            f"select customer_id, sum(net_revenue) from {orders} group by 1 having sum(net_revenue) > 0 "
            "order by 2 desc, 1 limit 100"
        ),
        "rfm_segments": rows(
            f"select rfm_segment, count(distinct customer_id), sum(net_revenue) from {orders} "
            "join analytics.analytics_customer_summary using (customer_id) where is_revenue group by 1 order by 3 desc"
        ),
        "funnel": rows(
            "select count(*) filter (where product_views > 0), count(*) filter (where has_cart), "
            "count(*) filter (where has_checkout), count(*) filter (where has_order), "
            "count(*) filter (where session_id in (select session_id from analytics.analytics_orders "
            "where paid_at is not null)), "
            "count(*) filter (where session_id in (select session_id from analytics.analytics_orders "
            f"where fulfilled_at is not null)) from {sessions}"
        ),
        "by_country": rows(
            f"select customer_country, sum(net_revenue), count(*), count(distinct customer_id) from {orders} "
            "group by 1 order by 2 desc, 1"
        ),
    }


def assert_figures_equal_sql(app: AppTest, warehouse_path: Path, start: date, end: date, channels: list[str]):
    expected = expected_panels(warehouse_path, start, end, channels)
    ((revenue, orders, average_order_value, customers, conversion),) = expected["kpis"]
    assert tiles(app) == {
        "Revenue": f"${revenue:,.2f}",
        "Orders": f"{orders:,}",
        "Average order value": f"${average_order_value:,.2f}",
        "Customers": f"{customers:,}",
        "Conversion rate": f"{conversion:.1%}",
    }
    assert records(table(app, "order_date"), "order_date", "revenue", "orders") == expected["revenue_over_time"]
    by_channel = table(app, "channel")
    assert records(by_channel, "channel", "revenue", "orders", "sessions") == expected["by_channel"]
    assert set(by_channel["channel"]) == set(channels)
    assert records(table(app, "category"), "category", "merchandise_revenue", "units_sold") == expected["by_category"]
    assert (
        records(table(app, "product_id"), "product_id", "merchandise_revenue", "units_sold") == expected["by_product"]
    )
    assert records(table(app, "hour_of_day"), "hour_of_day", "orders") == expected["by_hour"]
    lifetime_values = table(app, "customer_id")
    assert records(lifetime_values, "customer_id", "lifetime_value") == expected["customer_lifetime_value"]
    assert records(table(app, "segment"), "segment", "customers", "revenue") == expected["rfm_segments"]
    funnel = table(app, "step_number")
    (steps,) = expected["funnel"]
    assert funnel["sessions"].tolist() == list(steps)
    drop_off = [1 - later / earlier for earlier, later in zip(steps, steps[1:], strict=False)]
    assert funnel["drop_off"].tolist()[1:] == pytest.approx(drop_off, rel=1e-12)
    assert records(table(app, "country"), "country", "revenue", "orders", "customers") == expected["by_country"]


def test_tiles_show_the_same_kpis_as_the_cli(built_warehouse, dashboard_env):
    dashboard_env(built_warehouse.warehouse_path)
    app = run_app()
    kpis = read_kpis(built_warehouse.warehouse_path)
    assert tiles(app) == {
        "Revenue": f"${kpis.revenue:,.2f}",
        "Orders": f"{kpis.orders:,}",
        "Average order value": f"${kpis.average_order_value:,.2f}",
        "Customers": f"{kpis.buyers:,}",
        "Conversion rate": f"{kpis.session_conversion:.1%}",
    }
    assert messages(app) == ""


def test_every_panel_equals_sql_before_and_after_a_filter_change(built_warehouse, dashboard_env):
    path = built_warehouse.warehouse_path
    dashboard_env(path)
    app = run_app()
    (first, last), channels = app.date_input(key="dates").value, app.multiselect(key="channels").value
    assert len(channels) == 6
    assert_figures_equal_sql(app, path, first, last, channels)

    start, end, chosen = date(2025, 10, 3), date(2025, 10, 9), ["email", "paid_search"]
    app.date_input(key="dates").set_value((start, end))
    app.multiselect(key="channels").set_value(chosen)
    run_app(app)
    assert_figures_equal_sql(app, path, start, end, chosen)
    assert table(app, "order_date")["order_date"].tolist() == [date(2025, 10, day) for day in range(3, 10)]
    assert tiles(app)["Orders"] != f"{read_kpis(path).orders:,}"


def test_a_missing_warehouse_says_what_to_run(tmp_path, dashboard_env):
    dashboard_env(tmp_path / "missing.duckdb")
    app = run_app()
    assert "There is no warehouse at" in messages(app) and "make demo" in messages(app)
    assert not app.metric


def test_a_warehouse_without_the_analytics_tables_says_what_to_run(tmp_path, dashboard_env):
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    dashboard_env(path)
    app = run_app()
    assert "tables the dashboard reads are not in the warehouse yet" in messages(app)
    assert "make demo" in messages(app)


def test_empty_analytics_tables_say_what_to_run(tmp_path, built_warehouse, dashboard_env):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"attach '{built_warehouse.warehouse_path}' as built (read_only)")
        for schema, name in [
            ("analytics", "analytics_orders"),
            ("analytics", "analytics_order_items"),
            ("analytics", "analytics_customer_summary"),
            ("analytics", "analytics_sessions"),
        ]:
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {schema}.{name} as select * from built.{schema}.{name} limit 0")
    dashboard_env(path)
    app = run_app()
    assert "no orders yet" in messages(app) and "make demo" in messages(app)
    assert not app.metric


@pytest.fixture
def write_locked(tmp_path, built_warehouse):
    """A copy of the warehouse, and a way to hold it open for writing in another process."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, path)
    holders = []

    def hold() -> None:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_WRITE_LOCK, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        holders.append(holder)
        assert holder.stdout.readline().strip() == "locked"

    def release() -> None:
        holder = holders.pop()
        holder.stdin.close()
        holder.wait(timeout=30)

    yield path, hold, release
    while holders:
        release()


def test_while_the_pipeline_writes_the_page_says_retry_then_shows_figures(write_locked, dashboard_env):
    path, hold, release = write_locked
    dashboard_env(path)
    hold()
    app = run_app()
    assert "The pipeline is writing to the warehouse right now" in messages(app)
    assert "Retry in a moment" in messages(app)
    assert not app.metric

    release()
    app.button(key="retry").click()
    run_app(app)
    assert messages(app) == ""
    assert tiles(app)["Orders"] == f"{read_kpis(path).orders:,}"


def test_while_the_pipeline_writes_a_reload_keeps_the_last_figures(write_locked, dashboard_env):
    path, hold, release = write_locked
    dashboard_env(path)
    app = run_app()
    before = tiles(app)
    hold()
    app.button(key="reload").click()  # drops the cached figures: the app must read the file again
    run_app(app)
    assert "The pipeline is writing to the warehouse right now" in messages(app)
    assert "these are the figures read at" in messages(app)
    assert tiles(app) == before
    release()
