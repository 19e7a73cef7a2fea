"""
### Ingest raw events, hourly

1. **wait_for_hour_files** waits for the lake files of the run's hour: the folder
   `raw-events/YYYY/MM/DD/HH/` of the data interval's start, or of the run
   parameter `hour` when a run is triggered for a given hour (UTC, for example
   `airflow dags trigger ingest_raw_events --conf '{"hour": "2025-10-01T13:00"}'`).
{%- if cookiecutter.include_aws %}
   On the local target (`DBT_TARGET=local`) it watches the local lake through the
   `lake_fs` connection; on the cloud target it watches the S3 bucket (Variable
   `raw_events_bucket`, connection `aws_default`).
{%- else %}
   It watches the local lake through the `lake_fs` connection.
{%- endif %}
   It checks every 5 minutes in *reschedule* mode, freeing its worker slot in
   between, and fails after 2 hours without a file.
2. **load_raw_events** runs `dbt run-operation copy_into_raw_events`: every new file
   of the lake, this hour's and any that arrived late, lands in `raw.raw_events`;
   files already loaded are skipped, so a re-run loads nothing twice.
3. When it read new files, its success updates the asset `raw.raw_events`, which
   starts `transform_dbt_models`. When every file was loaded already, the task ends
   *skipped*: the asset is not updated and no transformation starts for nothing.

A file's folder is the hour its first record arrived (as Firehose names it), so a
file can still arrive for an hour after its run: the next run loads it.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.standard.sensors.filesystem import FileSensor
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task
from pipeline_common import (
{%- if cookiecutter.include_aws %}
    BUCKET_TEMPLATE,
{%- endif %}
    DEFAULT_ARGS,
    LAKE_CONNECTION,
{%- if cookiecutter.include_aws %}
    LAKE_IS_LOCAL,
{%- endif %}
    RAW_EVENTS,
    START_DATE,
    WAREHOUSE_POOL,
    run_hour,
)

from {{ cookiecutter.package_name }}.ingest.lake import partition_path

# The files of the run's hour, named as lake.py (and Firehose) name them.
HOUR_FILES = {% raw %}"{{ lake_partition(run_hour(params.hour, data_interval_start)) }}/*.json.gz"{% endraw %}
SENSOR_SETTINGS = {"mode": "reschedule", "poke_interval": timedelta(minutes=5), "timeout": timedelta(hours=2)}


@dag(
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    # An hour re-run by hand (or a backfill) starts while the current hour's run waits for its files
    # (up to 2 hours); the loads still take the warehouse one at a time (its pool).
    max_active_runs=4,
    dagrun_timeout=timedelta(hours=3),
    default_args=DEFAULT_ARGS,
    tags=["ingestion", "lake", "warehouse"],
    doc_md=__doc__,
    user_defined_macros={"lake_partition": partition_path, "run_hour": run_hour},
    params={
        "hour": Param(
            None,
            type=["null", "string"],
            description="The hour to ingest (UTC, like 2025-10-01T13:00); empty: the run's data interval.",
        )
    },
)
def ingest_raw_events():
{%- if cookiecutter.include_aws %}
    if LAKE_IS_LOCAL:
        wait_for_hour_files = FileSensor(
            task_id="wait_for_hour_files", fs_conn_id=LAKE_CONNECTION, filepath=HOUR_FILES, **SENSOR_SETTINGS
        )
    else:
        # Imported only here: the Amazon provider takes about a second to import, which every
        # parse of this file would pay on the local target, where it is never used.
        from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor

        wait_for_hour_files = S3KeySensor(
            task_id="wait_for_hour_files",
            aws_conn_id="aws_default",
            bucket_name=BUCKET_TEMPLATE,
            bucket_key=HOUR_FILES,
            wildcard_match=True,
            **SENSOR_SETTINGS,
        )
{%- else %}
    wait_for_hour_files = FileSensor(
        task_id="wait_for_hour_files", fs_conn_id=LAKE_CONNECTION, filepath=HOUR_FILES, **SENSOR_SETTINGS
    )
{%- endif %}

    @task(pool=WAREHOUSE_POOL, outlets=[RAW_EVENTS])
    def load_raw_events() -> dict[str, int]:
        """dbt run-operation copy_into_raw_events: the new lake files into raw.raw_events."""
        from airflow.sdk.exceptions import AirflowSkipException

        from {{ cookiecutter.package_name }}.settings import Settings
        from {{ cookiecutter.package_name }}.warehouse.load import load_new_files

        result = load_new_files(Settings.from_env())
        if not result.changed_raw:
            # A skipped task updates no asset: no transformation runs on unchanged data.
            raise AirflowSkipException("no new lake files: raw.raw_events is unchanged")
        return {"new_files": result.new_files, "quarantined_files": len(result.quarantined)}

    wait_for_hour_files >> load_raw_events()


ingest_raw_events()
