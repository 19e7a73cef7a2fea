"""Incremental correctness on DuckDB, with real dbt: stg_events (merge on event_id, by load time) and dim_customers.

One warehouse lives through the deliveries an hourly pipeline sees, each followed
by the project's load and a dbt build (warehouse.py):

1. three days of events (two events held back to be delivered late), a first build;
2. six new hours of events;
3. a late event: an order's payment, two days old, delivered now;
4. a duplicate delivery: files already loaded arrive again under new names;
then the same warehouse is rebuilt with --full-refresh for comparison, and
5. in their own tests, last: an event a week late; an event dated months ahead of
   the rest and one dated ahead of its load (a wrong clock), then a normal hour;
   a staged event lost from staging (the audit must fail).

The steps in between build the models and the snapshot without the data tests,
to keep the file quick; the last steps run the pipeline's full `dbt build`, data
tests included, on the warehouse the incremental runs made.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from {{ cookiecutter.package_name }}.ingest.backfill import generate_to_lake
from {{ cookiecutter.package_name }}.ingest.catalog import build_catalog
from {{ cookiecutter.package_name }}.ingest.generator import Event, iter_events
from {{ cookiecutter.package_name }}.ingest.lake import LocalLakeSink, list_lake_files
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.warehouse.dbt_runner import build_models, missing_events, run_dbt
from {{ cookiecutter.package_name }}.warehouse.dbt_session import one_dbt_process
from {{ cookiecutter.package_name }}.warehouse.load import load_lake

from conftest import make_settings

START = datetime(2025, 10, 1, tzinfo=UTC)
FIRST_END = datetime(2025, 10, 4, tzinfo=UTC)
NEW_END = FIRST_END + timedelta(hours=6)  # "now": the end of the six new hours
LIFECYCLE_TYPES = ("order_paid", "order_fulfilled", "order_cancelled", "order_created")

# Every table a dashboard or analyst reads, plus staging: compared row by row.
TABLES = [
    "staging.stg_events",
    "marts.dim_customers",
    "marts.fct_orders",
    "marts.fct_order_items",
    # What dbt builds; the published copies in `analytics` change only on publish (test_publish.py).
    "analytics_candidate.analytics_orders",
    "analytics_candidate.analytics_order_items",
    "analytics_candidate.analytics_customer_summary",
    "analytics_candidate.analytics_sessions",
]
# Views are recomputed on read, so their counts and sums are checked too.
VIEWS = [
    "intermediate.int_session_events",
    "intermediate.int_order_lifecycle",
    "intermediate.int_order_items_flattened",
    "intermediate.int_customer_purchase_history",
]


def build_models_and_snapshot(settings: Settings, full_refresh: bool = False) -> None:
    """`dbt build` without the data and unit tests: the same tables, in a third of the time."""
    exclude = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    run_dbt(settings, "build", *exclude, *(["--full-refresh"] if full_refresh else []))


def copy_database(source: Path, destination: Path) -> None:
    """Copy a DuckDB file that no process has open, with its write-ahead log if it has one."""
    shutil.copyfile(source, destination)
    wal, destination_wal = Path(f"{source}.wal"), Path(f"{destination}.wal")
    if wal.exists():
        shutil.copyfile(wal, destination_wal)
    else:
        destination_wal.unlink(missing_ok=True)


def query(settings: Settings, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def staged_ids(settings: Settings) -> set[str]:
    return {row[0] for row in query(settings, "select event_id from staging.stg_events")}


def counts_and_sums(settings: Settings) -> dict[str, tuple]:
    """Per table and view: the row count and the sum of every numeric column."""
    figures = {}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for table in TABLES + VIEWS:
            schema, name = table.split(".")
            numeric = [
                column
                for (column,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                    "and (data_type like 'DECIMAL%' or data_type in ('INTEGER', 'BIGINT', 'HUGEINT', 'DOUBLE')) "
                    "order by ordinal_position",
                    [schema, name],
                ).fetchall()
            ]
            sums = ", ".join(f'sum("{column}")' for column in numeric)
            figures[table] = con.execute(f"select count(*){', ' + sums if sums else ''} from {table}").fetchone()
    return figures


def row(settings: Settings, table: str, key: str, value: str) -> dict:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        cursor = con.execute(f"select * from {table} where {key} = ?", [value])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def deliver(settings: Settings, events: list[Event], arrived_at: datetime) -> None:
    """Deliver events to the lake as arriving at `arrived_at` (a late file lands in the current hour's folder)."""
    with LocalLakeSink(settings.lake_dir, buffer_seconds=settings.lake_buffer_seconds) as lake:
        for event in events:
            lake.put_line(event.to_json(), arrived_at)


def pick_late_payment(events: list[Event], all_events: list[Event]) -> Event:
    """An order_paid event about two days before the first window's end that is its order's latest event.

    Its order then shows 'created' until the payment arrives, and 'paid' after.
    """
    latest_of_order: dict[str, Event] = {}
    for event in all_events:
        if event.body["event_type"] in LIFECYCLE_TYPES:
            latest_of_order[event.body["order"]["order_id"]] = event
    target = FIRST_END - timedelta(days=2)
    candidates = [
        event
        for event in events
        if event.body["event_type"] == "order_paid"
        and latest_of_order[event.body["order"]["order_id"]] is event
        and abs(event.timestamp - target) < timedelta(hours=12)
    ]
    assert candidates, "the generator produced no payment to deliver late"
    return min(candidates, key=lambda event: abs(event.timestamp - target))


@dataclass
class Timeline:
    settings: Settings
    initial_ids: set[str]
    new_hour_ids: set[str]
    after_new_hours_ids: set[str]
    late: Event
    too_late: Event
    before_late: dict[str, dict]
    after_late: dict[str, dict]
    before_duplicates: dict[str, tuple]
    after_duplicates: dict[str, tuple]
    raw_rows_before_duplicates: int
    raw_rows_after_duplicates: int
    incremental_copy: Path
    refreshed_copy: Path


@pytest.fixture(scope="module")
def timeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Timeline]:
    data_dir = tmp_path_factory.mktemp("incremental")
    settings = make_settings(data_dir)
    catalog = build_catalog(settings.seed)
    first_days = list(iter_events(settings.seed, START, FIRST_END, catalog))
    new_hours = list(iter_events(settings.seed, FIRST_END, NEW_END, catalog))

    late = pick_late_payment(first_days, first_days + new_hours)
    # More than 3 days before the latest event the warehouse will hold (just before NEW_END).
    too_late = next(event for event in first_days if event.body["event_type"] == "product_viewed")
    assert NEW_END - too_late.timestamp > timedelta(days=3, hours=1)
    held_back = {late.event_id, too_late.event_id}

    # Every load and build of this module, here and in the tests that use this warehouse, runs in
    # one dbt process (as the transform DAG's do): dbt starts and parses the project once, not once
    # per command.
    with one_dbt_process(settings):
        # 1. The first three days, on time, except the two events held back.
        with LocalLakeSink(settings.lake_dir, buffer_seconds=settings.lake_buffer_seconds) as lake:
            for event in first_days:
                if event.event_id not in held_back:
                    lake.put_line(event.to_json(), event.timestamp)
        load_lake(settings)
        build_models_and_snapshot(settings)
        initial_ids = staged_ids(settings)

        # 2. Six new hours, generated into the lake by the project's own pipeline.
        generate_to_lake(settings, FIRST_END, NEW_END)
        load_lake(settings)
        build_models_and_snapshot(settings)
        after_new_hours_ids = staged_ids(settings)

        # 3. The late payment, two days old, delivered now.
        order_id, customer_id = late.body["order"]["order_id"], late.body["customer"]["customer_id"]

        def late_rows() -> dict[str, dict]:
            return {
                "order": row(settings, "marts.fct_orders", "order_id", order_id),
                "customer": row(settings, "marts.dim_customers", "customer_id", customer_id),
                "summary": row(settings, "analytics_candidate.analytics_orders", "order_id", order_id),
            }

        before_late = late_rows()
        deliver(settings, [late], NEW_END)
        load_lake(settings)
        build_models_and_snapshot(settings)
        after_late = late_rows()

        # 4. At-least-once delivery: an early file and the latest one arrive again under new names.
        before_duplicates = counts_and_sums(settings)
        raw_rows_before = query(settings, "select count(*) from raw.raw_events")[0][0]
        files = list_lake_files(settings.lake_dir)
        for original in (files[0], files[-1]):
            copy = original.with_name(original.name.replace("-1-", "-1-redelivered-", 1))
            copy.write_bytes(original.read_bytes())
        load_lake(settings)
        build_models_and_snapshot(settings)
        after_duplicates = counts_and_sums(settings)
        raw_rows_after = query(settings, "select count(*) from raw.raw_events")[0][0]

        # After these incremental runs: the tables a full refresh builds from the same raw table.
        # (Rebuilt in place and put back: the session's dbt knows this warehouse's path only.)
        incremental_copy = data_dir / "incremental.duckdb"
        refreshed_copy = data_dir / "refreshed.duckdb"
        copy_database(settings.warehouse_path, incremental_copy)
        build_models_and_snapshot(settings, full_refresh=True)
        copy_database(settings.warehouse_path, refreshed_copy)
        copy_database(incremental_copy, settings.warehouse_path)

        yield Timeline(
            settings=settings,
            initial_ids=initial_ids,
            new_hour_ids={event.event_id for event in new_hours},
            after_new_hours_ids=after_new_hours_ids,
            late=late,
            too_late=too_late,
            before_late=before_late,
            after_late=after_late,
            before_duplicates=before_duplicates,
            after_duplicates=after_duplicates,
            raw_rows_before_duplicates=raw_rows_before,
            raw_rows_after_duplicates=raw_rows_after,
            incremental_copy=incremental_copy,
            refreshed_copy=refreshed_copy,
        )


