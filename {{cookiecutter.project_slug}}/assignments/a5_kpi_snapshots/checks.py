"""A5 public checks: the DAG parses, waits for the analytics asset and maps a task over the days; one run
gives a row per day of the published window that adds up to the published orders.

They run the real DAG: a DagBag parses it, `dag.test()` runs it on a copy of the
warehouse whose analytics tables are published (dag_runs.py). Everything they
compare with is read from that copy, so they hold for any seed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb

from assignments.grading.framework import Assignment, CheckFailed, public_check

from .dag_runs import DAG_FILE, DAG_ID, PROJECT_DIR, SNAPSHOTS, prepare, run_in_airflow

ASSIGNMENT = Assignment(
    key="a5_kpi_snapshots",
    title="Daily KPI snapshots, a mapped task per day",
    after_notebook="09_orchestration",
    files=(DAG_FILE,),
    hidden_parts={
        "a second run changes nothing": 2,
        "matches the reference solution on your data, and on a day without orders": 3,
    },
)
WAREHOUSE_POOL = "duckdb_warehouse"
COLUMNS = "kpi_date, orders, revenue_orders, revenue, buyers"
# The last line of a traceback: `_duckdb.ConstraintException: Constraint Error: ...`, without the module.
EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*([A-Za-z_]\w*(?:Error|Exception)\w*: .*)$")


def dag_runs(workspace) -> dict:
    """The DAG parsed and run on copies of the workspace's warehouse: once per workspace, shared by every check.

    In `make check` only the first run, which the public checks read; at grading, also the second
    run, the planted day and the reference solution's runs."""
    if "a5" not in workspace.computed:
        folder = workspace.warehouse.parent / "a5_dag_runs"
        grading = workspace.reference is not None
        planted_day = prepare(workspace.warehouse, folder, grading)
        # The reference solution is the grader's own DAG file (the instructor edition's).
        runs = run_in_airflow(workspace.project_dir, folder, PROJECT_DIR if grading else None)
        workspace.computed["a5"] = {**runs, "folder": folder, "planted_day": planted_day}
    return workspace.computed["a5"]


def require_dag(runs: dict) -> dict:
    """The submission's DAG file parsed and defines the DAG; returns what the parse found."""
    if runs.get("error"):
        raise CheckFailed(runs["error"])
    parsed = runs["parse"]
    if parsed["import_errors"]:
        raise CheckFailed(f"the DAG file does not import: {parsed['import_errors'][0]}")
    if not parsed["dag"]:
        raise CheckFailed(f"{DAG_FILE} defines no DAG named {DAG_ID}")
    return parsed


def require_run(runs: dict, name: str, what: str) -> Path:
    """The run succeeded and wrote the snapshots table; returns the warehouse it ran on."""
    require_dag(runs)
    run = runs["runs"][name]
    if run["state"] != "success":
        failed = [
            f"{task}[{label}]" if label else task
            for task, instances in run["tasks"].items()
            for state, label in zip(instances["states"], instances["labels"], strict=True)
            if state in ("failed", "upstream_failed")
        ]
        reason = run["error"] or (f"{', '.join(failed[:3])} failed" if failed else run["state"])
        error = first_error(runs["folder"] / "airflow.log", name)
        raise CheckFailed(f"{what} did not succeed: {reason}{f' ({error})' if error else ''}")
    warehouse = runs["folder"] / f"{name}.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        schema, table = SNAPSHOTS.split(".")
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        ).fetchone()[0]
    if not found:
        raise CheckFailed(f"{what} succeeded but wrote no table {SNAPSHOTS}")
    return warehouse


def first_error(log: Path, run_name: str) -> str:
    """The first exception a run's tasks raised, as the last line of its traceback in the Airflow log."""
    if not log.is_file():
        return ""
    section = log.read_text(encoding="utf-8").split(f"--- {run_name}:", 1)[-1].split("\n--- ", 1)[0]
    for line in section.splitlines():
        found = EXCEPTION_LINE.match(line.strip())
        if found:
            return found.group(1)[:300]
    return ""


def snapshot_rows(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            return con.execute(f"select {COLUMNS} from {SNAPSHOTS} order by all").fetchall()
        except duckdb.Error as error:
            reason = str(error).strip().splitlines()[0]
            raise CheckFailed(f"{SNAPSHOTS} does not have the columns {COLUMNS}: {reason}") from None


def published_window(warehouse: Path) -> list[date]:
    """Every day from the first to the last published order date."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first, last = con.execute("select min(order_date), max(order_date) from analytics.analytics_orders").fetchone()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@public_check(ASSIGNMENT, "parses; runs when the analytics asset is updated; maps a task over the days", points=2)
def wired_to_the_asset_and_mapped(workspace) -> None:
    parsed = require_dag(dag_runs(workspace))
    if parsed["assets"] != ["analytics"]:
        scheduled = f"on the assets {', '.join(parsed['assets'])}" if parsed["assets"] else "on no asset"
        raise CheckFailed(f"{DAG_ID} is scheduled {scheduled}: it should run when the analytics asset is updated")
    mapped = {task: found for task, found in parsed["tasks"].items() if found["mapped"]}
    if not mapped:
        raise CheckFailed(f"no task of {DAG_ID} is mapped: map the day's task over the days with .expand()")
    outside = sorted(task for task, found in mapped.items() if found["pool"] != WAREHOUSE_POOL)
    if outside:
        raise CheckFailed(f"{outside[0]} writes the warehouse but is not in the pool {WAREHOUSE_POOL}")


@public_check(ASSIGNMENT, "dag.test() succeeds: a task instance and a row per day, and the orders add up", points=3)
def one_run_adds_up(workspace) -> None:
    runs = dag_runs(workspace)
    warehouse = require_run(runs, "first_run", "dag.test()")
    days = published_window(warehouse)
    window = f"the {len(days)} days from {days[0]} to {days[-1]}"
    instances = {
        task: sum(state == "success" for state in found["states"])
        for task, found in runs["runs"]["first_run"]["tasks"].items()
        if runs["parse"]["tasks"].get(task, {}).get("mapped")
    }
    if len(days) not in instances.values():
        counted = ", ".join(f"{task}: {n}" for task, n in instances.items()) or "none"
        raise CheckFailed(f"the mapped task instances ({counted}) are not one per day of {window}")
    rows = snapshot_rows(warehouse)
    if [row[0] for row in rows] != days:
        raise CheckFailed(
            f"{SNAPSHOTS} has {len(rows)} rows for {window}: one row per day, days without orders included"
        )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = con.execute(
            "select count(*), count(case when is_revenue then 1 end), coalesce(sum(net_revenue), 0) "
            "from analytics.analytics_orders"
        ).fetchone()
    added = (sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows))
    for name, mine, theirs in zip(("orders", "revenue_orders", "revenue"), added, published, strict=True):
        if mine != theirs:
            raise CheckFailed(f"the {name} column adds up to {mine}; the published orders give {theirs}")
