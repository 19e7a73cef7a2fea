-- Snapshot rule: an event carries the order as it was at that moment, so every
-- order_paid event shows status 'paid' (never a later state such as 'fulfilled').

select
    event_id,
    order_id,
    order_status
from {{ tested_rows(ref('stg_events')) }} as stg_events
where
    event_type = 'order_paid'
    and (order_status is null or order_status <> 'paid')
