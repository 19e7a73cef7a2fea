{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

-- Incremental: a run takes the sessions int_session_events recomputed since the previous
-- one (their last_loaded_at is later than any here) and merges them on session_id.

with

sessions as (

    select * from {{ ref('int_session_events') }}
    {% if is_incremental() %}
        where last_loaded_at > (select max(previous.last_loaded_at) from {{ this }} as previous)
    {% endif %}

),

final as (

    select
        session_id,
        customer_id,
        channel,
        device,
        session_started_at,
        cast(session_started_at as date) as session_date,
        last_event_at,
        cast(product_views as bigint) as product_views,
        cast(cart_adds as bigint) as cart_adds,
        cast(checkouts_started as bigint) as checkouts_started,
        cast(orders_created as bigint) as orders_created,
        has_cart,
        has_checkout,
        has_order,
        last_loaded_at
    from sessions

)

select * from final
