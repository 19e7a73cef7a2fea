-- How orders end: each status with its orders, amount and revenue.
select
    order_status,
    count(*) as orders,
    sum(total_amount) as total_amount,
    sum(net_revenue) as net_revenue,
    avg(lifecycle_events) as lifecycle_events_per_order
from intermediate.int_order_lifecycle
group by order_status
order by orders desc
