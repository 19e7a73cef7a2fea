/*
    Raw events that are not in stg_events: one row per missing event_id (its
    first-loaded copy). Normally empty. An event delivered later than the
    incremental lookback of stg_events (stg_events_lookback_days) lands here
    until `dbt build --full-refresh` reads the whole raw table again. The test
    assert_no_raw_event_missing_from_staging warns when this view has rows, and
    the project's `transform` step prints their ids.

    A view: it is always as fresh as the tables it compares and costs nothing
    until someone reads it.
*/

with

raw_events as (

    select
        {{ json_field('event', 'event_id', 'varchar') }} as event_id,
        {{ json_field('event', 'event_type', 'varchar') }} as event_type,
        {{ json_field('event', 'event_timestamp', 'timestamp') }} as event_timestamp,
        source_file,
        file_row_number,
        loaded_at
    from {{ source('raw', 'raw_events') }}

),

staged_events as (

    select event_id from {{ ref('stg_events') }}

),

missing as (

    select raw_events.*
    from raw_events
    left join staged_events
        on raw_events.event_id = staged_events.event_id
    where staged_events.event_id is null
    qualify row_number() over (
        partition by raw_events.event_id
        order by raw_events.loaded_at, raw_events.source_file, raw_events.file_row_number
    ) = 1

)

select * from missing
