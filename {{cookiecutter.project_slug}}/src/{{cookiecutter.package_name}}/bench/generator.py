"""Benchmark of a window of days, step by step:

    make bench                  # one week of events
    make bench DAYS=30

Figures, not pass/fail: compare them before and after a change. The generator
and lake figures are the best of `repeat` runs (other work on the machine only
ever slows a run down). They are printed and also written, with stable keys,
to data/bench/<UTC time>-<days>d.json, so runs can be compared later:

- generate: events from iter_events (each already carries its JSON line);
- generate + JSON: the same, reading every line;
- generate + lake: into gzipped lake files, in one process, and with `workers`
  processes, whose files are checked to be byte-identical to the serial run's;
- peak memory: the largest Python heap while generating 1 day, and the whole
  window, into the lake: about equal, because events stream;
- the warehouse steps (dbt load, build, incremental re-run), unless skipped.

"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import resource
{%- if cookiecutter.include_airflow %}
import subprocess
import sys
{%- endif %}
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

{% if cookiecutter.include_airflow -%}
from ..errors import PipelineError
{% endif -%}
from ..ingest.backfill import DEMO_START, generate_to_lake
from ..ingest.catalog import build_catalog
from ..ingest.generator import iter_events
from ..ingest.lake import GZIP_LEVEL
from ..settings import Settings
from ..warehouse.dbt_runner import build_models
from ..warehouse.load import load_lake
from .measure import (
    BENCH_DIR,
    BENCH_FORMAT,
    Timing,
    best_of,
    default_workers,
    peak_heap_mib,
    peak_rss_mib,
    same_files,
    timed,
)


def run_bench(
    settings: Settings,
    days: int,
    *,
    workers: int | None = None,
    warehouse: bool = True,
    repeat: int = 5,
    scratch_dir: Path | None = None,
    output_dir: Path | None = None,
) -> list[tuple[str, str]]:
    """Run each step on `days` of events in a temporary folder; return (figure, value) rows.

    The figures are also written as JSON under `output_dir` (default: data/bench/
    in the project). `warehouse=False` skips the dbt load and build (~30 s).
    """
    workers = workers or default_workers()
    start, end = DEMO_START, DEMO_START + timedelta(days=days)
    seed = settings.seed
    build_catalog(seed)  # once, outside the timings
    with tempfile.TemporaryDirectory(prefix="bench-", dir=scratch_dir) as scratch:
        scratch_path = Path(scratch)

        def in_lake(name: str) -> Settings:
            return dataclasses.replace(
                settings, lake_dir=scratch_path / name, warehouse_path=scratch_path / "warehouse.duckdb"
            )

        generate = best_of(lambda _: sum(1 for _ in iter_events(seed, start, end)), repeat)
        serialise = best_of(lambda _: sum(len(e.to_json()) for e in iter_events(seed, start, end)), repeat)
        # A fresh lake for each run: files are created, as in a real backfill, not overwritten.
        serial = best_of(lambda n: generate_to_lake(in_lake(f"serial-{n}"), start, end), repeat)
        parallel = best_of(lambda n: generate_to_lake(in_lake(f"parallel-{n}"), start, end, workers=workers), repeat)
        identical = same_files(scratch_path / "serial-0", scratch_path / "parallel-0")
        heap_day = peak_heap_mib(lambda: generate_to_lake(in_lake("memory-1"), start, start + timedelta(days=1)))
        heap_window = peak_heap_mib(lambda: generate_to_lake(in_lake("memory-n"), start, end))
        load = build = rebuild = None
        if warehouse:
            lake = in_lake("serial-0")
            load = timed(lambda: load_lake(lake))
            build = timed(lambda: build_models(lake))
            rebuild = timed(lambda: build_models(lake))

    events = generate.result
    lake_result = serial.result
    figures = {
        "bench_format": BENCH_FORMAT,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": seed,
        "days": days,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "events": events,
        "repeat": repeat,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "gzip_level": GZIP_LEVEL,
        "lake_buffer_seconds": settings.lake_buffer_seconds,
        "lake_buffer_mib": settings.lake_buffer_mib,
        "generate_seconds": generate.seconds,
        "generate_events_per_second": events / generate.seconds,
        "json_seconds": serialise.seconds,
        "json_events_per_second": events / serialise.seconds,
        "lake_serial_seconds": serial.seconds,
        "lake_serial_events_per_second": events / serial.seconds,
        "lake_serial_user_cpu_seconds": serial.user_seconds,
        "lake_serial_system_cpu_seconds": serial.system_seconds,
        "lake_files": lake_result.files,
        "lake_parallel_workers": workers,
        "lake_parallel_seconds": parallel.seconds,
        "lake_parallel_events_per_second": events / parallel.seconds,
        "lake_parallel_speedup": serial.seconds / parallel.seconds,
        "lake_parallel_identical_files": identical,
        "peak_heap_mib_1_day": heap_day,
        "peak_heap_mib_window": heap_window,
        "warehouse": warehouse,
        "load_seconds": load.seconds if load else None,
        "load_rows_per_second": events / load.seconds if load else None,
        "dbt_build_seconds": build.seconds if build else None,
        "dbt_rebuild_seconds": rebuild.seconds if rebuild else None,
        "peak_rss_mib_process": peak_rss_mib(resource.RUSAGE_SELF),
        "peak_rss_mib_children": peak_rss_mib(resource.RUSAGE_CHILDREN),
    }
{%- if cookiecutter.include_airflow %}
    if warehouse:
        # The Airflow DAG folder's parse time, in a fresh interpreter: airflow/parse_time.py prints it as JSON.
        script = settings.project_dir / "airflow" / "parse_time.py"
        parsed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        if parsed.returncode != 0:
            raise PipelineError(f"{script} failed: {parsed.stderr.strip()[-300:]}")
        figures |= json.loads(parsed.stdout.strip().splitlines()[-1])
{%- endif %}
    output = Path(output_dir) if output_dir else settings.project_dir / BENCH_DIR
    output.mkdir(parents=True, exist_ok=True)
    path = output / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{days}d.json"
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")

    def rate(timing: Timing, unit: str = "events/s") -> str:
        return f"{timing.seconds:.3f} s  ({events / timing.seconds:,.0f} {unit})"

    rows = [
        ("window", f"{days} days from {start:%Y-%m-%d} (seed {seed}), best of {repeat}"),
        ("events", f"{events:,}"),
        ("generate", rate(generate)),
        ("generate + JSON", rate(serialise)),
        (
            "generate + lake",
            f"{rate(serial)}, CPU {serial.user_seconds:.2f} s user + {serial.system_seconds:.2f} s system",
        ),
        (f"generate + lake, {workers} workers", f"{rate(parallel)}, {serial.seconds / parallel.seconds:.2f}x"),
        ("parallel files identical to serial", "yes" if identical else "NO"),
        ("lake files", f"{lake_result.files:,} (gzip level {GZIP_LEVEL})"),
        ("ratio lake / generate", f"{serial.seconds / generate.seconds:.2f}x"),
        ("peak memory, generating 1 day", f"{heap_day:.1f} MiB Python heap"),
        (f"peak memory, generating {days} days", f"{heap_window:.1f} MiB Python heap"),
    ]
    if load and build and rebuild:
        rows += [
            ("load (dbt run-operation)", rate(load, "rows/s")),
            ("dbt build, first run", f"{build.seconds:.2f} s"),
            ("dbt build, incremental re-run", f"{rebuild.seconds:.2f} s"),
            ("ratio re-run / first build", f"{rebuild.seconds / build.seconds:.2f}x"),
        ]
{%- if cookiecutter.include_airflow %}
    if "dag_folder_parse_seconds" in figures:
        rows.append(
            (
                "Airflow DAG folder parse",
                f"{figures['dag_folder_parse_seconds']:.2f} s (target < 2 s) "
                f"beyond Airflow's own import, {figures['airflow_import_seconds']:.1f} s",
            )
        )
{%- endif %}
    rows += [
        ("peak memory, this process", f"{figures['peak_rss_mib_process']:.0f} MiB"),
        ("peak memory, largest child (dbt, workers)", f"{figures['peak_rss_mib_children']:.0f} MiB"),
        ("figures written to", str(path)),
    ]
    return rows
