with

order_items as (

    select * from {{ ref('int_order_items_flattened') }}

),

orders as (

    select * from {{ ref('int_order_lifecycle') }}

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
        orders.is_revenue
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id

)

select * from final
