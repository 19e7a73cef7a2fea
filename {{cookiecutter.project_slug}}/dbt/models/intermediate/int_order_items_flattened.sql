{{
    config(
        materialized='incremental',
        unique_key='order_item_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

-- A table, not a view: fct_order_items and several tests read it. Incremental: a run
-- flattens only the orders int_order_lifecycle recomputed since the previous one (their
-- last_loaded_at is later than any here) and merges their lines on order_item_id.

with

orders as (

    select
        order_id,
        customer_id,
        order_created_at,
        order_items,
        last_loaded_at
    from {{ ref('int_order_lifecycle') }}
    {% if is_incremental() %}
        where last_loaded_at > (select max(previous.last_loaded_at) from {{ this }} as previous)
    {% endif %}

),

order_lines as (

    select
        orders.order_id || '-' || cast(cast(order_line.index as integer) + 1 as varchar) as order_item_id,
        orders.order_id,
        cast(order_line.index as integer) + 1 as line_number,
        orders.customer_id,
        orders.order_created_at,
        orders.last_loaded_at,
        {{ json_field('order_line.value', 'product_id', 'varchar') }} as product_id,
        {{ json_field('order_line.value', 'product_name', 'varchar') }} as product_name,
        {{ json_field('order_line.value', 'category', 'varchar') }} as category,
        {{ json_field('order_line.value', 'quantity', 'integer') }} as quantity,
        {{ json_field('order_line.value', 'unit_price', 'decimal(12,2)') }} as unit_price,
        {{ json_field('order_line.value', 'line_amount', 'decimal(12,2)') }} as line_amount
    from orders
    cross join {{ flatten_json_array('orders.order_items') }} as order_line

),

final as (

    select
        order_item_id,
        order_id,
        line_number,
        product_id,
        product_name,
        category,
        quantity,
        unit_price,
        line_amount,
        order_created_at,
        customer_id,
        last_loaded_at
    from order_lines

)

select * from final
