-- The lines of an order add up to its subtotal: returns every order where they do not,
-- including an order with no lines at all.

with

order_item_totals as (

    select
        order_id,
        sum(line_amount) as items_subtotal,
        sum(quantity) as items_quantity
    from {{ tested_rows(ref('fct_order_items')) }} as order_items
    group by order_id

)

select
    orders.order_id,
    orders.subtotal,
    orders.item_count,
    order_item_totals.items_subtotal,
    order_item_totals.items_quantity
from {{ tested_rows(ref('fct_orders')) }} as orders
left join order_item_totals
    on orders.order_id = order_item_totals.order_id
where
    order_item_totals.order_id is null
    or order_item_totals.items_subtotal <> orders.subtotal
    or order_item_totals.items_quantity <> orders.item_count
