"""The dashboard's data: every query it runs, and how it opens the warehouse.

Every figure is computed by the warehouse, in SQL, on the tables dbt builds; the
app only draws what comes back. The SQL sticks to what DuckDB and Snowflake both
understand and binds the filters as `?` parameters, so the same text runs on the
local DuckDB file and on Snowflake.

DuckDB lets a process write to a database file only while no other process has
it open. So the dashboard never keeps a connection: it opens the file read-only,
runs one batch of queries and closes it, and the pipeline can load and transform
while the dashboard is open. While the pipeline writes, opening fails; that
becomes WarehouseBusy, which the app turns into a "retry in a moment" message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.settings import Settings

# The schema of the tables the dashboard reads: the published analytics tables,
# which change only when the audit passed (write-audit-publish). To look at
# another schema (e.g. analytics_candidate, before it is published), set DASHBOARD_SCHEMA.
DEFAULT_SCHEMA = "analytics"

TARGETS = ("local", "snowflake")
# The Snowflake connection, each setting from SNOWFLAKE_<NAME>, with dbt/profiles.yml's defaults.
SNOWFLAKE_DEFAULTS = {
    "account": {{ cookiecutter.snowflake_account | tojson }},
    "role": {{ cookiecutter.snowflake_role | tojson }},
    "warehouse": {{ cookiecutter.snowflake_warehouse | tojson }},
    "database": {{ cookiecutter.snowflake_database | tojson }},
}
# No default; host, port and protocol only for a private endpoint or an emulator
# (the tests use fakesnow on 127.0.0.1).
SNOWFLAKE_WITHOUT_DEFAULT = ("user", "host", "port", "protocol")
RUN_PIPELINE_FIRST = "Run `make demo` first (or `make generate load transform`), then reload this page."


class DashboardError(Exception):
    """Something about the warehouse that the app explains in one sentence instead of a traceback."""


class WarehouseNotReady(DashboardError):
    """No warehouse, no analytics tables, or no rows in them yet."""


class WarehouseBusy(DashboardError):
    """The pipeline holds the DuckDB file for writing; reading works again when it is done."""


@dataclass(frozen=True)
class Source:
    """Where the figures come from: the local DuckDB file, or a Snowflake database.

    Cached figures are keyed by it, so it names everything that tells one warehouse
    from another (the Snowflake password is read only when connecting).
    """

    target: str
    schema: str
    warehouse_path: Path
    snowflake: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls) -> Source:
        """DASHBOARD_TARGET (else DBT_TARGET, else local), DASHBOARD_SCHEMA, WAREHOUSE_PATH, SNOWFLAKE_*."""
        try:
            settings = Settings.from_env()
        except PipelineError as error:
            raise DashboardError(str(error)) from None
        target = os.environ.get("DASHBOARD_TARGET") or settings.dbt_target
        if target not in TARGETS:
            raise DashboardError(f"DASHBOARD_TARGET must be one of {', '.join(TARGETS)}, got {target!r}")
        schema = os.environ.get("DASHBOARD_SCHEMA") or DEFAULT_SCHEMA
        snowflake = ()
        if target == "snowflake":
            names = (*SNOWFLAKE_DEFAULTS, *SNOWFLAKE_WITHOUT_DEFAULT)
            values = {
                name: os.environ.get(f"SNOWFLAKE_{name.upper()}") or SNOWFLAKE_DEFAULTS.get(name) for name in names
            }
            snowflake = tuple((name, value) for name, value in values.items() if value)
        return cls(target=target, schema=schema, warehouse_path=settings.warehouse_path, snowflake=snowflake)

    def describe(self) -> str:
        if self.target == "snowflake":
            return f"Snowflake {dict(self.snowflake)['database']}.{self.schema}"
        return f"DuckDB {self.warehouse_path} (schema {self.schema}, read-only)"

    def data_version(self) -> str:
        """Changes whenever the local warehouse file does, so cached figures never outlive the data."""
        if self.target == "local" and self.warehouse_path.is_file():
            stat = self.warehouse_path.stat()
            return f"{stat.st_mtime_ns}-{stat.st_size}"
        return ""


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices; every panel's query applies all of them."""

    start: date
    end: date
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    sql: str
    params: tuple[Any, ...] = ()


