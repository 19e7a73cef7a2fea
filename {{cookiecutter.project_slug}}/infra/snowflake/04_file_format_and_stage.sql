-- 4. How the lake files are read, and where they are: gzipped JSON, one event per line,
--    under raw-events/YYYY/MM/DD/HH/ of s3://{{ cookiecutter.s3_bucket_name }} (region {{ cookiecutter.aws_region }}).
--    Both belong to the loader, who alone reads the stage.
use role loader;
use database {{ cookiecutter.snowflake_database | lower }};
use schema raw;

-- IF NOT EXISTS: the pipe of 06_snowpipe.sql refers to both, and a replaced stage would
-- leave it stale; change them with `alter file format` and `alter stage`.
create file format if not exists json_lines_format
type = json
compression = gzip
strip_outer_array = false
comment = 'One JSON event per line, gzipped (Firehose deliveries)';

create stage if not exists raw_events_stage
    storage_integration = raw_events_s3
    -- The bucket root, so METADATA$FILENAME reads raw-events/YYYY/MM/DD/HH/<file>,
    -- the same source_file the local load records.
    url = 's3://{{ cookiecutter.s3_bucket_name }}/'
    file_format = json_lines_format
    comment = 'Firehose deliveries of raw events';