def test_a_run_after_new_hours_adds_exactly_the_new_events(timeline):
    assert timeline.new_hour_ids  # six hours are never empty
    assert timeline.after_new_hours_ids - timeline.initial_ids == timeline.new_hour_ids
    assert timeline.initial_ids <= timeline.after_new_hours_ids


def test_a_late_event_updates_its_order_and_its_customer(timeline):
    order = timeline.late.body["order"]
    total = Decimal(str(order["total_amount"]))
    assert timeline.late.event_id in staged_ids(timeline.settings)
    before, after = timeline.before_late, timeline.after_late

    assert (before["order"]["order_status"], before["order"]["paid_at"]) == ("created", None)
    assert after["order"]["order_status"] == "paid"
    assert after["order"]["paid_at"] == timeline.late.timestamp.replace(tzinfo=None)
    assert (before["order"]["net_revenue"], after["order"]["net_revenue"]) == (0, total)
    assert after["summary"]["order_status"] == "paid" and after["summary"]["net_revenue"] == total

    assert after["customer"]["revenue_orders"] == before["customer"]["revenue_orders"] + 1
    assert after["customer"]["lifetime_revenue"] == before["customer"]["lifetime_revenue"] + total
    assert after["customer"]["last_loaded_at"] > before["customer"]["last_loaded_at"]

    # the snapshot keeps the order's history: created until the payment, paid since
    history = query(
        timeline.settings,
        "select order_status, dbt_valid_from, dbt_valid_to from snapshots.orders_status_history "
        "where order_id = ? order by dbt_valid_from",
        [order["order_id"]],
    )
    paid_at = timeline.late.timestamp.replace(tzinfo=None)
    assert [(status, valid_to) for status, _, valid_to in history] == [("created", paid_at), ("paid", None)]


