-- 3. The storage integration: Snowflake reads s3://{{ cookiecutter.s3_bucket_name }}/raw-events/
--    by assuming an IAM role in your AWS account, with no keys stored anywhere.
use role accountadmin;

create storage integration if not exists raw_events_s3
    type = external_stage
    storage_provider = 's3'
    enabled = true
{%- if cookiecutter.include_aws %}
    -- The ARN of the IAM role that trusts Snowflake: the SnowflakeRoleArn output of the AWS stack
    -- (infra/aws/stack.yaml), which `make deploy-aws` prints. Put it here before running this script.
{%- else %}
    -- The ARN of the IAM role that trusts Snowflake, in your AWS account.
    -- Replace the account id and role name with yours before running this script.
{%- endif %}
    storage_aws_role_arn = 'arn:aws:iam::123456789012:role/{{ cookiecutter.project_slug }}-snowflake-s3-read'
    storage_allowed_locations = ('s3://{{ cookiecutter.s3_bucket_name }}/');

grant usage on integration raw_events_s3 to role {{ cookiecutter.snowflake_role }};

-- STORAGE_AWS_IAM_USER_ARN and STORAGE_AWS_EXTERNAL_ID below go into the IAM role's trust policy
{%- if cookiecutter.include_aws %}
-- (`make deploy-aws SNOWFLAKE_IAM_USER_ARN=... SNOWFLAKE_EXTERNAL_ID=...`; README: Running on AWS).
{%- else %}
-- (its principal and its sts:ExternalId condition).
{%- endif %}
describe integration raw_events_s3;
