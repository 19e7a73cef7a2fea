-- A view, not a table: a cheap aggregate of stg_events, read by the KPIs and the
-- dashboard, so it is always as fresh as staging and takes no storage or build step.
{{ config(materialized='view') }}

with

events as (

    select * from {{ ref('stg_events') }}

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
        sum(case when event_type = 'order_created' then 1 else 0 end) as orders_created
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
        session_activity.cart_adds > 0 as has_cart,
        session_activity.checkouts_started > 0 as has_checkout,
        session_activity.orders_created > 0 as has_order
    from session_first_events
    inner join session_activity
        on session_first_events.session_id = session_activity.session_id

)

select * from final
