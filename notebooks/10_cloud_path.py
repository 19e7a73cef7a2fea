# %% [markdown]
# # 10. The cloud path: the same pipeline on AWS and Snowflake
#
# **What you will learn**
#
# - which settings move each box of the pipeline to the cloud, and what stays the
#   same (the generator, the file layout, the dbt models, the checks);
# - the Lambda handler delivering a window of events into S3, run here against
#   *moto*, an emulator of the AWS APIs;
# - the Snowflake setup scripts and the same events queried with Snowflake SQL, run
#   here against *fakesnow*, an emulator of Snowflake backed by DuckDB;
# - what the emulators cannot tell you, and only a real account can.
#
# **Where this sits.** Every box has a cloud twin: events -> *Lambda* -> *S3* ->
# *Snowflake* -> dbt -> dashboard. The handler is `src/<package>/ingest/handler.py`
# (sinks in `aws_sinks.py`), the CloudFormation stack `infra/aws/stack.yaml`
# (`make deploy-aws`), the Snowflake setup `infra/snowflake/*.sql`
# (`make snowflake-setup`), and `DBT_TARGET=snowflake` points dbt at Snowflake.
#
# Nothing here needs an account, a network or a credential: both emulators run in
# this notebook, and nothing outside it is touched.

# %% tags=["parameters"] test_parameters={"hours": 1}
seed = 42  # the generator's seed (the Lambda reads it from EVENT_SEED)
day = "2025-10-04"
first_hour = 12  # the window the Lambda delivers: from this hour of the day (UTC) ...
hours = 3  # ... for this many hours

# %%
import contextlib
import gzip
import logging
import re
import warnings
from collections import Counter
from datetime import UTC, datetime, timedelta

import boto3
import lesson
import matplotlib.pyplot as plt
import pandas as pd
import yaml

handler = lesson.module("ingest.handler")
snowflake_setup = lesson.module("warehouse.snowflake_setup")
folder = lesson.workspace("10_cloud_path")
start = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=first_hour)
end = start + timedelta(hours=hours)

# %% [markdown]
# ## One pipeline, two places, chosen by settings
#
# The code does not fork into a "local version" and a "cloud version": each box
# reads a setting that says where it runs. These are the switches (each is an
# environment variable, listed in `.env.example`):

# %%
pd.DataFrame(
    [
        ("events", "the CLI calls the generator", "a Lambda on an EventBridge schedule", "(deployed by the stack)"),
        (
            "delivery",
            "LocalLakeSink writes files",
            "Kinesis -> Firehose, or S3 directly",
            "SINK=local|kinesis|firehose|s3",
        ),
        (
            "lake",
            "data/lake/raw-events/YYYY/MM/DD/HH/",
            "s3://<bucket>/raw-events/YYYY/MM/DD/HH/",
            "LAKE_DIR, S3_BUCKET",
        ),
        (
            "load",
            "copy_into_raw_events on DuckDB",
            "the same macro: COPY INTO from a stage",
            "DBT_TARGET=local|snowflake",
        ),
        ("warehouse", "data/warehouse.duckdb", "a Snowflake database", "DBT_TARGET, SNOWFLAKE_*"),
        ("dbt models and tests", "the same files", "the same files (dispatched macros)", "DBT_TARGET"),
    ],
    columns=["box", "local", "cloud", "switch"],
)

# %% [markdown]
# The AWS side is declared in one CloudFormation template. Count what it creates
# (its `!Ref`/`!Sub` tags are read as plain text here):


# %%
class CloudFormationLoader(yaml.SafeLoader):
    """YAML that reads CloudFormation's short tags (!Ref, !Sub, ...) as plain values."""


CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
stack = yaml.load((lesson.PROJECT_DIR / "infra" / "aws" / "stack.yaml").read_text(), Loader=CloudFormationLoader)
resources = pd.DataFrame([{"resource": name, "type": spec["Type"]} for name, spec in stack["Resources"].items()])
resources.groupby("type").size().rename("resources").to_frame()

# %% [markdown]
# ## The Lambda, delivering into S3 (on moto)
#
# `moto` answers boto3's calls in memory, as AWS would. Make the bucket, configure
# the handler as the stack does (`SINK=s3`, `S3_BUCKET`, `EVENT_SEED`), and deliver
# the window. The handler stages the files as the local lake does and uploads them
# with the keys Firehose would give them.

# %%
from moto import mock_aws

