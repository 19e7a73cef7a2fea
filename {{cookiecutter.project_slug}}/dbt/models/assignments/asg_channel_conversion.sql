/*
    Assignment A1, modelling (assignments/a1_channel_conversion/README.md).

    One row per marketing channel and device: the sessions that came from them,
    how many of those sessions placed an order that counts as revenue, the share
    that did (conversion_rate, rounded to 4 decimals) and their net revenue.
*/

-- BEGIN SOLUTION
-- SOLUTION-CANARY-A1-93e0f5a7
with

sessions as (

    select * from {{ ref('analytics_sessions') }}

),

revenue_orders as (

    select
        session_id,
        sum(net_revenue) as net_revenue
    from {{ ref('fct_orders') }}
    where is_revenue
    group by session_id

),

by_channel_and_device as (

    select
        sessions.channel,
        sessions.device,
        count(sessions.session_id) as sessions,
        count(revenue_orders.session_id) as converted_sessions,
        coalesce(sum(revenue_orders.net_revenue), 0) as net_revenue
    from sessions
    left join revenue_orders on sessions.session_id = revenue_orders.session_id
    group by sessions.channel, sessions.device

),

final as (

    select
        channel,
        device,
        sessions,
        converted_sessions,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(round(converted_sessions / sessions, 4) as double) as conversion_rate
    from by_channel_and_device

)

select * from final
-- END SOLUTION
-- BEGIN STARTER
-- -- Starter: the contract's columns with no rows. Replace this query with your answer.
-- select
--     cast(null as varchar) as channel,
--     cast(null as varchar) as device,
--     cast(null as bigint) as sessions,
--     cast(null as bigint) as converted_sessions,
--     cast(null as decimal(18, 2)) as net_revenue,
--     cast(null as double) as conversion_rate
-- from {{ ref('analytics_sessions') }}
-- where false
-- END STARTER
