-- 6. Optional: Snowpipe, the event-driven alternative to the hourly COPY INTO.
--    `make snowflake-setup` runs this script only when asked (WITH_SNOWPIPE=1).
--    S3 notifies the pipe of each new file and Snowflake loads it within about a
--    minute, with the same COPY statement as the hourly load (copy_into_raw_events).
--    Use one or the other: Snowpipe and COPY INTO keep separate load histories, so
--    running both loads each file twice (stg_events would drop the copies, but
--    raw_events would hold them). With the pipe on, stop the hourly load task.
use role loader;
use database {{ cookiecutter.snowflake_database | lower }};
use schema raw;

create pipe if not exists raw_events_pipe
auto_ingest = true
comment = 'Loads each new Firehose file of raw-events/ as S3 announces it'
as
copy into raw_events (event, source_file, file_row_number, loaded_at)
from (
    select
        $1 as event,
        metadata$filename as source_file,
        metadata$file_row_number as file_row_number,
        current_timestamp()::timestamp_ntz as loaded_at
    from @raw_events_stage/raw-events/
)
file_format = (format_name = 'json_lines_format')
on_error = continue;

-- notification_channel is the SQS queue to send the bucket's s3:ObjectCreated events to
-- (S3 console: the bucket's Properties, Event notifications, prefix raw-events/).
-- Files delivered before the pipe existed: `alter pipe raw_events_pipe refresh;` queues them.
show pipes like 'raw_events_pipe';
