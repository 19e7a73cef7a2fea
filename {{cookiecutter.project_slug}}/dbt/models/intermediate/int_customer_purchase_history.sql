-- A view, not a table: one small aggregate per buyer, read only by dim_customers, which
-- filters it to the customers it recomputes.
{{ config(materialized='view') }}

with

orders as (

    select * from {{ ref('int_order_lifecycle') }}

),

final as (

    select
        customer_id,
        min(order_created_at) as first_order_at,
        max(order_created_at) as last_order_at,
        count(*) as orders_placed,
        sum(case when is_revenue then 1 else 0 end) as revenue_orders,
        sum(net_revenue) as lifetime_revenue,
        sum(case when is_revenue then item_count else 0 end) as lifetime_items
    from orders
    group by customer_id

)

select * from final
