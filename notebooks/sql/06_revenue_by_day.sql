-- Order value per day of creation, by how the order stands now: recognised revenue
-- (paid or fulfilled), cancelled, or created and not yet paid.
select
    cast(order_created_at as date) as order_date,
    sum(net_revenue) as recognised,
    sum(case when order_status = 'cancelled' then total_amount else 0 end) as cancelled,
    sum(case when order_status = 'created' then total_amount else 0 end) as awaiting_payment
from marts.fct_orders
group by order_date
order by order_date
