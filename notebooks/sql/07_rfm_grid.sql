-- Customers on the recency x frequency grid, with their mean spend.
select
    r_score,
    f_score,
    count(*) as customers,
    avg(monetary) as mean_monetary
from analytics.analytics_customer_summary
group by r_score, f_score
order by r_score, f_score
