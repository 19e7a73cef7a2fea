"""The data quality suites, defined in code: for each, the rows it checks (a query) and its expectations.

A suite validates one batch: the rows its query returns from the warehouse. The
query is written for each target (DuckDB reads JSON with json_extract_string,
Snowflake reads VARIANT with its path syntax); the expectations are the same.

Every expectation carries a `check` label in its meta: the sentence a failure
report starts with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import great_expectations as gx
from great_expectations.expectations import Expectation

from ...ingest.catalog import CATEGORIES
from ...ingest.generator import EVENT_TYPES

RFM_SEGMENTS = (
    "Champions",
    "Loyal Customers",
    "Potential Loyalists",
    "New Customers",
    "Promising",
    "Need Attention",
    "At Risk",
    "Hibernating",
)
# Amounts the raw events carry; each must be >= 0 where present.
RAW_AMOUNTS = ("product_price", "cart_value", "subtotal", "tax", "shipping", "total_amount")
# Fields every event has, whatever its type.
RAW_REQUIRED = ("event_id", "event_type", "event_timestamp", "session_id", "customer_id", "channel", "device")


@dataclass(frozen=True)
class Suite:
    name: str
    query: Callable[[str, str], str]  # (target, analytics schema) -> SQL
    expectations: Callable[[], list[Expectation]]  # built when validated: "not in the future" means now


def _check(label: str) -> dict:
    return {"check": label}


def _json(target: str, path: str, data_type: str = "varchar") -> str:
    """One field of raw.raw_events' event document, as the dbt macro json_field reads it."""
    elements = path.split(".")
    if target == "snowflake":
        value = "event" + "".join((":" if i == 0 else ".") + f'"{element}"' for i, element in enumerate(elements))
        value = f"cast({value} as varchar)"
        return f"try_cast({value} as {data_type})" if data_type != "varchar" else value
    json_path = "$" + "".join(f'."{element}"' for element in elements)
    value = f"json_extract_string(event, '{json_path}')"
    return f"try_cast({value} as {data_type})" if data_type != "varchar" else value


def _raw_events_query(target: str, analytics_schema: str) -> str:
    amount = "decimal(12, 2)"
    parsed_time = (
        "cast(convert_timezone('UTC', try_cast(cast(event:\"event_timestamp\" as varchar) as timestamp_tz))"
        " as timestamp_ntz)"
        if target == "snowflake"
        else "timezone('UTC', try_cast(json_extract_string(event, '$.\"event_timestamp\"') as timestamptz))"
    )
    document = "to_json(event)"
    return f"""
with distinct_events as (
    -- a redelivered event is the same document twice: the batch holds each document once
    select distinct {document} as event_text from raw.raw_events as raw_events
    -- the events staging set aside (a value that does not convert, an implausible time) are
    -- accounted for there, each with its reason: the suite checks the events that flow on
    where not exists (
        select 1 from staging.stg_quarantined_events as set_aside
        where set_aside.source_file = raw_events.source_file
            and set_aside.file_row_number = raw_events.file_row_number
    )
),
events as (
    select {"parse_json(event_text)" if target == "snowflake" else "cast(event_text as json)"} as event
    from distinct_events
)
select
    {_json(target, "event_id")} as event_id,
    {_json(target, "event_type")} as event_type,
    {_json(target, "event_timestamp")} as event_timestamp,
    {parsed_time} as event_time,
    {_json(target, "session_id")} as session_id,
    {_json(target, "customer.customer_id")} as customer_id,
    {_json(target, "session.channel")} as channel,
    {_json(target, "session.device")} as device,
    cast({_json(target, "product.price", amount)} as double) as product_price,
    cast({_json(target, "cart.cart_value", amount)} as double) as cart_value,
    cast({_json(target, "order.subtotal", amount)} as double) as subtotal,
    cast({_json(target, "order.tax", amount)} as double) as tax,
    cast({_json(target, "order.shipping", amount)} as double) as shipping,
    cast({_json(target, "order.total_amount", amount)} as double) as total_amount,
    -- rounded to the cent: an engine that sums decimals as doubles (fakesnow) agrees too
    cast(round(
        {_json(target, "order.subtotal", amount)} + {_json(target, "order.tax", amount)}
        + {_json(target, "order.shipping", amount)}, 2
    ) as double) as subtotal_plus_tax_plus_shipping
from events
"""


