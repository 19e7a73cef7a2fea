"""The bench: its figures, and the JSON file it leaves for later comparison."""

from __future__ import annotations

import json

import pytest

from {{ cookiecutter.package_name }}.bench.generator import run_bench
from {{ cookiecutter.package_name }}.bench.measure import parse_count
from {{ cookiecutter.package_name }}.bench.warehouse import run_warehouse_bench
from {{ cookiecutter.package_name }}.errors import PipelineError

from conftest import make_settings

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


def test_the_warehouse_scale_bench_loads_builds_and_rebuilds_one_new_hour(tmp_path):
    """The `make bench EVENTS=10M` path, on a few thousand events: the figures, not their size."""
    rows = run_warehouse_bench(make_settings(tmp_path), 6_000, days=1, workers=2, output_dir=tmp_path / "bench")
    labels = dict(rows)
    assert "events/s" in labels["load (dbt run-operation)"]
    assert "%" in labels["ratio incremental / full"]
    assert "lines/s" in labels["DuckDB alone reading the lake"]
    assert "of the full build" in labels["dbt with nothing to do"]
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
        assert split["model_count"] >= 10 and split["test_count"] >= 100, build
    assert "tests" in labels["incremental, where the time went"]
    # The floors: DuckDB counts every line the lake holds; dbt with nothing to do costs time.
    assert figures["duckdb_read_lines"] == figures["lake_events"]
    assert figures["dbt_nothing_to_do_seconds"] > 0
    # The profile's DuckDB memory limit, as dbt's connection reports it (e.g. "3.7 GiB").
    assert figures["duckdb_memory_limit"].split()[1] in ("MiB", "GiB")
    assert isinstance(figures["memory_target_met"], bool)


def test_event_counts_read_like_the_makefile_writes_them():
    assert [parse_count(text) for text in ("10M", "2.5m", "500k", "20000")] == [10_000_000, 2_500_000, 500_000, 20_000]
    with pytest.raises(PipelineError, match="EVENTS must be a count"):
        parse_count("ten million")
