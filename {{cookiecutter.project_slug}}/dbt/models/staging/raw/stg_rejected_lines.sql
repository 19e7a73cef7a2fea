/*
    One row per lake line the load could not take as an event (malformed JSON, or
    JSON that is not an object), from raw.raw_events_rejects: where it was (file and
    line), its text verbatim, and why it was rejected.

    rejected_line_id ("<source_file>:<file_row_number>") names the line: each file
    loads once, so a line is rejected at most once. A view, like the rest of staging:
    the table is small (normally empty) and this adds no copy of it.

    The warn-severity test assert_no_rejected_lines makes `dbt build` name the count
    of rejected lines; `make chaos` counts them against the malformed lines it sent.
*/

with

rejects as (

    select
        source_file,
        file_row_number,
        rejected_record,
        error,
        rejected_at,
        source_file || ':' || cast(file_row_number as varchar) as rejected_line_id
    from {{ source('raw', 'raw_events_rejects') }}

)

select
    rejected_line_id,
    source_file,
    file_row_number,
    rejected_record,
    error,
    rejected_at
from rejects
