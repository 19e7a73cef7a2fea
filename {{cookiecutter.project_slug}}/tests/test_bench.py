"""The bench: its figures, and the JSON file it leaves for later comparison."""

from __future__ import annotations

import json
from datetime import timedelta

import jsonschema
import pytest

from {{ cookiecutter.package_name }}.bench.generator import run_bench
from {{ cookiecutter.package_name }}.bench.measure import BENCH_FORMAT, parse_count
from {{ cookiecutter.package_name }}.bench.warehouse import run_warehouse_bench, shop_catalog, smaller_run
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.ingest.backfill import DEMO_START
from {{ cookiecutter.package_name }}.ingest.catalog import build_catalog
from {{ cookiecutter.package_name }}.ingest.generator import iter_event_lines

from conftest import event_schema, make_settings

NUMBERS = (
    "events",
    "generate_events_per_second",
    "json_events_per_second",
    "lake_serial_events_per_second",
    "lake_parallel_events_per_second",
    "lake_parallel_speedup",
    "lake_files",
    "peak_heap_mib_1_day",
    "peak_heap_mib_window",
)


def test_bench_without_the_warehouse_writes_stable_numeric_json(tmp_path):
    rows = run_bench(make_settings(tmp_path), 2, warehouse=False, repeat=1, workers=2, output_dir=tmp_path / "bench")
    labels = dict(rows)
    assert "events/s" in labels["generate + lake"]
    assert labels["parallel files identical to serial"] == "yes"
    assert "dbt build, first run" not in labels
    (path,) = (tmp_path / "bench").glob("*-2d.json")
    figures = json.loads(path.read_text())
    assert figures["days"] == 2 and figures["warehouse"] is False
    assert figures["lake_parallel_identical_files"] is True
    for key in NUMBERS:
        assert isinstance(figures[key], int | float) and figures[key] > 0, key
    assert figures["dbt_build_seconds"] is None
    # Streaming: a window twice as long needs about the same memory.
    assert figures["peak_heap_mib_window"] < 2 * figures["peak_heap_mib_1_day"] + 1


@pytest.mark.full
def test_the_warehouse_scale_bench_loads_builds_and_rebuilds_one_new_hour(tmp_path):
    """The `make bench EVENTS=10M` path, on a few thousand events: the figures, not their size."""
    rows = run_warehouse_bench(make_settings(tmp_path), 6_000, days=1, workers=2, output_dir=tmp_path / "bench")
    labels = dict(rows)
    assert "events/s" in labels["load (dbt run-operation)"]
    assert "events/s" in labels["load's bare floor"] and "the load runs at" in labels["load's bare floor"]
    assert "x  (target <= 2x" in labels["ratio hour / nothing to do"]
    assert "make bench EVENTS=1M first" in labels["ratio hour / hour of a smaller lake"]  # the first run in its folder
    (path,) = (tmp_path / "bench").glob("*-warehouse-*.json")
    figures = json.loads(path.read_text())
    assert figures["kind"] == "warehouse" and figures["shops"] == 3  # about 2,000 events a shop a day
    assert 0.8 * 6_000 < figures["lake_events"] < 1.2 * 6_000
    assert figures["new_hour_events"] > 0 and figures["new_hour_files"] > 0
    for key in ("load_events_per_second", "dbt_build_seconds", "dbt_incremental_seconds", "peak_rss_mib_children"):
        assert isinstance(figures[key], float) and figures[key] > 0, key
    # Each build's wall time, split into dbt's start and exit, models, tests and the gaps between.
    for build in ("build", "incremental"):
        split = figures[f"dbt_{build}_split_seconds"]
        parts = split["start_and_exit"] + split["models"] + split["tests"] + split["between_nodes"]
        assert parts == pytest.approx(figures[f"dbt_{build}_seconds"]), build
        assert split["start_and_exit"] > 0 and split["models"] > 0 and split["tests"] > 0, build
        # Every model and data test of the project ran (18 models and a snapshot, 99 tests).
        assert split["model_count"] >= 10 and split["test_count"] >= 90, build
    assert "tests" in labels["the hour, where the time went"]
    # The floors: the bare load inserts every line the lake holds; dbt with nothing to do costs time.
    assert figures["bare_load_rows"] == figures["lake_events"]
    assert figures["dbt_nothing_to_do_seconds"] > 0
    assert figures["hour_over_nothing_to_do"] == pytest.approx(
        figures["dbt_incremental_seconds"] / figures["dbt_nothing_to_do_seconds"]
    )
    assert figures["hour_over_smaller_run_hour"] is None and figures["hour_growth_target_met"] is None
    # The profile's DuckDB memory limit, as dbt's connection reports it (e.g. "3.7 GiB").
    assert figures["duckdb_memory_limit"].split()[1] in ("MiB", "GiB")
    assert isinstance(figures["memory_target_met"], bool)


def test_the_hour_is_compared_with_the_latest_run_on_a_lake_at_least_5_times_smaller(tmp_path):
    def bench_file(name: str, events: int, created_at: str, hour: float) -> None:
        figures = {"bench_format": BENCH_FORMAT, "kind": "warehouse", "lake_events": events}
        figures |= {"created_at": created_at, "dbt_incremental_seconds": hour}
        (tmp_path / f"{name}-warehouse-{events}.json").write_text(json.dumps(figures))

    bench_file("a", 1_000_000, "2026-01-01T00:00:00Z", 5.0)
    bench_file("b", 1_000_000, "2026-01-02T00:00:00Z", 6.0)  # the latest smaller one
    bench_file("c", 3_000_000, "2026-01-03T00:00:00Z", 7.0)  # not 5 times smaller than 10M
    assert smaller_run(tmp_path, 10_000_000)["dbt_incremental_seconds"] == 6.0
    assert smaller_run(tmp_path, 4_000_000) is None


def test_event_counts_read_like_the_makefile_writes_them():
    assert [parse_count(text) for text in ("10M", "2.5m", "500k", "20000")] == [10_000_000, 2_500_000, 500_000, 20_000]
    with pytest.raises(PipelineError, match="EVENTS must be a count"):
        parse_count("ten million")


def test_each_shop_of_the_bench_lake_has_customers_of_its_own():
    """Shops 1 and 51 of a lake from seed 42: the first keeps its catalog's ids; the 51st's are
    numbered after 50 shops' customers (six digits) and still match the event contract."""
    first, fifty_first = shop_catalog(42, 42), shop_catalog(92, 42)
    assert first.customers == build_catalog(42).customers
    ids = {customer.customer_id for customer in first.customers}
    assert ids.isdisjoint(customer.customer_id for customer in fifty_first.customers)
    assert fifty_first.customers[0].customer_id == "C100001"

    validator = jsonschema.Draft202012Validator(event_schema())
    batches = iter_event_lines(92, DEMO_START, DEMO_START + timedelta(hours=6), fifty_first)
    events = [json.loads(line) for batch in batches for _, _, line in batch]
    assert events and all(event["customer"]["customer_id"].startswith("C1") for event in events)
    assert [error.message for event in events for error in validator.iter_errors(event)] == []
