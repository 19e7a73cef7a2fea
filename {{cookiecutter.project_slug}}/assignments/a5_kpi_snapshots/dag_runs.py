"""Run a submission's daily_kpi_snapshots DAG with `dag.test()` on copies of its warehouse, for the A5 checks.

Airflow runs in a process of its own (`python -m assignments.a5_kpi_snapshots.dag_runs`):
it reads its configuration once, when it is imported, and leaves threads running in
the process that imported it, where a later fork() (the grader's parallel event
generation) can hang. That process gets a throwaway Airflow home with a SQLite
database, as the project's DAG tests do, and downloads nothing.

The checks prepare the copies (`prepare`): the analytics candidates published into
`analytics` (as `publish_analytics` does), once as built and, at grading, once
with every order of one day removed (`planted`). The Airflow process then parses a DAG folder that
holds the project's `pipeline_common.py` and the submission's DAG file (other files
of the submission play no part), runs the DAG on each copy in turn, and writes what
Airflow saw to `runs.json` beside the copies: the parse, each run's state, and the
states of each task's instances. The checks read the copies' tables themselves.

At grading, the reference solution (the grader's own DAG file) runs on copies of
the same data, so no answer is stored anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

import duckdb

from {{ cookiecutter.package_name }}.warehouse.publish import CANDIDATE_SCHEMA, PUBLISHED_SCHEMA

ASSIGNMENTS_DIR = Path(__file__).resolve().parents[1]
PROJECT_DIR = ASSIGNMENTS_DIR.parent
DAG_FILE = "airflow/dags/daily_kpi_snapshots.py"
DAG_ID = "daily_kpi_snapshots"
SNAPSHOTS = "kpi_snapshots.daily_kpis"
# The runs, in order: (copy of the warehouse, whose DAG, the copy it starts from when not prepared beforehand).
# The second run starts from what the first left: a re-run must change nothing.
SUBMISSION_RUNS = (
    ("first_run", "submission", None),
    ("second_run", "submission", "first_run"),
    ("planted", "submission", None),
)
REFERENCE_RUNS = (("reference_first_run", "reference", None), ("reference_planted", "reference", None))
# A student's DAG that hangs fails its checks after this long, rather than the grading run.
TIMEOUT_SECONDS = 600


def publish_candidates(warehouse: Path) -> None:
    """Every table of analytics_candidate into analytics, as `dbt run-operation publish_analytics` does."""
    with duckdb.connect(str(warehouse)) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by all", [CANDIDATE_SCHEMA]
        ).fetchall()
        con.execute(f"create schema if not exists {PUBLISHED_SCHEMA}")
        for (table,) in tables:
            con.execute(
                f"create or replace table {PUBLISHED_SCHEMA}.{table} as select * from {CANDIDATE_SCHEMA}.{table}"
            )


def plant_a_day_without_orders(warehouse: Path) -> str:
    """Remove every published order of the window's last day but one (a day inside the window); returns it."""
    with duckdb.connect(str(warehouse)) as con:
        (day,) = con.execute("select max(order_date) - 1 from analytics.analytics_orders").fetchone()
        con.execute("delete from analytics.analytics_orders where order_date = ?", [day])
    return day.isoformat()


def prepare(warehouse: Path, folder: Path, grading: bool) -> str | None:
    """The copies the runs start from, in `folder`; returns the day without orders of the planted copy.

    `make check` runs only the first run (the public checks read nothing else); grading runs them all."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    published = folder / "first_run.duckdb"
    shutil.copyfile(warehouse, published)
    publish_candidates(published)
    if not grading:
        return None
    shutil.copyfile(published, folder / "reference_first_run.duckdb")
    shutil.copyfile(published, folder / "planted.duckdb")
    planted_day = plant_a_day_without_orders(folder / "planted.duckdb")
    shutil.copyfile(folder / "planted.duckdb", folder / "reference_planted.duckdb")
    return planted_day


def run_in_airflow(submission: Path, folder: Path, reference: Path | None) -> dict:
    """Start the Airflow process on the prepared copies; returns runs.json, or a one-line reason it has none."""
    command = [sys.executable, "-m", "assignments.a5_kpi_snapshots.dag_runs", str(folder), str(submission)]
    if reference is not None:
        command.append(str(reference))
    log = folder / "airflow.log"
    # Started in the scratch folder, so a path a DAG names relative to where it runs lands there.
    path = os.pathsep.join(filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")]))
    try:
        with log.open("w", encoding="utf-8") as output:
            subprocess.run(
                command,
                cwd=folder,
                env={**os.environ, "PYTHONPATH": path},
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=TIMEOUT_SECONDS,
            )
    except subprocess.TimeoutExpired:
        return {"error": f"the DAG runs did not finish within {TIMEOUT_SECONDS // 60} minutes"}
    runs = folder / "runs.json"
    if not runs.is_file():
        lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
        return {"error": f"Airflow could not run the DAG: {lines[-1][:300] if lines else 'no output'}"}
    return json.loads(runs.read_text(encoding="utf-8"))


# What follows runs in the Airflow process.


def state_of(value) -> str:
    return str(getattr(value, "value", value))


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def use_dag_file(dags: Path, dag_file: Path) -> None:
    """Make `dag_file` the DAG folder's only DAG file (beside pipeline_common.py): what dag.test() syncs."""
    target = dags / Path(DAG_FILE).name
    target.unlink(missing_ok=True)
    if dag_file.is_file():
        shutil.copyfile(dag_file, target)


