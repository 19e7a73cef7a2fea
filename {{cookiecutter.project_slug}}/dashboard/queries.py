"""The dashboard's figures: every query it runs, one per panel, in SQL.

Every figure is computed by the warehouse, in SQL, on the tables dbt builds; the
app only draws what comes back. The SQL sticks to what DuckDB and Snowflake both
understand and binds the filters as `?` parameters, so the same text runs on the
local DuckDB file and on Snowflake (warehouse_connection.py runs it on either).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from warehouse_connection import Query


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices; every panel's query applies all of them."""

    start: date
    end: date
    channels: tuple[str, ...]


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
