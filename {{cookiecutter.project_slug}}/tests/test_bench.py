"""The bench: its figures, and the JSON file it leaves for later comparison."""

from __future__ import annotations

import json

from {{ cookiecutter.package_name }}.bench import run_bench

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
