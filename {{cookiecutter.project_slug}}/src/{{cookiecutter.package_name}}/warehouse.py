"""The warehouse side: load the lake with dbt's `copy_into_raw_events`, build the models, read KPIs.

dbt runs with the same project, profile and macros a learner runs by hand from
the dbt/ folder (`dbt run-operation copy_into_raw_events`, `dbt build`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from .errors import PipelineError
from .settings import Settings


def run_dbt(settings: Settings, *args: str) -> str:
    """Run one dbt command on the project, as a learner would type it; raise PipelineError if it fails.

    dbt runs in its own process: it holds the DuckDB file open while it works, and
    DuckDB lets one process write a database file at a time. Its output is shown
    as it comes and returned.
    """
    returncode, output = _run_dbt(settings, *args)
    if returncode != 0:
        raise _dbt_failed(*args)
    return output


def _dbt_failed(*args: str) -> PipelineError:
    return PipelineError(f"dbt {' '.join(args)} failed (see dbt's output above)")


def _run_dbt(settings: Settings, *args: str) -> tuple[int, str]:
    """Run dbt, echo its output line by line and keep it: (exit code, output)."""
    if settings.dbt_target == "local":
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    dbt = Path(sys.executable).with_name("dbt")
    dbt_dir = str(settings.dbt_dir)
    env = {
        **os.environ,
        # The profile reads these: this run's files and target.
        "WAREHOUSE_PATH": str(settings.warehouse_path),
        "LAKE_DIR": str(settings.lake_dir),
        "DBT_TARGET": settings.dbt_target,
    }
    command = [str(dbt), *args, "--project-dir", dbt_dir, "--profiles-dir", dbt_dir]
    lines = []
    with subprocess.Popen(
        command,
        env=env,
        cwd=settings.dbt_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line)
    return process.returncode, "".join(lines)


# DuckDB names a file it cannot decompress: "IO Error: Unexpected end of GZIP stream: <path>".
UNREADABLE_FILE = re.compile(r"IO Error: (?P<reason>[^:\n]*GZIP[^:\n]*): (?P<path>[^\n]+?\.json\.gz)")
QUARANTINE_DIR = "quarantine"


@dataclass(frozen=True)
class QuarantinedFile:
    source_file: str  # where it was, relative to the lake
    quarantined_path: Path  # where it is now: <lake>/quarantine/<source_file>
    reason: str
    readable_lines: int  # whole lines before the stream breaks off


def load_lake(settings: Settings) -> list[QuarantinedFile]:
    """Copy new lake files into raw.raw_events (files already loaded are skipped).

    Malformed lines go to raw.raw_events_rejects (the load macro does that). A file
    DuckDB cannot read at all (a truncated gzip stream) would fail its whole batch:
    on the local target it is moved to <lake>/quarantine/ under the same relative
    path, recorded in raw.quarantined_files with the reason and its count of whole
    readable lines, and the load runs again for the rest. Returns the files
    quarantined by this load.
    """
    quarantined: list[QuarantinedFile] = []
    while True:
        returncode, output = _run_dbt(settings, "run-operation", "copy_into_raw_events")
        if returncode == 0:
            return quarantined
        unreadable = UNREADABLE_FILE.search(output) if settings.dbt_target == "local" else None
        if unreadable is None:
            raise _dbt_failed("run-operation", "copy_into_raw_events")
        moved = quarantine_file(settings, unreadable.group("path"), unreadable.group("reason"))
        print(
            f"Quarantined {moved.source_file} ({moved.reason}; {moved.readable_lines:,} whole lines readable): "
            f"moved to {moved.quarantined_path}, recorded in raw.quarantined_files. Loading the other files again."
        )
        quarantined.append(moved)


def quarantine_file(settings: Settings, named_path: str, reason: str) -> QuarantinedFile:
    """Move an unreadable lake file to <lake>/quarantine/ (same relative path) and record it."""
    path = Path(named_path)
    if not path.is_absolute():  # relative to the folder dbt ran in
        path = settings.dbt_dir / path
    lake = settings.lake_dir.resolve()
    path = path.resolve()
    if not path.is_relative_to(lake) or path.is_relative_to(lake / QUARANTINE_DIR) or not path.is_file():
        raise PipelineError(f"the load cannot read {named_path} ({reason}), and it is not a file of the lake {lake}")
    source_file = path.relative_to(lake).as_posix()
    target = lake / QUARANTINE_DIR / source_file
    target.parent.mkdir(parents=True, exist_ok=True)
    readable = complete_lines(path)
    os.replace(path, target)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(QUARANTINED_FILES_DDL)
        # A file delivered again under the same name replaces its record: a re-run counts it once.
        con.execute(
            "insert or replace into raw.quarantined_files values (?, ?, ?, ?, current_timestamp)",
            [source_file, target.relative_to(lake).as_posix(), reason, readable],
        )
    return QuarantinedFile(source_file, target, reason, readable)


QUARANTINED_FILES_DDL = """
create schema if not exists raw;
create table if not exists raw.quarantined_files (
    source_file varchar primary key,
    quarantined_path varchar,
    reason varchar,
    readable_lines bigint,
    quarantined_at timestamp
)
"""


def complete_lines(path: Path) -> int:
    """The whole lines a gzip file yields before its stream breaks off (all of them when it is intact)."""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16 +: expect a gzip header and trailer
    try:
        text = inflate.decompress(path.read_bytes())
    except zlib.error:
        return 0
    return text.count(b"\n")


def run_results_path(settings: Settings) -> Path:
    """Where dbt writes what its last command did, node by node (every command overwrites it)."""
    return settings.dbt_dir / "target" / "run_results.json"


def build_models(settings: Settings, full_refresh: bool = False) -> tuple[str, ...]:
    """`dbt build`: every model in dependency order, each followed by its tests.

    The analytics models land in the candidate schema (analytics_candidate), which
    no dashboard reads: publishing them is a separate step (see publish.py).
    Incremental models (stg_events, dim_customers) process only what is new;
    `full_refresh` rebuilds them from the whole raw table. On the local target,
    raw events the incremental runs skipped (delivered later than the lookback)
    are then named on one line.

    Returns the failed data tests, one line each with its count of failing rows
    (empty when every test passed). Anything else that fails (a model's SQL or
    contract, a test that cannot run) raises PipelineError.
    """
    run_results = run_results_path(settings)
    run_results.unlink(missing_ok=True)
    try:
        run_dbt(settings, "build", *(["--full-refresh"] if full_refresh else []))
        failed: tuple[str, ...] = ()
    except PipelineError:
        failed = failed_tests(run_results)
    if settings.dbt_target == "local":
        missing = missing_events(settings.warehouse_path)
        if missing:
            print(format_missing_events(missing), file=sys.stderr)
    return failed


def failed_tests(run_results: Path) -> tuple[str, ...]:
    """The failed data tests of a dbt run that failed, from its run_results.json.

    A failed test is an audit finding; a node that errored (or a run that wrote no
    results at all) is a broken build, raised as PipelineError.
    """
    if not run_results.is_file():
        raise PipelineError("dbt build failed before running anything (see dbt's output above)")
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    errors = [_node_name(result["unique_id"]) for result in results if result["status"] == "error"]
    if errors:
        raise PipelineError(f"dbt build failed on {', '.join(errors)} (see dbt's output above)")
    failed = tuple(
        f"dbt test {_node_name(result['unique_id'])}: {result['failures'] or 0:,} failing row(s)"
        for result in results
        if result["status"] == "fail"
    )
    if not failed:
        raise PipelineError("dbt build failed (see dbt's output above)")
    return failed


def _node_name(unique_id: str) -> str:
    """dbt's unique_id is <type>.<project>.<name>[.<hash>]; a unit test's is unit_test.<project>.<model>.<name>."""
    parts = unique_id.split(".")
    return parts[-1] if parts[0] == "unit_test" else parts[2]


@dataclass(frozen=True)
class MissingEvent:
    event_id: str
    event_type: str
    event_timestamp: datetime
    source_file: str


def missing_events(warehouse_path: Path) -> list[MissingEvent]:
    """Raw events absent from stg_events (the audit view audit_events_missing_from_staging), oldest first."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select event_id, event_type, event_timestamp, source_file "
            "from audit.audit_events_missing_from_staging order by event_timestamp, event_id"
        ).fetchall()
    return [MissingEvent(*row) for row in rows]


