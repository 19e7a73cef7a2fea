"""Run dbt as a learner types it: one process per command, its output shown and kept.

`build_models` is `dbt build` with its outcome read from run_results.json: failed
data tests are findings for the audit; anything else that fails is an error.

A caller that runs many short commands (a notebook) can send them to one dbt
process instead (`dbt_session.one_dbt_process`): the same commands and output,
without paying dbt's start-up for each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from ..errors import PipelineError
from ..settings import Settings, writable_folder


def run_dbt(settings: Settings, *args: str) -> str:
    """Run one dbt command on the project, as a learner would type it; raise PipelineError if it fails.

    dbt runs in its own process: it holds the DuckDB file open while it works, and
    DuckDB lets one process write a database file at a time. Its output is shown
    as it comes and returned.
    """
    returncode, output = run_dbt_with_status(settings, *args)
    if returncode != 0:
        raise dbt_failed(*args)
    return output


def dbt_failed(*args: str) -> PipelineError:
    return PipelineError(f"dbt {' '.join(args)} failed (see dbt's output above)")


# Settings whose dbt commands go to a running dbt session, not a new process (see dbt_session.one_dbt_process).
session_routes: dict[Settings, Callable[..., tuple[int, str]]] = {}


def run_dbt_with_status(settings: Settings, *args: str) -> tuple[int, str]:
    """Run dbt, echo its output line by line and keep it: (exit code, output)."""
    if settings in session_routes:
        return session_routes[settings](*args)
    if settings.dbt_target == "local":
        writable_folder(settings.warehouse_path.parent, "WAREHOUSE_PATH")
    dbt = Path(sys.executable).with_name("dbt")
    dbt_dir = str(settings.dbt_dir)
    command = [str(dbt), *args, "--project-dir", dbt_dir, "--profiles-dir", dbt_dir]
    lines = []
    with subprocess.Popen(
        command,
        env=dbt_environment(settings),
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


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The environment dbt runs in: this one, with the files and target the profile reads."""
    if settings.dbt_target == "local":
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "WAREHOUSE_PATH": str(settings.warehouse_path),
        "LAKE_DIR": str(settings.lake_dir),
        "DBT_TARGET": settings.dbt_target,
    }


def target_dir(dbt_dir: Path) -> Path:
    """Where dbt writes its manifest and results: dbt/target/, unless DBT_TARGET_PATH points dbt
    elsewhere (a notebook does, to keep its runs apart from the pipeline's; so does each test worker)."""
    target = Path(os.environ.get("DBT_TARGET_PATH") or "target")
    return target if target.is_absolute() else Path(dbt_dir) / target


def run_results_path(settings: Settings) -> Path:
    """Where dbt writes what its last command did, node by node (every command overwrites it)."""
    return target_dir(settings.dbt_dir) / "run_results.json"


def build_models(settings: Settings, full_refresh: bool = False, full_tests: bool = False) -> tuple[str, ...]:
    """`dbt build`: every model in dependency order, each followed by its tests.

    The analytics models land in the candidate schema (analytics_candidate), which
    no dashboard reads: publishing them is a separate step (see publish.py and quality/gate.py).
    Incremental models (stg_events and most models after it) process only what
    is new; `full_refresh` rebuilds them from the whole raw table. The data tests read
    the rows loaded since the last publish (dbt/macros/tests/tested_rows.sql);
    `full_tests` (and `full_refresh`) makes them read every row, as the daily run
    does. On the local target, the events set aside at staging
    (stg_quarantined_events) are then counted on one line, and loaded events
    missing from staging (a failed audit) are named.

    Returns the failed data tests, one line each with its count of failing rows,
    and the models whose rows the warehouse refused for a null in a not_null
    column (empty when all passed). Anything else that fails (a model's SQL or
    contract, a test that cannot run) raises PipelineError.
    """
    run_results = run_results_path(settings)
    run_results.unlink(missing_ok=True)
    try:
        run_dbt(settings, "build", *build_options(full_refresh=full_refresh, full_tests=full_tests))
        failed: tuple[str, ...] = ()
    except PipelineError:
        failed = failed_tests(run_results)
    if settings.dbt_target == "local":
        quarantined = quarantined_events(settings.warehouse_path)
        if quarantined:
            print(format_quarantined_events(quarantined), file=sys.stderr)
        missing = missing_events(settings.warehouse_path)
        if missing:
            print(format_missing_events(missing), file=sys.stderr)
    return failed


