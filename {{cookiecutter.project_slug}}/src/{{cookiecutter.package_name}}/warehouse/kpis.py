"""The headline figures (orders, revenue, conversion), read from the published analytics tables."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from ..errors import PipelineError
from .connection import connect_warehouse


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
    from analytics.analytics_sessions
)
select * from orders cross join sessions
"""


def read_kpis(warehouse_path: Path) -> Kpis:
    """The headline figures, read from the published analytics tables of the local warehouse."""
    try:
        with connect_warehouse(warehouse_path, read_only=True) as con:
            cursor = con.execute(KPI_QUERY)
            row = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
    except duckdb.CatalogException as error:
        raise PipelineError(
            f"the published analytics tables are missing ({error}): run `make transform` first"
        ) from None
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
