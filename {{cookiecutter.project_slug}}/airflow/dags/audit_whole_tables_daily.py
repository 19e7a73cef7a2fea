"""
### The daily run: every dbt test on whole tables, then publish

The hourly transformation (`transform_dbt_models`, on the asset `raw.raw_events`)
tests the rows its build touched: the events of the new hour and the orders,
sessions and customers they belong to. Its cost follows the new data, but it
never reads old rows again. Once a day this DAG reads them all.

1. **build_test_whole_tables_and_publish** is `make transform FULL_TESTS=1`:
   `dbt build` with every data test on whole tables{% if cookiecutter.include_quality %}, the quality suites{% endif %}, then
   `dbt run-operation publish_analytics` only if all of them passed. A bad row in
   old history (say, an old staged event edited by hand) fails the task with the
   test's name in its log, and the published `analytics` tables, which the
   dashboards read, stay as the last run that passed left them.

It runs in the warehouse pool, so it never writes the DuckDB file while the hourly
run does.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, dag, task
from pipeline_common import ANALYTICS, DEFAULT_ARGS, START_DATE, WAREHOUSE_POOL


@dag(
    schedule=CronTriggerTimetable("30 3 * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=4),
    default_args=DEFAULT_ARGS,
    tags=["transformation", "dbt", "quality", "daily"],
    doc_md=__doc__,
)
def audit_whole_tables_daily():
    @task(pool=WAREHOUSE_POOL, outlets=[ANALYTICS], execution_timeout=timedelta(hours=3))
    def build_test_whole_tables_and_publish() -> dict[str, int]:
        """dbt build with every test on whole tables{% if cookiecutter.include_quality %}, the quality suites{% endif %}, and publish if they all passed."""
        from airflow.sdk.exceptions import AirflowFailException

        from {{ cookiecutter.package_name }}.quality.gate import format_transform_result, transform
        from {{ cookiecutter.package_name }}.settings import Settings

        result = transform(Settings.from_env(), full_tests=True)
        print(format_transform_result(result))
        if not result.published:
            # Bad data stays bad on a retry: fail at once, and publish nothing.
            failures = "; ".join(result.gate.failures)
            raise AirflowFailException(f"{len(result.gate.failures)} check(s) failed: {failures}")
        return result.published_tables

    build_test_whole_tables_and_publish()


audit_whole_tables_daily()
