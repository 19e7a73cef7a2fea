"""
### Daily KPI snapshots: one mapped task per day of the published orders

Assignment A5 (`assignments/a5_kpi_snapshots/README.md`). It runs when `publish`
has replaced the published analytics tables (the asset `analytics`), so the
snapshots only ever read checked tables.

1. **days_to_snapshot** lists every day from the first to the last order date of
   `analytics.analytics_orders` (`YYYY-MM-DD`), days without orders included.
2. **snapshot_day** is mapped over that list (`.expand()`): one task instance per
   day, labelled with its date. Each writes its day's row of
   `kpi_snapshots.daily_kpis`: the orders, revenue and buyers of that day (zeros
   on a day without orders), replacing the row an earlier run wrote, so a re-run
   or a retry never counts a day twice.

Both tasks run in the warehouse pool: DuckDB lets one process write its file at a
time, and no other process may read it meanwhile.
"""

from __future__ import annotations

# BEGIN SOLUTION
# SOLUTION-CANARY-A5-a39394ca
from datetime import date, timedelta

from airflow.sdk import dag, get_current_context, task
from pipeline_common import ANALYTICS, DEFAULT_ARGS, START_DATE, WAREHOUSE_POOL

CREATE_TABLE = """
create schema if not exists kpi_snapshots;
create table if not exists kpi_snapshots.daily_kpis (
    kpi_date date primary key,
    orders bigint not null,
    revenue_orders bigint not null,
    revenue decimal(18, 2) not null,
    buyers bigint not null
)
"""
# The first and last published order dates.
WINDOW = "select min(order_date), max(order_date) from analytics.analytics_orders"
# One day's row, from the published orders; on a day without orders, one row of zeros.
DAY_KPIS = """
select
    cast($day as date) as kpi_date,
    count(order_id) as orders,
    count(case when is_revenue then order_id end) as revenue_orders,
    cast(coalesce(sum(net_revenue), 0) as decimal(18, 2)) as revenue,
    count(distinct customer_id) as buyers
from analytics.analytics_orders
where order_date = cast($day as date)
"""


@dag(
    schedule=[ANALYTICS],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=DEFAULT_ARGS,
    tags=["kpis", "assignment"],
    doc_md=__doc__,
)
def daily_kpi_snapshots():
    @task(pool=WAREHOUSE_POOL)
    def days_to_snapshot() -> list[str]:
        """Every day from the first to the last published order date, days without orders included."""
        from {{ cookiecutter.package_name }}.settings import Settings
        from {{ cookiecutter.package_name }}.warehouse.connection import connect_warehouse

        with connect_warehouse(Settings.from_env().warehouse_path, read_only=True) as con:
            first, last = con.execute(WINDOW).fetchone()
        if first is None:
            return []
        # A calendar, not the days found in the orders: a day without orders still gets its row.
        return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]

    # Each mapped instance is labelled with its day in the UI.
    @task(pool=WAREHOUSE_POOL, map_index_template={% raw %}"{{ day }}"{% endraw %})
    def snapshot_day(day: str) -> dict[str, int]:
        """Replace the day's row of kpi_snapshots.daily_kpis, in one transaction: a re-run leaves one row."""
        from {{ cookiecutter.package_name }}.settings import Settings
        from {{ cookiecutter.package_name }}.warehouse.connection import connect_warehouse

        get_current_context()["day"] = day
        with connect_warehouse(Settings.from_env().warehouse_path) as con:
            con.execute(CREATE_TABLE)
            con.execute("begin transaction")
            con.execute("delete from kpi_snapshots.daily_kpis where kpi_date = ?", [date.fromisoformat(day)])
            con.execute(f"insert into kpi_snapshots.daily_kpis {DAY_KPIS}", {"day": day})
            con.execute("commit")
            orders, buyers = con.execute(
                "select orders, buyers from kpi_snapshots.daily_kpis where kpi_date = ?", [date.fromisoformat(day)]
            ).fetchone()
        return {"orders": orders, "buyers": buyers}

    snapshot_day.expand(day=days_to_snapshot())


daily_kpi_snapshots()
# END SOLUTION
# BEGIN STARTER
# from datetime import timedelta
#
# from airflow.sdk import dag, task
# from pipeline_common import DEFAULT_ARGS, START_DATE, WAREHOUSE_POOL
#
# CREATE_TABLE = """
# create schema if not exists kpi_snapshots;
# create table if not exists kpi_snapshots.daily_kpis (
#     kpi_date date primary key,
#     orders bigint not null,
#     revenue_orders bigint not null,
#     revenue decimal(18, 2) not null,
#     buyers bigint not null
# )
# """
# # The first and last published order dates.
# WINDOW = "select min(order_date), max(order_date) from analytics.analytics_orders"
# # One day's row, from the published orders; on a day without orders, one row of zeros.
# DAY_KPIS = """
# select
#     cast($day as date) as kpi_date,
#     count(order_id) as orders,
#     count(case when is_revenue then order_id end) as revenue_orders,
#     cast(coalesce(sum(net_revenue), 0) as decimal(18, 2)) as revenue,
#     count(distinct customer_id) as buyers
# from analytics.analytics_orders
# where order_date = cast($day as date)
# """
#
#
# # Starter: it parses and runs, and writes nothing. Schedule it on the analytics asset,
# # fill in the two tasks and map the second over the days (README: what to change).
# @dag(
#     schedule=None,
#     start_date=START_DATE,
#     catchup=False,
#     max_active_runs=1,
#     dagrun_timeout=timedelta(hours=1),
#     default_args=DEFAULT_ARGS,
#     tags=["kpis", "assignment"],
#     doc_md=__doc__,
# )
# def daily_kpi_snapshots():
#     @task(pool=WAREHOUSE_POOL)
#     def days_to_snapshot() -> list[str]:
#         """Every day from the first to the last published order date, days without orders included."""
#         return []
#
#     @task(pool=WAREHOUSE_POOL)
#     def snapshot_day(day: str) -> dict[str, int]:
#         """Replace the day's row of kpi_snapshots.daily_kpis: a re-run must leave one row per day."""
#         return {}
#
#     days_to_snapshot()
#
#
# daily_kpi_snapshots()
# END STARTER
