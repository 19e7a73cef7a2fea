{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

/*
    One row per customer. Incremental: a run recomputes only the customers touched
    since the last one, i.e. those with an event in stg_events loaded after the
    latest last_loaded_at in this table (new hours, late events, first orders), and
    merges their rows on customer_id. Each row is computed from all of the
    customer's events, so an incremental row equals the one a full refresh builds.
    Every column depends on the customer's own events only (the segment too): rows
    of customers who did nothing new stay right.
*/

with

events as (

    select * from {{ ref('stg_events') }}

),

customer_events as (

    -- on an incremental run, only the customers with events loaded since the previous one
    select events.*
    from events
    {% if is_incremental() %}
        where events.customer_id in (
            select new_events.customer_id
            from events as new_events
            where new_events.loaded_at > (select max(previous.last_loaded_at) from {{ this }} as previous)
        )
    {% endif %}

),

purchase_history as (

    select
        customer_id,
        first_order_at,
        last_order_at,
        cast(orders_placed as bigint) as orders_placed,
        cast(revenue_orders as bigint) as revenue_orders,
        cast(lifetime_revenue as decimal(12, 2)) as lifetime_revenue,
        cast(lifetime_items as bigint) as lifetime_items
    from {{ ref('int_customer_purchase_history') }}
    where customer_id in (select customer_events.customer_id from customer_events)

),

latest_profiles as (

    -- the customer's details as of their most recent event
    select
        customer_id,
        customer_first_name as first_name,
        customer_last_name as last_name,
        customer_email as email,
        customer_country as country,
        customer_signup_date as signup_date
    from customer_events
    qualify row_number() over (
        partition by customer_id
        order by event_timestamp desc, event_id desc
    ) = 1

),

activity as (

    -- a session belongs to one customer, so counting their distinct sessions here
    -- gives the same figures as int_session_events, for the touched customers only
    select
        customer_id,
        min(event_timestamp) as first_seen_at,
        max(event_timestamp) as last_seen_at,
        count(distinct session_id) as sessions,
        max(loaded_at) as last_loaded_at
    from customer_events
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
        activity.first_seen_at,
        activity.last_seen_at,
        activity.sessions,
        activity.last_loaded_at,
        purchase_history.first_order_at,
        purchase_history.last_order_at,
        coalesce(purchase_history.orders_placed, 0) as orders_placed,
        coalesce(purchase_history.revenue_orders, 0) as revenue_orders,
        coalesce(purchase_history.lifetime_revenue, 0) as lifetime_revenue,
        coalesce(purchase_history.lifetime_items, 0) as lifetime_items,
        -- from the customer's own orders only, so it stays right for untouched rows
        case
            when purchase_history.lifetime_revenue >= 1000 then 'vip'
            when purchase_history.revenue_orders >= 2 then 'repeat'
            when purchase_history.revenue_orders = 1 then 'one_time'
            else 'prospect'
        end as customer_segment
    from latest_profiles
    inner join activity
        on latest_profiles.customer_id = activity.customer_id
    left join purchase_history
        on latest_profiles.customer_id = purchase_history.customer_id

)

select * from final