def _raw_events_expectations() -> list[Expectation]:
    now = datetime.now(UTC).replace(tzinfo=None)
    expectations: list[Expectation] = [
        gx.expectations.ExpectColumnValuesToNotBeNull(column=column, meta=_check(f"required field {column} present"))
        for column in RAW_REQUIRED
    ]
    expectations += [
        gx.expectations.ExpectColumnValuesToBeUnique(
            column="event_id", meta=_check("event_id unique (an id names one event; redeliveries are identical)")
        ),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="event_type", value_set=list(EVENT_TYPES), meta=_check("event type in the known set")
        ),
        # No "parseable" check: an event whose time does not parse is set aside at staging
        # (stg_quarantined_events), which this suite's query leaves out.
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="event_time", max_value=now, meta=_check("event_timestamp not in the future")
        ),
        gx.expectations.ExpectColumnPairValuesToBeEqual(
            column_A="total_amount",
            column_B="subtotal_plus_tax_plus_shipping",
            ignore_row_if="either_value_is_missing",
            meta=_check("order total_amount = subtotal + tax + shipping"),
        ),
    ]
    expectations += [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=column, min_value=0, meta=_check(f"amount {column} non-negative")
        )
        for column in RAW_AMOUNTS
    ]
    return expectations


def _staging_expectations() -> list[Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="event_id", meta=_check("event_id present")),
        gx.expectations.ExpectColumnValuesToBeUnique(column="event_id", meta=_check("event_id unique")),
    ]


def _unique_key(column: str) -> list[Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(column=column, meta=_check(f"key {column} present")),
        gx.expectations.ExpectColumnValuesToBeUnique(column=column, meta=_check(f"key {column} unique")),
    ]


def _non_negative(column: str) -> Expectation:
    return gx.expectations.ExpectColumnValuesToBeBetween(
        column=column, min_value=0, meta=_check(f"revenue {column} >= 0")
    )


def _orders_expectations() -> list[Expectation]:
    return [*_unique_key("order_id"), _non_negative("net_revenue"), _non_negative("total_amount")]


def _order_items_expectations() -> list[Expectation]:
    return [*_unique_key("order_item_id"), _non_negative("net_line_revenue")]


def _customer_summary_expectations() -> list[Expectation]:
    scores = [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=score, min_value=1, max_value=5, meta=_check(f"RFM score {score} within 1-5")
        )
        for score in ("r_score", "f_score", "m_score")
    ]
    return [
        *_unique_key("customer_id"),
        _non_negative("monetary"),
        *scores,
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="rfm_segment", value_set=list(RFM_SEGMENTS), meta=_check("segment name in the known set")
        ),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="favourite_category", value_set=list(CATEGORIES), meta=_check("favourite category known")
        ),
        gx.expectations.ExpectColumnPairValuesToBeEqual(
            column_A="monetary",
            column_B="sum_of_orders_net_revenue",
            meta=_check("lifetime value (monetary) = the sum of the customer's orders' net revenue"),
        ),
    ]


def _sessions_expectations() -> list[Expectation]:
    return _unique_key("session_id")


def _customer_summary_query(target: str, schema: str) -> str:
    return f"""
with order_revenue as (
    -- rounded to the cent: an engine that sums decimals as doubles (fakesnow) agrees too
    select customer_id, round(sum(net_revenue), 2) as net_revenue
    from {schema}.analytics_orders
    group by customer_id
)
select
    summary.customer_id,
    cast(summary.monetary as double) as monetary,
    summary.r_score,
    summary.f_score,
    summary.m_score,
    summary.rfm_segment,
    summary.favourite_category,
    cast(coalesce(order_revenue.net_revenue, 0) as double) as sum_of_orders_net_revenue
from {schema}.analytics_customer_summary as summary
left join order_revenue
    on summary.customer_id = order_revenue.customer_id
"""


SUITES = (
    Suite("raw_events", _raw_events_query, _raw_events_expectations),
    Suite("stg_events", lambda target, schema: "select event_id from staging.stg_events", _staging_expectations),
    Suite(
        "analytics_orders",
        lambda target, schema: (
            "select order_id, cast(net_revenue as double) as net_revenue, "
            f"cast(total_amount as double) as total_amount from {schema}.analytics_orders"
        ),
        _orders_expectations,
    ),
    Suite(
        "analytics_order_items",
        lambda target, schema: (
            "select order_item_id, cast(net_line_revenue as double) as net_line_revenue "
            f"from {schema}.analytics_order_items"
        ),
        _order_items_expectations,
    ),
    Suite("analytics_customer_summary", _customer_summary_query, _customer_summary_expectations),
    Suite(
        "analytics_sessions",
        lambda target, schema: f"select session_id from {schema}.analytics_sessions",
        _sessions_expectations,
    ),
)
