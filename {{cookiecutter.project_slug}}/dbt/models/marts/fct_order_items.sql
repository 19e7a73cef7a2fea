{{
    config(
        materialized='incremental',
        unique_key='order_item_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

-- Incremental: a run takes the lines of the orders int_order_lifecycle recomputed since
-- the previous one (their last_loaded_at is later than any here; a payment or a
-- cancellation changes every line's status) and merges them on order_item_id.

with

order_items as (

    select * from {{ ref('int_order_items_flattened') }}
    {% if is_incremental() %}
        where last_loaded_at > (select max(previous.last_loaded_at) from {{ this }} as previous)
    {% endif %}

),

orders as (

    select * from {{ ref('int_order_lifecycle') }}
    {% if is_incremental() %}
        where last_loaded_at > (select max(previous.last_loaded_at) from {{ this }} as previous)
    {% endif %}

),

final as (

    select
        order_items.order_item_id,
        order_items.order_id,
        order_items.line_number,
        orders.customer_id,
        order_items.order_created_at,
        order_items.product_id,
        order_items.product_name,
        order_items.category,
        order_items.quantity,
        order_items.unit_price,
        order_items.line_amount,
        orders.order_status,
        orders.is_revenue,
        orders.last_loaded_at
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id

)

select * from final
