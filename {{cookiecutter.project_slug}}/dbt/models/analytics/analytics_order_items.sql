{{
    config(
        materialized='incremental',
        unique_key='order_item_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

-- Incremental: a run takes the lines fct_order_items merged since the previous one
-- (their last_loaded_at is later than any here) and merges them on order_item_id.

with

order_items as (

    select * from {{ ref('fct_order_items') }}
    {% if is_incremental() %}
        where last_loaded_at > (select max(previous.last_loaded_at) from {{ this }} as previous)
    {% endif %}

),

orders as (

    select * from {{ ref('fct_orders') }}
    {% if is_incremental() %}
        where last_loaded_at > (select max(previous.last_loaded_at) from {{ this }} as previous)
    {% endif %}

),

final as (

    select
        order_items.order_item_id,
        order_items.order_id,
        order_items.line_number,
        order_items.customer_id,
        order_items.order_created_at,
        cast(order_items.order_created_at as date) as order_date,
        order_items.product_id,
        order_items.product_name,
        order_items.category as product_category,
        order_items.quantity,
        order_items.unit_price,
        order_items.line_amount,
        orders.subtotal as order_subtotal,
        cast(order_items.line_amount / nullif(orders.subtotal, 0) as decimal(9, 4)) as share_of_order_subtotal,
        order_items.order_status,
        order_items.is_revenue,
        order_items.last_loaded_at,
        case
            when order_items.is_revenue then order_items.line_amount
            else cast(0 as decimal(12, 2))
        end as net_line_revenue
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id

)

select * from final
