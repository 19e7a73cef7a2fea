-- A star-schema question: revenue by customer country (a dimension) and product
-- category (on the fact), from the order lines joined to their customer.
select
    customers.country,
    items.category,
    count(distinct items.order_id) as orders,
    sum(items.line_amount) as merchandise_revenue
from marts.fct_order_items as items
inner join marts.dim_customers as customers
    on items.customer_id = customers.customer_id
where items.is_revenue
group by customers.country, items.category
order by merchandise_revenue desc
limit 10
