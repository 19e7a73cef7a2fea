-- The orders of the window, first created first, with the time of every step they reached.
select
    order_id,
    order_created_at,
    paid_at,
    fulfilled_at,
    cancelled_at,
    order_status
from intermediate.int_order_lifecycle
order by order_created_at, order_id
