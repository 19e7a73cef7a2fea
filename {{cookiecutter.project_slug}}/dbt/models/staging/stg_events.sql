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

    Incremental runs reprocess a lookback window: every raw row whose event_timestamp
    is at most `stg_events_lookback_days` (3, in dbt_project.yml) before the latest
    event_timestamp already in this table. That window holds the new events and the
    late ones (an event delivered two days after it happened), and every copy of each
    of them, since the copies of an event share its timestamp: the first-loaded copy
    still wins when a duplicate arrives later. The rows are merged on event_id, so a
    re-run or a redelivered file never counts an event twice.

    An event that arrives later than the lookback is skipped by incremental runs. It
    is not lost silently: audit_events_missing_from_staging lists it, a warn-severity
    test names the count in `dbt build`, and `dbt build --full-refresh` (which reads
    the whole raw table) recovers it. Widen the lookback if your events come later.
*/

with

raw_events as (

    select
        event,
        source_file,
        file_row_number,
        loaded_at,
        -- read first: an incremental run filters on it before unpacking anything else
        {{ json_field('event', 'event_timestamp', 'timestamp') }} as event_timestamp
    from {{ source('raw', 'raw_events') }}

),

{% if is_incremental() %}

lookback as (

    -- Where this run starts reprocessing; null when the table is empty (then everything is read).
    select
        {{ dbt.dateadd('day', -var('stg_events_lookback_days'), 'max(event_timestamp)') }} as reprocess_from
    from {{ this }}

),

raw_events_in_window as (

    select raw_events.*
    from raw_events
    cross join lookback
    where
        lookback.reprocess_from is null
        or raw_events.event_timestamp >= lookback.reprocess_from

),

{% endif %}

parsed as (

    select
        -- event
        {{ json_field('raw_events.event', 'event_id', 'varchar') }} as event_id,
        {{ json_field('raw_events.event', 'event_type', 'varchar') }} as event_type,
        raw_events.event_timestamp,
        {{ json_field('raw_events.event', 'session_id', 'varchar') }} as session_id,

        -- customer (as of the event)
        {{ json_field('raw_events.event', 'customer.customer_id', 'varchar') }} as customer_id,
        {{ json_field('raw_events.event', 'customer.first_name', 'varchar') }} as customer_first_name,
        {{ json_field('raw_events.event', 'customer.last_name', 'varchar') }} as customer_last_name,
        {{ json_field('raw_events.event', 'customer.email', 'varchar') }} as customer_email,
        {{ json_field('raw_events.event', 'customer.country', 'varchar') }} as customer_country,
        {{ json_field('raw_events.event', 'customer.signup_date', 'date') }} as customer_signup_date,

        -- session
        {{ json_field('raw_events.event', 'session.channel', 'varchar') }} as channel,
        {{ json_field('raw_events.event', 'session.device', 'varchar') }} as device,

        -- product (product_viewed, cart_item_added)
        {{ json_field('raw_events.event', 'product.product_id', 'varchar') }} as product_id,
        {{ json_field('raw_events.event', 'product.name', 'varchar') }} as product_name,
        {{ json_field('raw_events.event', 'product.category', 'varchar') }} as product_category,
        {{ json_field('raw_events.event', 'product.price', 'decimal(12,2)') }} as product_price,

        -- cart (cart events), or the cart an order was placed from (order events)
        coalesce(
            {{ json_field('raw_events.event', 'cart.cart_id', 'varchar') }},
            {{ json_field('raw_events.event', 'order.cart_id', 'varchar') }}
        ) as cart_id,
        {{ json_field('raw_events.event', 'cart.cart_value', 'decimal(12,2)') }} as cart_value,
        {{ json_field('raw_events.event', 'cart.item_count', 'integer') }} as cart_item_count,

        -- order snapshot as of this event (order_* events)
        {{ json_field('raw_events.event', 'order.order_id', 'varchar') }} as order_id,
        {{ json_field('raw_events.event', 'order.status', 'varchar') }} as order_status,
        {{ json_field('raw_events.event', 'order.currency', 'varchar') }} as currency,
        {{ json_field('raw_events.event', 'order.item_count', 'integer') }} as order_item_count,
        {{ json_field('raw_events.event', 'order.subtotal', 'decimal(12,2)') }} as subtotal,
        {{ json_field('raw_events.event', 'order.tax', 'decimal(12,2)') }} as tax,
        {{ json_field('raw_events.event', 'order.shipping', 'decimal(12,2)') }} as shipping,
        {{ json_field('raw_events.event', 'order.total_amount', 'decimal(12,2)') }} as total_amount,
        {{ json_field('raw_events.event', 'order.payment_method', 'varchar') }} as payment_method,
        {{ json_field('raw_events.event', 'order.cancel_reason', 'varchar') }} as cancel_reason,
        {{ json_field('raw_events.event', 'order.carrier', 'varchar') }} as carrier,
        {{ json_field('raw_events.event', 'order.created_at', 'timestamp') }} as order_created_at,
        {{ json_field('raw_events.event', 'order.paid_at', 'timestamp') }} as paid_at,
        {{ json_field('raw_events.event', 'order.fulfilled_at', 'timestamp') }} as fulfilled_at,
        {{ json_field('raw_events.event', 'order.cancelled_at', 'timestamp') }} as cancelled_at,
        {{ json_subdocument('raw_events.event', 'order.items') }} as order_items,

        -- load metadata
        raw_events.source_file,
        raw_events.file_row_number,
        raw_events.loaded_at

    from {{ 'raw_events_in_window' if is_incremental() else 'raw_events' }} as raw_events

),

deduplicated as (

    select *
    from parsed
    qualify row_number() over (
        partition by event_id
        order by loaded_at, source_file, file_row_number
    ) = 1

)

select * from deduplicated