def asset_names(condition) -> list[str]:
    """The names of the assets a schedule waits for (in any and/or combination)."""
    if hasattr(condition, "objects"):
        return sorted(name for part in condition.objects for name in asset_names(part))
    return [getattr(condition, "name", str(condition))]


def parse(dags: Path, pools: set[str]) -> tuple[object | None, dict]:
    from airflow.dag_processing.dagbag import BundleDagBag

    # known_pools: a task in a pool that airflow/pools.json does not create is an import error.
    bag = BundleDagBag(dag_folder=dags, bundle_path=dags, bundle_name="dags-folder", known_pools=pools)
    found = {
        "import_errors": [f"{Path(path).name}: {last_line(error)}" for path, error in bag.import_errors.items()],
        "dag": DAG_ID in bag.dags,
    }
    dag = bag.dags.get(DAG_ID)
    if dag is not None:
        condition = getattr(dag.timetable, "asset_condition", None)
        found["assets"] = asset_names(condition) if condition is not None else []
        found["tasks"] = {
            t.task_id: {"mapped": bool(getattr(t, "is_mapped", False)), "pool": t.pool} for t in dag.tasks
        }
        for task in dag.tasks:
            task.retries = 0  # a failing task fails the run at once, without waiting out retry delays
    return dag, found


def run_once(dag, warehouse: Path, project: Path) -> dict:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    # What the tasks read through Settings.from_env().
    os.environ.update({"WAREHOUSE_PATH": str(warehouse), "PROJECT_DIR": str(project)})
    try:
        run = dag.test()
    except Exception as error:  # a DAG the test loop cannot even start: the reason, not a traceback
        traceback.print_exc()
        return {"state": "failed", "error": f"{type(error).__name__}: {last_line(str(error))}", "tasks": {}}
    tasks: dict[str, dict] = {}
    with create_session() as session:
        instances = session.query(TaskInstance).filter(
            TaskInstance.dag_id == dag.dag_id, TaskInstance.run_id == run.run_id
        )
        for ti in sorted(instances, key=lambda ti: (ti.task_id, ti.map_index)):
            task = tasks.setdefault(ti.task_id, {"states": [], "labels": []})
            task["states"].append(state_of(ti.state))
            task["labels"].append(ti.rendered_map_index or (str(ti.map_index) if ti.map_index >= 0 else ""))
    return {"state": state_of(run.state), "error": "", "tasks": tasks}


def main(folder: Path, submission: Path, reference: Path | None) -> None:
    started = time.monotonic()
    home, dags = folder / "airflow_home", folder / "dags"
    home.mkdir()
    dags.mkdir()
    shutil.copyfile(PROJECT_DIR / "airflow" / "dags" / "pipeline_common.py", dags / "pipeline_common.py")
    # Airflow reads its configuration when it is imported: set it first.
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "DBT_TARGET": "local",
        }
    )
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.initdb()
    pools = json.loads((PROJECT_DIR / "airflow" / "pools.json").read_text(encoding="utf-8"))
    for name, pool in pools.items():
        Pool.create_or_update_pool(name, pool["slots"], pool["description"], pool["include_deferred"])

    # The submission's DAG and the reference's share their id: each is parsed, then run, from the DAG
    # folder while it holds that one's file (dag.test() writes the folder's DAG to the database first).
    sources = {"submission": submission} | ({"reference": reference} if reference is not None else {})
    parsed = {}
    for name, project in sources.items():
        use_dag_file(dags, project / DAG_FILE)
        parsed[name] = parse(dags, set(pools))
    report = {"parse": parsed["submission"][1], "runs": {}}
    runs = SUBMISSION_RUNS + REFERENCE_RUNS if reference is not None else SUBMISSION_RUNS[:1]
    for run_name, source, start_from in runs:
        dag = parsed[source][0]
        warehouse = folder / f"{run_name}.duckdb"
        if start_from:
            shutil.copyfile(folder / f"{start_from}.duckdb", warehouse)
        if dag is None:
            report["runs"][run_name] = {"state": "not run", "error": "", "tasks": {}}
            continue
        print(f"--- {run_name}: dag.test() of the {source}'s DAG ({time.monotonic() - started:.1f} s)", flush=True)
        use_dag_file(dags, sources[source] / DAG_FILE)
        report["runs"][run_name] = run_once(dag, warehouse, sources[source])
    print(f"--- done ({time.monotonic() - started:.1f} s)", flush=True)
    (folder / "runs.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    arguments = [Path(a) for a in sys.argv[1:]]
    main(arguments[0], arguments[1], arguments[2] if len(arguments) > 2 else None)
