-- 5. The raw tables that `dbt run-operation copy_into_raw_events` loads, every hour.
--    Each line of a lake file becomes one row: the whole event as a VARIANT, plus
--    where it came from. COPY INTO fills them from the stage:
--      copy into raw.raw_events (event, source_file, file_row_number, loaded_at)
--      from (select $1, metadata$filename, metadata$file_row_number, current_timestamp()
--            from @raw.raw_events_stage/raw-events/)
--      file_format = (format_name = 'raw.json_lines_format') on_error = continue;
--    IF NOT EXISTS: these hold the loaded data, so a re-run never replaces them.
use role loader;
use database {{ cookiecutter.snowflake_database | lower }};
use schema raw;

create table if not exists raw_events (
    event variant,
    source_file varchar,
    file_row_number number,
    loaded_at timestamp_ntz
)
comment = 'One row per loaded line: the event and the file and line it came from';

-- Lines that COPY INTO could not parse, as VALIDATE() reports them.
create table if not exists raw_events_rejects (
    source_file varchar,
    file_row_number number,
    rejected_record varchar,
    error varchar,
    rejected_at timestamp_ntz
)
comment = 'Lines of the lake that were not JSON events, with their file and line';

-- Files COPY INTO could not read at all (a broken gzip stream: status LOAD_FAILED).
create table if not exists quarantined_files (
    source_file varchar,
    quarantined_path varchar,
    reason varchar,
    readable_lines number,
    quarantined_at timestamp_ntz
)
comment = 'Lake files that could not be decompressed, with the reason';

-- dbt reads both (future grants in 02 cover tables created after it; these cover re-runs).
grant select on table raw_events to role {{ cookiecutter.snowflake_role | lower }};
grant select on table raw_events_rejects to role {{ cookiecutter.snowflake_role | lower }};
