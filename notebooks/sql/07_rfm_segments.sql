-- The RFM segments: how many customers, what they spend, how recent and frequent.
select
    rfm_segment,
    count(*) as customers,
    sum(monetary) as revenue,
    round(avg(recency_days), 1) as mean_recency_days,
    round(avg(frequency), 2) as mean_revenue_orders
from analytics.analytics_customer_summary
group by rfm_segment
order by revenue desc
