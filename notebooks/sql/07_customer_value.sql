-- Each buyer's lifetime value so far: the revenue of their orders, highest first.
select
    customer_id,
    count(*) as orders,
    sum(net_revenue) as lifetime_value
from analytics.analytics_orders
group by customer_id
having sum(net_revenue) > 0
order by lifetime_value desc, customer_id asc
