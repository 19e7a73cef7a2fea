"""The warehouse at scale:

    make bench EVENTS=10M       # the warehouse at scale (run_warehouse_bench)
    make bench EVENTS=10M LAKE_CACHE=data/bench/lakes   # keep the generated lake, reuse it next time

The warehouse-scale run puts about EVENTS events in a lake and measures what a
warehouse meets every hour: the load (events/s), a full `dbt build`, then one
new hour of events loaded and built incrementally (the hourly run: its tests read
the rows it touched), with the peak memory of dbt under the DuckDB memory limit
of the profile. One shop makes about 2,000 events
a day, so the lake holds the traffic of many shops (seeds seed, seed + 1, ...)
delivered through a few Firehose streams: the files are as large and as many
as one busy shop's would be. Generating 10M events takes minutes: with LAKE_CACHE the
lake is kept there and the next run of the same size reuses it (the warehouse is new
each time). Wall times depend on what else the machine runs, so the CPU times of each
step and the load average are printed too.

Two floors put the figures in proportion: the load's bare floor (the simplest
INSERT ... SELECT of every lake line as JSON, with no file name, line number or
rejects: what the load costs before its lineage), and one dbt command with nothing to
do (dbt's own start and exit, which every hourly run pays). The hourly run's target is
the hour within 2x that floor, and an hour at 10M events within 1.5x of an hour at 1M
(the previous, smaller run in data/bench/ is the comparison): its cost should follow the
new data, not the history. dbt parses the project once before the timings, as a
deployed pipeline has it parsed already.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ..errors import PipelineError
from ..ingest.backfill import DEMO_START
from ..ingest.catalog import Catalog, build_catalog
from ..ingest.generator import HOUR_MS, iter_event_lines
from ..ingest.lake import DELIVERY_STREAM, LocalLakeSink, list_lake_files
from ..processes import map_in_processes
from ..settings import Settings
from ..warehouse.dbt_runner import build_models, run_dbt, run_results_path
from ..warehouse.load import load_lake
from ..warehouse.publish import publish
from .measure import (
    BENCH_DIR,
    BENCH_FORMAT,
    default_workers,
    peak_rss_mib,
    timed,
)

# The warehouse-scale run: its window, and the targets its figures are compared with.
SCALE_DAYS = 30
TARGET_HOUR_OVER_FLOOR = 2.0  # the hourly run, over one dbt command with nothing to do
TARGET_HOUR_GROWTH = 1.5  # the hourly run, over the hourly run of a lake at least 5 times smaller
TARGET_PEAK_MIB = 4 * 1024


def shop_catalog(seed: int, first_seed: int) -> Catalog:
    """The catalog of the shop of `seed`, its customers numbered after those of the shops of
    `first_seed` ... `seed - 1`: every seed numbers its customers from C00001, and in one
    warehouse the shops must not share them (one customer_id with 167 countries and sign-up
    dates, and 167 shops' orders, is no customer a real warehouse holds)."""
    catalog = build_catalog(seed)
    offset = (seed - first_seed) * len(catalog.customers)
    customers = tuple(
        dataclasses.replace(customer, customer_id=f"C{offset + number:05d}")
        for number, customer in enumerate(catalog.customers, start=1)
    )
    return Catalog(catalog.products, customers, catalog.customer_cum_weights)


def _merged_hours(
    seeds: Sequence[int], first_seed: int, start: datetime, end: datetime
) -> Iterator[list[tuple[int, str, str]]]:
    """The events of several shops, one sorted list per clock hour, as one stream would receive them."""
    streams = [iter_event_lines(seed, start, end, shop_catalog(seed, first_seed)) for seed in seeds]
    hours = heapq.merge(*streams, key=lambda batch: batch[0][0] // HOUR_MS)
    for _, batches in itertools.groupby(hours, key=lambda batch: batch[0][0] // HOUR_MS):
        merged = [record for batch in batches for record in batch]
        merged.sort()
        yield merged


def _deliver_shops(job: tuple[Settings, tuple[int, ...], datetime, datetime, str]) -> tuple[int, int]:
    """Deliver the shops' events of [start, end) through one stream; returns (events, files)."""
    settings, seeds, start, end, stream_name = job
    sink = LocalLakeSink(
        settings.lake_dir,
        buffer_bytes=settings.lake_buffer_mib * 1024 * 1024,
        buffer_seconds=settings.lake_buffer_seconds,
        stream_name=stream_name,
        keep_paths=False,
    )
    with sink:
        for records in _merged_hours(seeds, settings.seed, start, end):
            sink.put_records(records)
    return sink.records_written, sink.file_count


def deliver_shops(settings: Settings, shops: int, start: datetime, end: datetime, streams: int = 1) -> tuple[int, int]:
    """The events of `shops` shops (seeds settings.seed, + 1, ...) into the lake, through `streams`
    delivery streams written in parallel processes; returns (events, files)."""
    seeds = range(settings.seed, settings.seed + shops)
    streams = max(1, min(streams, shops))
    jobs = [
        (settings, tuple(seeds[number::streams]), start, end, f"{DELIVERY_STREAM}-{number + 1}")
        for number in range(streams)
    ]
    results = list(map_in_processes(_deliver_shops, jobs, streams))
    return sum(events for events, _ in results), sum(files for _, files in results)


def dbt_memory_limit(settings: Settings) -> str:
    """The DuckDB memory limit dbt's connection runs with: the profile's `memory_limit` setting,
    or DuckDB's default (80% of the RAM) when the profile sets none."""
    dbt = Path(sys.executable).with_name("dbt")
    query = "select current_setting('memory_limit') as memory_limit"
    env = {**os.environ, "WAREHOUSE_PATH": str(settings.warehouse_path), "DBT_TARGET": settings.dbt_target}
    result = subprocess.run(
        [str(dbt), "show", "--inline", query, "--output", "json", "--quiet"]
        + ["--project-dir", str(settings.dbt_dir), "--profiles-dir", str(settings.dbt_dir)],
        env=env,
        cwd=settings.dbt_dir,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise PipelineError(f"dbt show could not read the memory limit: {(result.stdout + result.stderr)[-300:]}")
    return json.loads(result.stdout)["show"][0]["memory_limit"]


def _mib(duckdb_size: str) -> float:
    """DuckDB's '3.7 GiB' / '4.0 GB' / '512.0 MiB' as MiB."""
    number, unit = duckdb_size.split()
    factor = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "TiB": 1024**2, "KB": 1e3 / 2**20, "MB": 1e6 / 2**20}
    factor |= {"GB": 1e9 / 2**20, "TB": 1e12 / 2**20}
    return float(number) * factor[unit]


@dataclasses.dataclass(frozen=True)
class BenchLake:
    """A generated lake for the warehouse bench: its events up to `end`, and one more hour."""

    window: Path  # the lake of the window [start, end)
    new_hour: Path  # the lake of [end, end + 1 hour), added after the full build
    events: int
    files: int
    hour_events: int
    hour_files: int
    seconds: float  # to generate both
    reused: bool


def _generate_bench_lake(
    settings: Settings, folder: Path, shops: int, start: datetime, end: datetime, workers: int
) -> BenchLake:
    started = time.perf_counter()
    window, new_hour = folder / "lake", folder / "new-hour"
    events, files = deliver_shops(dataclasses.replace(settings, lake_dir=window), shops, start, end, streams=workers)
    hour = end + timedelta(hours=1)
    hour_events, hour_files = deliver_shops(
        dataclasses.replace(settings, lake_dir=new_hour), shops, end, hour, streams=workers
    )
    return BenchLake(window, new_hour, events, files, hour_events, hour_files, time.perf_counter() - started, False)


def bench_lake(
    settings: Settings, folder: Path, shops: int, start: datetime, end: datetime, workers: int, *, reuse: bool
) -> BenchLake:
    """The bench's lake in `folder`, generated there; with `reuse`, the one a previous run left
    there for the same shops and window (generating 10M events takes minutes, and a lake is
    a pure function of its seeds and window, so a kept one is the same lake)."""
    manifest = folder / "bench-lake.json"
    # "customers": each shop has its own (shop_catalog); a kept lake whose shops shared theirs is made again.
    key = {
        "seed": settings.seed,
        "shops": shops,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "customers": "each shop its own",
    }
    if reuse and manifest.is_file():
        kept = json.loads(manifest.read_text(encoding="utf-8"))
        if kept.pop("key") == key:
            return BenchLake(folder / "lake", folder / "new-hour", **kept, reused=True)
    shutil.rmtree(folder, ignore_errors=True)
    lake = _generate_bench_lake(settings, folder, shops, start, end, workers)
    counts = {name: getattr(lake, name) for name in ("events", "files", "hour_events", "hour_files", "seconds")}
    # Written last: a lake whose generation was interrupted is generated again.
    manifest.write_text(json.dumps({"key": key, **counts}, indent=2) + "\n", encoding="utf-8")
    return lake


def _link_tree(source: Path, target: Path) -> None:
    """Put a lake's files into another lake: hard links, copies across file systems."""

    def link(source_file: str, target_file: str) -> None:
        try:
            os.link(source_file, target_file)
        except OSError:
            shutil.copy2(source_file, target_file)

    shutil.copytree(source, target, copy_function=link, dirs_exist_ok=True)


def bare_load(lake_dir: Path, database: Path) -> int:
    """The simplest load there is, with all of DuckDB's threads: one INSERT ... SELECT of every lake
    line as JSON into a table of a new database file; no file name, line number, rejects or dbt.
    What the real load costs before its lineage (its floor); returns the rows inserted."""
    files = [str(path) for path in list_lake_files(lake_dir)]
    try:
        with duckdb.connect(str(database)) as con:
            con.execute("create table raw_events (event json)")
            # The load's own reader: one VARCHAR column per line.
            con.execute(
                "insert into raw_events select try_cast(line as json) from read_csv(?, columns = {'line': 'VARCHAR'}, "
                "delim = '\x1f', quote = '', escape = '', header = false, auto_detect = false)",
                [files],
            )
            return con.execute("select count(*) from raw_events").fetchone()[0]
    finally:
        database.unlink(missing_ok=True)


def smaller_run(output: Path, events: int) -> dict | None:
    """The latest warehouse bench in `output` on a lake at least 5 times smaller than `events`, if any."""
    runs = []
    for path in output.glob("*-warehouse-*.json"):
        figures = json.loads(path.read_text(encoding="utf-8"))
        if figures.get("bench_format") == BENCH_FORMAT and figures["lake_events"] * 5 <= events:
            runs.append({**figures, "path": str(path)})
    return max(runs, key=lambda figures: figures["created_at"], default=None)


@dataclasses.dataclass(frozen=True)
class BuildTime:
    """Where a `dbt build`'s wall time went, from its run_results.json."""

    # Outside dbt's run of the nodes: dbt starting (imports, the parsed project) and exiting,
    # and the check for raw events the run skipped (a fraction of a second).
    start_and_exit: float
    models: float  # models and snapshots, each from its start to its end
    tests: float  # data and unit tests, likewise
    between_nodes: float  # dbt's own work between one node and the next
    model_count: int
    test_count: int

    def describe(self) -> str:
        return (
            f"{self.start_and_exit:.1f} s dbt start and exit, {self.models:.1f} s in {self.model_count} models, "
            f"{self.tests:.1f} s in {self.test_count} tests, {self.between_nodes:.1f} s between nodes"
        )


def build_time(wall_seconds: float, run_results: Path) -> BuildTime:
    """Split a build's wall time with the run_results.json it just wrote."""
    results = json.loads(run_results.read_text(encoding="utf-8"))
    tests, models = [], []
    for node in results["results"]:
        is_test = node["unique_id"].split(".")[0] in ("test", "unit_test")
        (tests if is_test else models).append(node)
    model_seconds = sum(node["execution_time"] for node in models)
    test_seconds = sum(node["execution_time"] for node in tests)
    return BuildTime(
        start_and_exit=wall_seconds - results["elapsed_time"],
        models=model_seconds,
        tests=test_seconds,
        between_nodes=results["elapsed_time"] - model_seconds - test_seconds,
        model_count=len(models),
        test_count=len(tests),
    )


def run_warehouse_bench(
    settings: Settings,
    events: int,
    *,
    days: int = SCALE_DAYS,
    workers: int | None = None,
    scratch_dir: Path | None = None,
    output_dir: Path | None = None,
    lake_cache: Path | None = None,
) -> list[tuple[str, str]]:
    """About `events` events in a temporary lake: time the load, a full dbt build, and one new hour
    loaded and built incrementally; return (figure, value) rows and write them as JSON.

    `lake_cache`: a folder where the generated lake is kept and reused by the next run of
    the same size (the warehouse is always new)."""
    workers = workers or default_workers()
    start, end = DEMO_START, DEMO_START + timedelta(days=days)
    one_shop = sum(len(batch) for batch in iter_event_lines(settings.seed, start, end, build_catalog(settings.seed)))
    shops = max(1, round(events / one_shop))
    load_average_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-warehouse-", dir=scratch_dir) as scratch:
        run = dataclasses.replace(
            settings,
            lake_dir=Path(scratch) / "lake",
            warehouse_path=Path(scratch) / "warehouse.duckdb",
            dbt_target="local",
        )
        if lake_cache is None:
            lake = bench_lake(settings, Path(scratch) / "generated", shops, start, end, workers, reuse=False)
        else:
            lake_folder = Path(lake_cache) / f"seed{settings.seed}-{shops}shops-{days}d"
            lake = bench_lake(settings, lake_folder, shops, start, end, workers, reuse=True)
        _link_tree(lake.window, run.lake_dir)
        run_dbt(run, "parse")
        bare = timed(lambda: bare_load(run.lake_dir, Path(scratch) / "bare-load.duckdb"))
        load = timed(lambda: load_lake(run))
        run_results = run_results_path(run)
        build = timed(lambda: build_models(run))
        build_split = build_time(build.seconds, run_results)
        # Published, as the pipeline does after a build that passed: the hour's tests read what came since.
        publish(run)
        _link_tree(lake.new_hour, run.lake_dir)
        load_hour = timed(lambda: load_lake(run))
        incremental = timed(lambda: build_models(run))
        incremental_split = build_time(incremental.seconds, run_results)
        nothing_to_do = timed(lambda: load_lake(run))  # every file is loaded already
        memory_limit = dbt_memory_limit(run)
        warehouse_mib = run.warehouse_path.stat().st_size / 1024 / 1024
    lake_events, lake_files, hour_events, hour_files = lake.events, lake.files, lake.hour_events, lake.hour_files
    peak_mib = peak_rss_mib(resource.RUSAGE_CHILDREN)
    load_rate = lake_events / load.seconds
    bare_rate = bare.result / bare.seconds
    hour_over_floor = incremental.seconds / nothing_to_do.seconds
    output = Path(output_dir) if output_dir else settings.project_dir / BENCH_DIR
    smaller = smaller_run(output, lake_events)
    hour_growth = incremental.seconds / smaller["dbt_incremental_seconds"] if smaller else None
    figures = {
        "bench_format": BENCH_FORMAT,
        "kind": "warehouse",
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": settings.seed,
        "shops": shops,
        "days": days,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "events_requested": events,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "lake_events": lake_events,
        "lake_files": lake_files,
        "lake_streams": workers,
        "lake_seconds": lake.seconds,
        "lake_reused": lake.reused,
        "load_seconds": load.seconds,
        "load_cpu_seconds": load.cpu_seconds,
        "load_events_per_cpu_second": lake_events / load.cpu_seconds,
        "load_events_per_second": load_rate,
        "bare_load_rows": bare.result,
        "bare_load_seconds": bare.seconds,
        "bare_load_events_per_second": bare_rate,
        "load_share_of_bare_load": load_rate / bare_rate,
        "dbt_build_seconds": build.seconds,
        "dbt_build_cpu_seconds": build.cpu_seconds,
        "new_hour_events": hour_events,
        "new_hour_files": hour_files,
        "new_hour_load_seconds": load_hour.seconds,
        "dbt_incremental_seconds": incremental.seconds,
        "dbt_incremental_cpu_seconds": incremental.cpu_seconds,
        "dbt_build_split_seconds": dataclasses.asdict(build_split),
        "dbt_incremental_split_seconds": dataclasses.asdict(incremental_split),
        "dbt_nothing_to_do_seconds": nothing_to_do.seconds,
        "dbt_nothing_to_do_share_of_full_build": nothing_to_do.seconds / build.seconds,
        "load_average_1min_at_start": load_average_at_start,
        "load_average_1min_at_end": os.getloadavg()[0],
        "incremental_share_of_full_build": incremental.seconds / build.seconds,
        "incremental_share_of_full_build_cpu": incremental.cpu_seconds / build.cpu_seconds,
        "dbt_nothing_to_do_cpu_seconds": nothing_to_do.cpu_seconds,
        "hour_over_nothing_to_do": hour_over_floor,
        "smaller_run_lake_events": smaller["lake_events"] if smaller else None,
        "hour_over_smaller_run_hour": hour_growth,
        "warehouse_file_mib": warehouse_mib,
        "duckdb_memory_limit": memory_limit,
        "peak_rss_mib_children": peak_mib,
        "target_hour_over_nothing_to_do": TARGET_HOUR_OVER_FLOOR,
        "target_hour_over_smaller_run_hour": TARGET_HOUR_GROWTH,
        "target_peak_mib": TARGET_PEAK_MIB,
        "hour_target_met": hour_over_floor <= TARGET_HOUR_OVER_FLOOR,
        "hour_growth_target_met": hour_growth <= TARGET_HOUR_GROWTH if smaller else None,
        "memory_target_met": peak_mib <= TARGET_PEAK_MIB and _mib(memory_limit) <= TARGET_PEAK_MIB,
    }
    output.mkdir(parents=True, exist_ok=True)
    path = output / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-warehouse-{lake_events}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")

    def verdict(met: bool) -> str:
        return "target met" if met else "target MISSED"

    return [
        ("window", f"{days} days from {start:%Y-%m-%d}, {shops} shops (seeds from {settings.seed})"),
        (
            "lake",
            f"{lake_events:,} events in {lake_files:,} files through {workers} streams, {lake.seconds:.1f} s"
            + (f" (generated before, reused from {lake.window.parent})" if lake.reused else ""),
        ),
        ("load (dbt run-operation)", f"{load.seconds:.2f} s  ({load_rate:,.0f} events/s)"),
        (
            "load's bare floor",
            f"{bare.seconds:.2f} s  ({bare_rate:,.0f} events/s: INSERT ... SELECT of each line as JSON, no lineage): "
            f"the load runs at {load_rate / bare_rate:.0%} of it",
        ),
        (
            "load, CPU time",
            f"{load.cpu_seconds:.2f} s ({lake_events / load.cpu_seconds:,.0f} events per CPU second; "
            "other work on the machine adds little to it)",
        ),
        (
            "dbt with nothing to do",
            f"{nothing_to_do.seconds:.2f} s (a load with no new file: dbt's start and exit, the hour's floor)",
        ),
        ("dbt build, full", f"{build.seconds:.2f} s  (CPU {build.cpu_seconds:.2f} s)"),
        ("full build, where the time went", build_split.describe()),
        ("one new hour", f"{hour_events:,} events in {hour_files:,} files, loaded in {load_hour.seconds:.2f} s"),
        (
            "dbt build, the hour",
            f"{incremental.seconds:.2f} s  (CPU {incremental.cpu_seconds:.2f} s; tests read the rows it touched)",
        ),
        ("the hour, where the time went", incremental_split.describe()),
        (
            "ratio hour / nothing to do",
            f"{hour_over_floor:.1f}x, by CPU time {incremental.cpu_seconds / nothing_to_do.cpu_seconds:.1f}x  "
            f"(target <= {TARGET_HOUR_OVER_FLOOR:.0f}x: {verdict(figures['hour_target_met'])})",
        ),
        (
            "ratio hour / hour of a smaller lake",
            f"{hour_growth:.2f}x the hour at {smaller['lake_events']:,} events ({smaller['path']}), by CPU time "
            f"{incremental.cpu_seconds / smaller['dbt_incremental_cpu_seconds']:.2f}x  "
            f"(target <= {TARGET_HOUR_GROWTH}x: {verdict(figures['hour_growth_target_met'])})"
            if smaller
            else "no run on a lake at least 5 times smaller in the bench folder yet (make bench EVENTS=1M first)",
        ),
        (
            "peak memory, largest child process (dbt)",
            f"{peak_mib:,.0f} MiB with DuckDB memory_limit {memory_limit}  "
            f"(target <= {TARGET_PEAK_MIB:,} MiB: {verdict(figures['memory_target_met'])})",
        ),
        ("warehouse file", f"{warehouse_mib:,.0f} MiB"),
        (
            "load average (1 min)",
            f"{load_average_at_start:.1f} at the start, {figures['load_average_1min_at_end']:.1f} at the end "
            f"on {os.cpu_count()} CPUs: wall times grow with it, CPU times much less",
        ),
        ("figures written to", str(path)),
    ]
