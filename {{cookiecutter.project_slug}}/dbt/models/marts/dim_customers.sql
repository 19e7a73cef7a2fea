with

events as (

    select * from {{ ref('stg_events') }}

),

sessions as (

    select * from {{ ref('int_session_events') }}

),

purchase_history as (

    select * from {{ ref('int_customer_purchase_history') }}

),

latest_profiles as (

    -- the customer's details as of their most recent event
    select
        events.customer_id,
        events.customer_first_name as first_name,
        events.customer_last_name as last_name,
        events.customer_email as email,
        events.customer_country as country,
        events.customer_signup_date as signup_date
    from events
    qualify row_number() over (
        partition by events.customer_id
        order by events.event_timestamp desc, events.event_id desc
    ) = 1

),

customer_sessions as (

    select
        customer_id,
        min(session_started_at) as first_seen_at,
        max(last_event_at) as last_seen_at,
        count(*) as sessions
    from sessions
    group by customer_id

),

final as (

    select
        latest_profiles.customer_id,
        latest_profiles.first_name,
        latest_profiles.last_name,
        latest_profiles.email,
        latest_profiles.country,
        latest_profiles.signup_date,
        customer_sessions.first_seen_at,
        customer_sessions.last_seen_at,
        customer_sessions.sessions,
        purchase_history.first_order_at,
        purchase_history.last_order_at,
        coalesce(purchase_history.orders_placed, 0) as orders_placed,
        coalesce(purchase_history.revenue_orders, 0) as revenue_orders,
        coalesce(purchase_history.lifetime_revenue, cast(0 as decimal(12, 2))) as lifetime_revenue,
        coalesce(purchase_history.lifetime_items, 0) as lifetime_items
    from latest_profiles
    inner join customer_sessions
        on latest_profiles.customer_id = customer_sessions.customer_id
    left join purchase_history
        on latest_profiles.customer_id = purchase_history.customer_id

)

select * from final
