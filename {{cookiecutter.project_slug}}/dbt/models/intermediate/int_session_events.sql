{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

/*
    Incremental: a run recomputes only the sessions touched since the previous one
    (those with an event in stg_events loaded after the latest last_loaded_at here)
    from all of their events, and merges them on session_id, so a row equals the one
    a full refresh builds. A table, not a view: the KPIs, the dashboard, the
    analytics model and a dozen tests read it, and an hourly run then aggregates an
    hour of sessions instead of every event each time it is read.
*/

with

events as (

    select * from {{ ref('stg_events') }}
    {% if is_incremental() %}
        where session_id in (
            select new_events.session_id
            from {{ ref('stg_events') }} as new_events
            where new_events.loaded_at > (select max(previous.last_loaded_at) from {{ this }} as previous)
        )
    {% endif %}

),

session_first_events as (

    -- who, where from and on what device: taken from the session's first event
    select
        events.session_id,
        events.customer_id,
        events.channel,
        events.device
    from events
    qualify row_number() over (
        partition by events.session_id
        order by events.event_timestamp, events.event_id
    ) = 1

),

session_activity as (

    select
        session_id,
        min(event_timestamp) as session_started_at,
        max(event_timestamp) as last_event_at,
        sum(case when event_type = 'product_viewed' then 1 else 0 end) as product_views,
        sum(case when event_type = 'cart_item_added' then 1 else 0 end) as cart_adds,
        sum(case when event_type = 'checkout_started' then 1 else 0 end) as checkouts_started,
        sum(case when event_type = 'order_created' then 1 else 0 end) as orders_created,
        max(loaded_at) as last_loaded_at
    from events
    group by session_id

),

final as (

    select
        session_first_events.session_id,
        session_first_events.customer_id,
        session_first_events.channel,
        session_first_events.device,
        session_activity.session_started_at,
        session_activity.last_event_at,
        session_activity.product_views,
        session_activity.cart_adds,
        session_activity.checkouts_started,
        session_activity.orders_created,
        session_activity.last_loaded_at,
        session_activity.cart_adds > 0 as has_cart,
        session_activity.checkouts_started > 0 as has_checkout,
        session_activity.orders_created > 0 as has_order
    from session_first_events
    inner join session_activity
        on session_first_events.session_id = session_activity.session_id

)

select * from final
