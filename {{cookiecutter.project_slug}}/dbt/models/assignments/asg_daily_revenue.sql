/*
    Assignment A0, the worked example (assignments/a0_daily_revenue/README.md).

    One row per day on which orders were created: how many orders, how many of
    them count as revenue, and their net revenue. Revenue is fct_orders.net_revenue
    (total_amount once paid, 0 when cancelled): it already includes tax and shipping.
*/

-- BEGIN SOLUTION
-- SOLUTION-CANARY-A0-d41c7be2
with

orders as (

    select
        order_id,
        is_revenue,
        net_revenue,
        cast(order_created_at as date) as order_date
    from {{ ref('fct_orders') }}

),

final as (

    select
        order_date,
        cast(sum(net_revenue) as decimal(18, 2)) as net_revenue,
        count(order_id) as orders,
        count(case when is_revenue then order_id end) as revenue_orders
    from orders
    group by order_date

)

select * from final
-- END SOLUTION
-- BEGIN STARTER
-- -- Starter: the contract's columns with no rows. Replace this query with your answer.
-- select
--     cast(null as date) as order_date,
--     cast(null as decimal(18, 2)) as net_revenue,
--     cast(null as bigint) as orders,
--     cast(null as bigint) as revenue_orders
-- from {{ ref('fct_orders') }}
-- where false
-- END STARTER
