/*
    Loaded events that are neither in stg_events nor set aside in
    stg_quarantined_events: one row per missing event_id (its first-loaded copy).
    Always empty when the pipeline is right: stg_events stages every loaded event
    whatever its event time (its watermark is the load time), so a row here is an
    event lost between raw and staging, and the error-severity test
    assert_no_raw_event_missing_from_staging fails the audit: nothing is published
    until it is understood (`dbt build --full-refresh` rebuilds staging from raw).

    A table, rebuilt by every build after the tables it compares. As a view, each
    test that read it with a filter of its own (`where event_id is not null`) had
    DuckDB push that filter into the scan of raw_events, ahead of the file filter
    below: every raw row's JSON parsed again, 11 s per test at 10M events.
*/

with

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
    where raw_events.source_file in ({{ raw_files_not_fully_staged() }})

),

staged_events as (

    select event_id from {{ ref('stg_events') }}

),

quarantined_lines as (

    select
        source_file,
        file_row_number
    from {{ ref('stg_quarantined_events') }}

),

missing as (

    select raw_events.*
    from raw_events
    left join staged_events
        on raw_events.event_id = staged_events.event_id
    left join quarantined_lines
        on
            raw_events.source_file = quarantined_lines.source_file
            and raw_events.file_row_number = quarantined_lines.file_row_number
    where staged_events.event_id is null and quarantined_lines.source_file is null
    qualify row_number() over (
        partition by raw_events.event_id
        order by raw_events.loaded_at, raw_events.source_file, raw_events.file_row_number
    ) = 1

)

select * from missing
