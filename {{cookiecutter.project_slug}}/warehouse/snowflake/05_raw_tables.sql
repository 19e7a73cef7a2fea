-- 5. The raw tables that `dbt run-operation copy_into_raw_events` loads.
--    Each line of a lake file becomes one row: the whole event as a VARIANT, plus
--    where it came from. COPY INTO fills them from the stage:
--      copy into raw.raw_events (event, source_file, file_row_number, loaded_at)
--      from (select $1, metadata$filename, metadata$file_row_number, current_timestamp()
--            from @raw.raw_events_stage/raw-events/)
--      file_format = (format_name = 'raw.json_lines_format') on_error = continue;
use role {{ cookiecutter.snowflake_role }};
use database {{ cookiecutter.snowflake_database }};
use schema raw;

create table if not exists raw_events (
    event variant,
    source_file varchar,
    file_row_number number,
    loaded_at timestamp_ntz
);

-- Lines that COPY INTO could not parse, as VALIDATE() reports them.
create table if not exists raw_events_rejects (
    source_file varchar,
    file_row_number number,
    rejected_record varchar,
    error varchar,
    rejected_at timestamp_ntz
);
