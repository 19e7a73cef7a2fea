"""The warehouse load (dbt run-operation copy_into_raw_events) on DuckDB: COPY INTO semantics."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import duckdb
import pytest

from {{ cookiecutter.package_name }}.ingest.backfill import generate_to_lake
from {{ cookiecutter.package_name }}.warehouse.load import load_lake

START = datetime(2025, 10, 1, tzinfo=UTC)
END = datetime(2025, 10, 2, tzinfo=UTC)


def counts(settings):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {
            table: con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            for table in ("raw_events", "raw_events_rejects", "load_history")
        }


@pytest.fixture
def lake(settings):
    generated = generate_to_lake(settings, START, END)
    assert generated.events > 0
    return generated


def test_loading_twice_loads_each_file_once(settings, lake):
    load_lake(settings)
    first = counts(settings)
    assert first == {"raw_events": lake.events, "raw_events_rejects": 0, "load_history": lake.files}
    load_lake(settings)
    assert counts(settings) == first


def test_each_row_keeps_its_file_line_and_load_time(settings, lake):
    load_lake(settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select source_file, file_row_number, event->>'$.event_id', loaded_at from raw.raw_events"
        ).fetchall()
    some_file = rows[0][0]
    with gzip.open(settings.lake_dir / some_file, "rt") as handle:
        lines = handle.read().splitlines()
    numbered = sorted((row[1], row[2]) for row in rows if row[0] == some_file)
    assert numbered == [(n, json.loads(line)["event_id"]) for n, line in enumerate(lines, start=1)]
    assert some_file.startswith("raw-events/2025/10/01/")
    assert all(row[3] is not None for row in rows)


def test_a_new_file_is_loaded_after_earlier_ones(settings, lake):
    load_lake(settings)
    generate_to_lake(settings, END, datetime(2025, 10, 2, 6, tzinfo=UTC))
    load_lake(settings)
    after = counts(settings)
    assert after["load_history"] > lake.files
    assert after["raw_events"] > lake.events


def test_a_malformed_line_is_quarantined_and_the_rest_of_its_file_loads(settings, lake):
    folder = settings.lake_dir / "raw-events/2025/10/02/00"
    folder.mkdir(parents=True, exist_ok=True)
    required = {"event_timestamp": "2025-10-02T00:00:00.000Z", "session_id": "s1", "customer": {"customer_id": "c1"}}
    good = [json.dumps({"event_id": f"e{n}", "event_type": "product_viewed", **required}) for n in range(3)]
    broken_line = '{"event_id": "e-broken", "event_type": '
    lines = [good[0], broken_line, good[1], "[1, 2]", good[2]]
    path = folder / "raw-events-delivery-1-2025-10-02-00-00-00-corrupt.json.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))

    load_lake(settings)

    relative = "raw-events/2025/10/02/00/" + path.name
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rejects = con.execute(
            "select source_file, file_row_number, rejected_record, error from raw.raw_events_rejects "
            "order by file_row_number"
        ).fetchall()
        loaded = con.execute(
            "select file_row_number, event->>'$.event_id' from raw.raw_events where source_file = ? "
            "order by file_row_number",
            [relative],
        ).fetchall()
        total = con.execute("select count(*) from raw.raw_events").fetchone()[0]
    assert rejects == [
        (relative, 2, broken_line, "malformed JSON"),
        (relative, 4, "[1, 2]", "not a JSON object"),
    ]
    assert loaded == [(1, "e0"), (3, "e1"), (5, "e2")]
    assert total == lake.events + 3

    load_lake(settings)  # the file with rejects counts as loaded: nothing twice
    assert counts(settings)["raw_events_rejects"] == 2
    assert counts(settings)["raw_events"] == lake.events + 3
