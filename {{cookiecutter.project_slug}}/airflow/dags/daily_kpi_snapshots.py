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
time, and no other process may read it meanwhile. They read and write the local
DuckDB warehouse (`WAREHOUSE_PATH`), the course's target.
"""

from __future__ import annotations

from datetime import timedelta

# BEGIN SOLUTION
# SOLUTION-CANARY-A5-a39394ca
from airflow.sdk import dag, get_current_context, task
from pipeline_common import ANALYTICS, DEFAULT_ARGS, START_DATE, WAREHOUSE_POOL

# END SOLUTION
# BEGIN STARTER
# from airflow.sdk import dag, get_current_context, task
# from pipeline_common import DEFAULT_ARGS, START_DATE, WAREHOUSE_POOL
#
# END STARTER
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
    # BEGIN SOLUTION
    # SOLUTION-CANARY-A5-3c4d87fc
    schedule=[ANALYTICS],
    # END SOLUTION
    # BEGIN STARTER
    # # Starter: no schedule, so it runs only when triggered. It should run when the analytics asset is updated.
    # schedule=None,
    # END STARTER
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
        """Every day from the first to the last published order date (YYYY-MM-DD), days without orders included."""
        # BEGIN SOLUTION
        # SOLUTION-CANARY-A5-23eca87c
        from {{ cookiecutter.package_name }}.settings import Settings
        from {{ cookiecutter.package_name }}.warehouse.connection import connect_warehouse

        with connect_warehouse(Settings.from_env().warehouse_path, read_only=True) as con:
            first, last = con.execute(WINDOW).fetchone()
        if first is None:
            return []
        # A calendar, not the days found in the orders: a day without orders still gets its row.
        return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        # END SOLUTION
        # BEGIN STARTER
        # return []
        # END STARTER

    # Each mapped instance is labelled with its day in the UI.
    @task(pool=WAREHOUSE_POOL, map_index_template={% raw %}"{{ day }}"{% endraw %})
    def snapshot_day(day: str) -> dict[str, int]:
        """Write the day's row of kpi_snapshots.daily_kpis, replacing an earlier run's; returns its figures."""
        get_current_context()["day"] = day
        # BEGIN SOLUTION
        # SOLUTION-CANARY-A5-5bf88723
        from {{ cookiecutter.package_name }}.settings import Settings
        from {{ cookiecutter.package_name }}.warehouse.connection import connect_warehouse

        with connect_warehouse(Settings.from_env().warehouse_path) as con:
            con.execute(CREATE_TABLE)
            # Delete, then insert, in one transaction: a re-run or a retry replaces the day's row.
            con.execute("begin transaction")
            con.execute("delete from kpi_snapshots.daily_kpis where kpi_date = cast(? as date)", [day])
            orders, buyers = con.execute(
                f"insert into kpi_snapshots.daily_kpis {DAY_KPIS} returning orders, buyers", {"day": day}
            ).fetchone()
            con.execute("commit")
        return {"orders": orders, "buyers": buyers}
        # END SOLUTION
        # BEGIN STARTER
        # return {}
        # END STARTER

    # BEGIN SOLUTION
    # SOLUTION-CANARY-A5-7590313d
    snapshot_day.expand(day=days_to_snapshot())
    # END SOLUTION
    # BEGIN STARTER
    # # Starter: only the first task runs. Map snapshot_day over the days it returns.
    # days_to_snapshot()
    # END STARTER


daily_kpi_snapshots()