aws = mock_aws()
aws.start()
region = "us-east-1"
bucket = "course-raw-events"
s3 = boto3.client("s3", region_name=region)
s3.create_bucket(Bucket=bucket)
config = handler.HandlerConfig.from_env({"SINK": "s3", "S3_BUCKET": bucket, "EVENT_SEED": str(seed)})
summary = handler.deliver_window(config, start, end, clients=lambda service: boto3.client(service, region_name=region))
print(f"{summary['events']:,} events sent in {summary['api_calls']} PUT calls")
keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
print("the first keys:", *keys[:3], sep="\n  ")

# %% [markdown]
# Read the objects back, as Snowflake's `COPY INTO` would from the stage: each is a
# gzipped file of JSON lines.

# %%
lines = []
for key in keys:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    lines += [(key, line) for line in gzip.decompress(body).decode("utf-8").splitlines()]
print(f"{len(lines):,} lines in {len(keys)} objects")

# %% [markdown]
# ## Break it on purpose: a bucket that is not there
#
# A local folder is created when needed; a bucket is not (the stack creates it, with
# its policy). Point the handler at a bucket that does not exist and S3 refuses the
# first upload. The next cell is *meant* to fail with `NoSuchBucket`.

# %% tags=["raises-exception"] expected_exception="NoSuchBucket"
missing = handler.HandlerConfig.from_env({"SINK": "s3", "S3_BUCKET": "no-such-bucket", "EVENT_SEED": str(seed)})
handler.deliver_window(missing, start, end, clients=lambda service: boto3.client(service, region_name=region))

# %%
aws.stop()  # boto3 talks to AWS again from here on

# %% [markdown]
# ## Snowflake: the setup scripts (on fakesnow)
#
# `make snowflake-setup` runs `infra/snowflake/*.sql` in order: roles and
# warehouses, the database and its schemas, the storage integration that lets
# Snowflake read the bucket, the file format and stage, the raw tables, and
# optionally Snowpipe. fakesnow runs the database, schema, stage and table
# statements. It has no roles, grants, warehouses, credit monitors, integrations or
# pipes: those statements are told to do nothing here, and they are precisely the
# part only a real account can check.

# %%
import fakesnow
import snowflake.connector

ACCOUNT_ONLY = {
    "create role": r"create\s+role\b",
    "grant": r"grant\b",
    "create warehouse": r"create\s+warehouse\b",
    "alter warehouse": r"alter\s+warehouse\b",
    "create resource monitor": r"create\s+resource\s+monitor\b",
    "create storage integration": r"create\s+storage\s+integration\b",
    "describe integration": r"describe\s+integration\b",
    "create pipe": r"create\s+pipe\b",
    "show pipes": r"show\s+pipes\b",
}
# The integration's IAM role: the stack creates it; any ARN of the right shape does for fakesnow.
script_env = {"SNOWFLAKE_STORAGE_AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/course-snowflake-s3-read"}
scripts = snowflake_setup.setup_scripts(lesson.PROJECT_DIR, with_snowpipe=True)
statements = [(s.name, statement) for s in scripts for statement in snowflake_setup.script_statements(s, script_env)]

emulators = contextlib.ExitStack()
server = emulators.enter_context(fakesnow.server(session_parameters={"nop_regexes": list(ACCOUNT_ONLY.values())}))
# The emulator logs every request and every statement it cannot parse: keep its errors only.
for logger in ("uvicorn", "uvicorn.access", "uvicorn.error", "fakesnow", "fakesnow.server", "sqlglot"):
    logging.getLogger(logger).setLevel(logging.ERROR)
warnings.filterwarnings("ignore", message="Arrow output")
params = snowflake_setup.connection_from_env(
    {
        "SNOWFLAKE_ACCOUNT": server["account"],
        "SNOWFLAKE_USER": server["user"],
        "SNOWFLAKE_PASSWORD": server["password"],
        "SNOWFLAKE_HOST": server["host"],
        "SNOWFLAKE_PORT": str(server["port"]),
        "SNOWFLAKE_PROTOCOL": server["protocol"],
    }
) | {"session_parameters": server["session_parameters"]}
with lesson.quiet():
    runs = snowflake_setup.run_setup(scripts, params, env=script_env)


def needs_account(statement: str) -> bool:
    return any(re.match(pattern, statement, re.IGNORECASE) for pattern in ACCOUNT_ONLY.values())


setup = pd.DataFrame(
    [
        {"script": name, "runs on fakesnow": not needs_account(sql), "statement": " ".join(sql.split()[:5])}
        for name, sql in statements
    ]
)
setup.pivot_table(index="script", columns="runs on fakesnow", aggfunc="size", fill_value=0)