def format_missing_events(missing: list[MissingEvent], shown: int = 5) -> str:
    named = ", ".join(
        f"{event.event_id} ({event.event_type} at {event.event_timestamp:%Y-%m-%d %H:%M})" for event in missing[:shown]
    )
    more = f" and {len(missing) - shown} more" if len(missing) > shown else ""
    return (
        f"Warning: {len(missing)} raw event(s) missing from stg_events, delivered later than its "
        f"incremental lookback: {named}{more}. A full refresh recovers them (dbt build --full-refresh)."
    )


@dataclass(frozen=True)
class Kpis:
    orders: int
    revenue_orders: int
    revenue: Decimal
    buyers: int
    sessions: int
    converted_sessions: int
    first_order_date: str
    last_order_date: str

    @property
    def average_order_value(self) -> Decimal:
        return (self.revenue / self.revenue_orders).quantize(Decimal("0.01")) if self.revenue_orders else Decimal(0)

    @property
    def session_conversion(self) -> float:
        return self.converted_sessions / self.sessions if self.sessions else 0.0


KPI_QUERY = """
with orders as (
    select
        count(*) as orders,
        sum(case when is_revenue then 1 else 0 end) as revenue_orders,
        coalesce(sum(net_revenue), 0) as revenue,
        count(distinct customer_id) as buyers,
        cast(min(order_date) as varchar) as first_order_date,
        cast(max(order_date) as varchar) as last_order_date
    from analytics.analytics_orders
),
sessions as (
    select
        count(*) as sessions,
        sum(case when has_order then 1 else 0 end) as converted_sessions
    from analytics.analytics_sessions
)
select * from orders cross join sessions
"""


