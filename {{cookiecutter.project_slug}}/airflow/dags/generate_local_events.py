"""
### Generate events into the local lake, every 5 minutes (local target only)

Plays the schedule of the cloud's generator Lambda on your laptop: each run
delivers the events that arrive in its 5-minute data interval into the local
lake (`LAKE_DIR`, default `data/lake/`), through the same code as
`{{ cookiecutter.project_slug }} live`. The generator is deterministic, so a re-run or a
backfill of an interval writes exactly the same files.

At-least-once delivery is set by two Variables, shares from 0 to 1:
`lake_late_share` (events that arrive in a later interval) and
`lake_duplicate_share` (events delivered twice with the same `event_id`).

On the cloud target (`DBT_TARGET` other than `local`) this DAG is not defined:
the Lambda on its EventBridge schedule does this job.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, Variable, dag, task
from pipeline_common import DEFAULT_ARGS, DUPLICATE_SHARE_VARIABLE, LAKE_IS_LOCAL, LATE_SHARE_VARIABLE, START_DATE

if LAKE_IS_LOCAL:

    @dag(
        schedule=CronDataIntervalTimetable("*/5 * * * *", timezone="UTC"),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=timedelta(minutes=10),
        default_args={**DEFAULT_ARGS, "execution_timeout": timedelta(minutes=5)},
        tags=["generator", "lake", "local"],
        doc_md=__doc__,
    )
    def generate_local_events():
        @task
        def deliver_window(data_interval_start: datetime | None = None, data_interval_end: datetime | None = None):
            """The arrivals of the data interval, into the lake as gzipped NDJSON files."""
            from {{ cookiecutter.package_name }}.ingest.catalog import build_catalog
            from {{ cookiecutter.package_name }}.ingest.delivery import DeliveryPolicy, deliveries_in_window
            from {{ cookiecutter.package_name }}.ingest.live import deliver_to_lake
            from {{ cookiecutter.package_name }}.settings import Settings

            settings = Settings.from_env()
            # Airflow hands over pendulum datetimes; the generator's arithmetic wants plain ones.
            start, end = (
                datetime.fromtimestamp(moment.timestamp(), UTC) for moment in (data_interval_start, data_interval_end)
            )
            window = end - start
            policy = DeliveryPolicy(
                late_share=float(Variable.get(LATE_SHARE_VARIABLE, default="0")),
                duplicate_share=float(Variable.get(DUPLICATE_SHARE_VARIABLE, default="0")),
                min_late_delay=window,
            )
            arrivals = deliveries_in_window(settings.seed, start, end, policy, build_catalog(settings.seed))
            lake = deliver_to_lake(arrivals, settings.lake_dir, int(window.total_seconds()))
            return {
                "events": lake.records_written,
                "files": [str(path.relative_to(settings.lake_dir)) for path in lake.files_written],
            }

        deliver_window()

    generate_local_events()
