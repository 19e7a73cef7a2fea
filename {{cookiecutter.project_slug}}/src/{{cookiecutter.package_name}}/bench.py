"""Benchmarks of the local pipeline: throughput, wall time and peak memory of each step.

    make bench                  # one week of events
    make bench DAYS=30

Figures, not pass/fail: compare them before and after a change.
"""

from __future__ import annotations

import dataclasses
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from .catalog import build_catalog
from .generator import iter_events
from .pipeline import DEMO_START, generate_to_lake
from .settings import Settings
from .warehouse import build_models, load_lake


@dataclasses.dataclass(frozen=True)
class Timing:
    seconds: float
    result: object


def _timed(step: Callable[[], object]) -> Timing:
    started = time.perf_counter()
    result = step()
    return Timing(time.perf_counter() - started, result)


def _peak_mib(who: int) -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(who).ru_maxrss / 1024


def run_bench(settings: Settings, days: int) -> list[tuple[str, str]]:
    """Run each step on `days` of events in a temporary folder; return (figure, value) rows."""
    start, end = DEMO_START, DEMO_START + timedelta(days=days)
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        bench = dataclasses.replace(
            settings, lake_dir=Path(scratch) / "lake", warehouse_path=Path(scratch) / "warehouse.duckdb"
        )
        catalog = build_catalog(settings.seed)
        generate = _timed(lambda: sum(1 for _ in iter_events(settings.seed, start, end, catalog)))
        serialise = _timed(lambda: sum(len(e.to_json()) for e in iter_events(settings.seed, start, end, catalog)))
        deliver = _timed(lambda: generate_to_lake(bench, start, end))
        load = _timed(lambda: load_lake(bench))
        build = _timed(lambda: build_models(bench))
        rebuild = _timed(lambda: build_models(bench))
    events = generate.result
    lake = deliver.result
    return [
        ("window", f"{days} days from {start:%Y-%m-%d} (seed {settings.seed})"),
        ("events", f"{events:,}"),
        ("generate", f"{generate.seconds:.2f} s  ({events / generate.seconds:,.0f} events/s)"),
        ("generate + JSON", f"{serialise.seconds:.2f} s  ({events / serialise.seconds:,.0f} events/s)"),
        ("generate + lake", f"{deliver.seconds:.2f} s  ({events / deliver.seconds:,.0f} events/s)"),
        ("lake files", f"{lake.files:,}"),
        ("load (dbt run-operation)", f"{load.seconds:.2f} s  ({events / load.seconds:,.0f} rows/s)"),
        ("dbt build, first run", f"{build.seconds:.2f} s"),
        ("dbt build, incremental re-run", f"{rebuild.seconds:.2f} s"),
        ("ratio lake / generate", f"{deliver.seconds / generate.seconds:.2f}x"),
        ("ratio re-run / first build", f"{rebuild.seconds / build.seconds:.2f}x"),
        ("peak memory, this process", f"{_peak_mib(resource.RUSAGE_SELF):.0f} MiB"),
        ("peak memory, largest dbt process", f"{_peak_mib(resource.RUSAGE_CHILDREN):.0f} MiB"),
    ]