def read_kpis(warehouse_path: Path) -> Kpis:
    """The headline figures, read from the published analytics tables of the local warehouse."""
    if not warehouse_path.is_file():
        raise PipelineError(f"no warehouse at {warehouse_path}: run the pipeline first (make demo)")
    try:
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            cursor = con.execute(KPI_QUERY)
            row = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
    except duckdb.CatalogException as error:
        raise PipelineError(
            f"the published analytics tables are missing ({error}): run `make transform` first"
        ) from None
    return Kpis(
        orders=row["orders"],
        revenue_orders=int(row["revenue_orders"] or 0),
        revenue=Decimal(row["revenue"]).quantize(Decimal("0.01")),
        buyers=row["buyers"],
        sessions=row["sessions"],
        converted_sessions=int(row["converted_sessions"] or 0),
        first_order_date=row["first_order_date"],
        last_order_date=row["last_order_date"],
    )


def format_kpis(kpis: Kpis) -> str:
    rows = [
        ("Orders", f"{kpis.orders:,}"),
        ("Revenue (paid, not cancelled)", f"${kpis.revenue:,.2f}"),
        ("Average order value", f"${kpis.average_order_value:,.2f}"),
        ("Customers who ordered", f"{kpis.buyers:,}"),
        ("Session conversion", f"{kpis.session_conversion:.1%} of {kpis.sessions:,} sessions"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"KPI summary, orders created {kpis.first_order_date} to {kpis.last_order_date}"]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)
