{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

/*
    One row per event: the JSON of raw.raw_events unpacked into typed columns.

    Duplicates: delivery is at-least-once, so an event can be loaded twice (same
    event_id, from two files). The first-loaded copy wins (loaded_at, then
    source_file, then file_row_number).

    Incremental runs read only the raw rows loaded since the previous run (loaded_at
    after the latest one in this table: DuckDB skips the older row groups, so an
    hourly run parses an hour of events, not the whole table). Of those, they keep
    the events at most `stg_events_lookback_days` (3, in dbt_project.yml) before the
    latest event_timestamp already staged: the new events and the late ones (an event
    delivered two days after it happened). A copy of an event that is already staged
    is dropped, so the first-loaded copy still wins when a duplicate arrives later, and
    the rows are merged on event_id: a re-run or a redelivered file never counts an
    event twice.

    An event that arrives later than the lookback is skipped by incremental runs. It
    is not lost silently: audit_events_missing_from_staging lists it, a warn-severity
    test names the count in `dbt build`, and `dbt build --full-refresh` (which reads
    the whole raw table) recovers it. Widen the lookback if your events come later.
*/

with

{% if is_incremental() %}

previous_run as (

    -- Where this run starts: the last load it has seen (any time before the first load
    -- when the table is empty: then everything is read), and the lookback's first event
    -- time (null when the table is empty).
    select
        coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) as loaded_until,
        {{ dbt.dateadd('day', -var('stg_events_lookback_days'), 'max(event_timestamp)') }} as reprocess_from
    from {{ this }}

),

{% endif %}

raw_events as (

    select
        raw_events.event,
        raw_events.source_file,
        raw_events.file_row_number,
        raw_events.loaded_at
    from {{ source('raw', 'raw_events') }} as raw_events
    {% if is_incremental() %}
        -- A scalar subquery, not a join: the warehouse compares loaded_at with one value
        -- and skips the blocks of rows loaded before it (with a join it reads them all).
        where raw_events.loaded_at > (select previous_run.loaded_until from previous_run)
    {% endif %}

),

parsed as (

    -- One parse of each event for all its fields (see the json_fields macro).
    select
        {{ json_fields('raw_events.event', [
            ('event_id', 'event_id', 'varchar'),
            ('event_type', 'event_type', 'varchar'),
            ('event_timestamp', 'event_timestamp', 'timestamp'),
            ('session_id', 'session_id', 'varchar'),
            ('customer_id', 'customer.customer_id', 'varchar'),
            ('customer_first_name', 'customer.first_name', 'varchar'),
            ('customer_last_name', 'customer.last_name', 'varchar'),
            ('customer_email', 'customer.email', 'varchar'),
            ('customer_country', 'customer.country', 'varchar'),
            ('customer_signup_date', 'customer.signup_date', 'date'),
            ('channel', 'session.channel', 'varchar'),
            ('device', 'session.device', 'varchar'),
            ('product_id', 'product.product_id', 'varchar'),
            ('product_name', 'product.name', 'varchar'),
            ('product_category', 'product.category', 'varchar'),
            ('product_price', 'product.price', 'decimal(12,2)'),
            ('cart_cart_id', 'cart.cart_id', 'varchar'),
            ('order_cart_id', 'order.cart_id', 'varchar'),
            ('cart_value', 'cart.cart_value', 'decimal(12,2)'),
            ('cart_item_count', 'cart.item_count', 'integer'),
            ('order_id', 'order.order_id', 'varchar'),
            ('order_status', 'order.status', 'varchar'),
            ('currency', 'order.currency', 'varchar'),
            ('order_item_count', 'order.item_count', 'integer'),
            ('subtotal', 'order.subtotal', 'decimal(12,2)'),
            ('tax', 'order.tax', 'decimal(12,2)'),
            ('shipping', 'order.shipping', 'decimal(12,2)'),
            ('total_amount', 'order.total_amount', 'decimal(12,2)'),
            ('payment_method', 'order.payment_method', 'varchar'),
            ('cancel_reason', 'order.cancel_reason', 'varchar'),
            ('carrier', 'order.carrier', 'varchar'),
            ('order_created_at', 'order.created_at', 'timestamp'),
            ('paid_at', 'order.paid_at', 'timestamp'),
            ('fulfilled_at', 'order.fulfilled_at', 'timestamp'),
            ('cancelled_at', 'order.cancelled_at', 'timestamp'),
            ('order_items', 'order.items', 'json'),
        ]) }},
        raw_events.source_file,
        raw_events.file_row_number,
        raw_events.loaded_at
    from raw_events

),

{% if is_incremental() %}

staged_in_window as (

    -- the events already staged that a copy in this run could duplicate (copies share a timestamp)
    select staged.event_id
    from {{ this }} as staged
    where staged.event_timestamp >= (select previous_run.reprocess_from from previous_run)

),

parsed_in_window as (

    select parsed.*
    from parsed
    cross join previous_run
    where
        (previous_run.reprocess_from is null or parsed.event_timestamp >= previous_run.reprocess_from)
        -- an event already staged keeps its first-loaded copy
        and parsed.event_id not in (select staged_in_window.event_id from staged_in_window)

),

{% endif %}

events as (

    select
        *,
        -- the cart of a cart event, or the cart an order was placed from (order events)
        coalesce(cart_cart_id, order_cart_id) as cart_id
    from {{ 'parsed_in_window' if is_incremental() else 'parsed' }}

),

deduplicated as (

    select
        event_id,
        event_type,
        event_timestamp,
        session_id,
        customer_id,
        customer_first_name,
        customer_last_name,
        customer_email,
        customer_country,
        customer_signup_date,
        channel,
        device,
        product_id,
        product_name,
        product_category,
        product_price,
        cart_id,
        cart_value,
        cart_item_count,
        order_id,
        order_status,
        currency,
        order_item_count,
        subtotal,
        tax,
        shipping,
        total_amount,
        payment_method,
        cancel_reason,
        carrier,
        order_created_at,
        paid_at,
        fulfilled_at,
        cancelled_at,
        order_items,
        source_file,
        file_row_number,
        loaded_at
    from events
    qualify row_number() over (
        partition by event_id
        order by loaded_at, source_file, file_row_number
    ) = 1

)

select * from deduplicated
