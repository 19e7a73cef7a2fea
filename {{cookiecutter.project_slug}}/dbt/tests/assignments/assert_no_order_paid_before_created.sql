-- Assignment A2, data quality (assignments/a2_paid_before_created/README.md).
-- Returns every order whose payment is recorded before the order was created: a
-- payment provider's clock running behind. Passes (no rows) on clean data.

-- BEGIN SOLUTION
-- SOLUTION-CANARY-A2-0c6e9f14
select
    order_id,
    order_status,
    order_created_at,
    paid_at
from {{ ref('fct_orders') }}
where paid_at < order_created_at
-- END SOLUTION
-- BEGIN STARTER
-- -- Starter: finds nothing yet. Replace this query with your test.
-- select
--     order_id,
--     order_status,
--     order_created_at,
--     paid_at
-- from {{ ref('fct_orders') }}
-- where false
-- END STARTER
