/*
    One row per loaded event that stg_events set aside: its raw line verbatim, where
    it came from (file and line) and why. Normally empty. Reasons:
      - a value that does not convert to its type ("order.total_amount: 'ten' is
        not decimal(12,2)", "event_timestamp: '2025-13-45T..' is not timestamp");
      - an event time implausible for its load time (a device clock months ahead,
        a 1970 timestamp): see event_time_out_of_bounds and its vars.

    The valid events of the same file and load flow on: one bad value never stops a
    build. Fix the sender (or the line) and deliver the event again to stage it.

    A table, rebuilt by every build after stg_events (unlike the rest of staging,
    which are views). It parses only the raw rows of files that stg_events did not
    fully stage (raw_files_not_fully_staged), so it costs little to build. As a view
    it cost each of its tests a parse of every raw row: a test's own filter
    (`where quarantined_line_id is not null`) was pushed into the raw scan, ahead
    of the file filter, 10 s per test at 10M events.
    The warn-severity test assert_no_quarantined_events names the count in
    `dbt build`; `make chaos` counts these rows against the bad values it sent.
*/

{{ config(materialized='table') }}

with

candidates as (

    select
        {{ json_fields('raw_events.event', [
            ('event_id', 'event_id', 'varchar'),
            ('event_type', 'event_type', 'varchar'),
            ('event_timestamp', 'event_timestamp', 'timestamp'),
        ]) }},
        {{ json_fields_unconverted('raw_events.event', stg_events_fields()) }} as unconverted_values,
        raw_events.event as raw_event,
        raw_events.source_file,
        raw_events.file_row_number,
        raw_events.loaded_at
    from {{ source('raw', 'raw_events') }} as raw_events
    where raw_events.source_file in ({{ raw_files_not_fully_staged() }})

),

reasons as (

    select
        *,
        coalesce(
            unconverted_values,
            {{ event_time_out_of_bounds('event_timestamp', 'loaded_at') }}
        ) as reason
    from candidates

)

select
    event_id,
    event_type,
    source_file,
    file_row_number,
    raw_event,
    reason,
    loaded_at,
    source_file || ':' || cast(file_row_number as varchar) as quarantined_line_id
from reasons
where reason is not null
