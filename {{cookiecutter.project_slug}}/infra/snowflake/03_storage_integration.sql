-- 3. The storage integration: Snowflake reads s3://{{ cookiecutter.s3_bucket_name }}/raw-events/
--    by assuming an IAM role in your AWS account, with no keys stored anywhere.
--    &{SNOWFLAKE_STORAGE_AWS_ROLE_ARN} is read from the environment by `make snowflake-setup`
{%- if cookiecutter.include_aws %}
--    (SnowSQL: -D SNOWFLAKE_STORAGE_AWS_ROLE_ARN=...): the SnowflakeRoleArn output of the
--    AWS stack (infra/aws/stack.yaml), which `make deploy-aws` prints.
{%- else %}
--    (SnowSQL: -D SNOWFLAKE_STORAGE_AWS_ROLE_ARN=...): the ARN of the IAM role, in your
--    AWS account, that may read the bucket and trusts Snowflake.
{%- endif %}
--    IF NOT EXISTS: replacing the integration would change its external id and break the
--    role's trust policy; to point it at another role, use `alter storage integration`.
use role accountadmin;

create storage integration if not exists raw_events_s3
type = external_stage
storage_provider = 's3'
enabled = true
storage_aws_role_arn = '&{SNOWFLAKE_STORAGE_AWS_ROLE_ARN}'
storage_allowed_locations = ('s3://{{ cookiecutter.s3_bucket_name }}/raw-events/')
comment = 'Firehose deliveries of {{ cookiecutter.project_slug }}';

-- The loader creates the stage on it (04_file_format_and_stage.sql).
grant usage on integration raw_events_s3 to role loader;

-- STORAGE_AWS_IAM_USER_ARN and STORAGE_AWS_EXTERNAL_ID below go into the IAM role's trust policy
{%- if cookiecutter.include_aws %}
-- (`make deploy-aws SNOWFLAKE_IAM_USER_ARN=... SNOWFLAKE_EXTERNAL_ID=...`; README: Running on AWS).
{%- else %}
-- (its principal and its sts:ExternalId condition).
{%- endif %}
describe integration raw_events_s3;
