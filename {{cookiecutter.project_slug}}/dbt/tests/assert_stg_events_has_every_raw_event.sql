-- Incremental loads lose nothing and duplicate nothing: stg_events holds exactly
-- one row per distinct event_id of the raw table. Returns the counts when they differ.

with

raw_counts as (

    select count(distinct {{ json_field('event', 'event_id', 'varchar') }}) as raw_event_ids
    from {{ source('raw', 'raw_events') }}

),

staged_counts as (

    select
        count(*) as staged_rows,
        count(distinct event_id) as staged_event_ids
    from {{ ref('stg_events') }}

)

select
    raw_counts.raw_event_ids,
    staged_counts.staged_rows,
    staged_counts.staged_event_ids
from raw_counts
cross join staged_counts
where
    staged_counts.staged_rows <> raw_counts.raw_event_ids
    or staged_counts.staged_event_ids <> raw_counts.raw_event_ids
