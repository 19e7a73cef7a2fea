-- The orders created in the window, first created first, with the time of each step.
select
    order_id,
    order_created_at,
    paid_at,
    fulfilled_at,
    cancelled_at,
    order_status
from intermediate.int_order_lifecycle
where has_created_event
order by order_created_at, order_id
