-- The first orders of the window, each with the time of every step it reached.
select
    order_id,
    order_created_at,
    paid_at,
    fulfilled_at,
    cancelled_at,
    order_status
from intermediate.int_order_lifecycle
order by order_created_at, order_id
limit ?
