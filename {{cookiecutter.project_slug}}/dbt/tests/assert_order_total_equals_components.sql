-- total_amount is subtotal + tax + shipping, to the cent: returns the orders where it is not.

select
    order_id,
    subtotal,
    tax,
    shipping,
    total_amount
from {{ tested_rows(ref('fct_orders')) }} as orders
where total_amount <> subtotal + tax + shipping
