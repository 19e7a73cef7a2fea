-- What stg_events does to the raw rows of some lake files: parse each event's JSON
-- into columns, then keep one copy of each event_id (the first loaded). The two
-- parameters ($1, $2) are the first lake folder to read and the first one not to read
-- (e.g. 'raw-events/2025/10/01/00/' and 'raw-events/2025/10/08/00/'): a full
-- build reads every file, an incremental run only the new ones.
with

raw_rows as (
    select
        raw_events.event,
        raw_events.source_file,
        raw_events.file_row_number,
        raw_events.loaded_at
    from raw.raw_events as raw_events
    where raw_events.source_file >= $1 and raw_events.source_file < $2
),

parsed as (
    select
        raw_rows.source_file,
        raw_rows.file_row_number,
        raw_rows.loaded_at,
        raw_rows.event ->> '$.event_id' as event_id,
        raw_rows.event ->> '$.event_type' as event_type,
        raw_rows.event ->> '$.session_id' as session_id,
        raw_rows.event ->> '$.customer.customer_id' as customer_id,
        try_cast(raw_rows.event ->> '$.event_timestamp' as timestamp) as event_timestamp,
        try_cast(raw_rows.event ->> '$.product.price' as decimal(12, 2)) as product_price,
        try_cast(raw_rows.event ->> '$.order.total_amount' as decimal(12, 2)) as total_amount
    from raw_rows
),

deduplicated as (
    select *
    from parsed
    qualify
        row_number() over (
            partition by event_id
            order by loaded_at asc, source_file asc, file_row_number asc
        ) = 1
)

select
    count(*) as events,
    count(distinct session_id) as sessions,
    sum(total_amount) as order_amounts
from deduplicated
