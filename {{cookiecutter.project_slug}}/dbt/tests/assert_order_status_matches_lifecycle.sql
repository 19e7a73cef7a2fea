-- An order's latest status agrees with its lifecycle timestamps and its revenue flag:
-- created -> (paid -> (fulfilled | cancelled)) | cancelled.

select
    order_id,
    order_status,
    paid_at,
    fulfilled_at,
    cancelled_at,
    is_revenue
from {{ tested_rows(ref('fct_orders')) }} as orders
where
    (order_status = 'created' and (paid_at is not null or fulfilled_at is not null or cancelled_at is not null))
    or (order_status = 'paid' and (paid_at is null or fulfilled_at is not null or cancelled_at is not null))
    or (order_status = 'fulfilled' and (fulfilled_at is null or cancelled_at is not null))
    or (order_status = 'cancelled' and (cancelled_at is null or fulfilled_at is not null))
    or (is_revenue <> (order_status in ('paid', 'fulfilled')))
