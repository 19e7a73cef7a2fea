-- Each mart's grain: its rows, and the distinct values of the key that should make a row.
select
    'fct_orders' as mart,
    'one row per order' as grain,
    count(*) as row_count,
    count(distinct order_id) as distinct_keys
from marts.fct_orders
union all
select
    'fct_order_items' as mart,
    'one row per order line' as grain,
    count(*) as row_count,
    count(distinct order_item_id) as distinct_keys
from marts.fct_order_items
union all
select
    'dim_customers' as mart,
    'one row per customer' as grain,
    count(*) as row_count,
    count(distinct customer_id) as distinct_keys
from marts.dim_customers
