"""What the DAGs share: the target, the warehouse pool, the assets and the task policy.

Imported by every DAG file, so it reads only environment variables: no file,
no database, no dbt. The target is DBT_TARGET, as for the CLI and dbt:
`local` (the default) is the local lake and DuckDB, `snowflake` the cloud path.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset

TARGET = os.environ.get("DBT_TARGET") or "local"
LAKE_IS_LOCAL = TARGET == "local"

# One pool per warehouse. DuckDB lets one process write its file at a time: 1 slot.
# Snowflake takes parallel queries: its pool's slots set how many dbt models build at once.
DUCKDB_POOL = "duckdb_warehouse"
SNOWFLAKE_POOL = "snowflake_warehouse"
WAREHOUSE_POOL = DUCKDB_POOL if LAKE_IS_LOCAL else SNOWFLAKE_POOL

# The connection of the local lake folder (a `fs` connection whose `path` is the lake root).
LAKE_CONNECTION = "lake_fs"
# Variables, read when a task runs (each has a default).
LATE_SHARE_VARIABLE = "lake_late_share"
DUPLICATE_SHARE_VARIABLE = "lake_duplicate_share"
{%- if cookiecutter.include_aws %}
BUCKET_VARIABLE = "raw_events_bucket"
# Rendered when the S3 sensor runs: a Variable read while the file is parsed would query the database.
BUCKET_TEMPLATE = {% raw %}"{{ var.value.get('raw_events_bucket', '{% endraw %}{{ cookiecutter.s3_bucket_name }}{% raw %}') }}"{% endraw %}
{%- endif %}

# The ingestion DAG updates RAW_EVENTS; the transformation DAG is scheduled on it and updates ANALYTICS.
# Named, without a URI scheme: a scheme makes Airflow look up its providers' URI handlers on every parse.
RAW_EVENTS = Asset("raw.raw_events")
ANALYTICS = Asset("analytics")

START_DATE = datetime(2025, 10, 1, tzinfo=UTC)


def run_hour(hour: str | None, data_interval_start: datetime) -> datetime:
    """The hour a run ingests: its `hour` parameter (UTC when it names no zone), else its data interval's start."""
    if not hour:
        return data_interval_start
    moment = datetime.fromisoformat(hour)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


DEFAULT_ARGS = {
    "owner": {{ cookiecutter.author_name | python_string }},
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=30),
}
