"""The warehouse side: load the lake with dbt's `copy_into_raw_events`, build the models, read KPIs.

dbt runs with the same project, profile and macros a learner runs by hand from
the dbt/ folder (`dbt run-operation copy_into_raw_events`, `dbt build`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from .errors import PipelineError
from .settings import Settings


def run_dbt(settings: Settings, *args: str) -> None:
    """Run one dbt command on the project, as a learner would type it; raise PipelineError if it fails.

    dbt runs in its own process: it holds the DuckDB file open while it works, and
    DuckDB lets one process write a database file at a time.
    """
    if settings.dbt_target == "local":
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    dbt = Path(sys.executable).with_name("dbt")
    dbt_dir = str(settings.dbt_dir)
    env = {
        **os.environ,
        # The profile reads these: this run's files and target.
        "WAREHOUSE_PATH": str(settings.warehouse_path),
        "LAKE_DIR": str(settings.lake_dir),
        "DBT_TARGET": settings.dbt_target,
    }
    command = [str(dbt), *args, "--project-dir", dbt_dir, "--profiles-dir", dbt_dir]
    if subprocess.run(command, env=env, cwd=settings.dbt_dir).returncode != 0:
        raise PipelineError(f"dbt {' '.join(args)} failed (see dbt's output above)")


def load_lake(settings: Settings) -> None:
    """Copy new lake files into raw.raw_events (files already loaded are skipped)."""
    run_dbt(settings, "run-operation", "copy_into_raw_events")


def build_models(settings: Settings, full_refresh: bool = False) -> None:
    """`dbt build`: every model in dependency order, each followed by its tests.

    Incremental models (stg_events, dim_customers) process only what is new;
    `full_refresh` rebuilds them from the whole raw table. On the local target,
    raw events the incremental runs skipped (delivered later than the lookback)
    are then named on one line.
    """
    run_dbt(settings, "build", *(["--full-refresh"] if full_refresh else []))
    if settings.dbt_target == "local":
        missing = missing_events(settings.warehouse_path)
        if missing:
            print(format_missing_events(missing), file=sys.stderr)


@dataclass(frozen=True)
class MissingEvent:
    event_id: str
    event_type: str
    event_timestamp: datetime
    source_file: str


def missing_events(warehouse_path: Path) -> list[MissingEvent]:
    """Raw events absent from stg_events (the audit view audit_events_missing_from_staging), oldest first."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select event_id, event_type, event_timestamp, source_file "
            "from audit.audit_events_missing_from_staging order by event_timestamp, event_id"
        ).fetchall()
    return [MissingEvent(*row) for row in rows]


def format_missing_events(missing: list[MissingEvent], shown: int = 5) -> str:
    named = ", ".join(
        f"{event.event_id} ({event.event_type} at {event.event_timestamp:%Y-%m-%d %H:%M})" for event in missing[:shown]
    )
    more = f" and {len(missing) - shown} more" if len(missing) > shown else ""
    return (
        f"Warning: {len(missing)} raw event(s) missing from stg_events, delivered later than its "
        f"incremental lookback: {named}{more}. A full refresh recovers them (dbt build --full-refresh)."
    )


@dataclass(frozen=True)
class Kpis:
    orders: int
    revenue_orders: int
    revenue: Decimal
    buyers: int
    sessions: int
    converted_sessions: int
    first_order_date: str
    last_order_date: str

    @property
    def average_order_value(self) -> Decimal:
        return (self.revenue / self.revenue_orders).quantize(Decimal("0.01")) if self.revenue_orders else Decimal(0)

    @property
    def session_conversion(self) -> float:
        return self.converted_sessions / self.sessions if self.sessions else 0.0


KPI_QUERY = """
with orders as (
    select
        count(*) as orders,
        sum(case when is_revenue then 1 else 0 end) as revenue_orders,
        coalesce(sum(net_revenue), 0) as revenue,
        count(distinct customer_id) as buyers,
        cast(min(order_date) as varchar) as first_order_date,
        cast(max(order_date) as varchar) as last_order_date
    from analytics.analytics_orders
),
sessions as (
    select
        count(*) as sessions,
        sum(case when has_order then 1 else 0 end) as converted_sessions
    from intermediate.int_session_events
)
select * from orders cross join sessions
"""


def read_kpis(warehouse_path: Path) -> Kpis:
    """The headline figures, read from the analytics tables of the local warehouse."""
    if not warehouse_path.is_file():
        raise PipelineError(f"no warehouse at {warehouse_path}: run the pipeline first (make demo)")
    try:
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            cursor = con.execute(KPI_QUERY)
            row = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
    except duckdb.CatalogException as error:
        raise PipelineError(f"the analytics tables are missing ({error}): run `dbt build` first") from None
    return Kpis(
        orders=row["orders"],
        revenue_orders=int(row["revenue_orders"] or 0),
        revenue=Decimal(row["revenue"]).quantize(Decimal("0.01")),
        buyers=row["buyers"],
        sessions=row["sessions"],
        converted_sessions=int(row["converted_sessions"] or 0),
        first_order_date=row["first_order_date"],
        last_order_date=row["last_order_date"],
    )


def format_kpis(kpis: Kpis) -> str:
    rows = [
        ("Orders", f"{kpis.orders:,}"),
        ("Revenue (paid, not cancelled)", f"${kpis.revenue:,.2f}"),
        ("Average order value", f"${kpis.average_order_value:,.2f}"),
        ("Customers who ordered", f"{kpis.buyers:,}"),
        ("Session conversion", f"{kpis.session_conversion:.1%} of {kpis.sessions:,} sessions"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"KPI summary, orders created {kpis.first_order_date} to {kpis.last_order_date}"]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)
