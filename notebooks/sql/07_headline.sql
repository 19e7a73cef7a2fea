-- The headline figures, written afresh: orders, orders that are revenue, revenue.
select
    count(*) as orders,
    count(*) filter (where is_revenue) as revenue_orders,
    sum(net_revenue) as revenue
from analytics.analytics_orders
