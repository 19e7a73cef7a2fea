-- Prices and amounts are never negative: returns every event with a negative one. A
-- negative price is a bad value from the source; it must stop at the gate, before any
-- table a dashboard reads.

select
    event_id,
    event_type,
    product_price,
    cart_value,
    subtotal,
    tax,
    shipping,
    total_amount
from {{ tested_rows(ref('stg_events')) }} as stg_events
where
    product_price < 0
    or cart_value < 0
    or subtotal < 0
    or tax < 0
    or shipping < 0
    or total_amount < 0
