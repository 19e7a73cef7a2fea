{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

/*
    One row per event: the JSON of raw.raw_events unpacked into typed columns.

    Duplicates: delivery is at-least-once, so an event can be loaded twice (same
    event_id, from two files). The first-loaded copy wins (loaded_at, then
    source_file, then file_row_number).

    Incremental runs reprocess only part of the raw table:
      1. rows loaded since the last run (loaded_at > the max loaded_at in this table);
      2. a 3-day lookback: rows whose event_timestamp is within 3 days of the latest
         event_timestamp already in this table. Late events belong to that recent
         window, and a row whose loaded_at is not after the watermark (a load that
         committed while the previous run was reading, clock skew between loader
         and warehouse) would otherwise be skipped for good. Widen it for later ones.
    Every copy of each selected event_id is then read again, so the first-loaded copy
    still wins when a duplicate arrives later. With delete+insert on event_id the
    reprocessed events replace their earlier rows: a re-run never double counts.
    `dbt build --full-refresh` rebuilds the table from the whole raw table.
*/

with

raw_events as (

    select
        event,
        source_file,
        file_row_number,
        loaded_at
    from {{ source('raw', 'raw_events') }}

),

parsed as (

    select
        -- event
        {{ json_field('raw_events.event', 'event_id', 'varchar') }} as event_id,
        {{ json_field('raw_events.event', 'event_type', 'varchar') }} as event_type,
        {{ json_field('raw_events.event', 'event_timestamp', 'timestamp') }} as event_timestamp,
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

    from raw_events

),

{% if is_incremental() %}

current_state as (

    select
        max(loaded_at) as max_loaded_at,
        {{ dbt.dateadd('day', -3, 'max(event_timestamp)') }} as lookback_from
    from {{ this }}

),

events_to_process as (

    select distinct parsed.event_id
    from parsed
    cross join current_state
    where
        current_state.max_loaded_at is null
        or parsed.loaded_at > current_state.max_loaded_at
        or parsed.event_timestamp >= current_state.lookback_from

),

{% endif %}

deduplicated as (

    select parsed.*
    from parsed
    {% if is_incremental() %}
        inner join events_to_process
            on parsed.event_id = events_to_process.event_id
    {% endif %}
    qualify row_number() over (
        partition by parsed.event_id
        order by parsed.loaded_at, parsed.source_file, parsed.file_row_number
    ) = 1

)

select * from deduplicated