def _snowflake_connection(source: Source) -> Any:
    import snowflake.connector  # imported here: only the Snowflake target needs it

    params: dict[str, Any] = dict(source.snowflake)
    missing = [name for name in ("SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD") if not os.environ.get(name)]
    if missing:
        raise DashboardError(
            f"{' and '.join(missing)} not set: the Snowflake target reads its credentials from the environment "
            "(see .env.example)"
        )
    params |= {
        "password": os.environ["SNOWFLAKE_PASSWORD"],
        "paramstyle": "qmark",  # the same `?` placeholders as DuckDB
        "application": "{{ cookiecutter.project_slug }}-dashboard",
        "login_timeout": 30,
    }
    try:
        return snowflake.connector.connect(**params)
    except snowflake.connector.errors.Error as error:
        raise DashboardError(f"cannot connect to Snowflake: {error.msg}") from None


def _duckdb_connection(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.is_file():
        raise WarehouseNotReady(f"There is no warehouse at {path} yet. {RUN_PIPELINE_FIRST}")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusy(
                "The pipeline is writing to the warehouse right now (a DuckDB file can be read only when "
                "no one writes to it). Retry in a moment."
            ) from None
        raise DashboardError(f"cannot open the warehouse {path}: {error}") from None


@contextmanager
def connect(source: Source) -> Iterator[Any]:
    """A connection for one batch of queries, closed as soon as the batch is read."""
    if source.target == "snowflake":
        connection = _snowflake_connection(source)
    else:
        connection = _duckdb_connection(source.warehouse_path)
    try:
        yield connection.cursor()
    finally:
        connection.close()


def _is_missing_table(error: Exception) -> bool:
    if isinstance(error, duckdb.CatalogException):
        return True
    # Snowflake: "SQL compilation error: Object '...' does not exist or not authorized."
    return "does not exist" in str(error)


def _frame(cursor: Any, query: Query) -> pd.DataFrame:
    cursor.execute(query.sql, query.params)
    columns = [column[0].lower() for column in cursor.description]  # Snowflake answers in upper case
    frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    for column in frame.columns:
        # DECIMAL money arrives as Decimal objects; charts and tables want numbers
        if frame[column].map(lambda value: isinstance(value, Decimal)).any():
            frame[column] = frame[column].astype(float)
    return frame


def run_batch(source: Source, queries: dict[str, Query]) -> dict[str, pd.DataFrame]:
    """Run the queries on one short-lived connection; a missing table becomes WarehouseNotReady."""
    with connect(source) as cursor:
        try:
            return {name: _frame(cursor, query) for name, query in queries.items()}
        except Exception as error:
            if _is_missing_table(error):
                raise WarehouseNotReady(
                    f"The tables the dashboard reads are not in the warehouse yet ({source.describe()}). "
                    f"{RUN_PIPELINE_FIRST}"
                ) from None
            raise


# --- The queries -------------------------------------------------------------------------------


def overview_queries(schema: str) -> dict[str, Query]:
    """What the filters offer: the range of order dates and the channels."""
    return {
        "overview": Query(
            f"""
select
    count(*) as orders,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date
from {schema}.analytics_orders
"""
        ),
        "channels": Query(
            f"""
select distinct channel
from {schema}.analytics_orders
where channel is not null
order by channel
"""
        ),
    }


def _filtered(schema: str, filters: Filters) -> Query:
    """The two filtered row sets every panel starts from, as CTEs: orders and sessions."""
    if not filters.channels:
        raise ValueError("pick at least one channel")
    channels = ", ".join("?" for _ in filters.channels)
    sql = f"""
with

filtered_orders as (
    select *
    from {schema}.analytics_orders
    where order_date between ? and ? and channel in ({channels})
),

filtered_sessions as (
    select *
    from {schema}.analytics_sessions
    where cast(session_started_at as date) between ? and ? and channel in ({channels})
)"""
    params = (filters.start, filters.end, *filters.channels)
    return Query(sql, params * 2)


def _with_filters(schema: str, filters: Filters, body: str) -> Query:
    ctes = _filtered(schema, filters)
    return Query(f"{ctes.sql}{body}", ctes.params)


def panel_queries(schema: str, filters: Filters) -> dict[str, Query]:
    """One query per panel, in the order the app shows them."""
    return {
        "kpis": _with_filters(
            schema,
            filters,
            """,

order_figures as (
    select
        count(*) as orders,
        sum(case when is_revenue then 1 else 0 end) as revenue_orders,
        coalesce(sum(net_revenue), 0) as revenue,
        count(distinct customer_id) as customers
    from filtered_orders
),

session_figures as (
    select
        count(*) as sessions,
        coalesce(sum(case when has_order then 1 else 0 end), 0) as converted_sessions
    from filtered_sessions
)

select
    order_figures.orders,
    order_figures.revenue_orders,
    order_figures.revenue,
    round(order_figures.revenue / nullif(order_figures.revenue_orders, 0), 2) as average_order_value,
    order_figures.customers,
    session_figures.sessions,
    session_figures.converted_sessions,
    cast(session_figures.converted_sessions as double) / nullif(session_figures.sessions, 0) as conversion_rate
from order_figures
cross join session_figures
""",
        ),
        "revenue_over_time": _with_filters(
            schema,
            filters,
            """
select
    order_date,
    coalesce(sum(net_revenue), 0) as revenue,
    count(*) as orders
from filtered_orders
group by order_date
order by order_date
""",
        ),
        "by_channel": _with_filters(
            schema,
            filters,
            """,

channel_orders as (
    select
        channel,
        count(*) as orders,
        sum(case when is_revenue then 1 else 0 end) as revenue_orders,
        coalesce(sum(net_revenue), 0) as revenue
    from filtered_orders
    group by channel
),

channel_sessions as (
    select
        channel,
        count(*) as sessions,
        sum(case when has_order then 1 else 0 end) as converted_sessions
    from filtered_sessions
    group by channel
)

select
    coalesce(channel_orders.channel, channel_sessions.channel) as channel,
    coalesce(channel_orders.revenue, 0) as revenue,
    coalesce(channel_orders.orders, 0) as orders,
    round(channel_orders.revenue / nullif(channel_orders.revenue_orders, 0), 2) as average_order_value,
    coalesce(channel_sessions.sessions, 0) as sessions,
    cast(channel_sessions.converted_sessions as double) / nullif(channel_sessions.sessions, 0) as conversion_rate
from channel_orders
full outer join channel_sessions
    on channel_orders.channel = channel_sessions.channel
order by revenue desc, channel
""",
        ),
        "by_category": _with_filters(
            schema,
            filters,
            f"""
select
    items.product_category as category,
    sum(items.net_line_revenue) as merchandise_revenue,
    sum(case when items.is_revenue then items.quantity else 0 end) as units_sold,
    count(distinct items.order_id) as orders
from {schema}.analytics_order_items as items
inner join filtered_orders
    on items.order_id = filtered_orders.order_id
group by items.product_category
order by merchandise_revenue desc, category
""",
        ),
        "by_product": _with_filters(
            schema,
            filters,
            f"""
select
    items.product_id,
    max(items.product_name) as product_name,
    max(items.product_category) as category,
    sum(items.net_line_revenue) as merchandise_revenue,
    sum(case when items.is_revenue then items.quantity else 0 end) as units_sold,
    count(distinct items.order_id) as orders
from {schema}.analytics_order_items as items
inner join filtered_orders
    on items.order_id = filtered_orders.order_id
group by items.product_id
order by merchandise_revenue desc, items.product_id
""",
        ),
        "by_hour": _with_filters(
            schema,
            filters,
            """
select
    extract(hour from order_created_at) as hour_of_day,
    count(*) as orders,
    coalesce(sum(net_revenue), 0) as revenue
from filtered_orders
group by extract(hour from order_created_at)
order by hour_of_day
""",
        ),
        "customer_lifetime_value": _with_filters(
            schema,
            filters,
            f""",

customer_orders as (
    select
        customer_id,
        count(*) as orders,
        sum(case when is_revenue then 1 else 0 end) as revenue_orders,
        sum(net_revenue) as lifetime_value,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from filtered_orders
    group by customer_id
    having sum(net_revenue) > 0
)

select
    customer_orders.customer_id,
    customers.first_name || ' ' || customers.last_name as customer_name,
    customers.country,
    customers.rfm_segment,
    customer_orders.lifetime_value,
    customer_orders.orders,
    customer_orders.revenue_orders,
    round(customer_orders.lifetime_value / customer_orders.revenue_orders, 2) as average_order_value,
    customer_orders.first_order_date,
    customer_orders.last_order_date
from customer_orders
inner join {schema}.analytics_customer_summary as customers
    on customer_orders.customer_id = customers.customer_id
order by customer_orders.lifetime_value desc, customer_orders.customer_id
limit 100
""",
        ),
        "rfm_segments": _with_filters(
            schema,
            filters,
            f""",

customer_revenue as (
    select
        customer_id,
        sum(net_revenue) as revenue
    from filtered_orders
    where is_revenue
    group by customer_id
)

select
    customers.rfm_segment as segment,
    count(*) as customers,
    sum(customer_revenue.revenue) as revenue,
    round(sum(customer_revenue.revenue) / count(*), 2) as revenue_per_customer,
    cast(sum(customer_revenue.revenue) as double) / sum(sum(customer_revenue.revenue)) over () as share_of_revenue
from customer_revenue
inner join {schema}.analytics_customer_summary as customers
    on customer_revenue.customer_id = customers.customer_id
group by customers.rfm_segment
order by revenue desc, segment
""",
        ),
        "funnel": _with_filters(
            schema,
            filters,
            f""",

session_orders as (
    select
        session_id,
        max(case when paid_at is not null then 1 else 0 end) as was_paid,
        max(case when fulfilled_at is not null then 1 else 0 end) as was_fulfilled
    from {schema}.analytics_orders
    group by session_id
),

session_steps as (
    select
        case when filtered_sessions.product_views > 0 then 1 else 0 end as viewed,
        case when filtered_sessions.has_cart then 1 else 0 end as carted,
        case when filtered_sessions.has_checkout then 1 else 0 end as checked_out,
        case when filtered_sessions.has_order then 1 else 0 end as ordered,
        coalesce(session_orders.was_paid, 0) as paid,
        coalesce(session_orders.was_fulfilled, 0) as fulfilled
    from filtered_sessions
    left join session_orders
        on filtered_sessions.session_id = session_orders.session_id
),

steps as (
    select 1 as step_number, 'Viewed a product' as step, sum(viewed) as sessions from session_steps
    union all
    select 2, 'Added to cart', sum(carted) from session_steps
    union all
    select 3, 'Started checkout', sum(checked_out) from session_steps
    union all
    select 4, 'Placed an order', sum(ordered) from session_steps
    union all
    select 5, 'Paid', sum(paid) from session_steps
    union all
    select 6, 'Fulfilled', sum(fulfilled) from session_steps
)

select
    step_number,
    step,
    coalesce(sessions, 0) as sessions,
    cast(sessions as double) / nullif(first_value(sessions) over (order by step_number), 0) as share_of_viewers,
    1 - cast(sessions as double) / nullif(lag(sessions) over (order by step_number), 0) as drop_off
from steps
order by step_number
""",
        ),
        "by_country": _with_filters(
            schema,
            filters,
            """
select
    customer_country as country,
    coalesce(sum(net_revenue), 0) as revenue,
    count(*) as orders,
    count(distinct customer_id) as customers,
    round(sum(net_revenue) / nullif(sum(case when is_revenue then 1 else 0 end), 0), 2) as average_order_value
from filtered_orders
group by customer_country
order by revenue desc, country
""",
        ),
    }