# %% [markdown]
# ## The same events, in Snowflake
#
# Put the lines read from S3 into `RAW.RAW_EVENTS` as `COPY INTO` would (the event
# as a `VARIANT`, its file and line number), then ask Snowflake SQL for the event
# types: `event:event_type` is Snowflake's path into a `VARIANT`, where DuckDB's
# models say `json_extract_string(event, '$.event_type')` (dbt picks the right one
# per target: `dbt/macros/cross_db/`).

# %%
database = re.search(r"create\s+database\s+if\s+not\s+exists\s+(\w+)", " ".join(s for _, s in statements), re.I)[1]
connection = emulators.enter_context(snowflake.connector.connect(**params, database=database, schema="raw"))
cursor = connection.cursor()
rows = [(line, key, number) for number, (key, line) in enumerate(lines, start=1)]
cursor.execute(
    "create or replace temporary table staged_lines (line varchar, source_file varchar, file_row_number number)"
)
cursor.executemany("insert into staged_lines values (%s, %s, %s)", rows)
cursor.execute(
    "insert into raw.raw_events select parse_json(line), source_file, file_row_number, current_timestamp() "
    "from staged_lines"
)
cursor.execute(
    "select event:event_type::varchar as event_type, count(*) as events from raw.raw_events group by 1 order by 2 desc"
)
in_snowflake = pd.DataFrame(cursor.fetchall(), columns=["event_type", "events"]).set_index("event_type")["events"]
in_snowflake.to_frame()

# %%
per_hour = Counter(key.split("/")[4] for key, _ in lines)  # raw-events/YYYY/MM/DD/HH/<file>
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
pd.Series(per_hour).sort_index().plot.bar(ax=left, color="#4c72b0", rot=0, title="S3 (moto): events per hour folder")
in_snowflake.sort_values().plot.barh(ax=right, color="#55a868", title="Snowflake (fakesnow): events per type")
left.set_xlabel(f"raw-events/{start:%Y/%m/%d}/HH")
right.set_xlabel("events")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Checkpoint: every event made it to Snowflake, with its type
#
# One figure, two ways: the event types counted by Snowflake SQL in the emulator,
# and the same counted in Python from the lines read back from S3. Both must also
# equal what the handler said it sent.

# %%
from_s3 = Counter(re.search(r'"event_type":"(\w+)"', line)[1] for _, line in lines)
print(f"handler sent {summary['events']:,}, S3 holds {len(lines):,}, Snowflake counts {in_snowflake.sum():,}")
assert dict(in_snowflake) == dict(from_s3)
assert in_snowflake.sum() == len(lines) == summary["events"]
emulators.close()

# %% [markdown]
# ## What only a real account can tell you
#
# The emulators check that the code calls the right APIs with the right shapes and
# that the SQL means what it should. They cannot check:
#
# - *Do the IAM roles and the bucket policy let each service do its job, and no
#   more?* moto does not enforce IAM; the stack's roles are only checked by `cfn-lint`.
# - *Does the storage integration trust the right IAM role?* `DESCRIBE INTEGRATION`
#   names the Snowflake IAM user to put in the role's trust policy: a real one.
# - *Does Snowpipe load a file seconds after Firehose writes it?* S3 event
#   notifications into Snowpipe's queue exist only in AWS.
# - *How long do Firehose's buffers hold events, and what does it cost?* Buffering
#   by time and size, and the bill, belong to the real service.
# - *What does a `dbt build` cost in credits on your warehouse size?* fakesnow runs
#   on DuckDB: its timings say nothing about Snowflake's.
# - *Does an incremental merge behave the same?* dbt-snowflake merges through
#   temporary tables, which fakesnow cannot create.
#
# The project's tests draw the same line: see `tests/test_snowflake_dbt.py`
# (`FAKESNOW_GAPS`) and `tests/test_snowflake_setup.py`.
#
# ## Your turn
#
# 1. Deliver the window with `SINK=firehose` instead: create a delivery stream with
#    moto (`boto3.client("firehose").create_delivery_stream(...)` with an S3
#    destination) and see what lands in the bucket.
# 2. Set `DUPLICATE_SHARE=0.1` in the handler's settings: how many more lines does
#    S3 hold, and how would `stg_events` count them?
# 3. Write the Snowflake query for the revenue of the paid orders
#    (`event:order:total_amount`), and the DuckDB one; compare.
# 4. Pick one row of the last table and find, in `infra/`, the line of the stack or
#    the setup SQL it is about.