def test_a_duplicate_delivery_changes_no_count_and_no_sum(timeline):
    assert timeline.raw_rows_after_duplicates > timeline.raw_rows_before_duplicates  # raw keeps both copies
    changed = {
        table: (timeline.before_duplicates[table], timeline.after_duplicates[table])
        for table in timeline.before_duplicates
        if timeline.before_duplicates[table] != timeline.after_duplicates[table]
    }
    assert changed == {}


def test_incremental_runs_equal_a_full_refresh_row_by_row(timeline):
    with duckdb.connect() as con:
        con.execute(f"attach '{timeline.incremental_copy}' as incremental (read_only)")
        con.execute(f"attach '{timeline.refreshed_copy}' as refreshed (read_only)")
        for table in TABLES:
            incremental, refreshed = f"incremental.{table}", f"refreshed.{table}"
            sizes = con.execute(f"select (select count(*) from {incremental}), (select count(*) from {refreshed})")
            rows_incremental, rows_refreshed = sizes.fetchone()
            assert rows_incremental == rows_refreshed > 0, table
            for left, right in ((incremental, refreshed), (refreshed, incremental)):
                extra = con.execute(f"select * from {left} except all select * from {right} limit 3").fetchall()
                assert extra == [], f"{table}: rows in {left.split('.')[0]} only: {extra}"


