"""What the hourly and the daily runs test (dbt/macros/tests/tested_rows.sql).

An hourly build tests the rows loaded since the last publish, and the orders,
sessions and customers they belong to. The daily run
(`make transform FULL_TESTS=1`) tests every row. Both go through the real gate:
dbt build on DuckDB, the audit, and publishing only when it passed.
"""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import pytest

from {{ cookiecutter.package_name }}.ingest.backfill import generate_to_lake
from {{ cookiecutter.package_name }}.quality.gate import transform
from {{ cookiecutter.package_name }}.warehouse.dbt_runner import build_models, run_results_path
from {{ cookiecutter.package_name }}.warehouse.load import load_lake
from {{ cookiecutter.package_name }}.warehouse.publish import published_tables

from conftest import TEST_END

DEVICE_TEST = "accepted_values_stg_events_device__mobile__desktop__tablet"
EVENT_TYPE_TEST = "accepted_values_stg_events_event_type_"


def deliver_next_hour(settings, hour: int = 0) -> None:
    """One more hour of events after the built two weeks, into the lake and raw.raw_events."""
    start = TEST_END + timedelta(hours=hour)
    generate_to_lake(settings, start, start + timedelta(hours=1))
    load_lake(settings)


def node_types_run(settings) -> set[str]:
    """The kinds of dbt node (model, test, unit_test, ...) the last dbt command ran."""
    results = json.loads(run_results_path(settings).read_text(encoding="utf-8"))["results"]
    return {result["unique_id"].split(".")[0] for result in results}


INCREMENTAL_MODELS = {
    "intermediate.int_session_events": "session_id",
    "intermediate.int_order_lifecycle": "order_id",
    "intermediate.int_order_items_flattened": "order_id",
    "marts.dim_customers": "customer_id",
    "marts.fct_orders": "order_id",
    "marts.fct_order_items": "order_id",
    "analytics_candidate.analytics_sessions": "session_id",
    "analytics_candidate.analytics_order_items": "order_id",
    "analytics_candidate.analytics_orders": "order_id",
}
WATERMARK = "(select loaded_after from staging.stg_events_tested_rows_watermark)"


def rows_changed_by_load_time(settings) -> dict[str, list[int]]:
    """Each incremental model's rows whose last_loaded_at is after the watermark (the tested slice)."""
    return {
        model: row_ids(settings, f"select rowid from {model} where last_loaded_at > {WATERMARK}")
        for model in INCREMENTAL_MODELS
    }


def rows_of_keys_with_new_events(settings) -> dict[str, list[int]]:
    """Each incremental model's rows whose key has an event loaded after the watermark."""
    return {
        model: row_ids(
            settings,
            f"select rowid from {model} where {key} in "
            f"(select {key} from staging.stg_events where loaded_at > {WATERMARK})",
        )
        for model, key in INCREMENTAL_MODELS.items()
    }


def row_ids(settings, sql: str) -> list[int]:
    """The rows `sql` selects, by their rowid in their table, sorted."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ids = sorted(row_id for (row_id,) in con.execute(sql).fetchall())
    assert ids, sql  # an hour of events touches rows of every model
    return ids


def execute(settings, sql: str) -> None:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(sql)


def test_a_bad_row_in_the_new_hour_fails_the_hourly_gate(warehouse_copy):
    deliver_next_hour(warehouse_copy)
    published_before = published_tables(warehouse_copy)
    # One event of the new hour gets a type the pipeline does not know.
    execute(
        warehouse_copy,
        "update raw.raw_events set event = json_merge_patch(event, json_object('event_type', 'order_teleported')) "
        "where rowid = (select max(rowid) from raw.raw_events)",
    )

    hourly = transform(warehouse_copy)

    assert not hourly.published
    assert [failure for failure in hourly.gate.failures if EVENT_TYPE_TEST in failure], hourly.gate.failures
    # Unit tests check the SQL on fixed rows: the hourly run leaves them to the daily run.
    assert node_types_run(warehouse_copy) == {"model", "test", "snapshot"}
    assert published_tables(warehouse_copy) == published_before
    # Nothing was published, so the watermark stayed: the next hour's run tests the bad row again.
    deliver_next_hour(warehouse_copy, hour=1)
    next_hour = transform(warehouse_copy)
    assert not next_hour.published
    assert [failure for failure in next_hour.gate.failures if EVENT_TYPE_TEST in failure], next_hour.gate.failures
    assert published_tables(warehouse_copy) == published_before


@pytest.mark.full  # two builds and a re-parse for the daily run's var: about a minute of CPU
def test_a_bad_row_in_old_history_is_caught_by_the_daily_run_not_the_hourly_one(warehouse_copy):
    """The trade: an hourly run does not read old rows, so a row that went bad there waits for the daily run."""
    # An event staged on the first day is edited in place: old history, untouched by new loads.
    execute(
        warehouse_copy,
        "update staging.stg_events set device = 'toaster' "
        "where event_id = (select event_id from staging.stg_events order by event_timestamp limit 1)",
    )
    deliver_next_hour(warehouse_copy)

    hourly = transform(warehouse_copy)
    assert hourly.published and hourly.gate.passed, hourly.gate.failures

    daily = transform(warehouse_copy, full_tests=True)
    assert not daily.published
    assert daily.gate.failures == (f"dbt test {DEVICE_TEST}: 1 failing row(s)",)
    assert "unit_test" in node_types_run(warehouse_copy)


@pytest.mark.full  # a build of its own: the hourly gate's test above never builds past the bad row
def test_the_incremental_models_slice_by_load_time_is_the_rows_of_the_new_events(warehouse_copy):
    """Their tests read the rows whose last_loaded_at is after the watermark, not the rows of
    the keys with new events (a join): both must be the same rows."""
    deliver_next_hour(warehouse_copy)
    assert build_models(warehouse_copy) == ()
    assert rows_changed_by_load_time(warehouse_copy) == rows_of_keys_with_new_events(warehouse_copy)
