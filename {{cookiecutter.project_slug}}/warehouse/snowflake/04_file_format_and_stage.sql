-- 4. How the lake files are read, and where they are: gzipped JSON, one event per line,
--    under raw-events/YYYY/MM/DD/HH/ in region {{ cookiecutter.aws_region }}.
use role {{ cookiecutter.snowflake_role }};
use database {{ cookiecutter.snowflake_database }};
use schema raw;

create file format if not exists json_lines_format
    type = json
    compression = gzip
    strip_outer_array = false;

create stage if not exists raw_events_stage
    storage_integration = raw_events_s3
    -- The bucket root, so METADATA$FILENAME reads raw-events/YYYY/MM/DD/HH/<file>,
    -- the same source_file the local load records.
    url = 's3://{{ cookiecutter.s3_bucket_name }}/'
    file_format = json_lines_format
    comment = 'Firehose deliveries of raw events';

-- Check: the stage lists the delivered files.
list @raw_events_stage/raw-events/;