def test_an_event_a_week_late_is_staged_by_the_next_incremental_run(timeline):
    settings, event = timeline.settings, timeline.too_late
    assert NEW_END - event.timestamp > timedelta(days=3, hours=1)  # older than the old 3-day lookback
    deliver(settings, [event], NEW_END)
    load_lake(settings)

    assert build_models(settings) == ()  # the audit passes
    assert event.event_id in staged_ids(settings)
    assert missing_events(settings.warehouse_path) == []


def _with_timestamp(event: Event, moment: datetime) -> str:
    body = json.loads(event.to_json())
    body["event_timestamp"] = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps(body)


def test_a_wrong_clock_freezes_nothing_and_an_event_ahead_of_its_load_is_set_aside(timeline, capsys):
    """Issue: one event dated months ahead once moved the watermark, and every later event was skipped."""
    settings = timeline.settings
    catalog = build_catalog(settings.seed)
    next_hour = list(iter_events(settings.seed, NEW_END + timedelta(hours=1), NEW_END + timedelta(hours=2), catalog))
    months_ahead, ahead_of_load, *normal = next_hour
    with LocalLakeSink(settings.lake_dir, buffer_seconds=settings.lake_buffer_seconds) as lake:
        # Months ahead of the rest (still before today): an honest backfill date as far as the load can tell.
        lake.put_line(_with_timestamp(months_ahead, NEW_END + timedelta(days=120)), NEW_END + timedelta(hours=1))
        # Ahead of the moment it is loaded: no clock is right that says so.
        lake.put_line(_with_timestamp(ahead_of_load, datetime.now(UTC) + timedelta(days=90)), NEW_END)
    load_lake(settings)
    assert build_models(settings) == ()
    # Then a normal hour arrives: every event of it is staged (the old watermark skipped them all).
    deliver(settings, normal, NEW_END + timedelta(hours=2))
    load_lake(settings)

    assert build_models(settings) == ()
    staged = staged_ids(settings)
    assert {event.event_id for event in normal} <= staged
    assert months_ahead.event_id in staged and ahead_of_load.event_id not in staged
    assert query(
        settings,
        "select event_id, reason from staging.stg_quarantined_events where event_id = ?",
        [ahead_of_load.event_id],
    ) == [(ahead_of_load.event_id, "event_timestamp is more than 24 hours after its load")]
    assert "1 event(s) set aside at staging (1 event_timestamp is more than 24 hours after its load)" in (
        capsys.readouterr().err
    )


def test_the_audit_fails_when_a_loaded_event_is_missing_from_staging(timeline, capsys):
    settings = timeline.settings
    lost = sorted(staged_ids(settings))[0]
    with duckdb.connect(str(settings.warehouse_path)) as con:  # a bug that drops a staged row
        con.execute("delete from staging.stg_events where event_id = ?", [lost])

    failures = build_models(settings)

    assert failures == ("dbt test assert_no_raw_event_missing_from_staging: 1 failing row(s)",)
    assert [missing.event_id for missing in missing_events(settings.warehouse_path)] == [lost]
    assert "Error: 1 loaded event(s) neither in stg_events nor quarantined" in capsys.readouterr().err