def build_options(full_refresh: bool = False, full_tests: bool = False) -> list[str]:
    """dbt's options for a build: `--full-refresh`, the var that makes every test read whole tables,
    and, on the hourly run, no unit tests.

    A full refresh rebuilds every row, so it tests every row too. A var given on the
    command line makes dbt parse the project again (seconds): the daily run pays it,
    the hourly one does not. Unit tests check the models' SQL on fixed rows, which no
    new hour of data changes: the daily run, a full refresh and `make test` run them,
    the hourly run does not (dbt's advice for production runs; 1.1 s of an hour at 10M events).
    """
    if full_tests or full_refresh:
        return [*(["--full-refresh"] if full_refresh else []), "--vars", "{test_whole_tables: true}"]
    return ["--exclude-resource-type", "unit_test"]


# How DuckDB and Snowflake refuse a null in a column with a not_null constraint (the
# contracts of the marts and analytics models): a finding about the data, like a failed test.
NOT_NULL_REFUSALS = ("NOT NULL constraint failed", "NULL result in a non-nullable column")


def failed_tests(run_results: Path) -> tuple[str, ...]:
    """The failed data tests of a dbt run that failed, from its run_results.json.

    A failed test is an audit finding, and so is a model whose rows the warehouse
    refused for a null in a not_null column (the model is not written, so nothing
    bad lands). Any other node that errored (or a run that wrote no results at all)
    is a broken build, raised as PipelineError.
    """
    if not run_results.is_file():
        raise PipelineError("dbt build failed before running anything (see dbt's output above)")
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    refused = {}  # model -> the warehouse's refusal
    for result in results:
        if result["status"] == "error" and (refusal := _not_null_refusal(result.get("message") or "")):
            refused[result["unique_id"]] = refusal
    errors = [
        _node_name(result["unique_id"])
        for result in results
        if result["status"] == "error" and result["unique_id"] not in refused
    ]
    if errors:
        raise PipelineError(f"dbt build failed on {', '.join(errors)} (see dbt's output above)")
    failed = tuple(
        f"dbt test {_node_name(result['unique_id'])}: {result['failures'] or 0:,} failing row(s)"
        for result in results
        if result["status"] == "fail"
    ) + tuple(f"dbt model {_node_name(unique_id)}: {refusal}" for unique_id, refusal in refused.items())
    if not failed:
        raise PipelineError("dbt build failed (see dbt's output above)")
    return failed


def _not_null_refusal(message: str) -> str:
    """The line of a dbt error message where the warehouse refused a null, or ''."""
    for line in message.splitlines():
        if any(refusal in line for refusal in NOT_NULL_REFUSALS):
            return line.strip()
    return ""


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
    """Raw events absent from stg_events (the audit table audit_events_missing_from_staging), oldest first."""
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
        f"Error: {len(missing)} loaded event(s) neither in stg_events nor quarantined: {named}{more}. "
        "The audit fails until they are staged; dbt build --full-refresh rebuilds staging from raw."
    )


def quarantined_events(warehouse_path: Path) -> dict[str, int]:
    """The events set aside at staging (staging.stg_quarantined_events), counted by reason."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        try:
            rows = con.execute(
                "select regexp_replace(reason, ': ''.*'' is not ', ' is not '), count(*) "
                "from staging.stg_quarantined_events group by 1 order by 2 desc, 1"
            ).fetchall()
        except duckdb.CatalogException:  # a build that stopped before the view: nothing to count yet
            return {}
    return dict(rows)


def format_quarantined_events(quarantined: dict[str, int]) -> str:
    reasons = "; ".join(f"{count:,} {reason}" for reason, count in quarantined.items())
    return (
        f"Warning: {sum(quarantined.values()):,} event(s) set aside at staging ({reasons}): "
        "see staging.stg_quarantined_events; the other events flow on."
    )
