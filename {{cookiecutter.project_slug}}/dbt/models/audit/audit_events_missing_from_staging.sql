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

raw_files as (

    select
        source_file,
        count(*) as raw_rows
    from {{ source('raw', 'raw_events') }}
    group by source_file

),

staged_files as (

    select
        source_file,
        count(*) as staged_rows
    from {{ ref('stg_events') }}
    group by source_file

),

files_with_rows_not_staged as (

    -- A file whose every row is a staged event has nothing missing: only the other
    -- files (duplicates, skipped late events) are parsed below, not the whole raw table.
    select raw_files.source_file
    from raw_files
    left join staged_files
        on raw_files.source_file = staged_files.source_file
    where staged_files.staged_rows is null or staged_files.staged_rows < raw_files.raw_rows

),

raw_events as (

    select
        {{ json_fields('raw_events.event', [
            ('event_id', 'event_id', 'varchar'),
            ('event_type', 'event_type', 'varchar'),
            ('event_timestamp', 'event_timestamp', 'timestamp'),
        ]) }},
        raw_events.source_file,
        raw_events.file_row_number,
        raw_events.loaded_at
    from {{ source('raw', 'raw_events') }} as raw_events
    where raw_events.source_file in (select files_with_rows_not_staged.source_file from files_with_rows_not_staged)

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
