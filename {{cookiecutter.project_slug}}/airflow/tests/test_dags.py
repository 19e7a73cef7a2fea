"""The Airflow DAGs: they parse cleanly and cheaply, follow the task policy, and run the pipeline.

Run by tests/test_airflow_dags.py in a pytest process of its own (see there why).
Airflow runs in-process on a throwaway home with its own SQLite database
(created once for this module). The end-to-end test runs the real DAGs with
`dag.test()`: ingestion, then transformation, on one day of events in a
temporary lake and warehouse, and compares the KPIs with the CLI pipeline's.
"""

from __future__ import annotations

import gzip
import json
import os
import shlex
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.ingest.backfill import generate_to_lake
from {{ cookiecutter.package_name }}.ingest.delivery import DeliveryPolicy, deliveries_in_window
from {{ cookiecutter.package_name }}.ingest.lake import list_lake_files, partition_path
from {{ cookiecutter.package_name }}.quality.faults import FaultPlan, inject_faults
from {{ cookiecutter.package_name }}.settings import DEFAULT_SEED, Settings
from {{ cookiecutter.package_name }}.warehouse.dbt_graph import load_manifest, parents_by_name, plan_builds
from {{ cookiecutter.package_name }}.warehouse.dbt_runner import target_dir
from {{ cookiecutter.package_name }}.warehouse.kpis import read_kpis
from {{ cookiecutter.package_name }}.warehouse.publish import published_tables

AIRFLOW_DIR = Path(__file__).resolve().parents[1]
PROJECT_DIR = AIRFLOW_DIR.parent
DAGS_FOLDER = AIRFLOW_DIR / "dags"
DAG_IDS = {
    "ingest_raw_events",
    "transform_dbt_models",
    "generate_local_events",
    "audit_whole_tables_daily",
    "daily_kpi_snapshots",
}
# One day of events: every funnel step, a few minutes of dbt.
DAY_START = datetime(2025, 10, 1, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory):
    """A fresh Airflow home and SQLite database, with the project's pools; Airflow is imported here, after
    its environment is set, because it reads its configuration once, on import."""
    home = tmp_path_factory.mktemp("airflow-home")
    saved = dict(os.environ)
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "DBT_TARGET": "local",
        }
    )
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.initdb()
    for name, pool in json.loads((AIRFLOW_DIR / "pools.json").read_text()).items():
        Pool.create_or_update_pool(name, pool["slots"], pool["description"], pool["include_deferred"])
    yield home
    os.environ.clear()
    os.environ.update(saved)


def make_settings(data_dir: Path) -> Settings:
    return Settings(
        project_dir=PROJECT_DIR,
        lake_dir=data_dir / "lake",
        warehouse_path=data_dir / "warehouse.duckdb",
        dbt_target="local",
        seed=DEFAULT_SEED,
        lake_buffer_seconds=900,
        lake_buffer_mib=5,
    )


def parse_dag_folder():
    from airflow.dag_processing.dagbag import BundleDagBag

    pools = set(json.loads((AIRFLOW_DIR / "pools.json").read_text()))
    # known_pools: a task in a pool that pools.json does not create is an import error.
    return BundleDagBag(dag_folder=DAGS_FOLDER, bundle_path=DAGS_FOLDER, bundle_name="dags-folder", known_pools=pools)


@pytest.fixture(scope="module")
def dag_bag(airflow_home):
    return parse_dag_folder()


@pytest.fixture(scope="module")
def dags_to_run(airflow_home):
    """The DAGs without retries: under dag.test() a failing task fails the test at once instead of
    waiting out its retry delays."""
    dags = parse_dag_folder().dags
    for dag in dags.values():
        for task in dag.tasks:
            task.retries = 0
    # A sensor that looks at the wrong hour fails within a minute instead of waiting two hours.
    sensor = dags["ingest_raw_events"].get_task("wait_for_hour_files")
    sensor.poke_interval, sensor.timeout = 5, 60
    return dags


def test_the_dag_folder_imports_without_errors(dag_bag):
    assert dag_bag.import_errors == {}
    assert set(dag_bag.dag_ids) == DAG_IDS


def test_every_dag_and_task_follows_the_policy(dag_bag):
    for dag in dag_bag.dags.values():
        assert dag.doc_md and dag.doc_md.strip(), dag.dag_id
        assert dag.tags, dag.dag_id
        assert dag.dagrun_timeout, dag.dag_id
        # Ingestion lets a re-run of a past hour start beside the current hour's waiting run.
        assert dag.max_active_runs == (4 if dag.dag_id == "ingest_raw_events" else 1), dag.dag_id
        for task in dag.tasks:
            where = f"{dag.dag_id}.{task.task_id}"
            assert task.owner not in ("", "airflow"), where
            assert task.retries >= 1, where
            assert task.retry_exponential_backoff, where
            assert task.max_retry_delay, where
            assert task.execution_timeout, where
    # One writer at a time on DuckDB: every task that touches the warehouse is in its 1-slot pool.
    warehouse_tasks = {
        "ingest_raw_events": {"load_raw_events"},
        "transform_dbt_models": {f"build_generation_{n}" for n in range(1, 9)} | {"run_quality_checks", "publish"},
        "audit_whole_tables_daily": {"build_test_whole_tables_and_publish"},
    }
    for dag_id, task_ids in warehouse_tasks.items():
        for task_id in task_ids:
            assert dag_bag.dags[dag_id].get_task(task_id).pool == "duckdb_warehouse", task_id
    sensor = dag_bag.dags["ingest_raw_events"].get_task("wait_for_hour_files")
    assert sensor.mode == "reschedule" and sensor.timeout <= timedelta(hours=2).total_seconds()


def test_the_transformation_runs_on_the_raw_asset_and_chains_its_generations(dag_bag):
    ingest, transform = dag_bag.dags["ingest_raw_events"], dag_bag.dags["transform_dbt_models"]
    (load_outlet,) = ingest.get_task("load_raw_events").outlets
    assert list(transform.timetable.asset_condition.objects) == [load_outlet]
    for number in range(2, 9):
        upstream = transform.get_task(f"build_generation_{number}").upstream_task_ids
        assert f"build_generation_{number - 1}" in upstream
        # Runs after a skipped (empty) generation, never after a failed one.
        assert transform.get_task(f"build_generation_{number}").trigger_rule == "none_failed"
    assert "build_generation_8" in transform.get_task("run_quality_checks").upstream_task_ids
    # The run's dbt session: started by a setup task, ended by a teardown that runs whatever happened.
    assert transform.get_task("plan_builds").is_setup
    stop = transform.get_task("stop_dbt_session")
    assert stop.is_teardown and "publish" in stop.upstream_task_ids
    # Write-audit-publish: only publish updates the analytics asset, and only after the audit.
    # (plan_builds hands publish the run's dbt session.)
    assert transform.get_task("publish").upstream_task_ids == {"run_quality_checks", "plan_builds"}
    assert transform.get_task("publish").trigger_rule == "all_success"
    assert [task.task_id for task in transform.tasks if task.outlets] == ["publish"]


GUARDED_PARSE = """
import json, os, subprocess, sys
import duckdb

class Forbidden(Exception):
    pass

run_process = subprocess.Popen

def no_dbt_process(command, *args, **kwargs):
    words = [command] if isinstance(command, str) else list(command)
    if any(os.path.basename(str(word)) == "dbt" for word in words):
        raise Forbidden("dbt in a subprocess")
    return run_process(command, *args, **kwargs)

def no_connection(*args, **kwargs):
    raise Forbidden("duckdb.connect")

subprocess.Popen = no_dbt_process
duckdb.connect = no_connection

sys.path.insert(0, sys.argv[1])
from parse_time import measure

figures = measure()
guards = []
for attempt in (lambda: duckdb.connect(":memory:"), lambda: subprocess.run(["dbt", "--version"])):
    try:
        attempt()
        guards.append("off")
    except Forbidden:
        guards.append("on")
# dbt cannot run in-process without being imported.
figures["dbt_imported"] = any(name == "dbt" or name.startswith("dbt.") for name in sys.modules)
figures["guards"] = guards
print(json.dumps(figures))
"""


def test_parsing_the_dag_folder_runs_no_dbt_and_opens_no_database(airflow_home):
    """airflow/parse_time.py (the bench's figure) parses the DAG folder in a fresh interpreter where
    running dbt in a subprocess or connecting to DuckDB raises: every DAG file still imports, and dbt
    is not even imported. Parsing does none of these."""
    result = subprocess.run(
        [sys.executable, "-c", GUARDED_PARSE, str(AIRFLOW_DIR)],
        capture_output=True,
        text=True,
        env={**os.environ, "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"},
        check=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["guards"] == ["on", "on"]
    assert figures["dag_folder_import_errors"] == 0
    assert set(figures["dag_folder_dags"]) == DAG_IDS
    assert figures["dbt_imported"] is False
    assert figures["dag_folder_parse_seconds"] > 0 and figures["airflow_import_seconds"] > 0


def test_the_astronomer_deployment_agrees_with_the_dags(dag_bag):
    settings = yaml.safe_load((AIRFLOW_DIR / "astro" / "airflow_settings.yaml").read_text())["airflow"]
    pools = json.loads((AIRFLOW_DIR / "pools.json").read_text())
    assert {p["pool_name"]: p["pool_slot"] for p in settings["pools"]} == {n: p["slots"] for n, p in pools.items()}
    assert pools["duckdb_warehouse"]["slots"] == 1
    used_pools = {task.pool for dag in dag_bag.dags.values() for task in dag.tasks} - {"default_pool"}
    assert used_pools <= set(pools)

    import pipeline_common

    variables = {v["variable_name"] for v in settings["variables"]}
    assert {pipeline_common.LATE_SHARE_VARIABLE, pipeline_common.DUPLICATE_SHARE_VARIABLE} <= variables
    connections = {c["conn_id"] for c in settings["connections"]}
    assert pipeline_common.LAKE_CONNECTION in connections
{%- if cookiecutter.include_aws %}
    assert pipeline_common.BUCKET_VARIABLE in variables
    assert pipeline_common.BUCKET_VARIABLE in pipeline_common.BUCKET_TEMPLATE
    assert "aws_default" in connections
{%- endif %}

    dockerfile = (AIRFLOW_DIR / "astro" / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") == 1 and "FROM astrocrpublic.azurecr.io/runtime:3." in dockerfile
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[2:-1]:
                assert (PROJECT_DIR / source).exists(), source
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    requirements = (AIRFLOW_DIR / "astro" / "requirements.txt").read_text().splitlines()
    assert sorted(line for line in requirements if line and not line.startswith("#")) == sorted(project["dependencies"])


def test_the_generator_dag_delivers_its_interval_into_the_lake(dags_to_run, tmp_path, monkeypatch):
    """One run of generate_local_events writes the arrivals of its 5 minutes, with the Variable's share
    of duplicates, exactly as the delivery code computes them."""
    monkeypatch.setenv("PROJECT_DIR", str(PROJECT_DIR))
    monkeypatch.setenv("LAKE_DIR", str(tmp_path / "lake"))
    monkeypatch.setenv("AIRFLOW_VAR_LAKE_DUPLICATE_SHARE", "0.5")
    run = dags_to_run["generate_local_events"].test(logical_date=DAY_START + timedelta(hours=20, minutes=30))
    assert _state(run.state) == "success"
    start, end = run.data_interval_start, run.data_interval_end
    assert end - start == timedelta(minutes=5)

    def arrivals(duplicate_share: float) -> list[str]:
        policy = DeliveryPolicy(duplicate_share=duplicate_share, min_late_delay=end - start)
        return sorted(d.event.event_id for d in deliveries_in_window(DEFAULT_SEED, start, end, policy))

    delivered = []
    for path in list_lake_files(tmp_path / "lake"):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            delivered += [json.loads(line)["event_id"] for line in lines]
    assert sorted(delivered) == arrivals(0.5)
    assert arrivals(0.5) != arrivals(0.0)  # the Variable was read


def _state(value) -> str:
    return getattr(value, "value", value)


def start_cli_pipeline(data: Path, seed: int) -> subprocess.Popen:
    """generate -> load -> transform with the project's CLI on the same day and seed, in a process of its
    own (it runs while the DAGs do), writing to its own lake, warehouse and dbt target folder."""
    cli = Path(sys.executable).with_name({{ cookiecutter.project_slug | tojson }})
    steps = [["generate", "--start", f"{DAY_START:%Y-%m-%d}", "--end", f"{DAY_END:%Y-%m-%d}"], ["load"], ["transform"]]
    env = {
        **os.environ,
        "PROJECT_DIR": str(PROJECT_DIR),
        "LAKE_DIR": str(data / "lake"),
        "WAREHOUSE_PATH": str(data / "warehouse.duckdb"),
        "EVENT_SEED": str(seed),
        "DBT_TARGET": "local",
        "DBT_TARGET_PATH": str(data / "dbt-target"),
        "DBT_LOG_PATH": str(data / "dbt-logs"),
    }
    data.mkdir(parents=True, exist_ok=True)
    log = (data / "cli.log").open("w")
    return subprocess.Popen(
        ["bash", "-c", " && ".join(shlex.join([str(cli), *step]) for step in steps)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture(scope="module")
def dag_runs(dags_to_run, tmp_path_factory: pytest.TempPathFactory):
    """One day of events in a temporary lake; `dag.test()` of ingestion for its last hour, then of the
    transformation; the task instances of both runs, in the order they started. The CLI pipeline runs on
    the same day meanwhile, for the comparison of the KPIs."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    settings = make_settings(tmp_path_factory.mktemp("dag-run"))
    cli_data = tmp_path_factory.mktemp("cli-run")
    cli_pipeline = start_cli_pipeline(cli_data, settings.seed)
    generate_to_lake(settings, DAY_START, DAY_END)
    environment = run_environment(settings)
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        started = time.perf_counter()
        # The hourly run whose interval is the day's last hour.
        ingest = dags_to_run["ingest_raw_events"].test(logical_date=DAY_END)
        transform = dags_to_run["transform_dbt_models"].test()
        seconds = time.perf_counter() - started
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        cli_pipeline.wait(timeout=600)
    with create_session() as session:
        instances = [
            (ti.dag_id, ti.task_id, ti.map_index, ti.rendered_map_index, _state(ti.state), ti.start_date, ti.end_date)
            for ti in session.query(TaskInstance).filter(TaskInstance.run_id.in_([ingest.run_id, transform.run_id]))
        ]
    instances.sort(key=lambda ti: (ti[5] is None, ti[5]))
    order = [f"{ti[1]}[{ti[3]}]" if ti[2] >= 0 else ti[1] for ti in instances if ti[4] == "success"]
    print(f"\nend-to-end dag.test(): {seconds:.1f} s; tasks in the order they ran:\n  " + "\n  ".join(order))
    return {
        "settings": settings,
        "ingest": ingest,
        "transform": transform,
        "instances": instances,
        "cli": (cli_data, cli_pipeline.returncode),
    }


def test_ingestion_waits_for_the_hours_files_then_loads_the_lake(dag_runs):
    assert _state(dag_runs["ingest"].state) == "success"
    assert dag_runs["ingest"].data_interval_start == DAY_END - timedelta(hours=1)
    ran = [ti[1] for ti in dag_runs["instances"] if ti[0] == "ingest_raw_events" and ti[4] == "success"]
    assert ran == ["wait_for_hour_files", "load_raw_events"]


def test_the_mapped_dbt_steps_run_in_the_order_of_the_dbt_graph(dag_runs):
    """Every model, snapshot and seed of the manifest is built once, and none starts before all its
    parents have finished; each step's own run results hold the node and the tests planned with it."""
    assert _state(dag_runs["transform"].state) == "success"
    settings = dag_runs["settings"]
    manifest = load_manifest(settings.dbt_dir)
    parents = parents_by_name(manifest)
    steps = {
        ti[3]: ti
        for ti in dag_runs["instances"]
        if ti[0] == "transform_dbt_models" and ti[1].startswith("build_generation_") and ti[2] >= 0
    }
    assert sorted(steps) == sorted(parents)
    assert all(ti[4] == "success" for ti in steps.values())
    for name, ti in steps.items():
        for parent in parents[name]:
            assert steps[parent][6] <= ti[5], f"{name} started before its parent {parent} finished"
    for generation in plan_builds(manifest).generations:
        for step in generation:
            results = json.loads((target_dir(settings.dbt_dir) / "steps" / step.name / "run_results.json").read_text())
            ran = {result["unique_id"].split(".")[2]: result["status"] for result in results["results"]}
            assert set(ran) >= {step.name, *step.tests}
            assert set(ran.values()) <= {"success", "pass"}
    quality = [ti for ti in dag_runs["instances"] if ti[1] == "run_quality_checks"]
    assert [ti[4] for ti in quality] == ["success"]
    assert all(quality[0][5] >= ti[6] for ti in steps.values())
    publish = [ti for ti in dag_runs["instances"] if ti[1] == "publish"]
    assert [ti[4] for ti in publish] == ["success"] and publish[0][5] >= quality[0][6]


def test_the_runs_update_the_raw_and_analytics_assets(dag_runs):
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        events = {
            event.asset.name
            for event in session.query(AssetEvent).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            if event.source_run_id in (dag_runs["ingest"].run_id, dag_runs["transform"].run_id)
        }
    assert events == {"raw.raw_events", "analytics"}


def test_the_dags_give_the_same_kpis_as_the_cli_pipeline(dag_runs):
    cli_data, returncode = dag_runs["cli"]
    assert returncode == 0, (cli_data / "cli.log").read_text()[-3000:]
    lake = [path.relative_to(cli_data / "lake") for path in list_lake_files(cli_data / "lake")]
    dag_lake = dag_runs["settings"].lake_dir
    assert lake == [path.relative_to(dag_lake) for path in list_lake_files(dag_lake)]
    from_dags = read_kpis(dag_runs["settings"].warehouse_path)
    assert from_dags.orders > 0
    assert from_dags == read_kpis(cli_data / "warehouse.duckdb")


def run_environment(settings: Settings) -> dict[str, str]:
    return {
        "PROJECT_DIR": str(PROJECT_DIR),
        "LAKE_DIR": str(settings.lake_dir),
        "WAREHOUSE_PATH": str(settings.warehouse_path),
        "EVENT_SEED": str(settings.seed),
        "AIRFLOW_CONN_LAKE_FS": json.dumps({"conn_type": "fs", "extra": {"path": str(settings.lake_dir)}}),
    }


def task_states(run) -> dict[str, list[str]]:
    """Each task of a DAG run and the states of its instances (one per mapped instance)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    states: dict[str, list[str]] = {}
    with create_session() as session:
        for ti in session.query(TaskInstance).filter(TaskInstance.run_id == run.run_id):
            states.setdefault(ti.task_id, []).append(_state(ti.state))
    return states


def asset_events_of(run) -> set[str]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return {
            event.asset.name
            for event in session.query(AssetEvent).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            if event.source_run_id == run.run_id
        }


def test_a_run_for_a_given_hour_ingests_it_and_an_unchanged_lake_updates_no_asset(dag_runs, dags_to_run, monkeypatch):
    """The run parameter `hour` names the hour to ingest: a run whose own interval (a day later) has no
    files senses the day's last hour instead. Its files were loaded by the first run, so the load reads
    nothing new: it ends skipped, and the raw asset is not updated (no transformation starts)."""
    for name, value in run_environment(dag_runs["settings"]).items():
        monkeypatch.setenv(name, value)
    last_hour = DAY_END - timedelta(hours=1)
    assert list((dag_runs["settings"].lake_dir / partition_path(last_hour)).glob("*.json.gz"))
    run = dags_to_run["ingest_raw_events"].test(
        logical_date=DAY_END + timedelta(days=1), run_conf={"hour": f"{last_hour:%Y-%m-%dT%H:%M}"}
    )
    assert task_states(run) == {"wait_for_hour_files": ["success"], "load_raw_events": ["skipped"]}
    assert asset_events_of(run) == set()


def test_the_daily_run_tests_whole_tables_and_publishes_only_when_they_pass(dag_runs, dags_to_run, monkeypatch):
    """The hourly runs test the rows they touched; once a day, audit_whole_tables_daily (`make transform
    FULL_TESTS=1`) tests every row. Here, on the warehouse the hourly runs above left: it passes and
    publishes; then an old staged event is edited in place, which no hourly test reads again, and the
    daily run fails and publishes nothing. Runs after the hourly runs: it changes the warehouse."""
    import duckdb

    daily = dags_to_run["audit_whole_tables_daily"]
    assert daily.timetable.expression == "30 3 * * *"
    settings = dag_runs["settings"]
    monkeypatch.setenv("PROJECT_DIR", str(PROJECT_DIR))
    monkeypatch.setenv("LAKE_DIR", str(settings.lake_dir))
    monkeypatch.setenv("WAREHOUSE_PATH", str(settings.warehouse_path))

    assert _state(daily.test().state) == "success"
    published = read_kpis(settings.warehouse_path)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "update staging.stg_events set device = 'toaster' "
            "where event_id = (select event_id from staging.stg_events order by event_timestamp limit 1)"
        )
    assert _state(daily.test().state) == "failed"
    assert read_kpis(settings.warehouse_path) == published


def test_a_failing_dbt_test_inside_a_run_stops_it_before_publish(dag_runs, dags_to_run, monkeypatch):
    """Events of an unknown type arrive in a new hour. Ingestion loads them; in the transformation the
    build of stg_events runs its accepted_values test, which fails: the generations after it never start,
    the audit and publish do not run, the analytics asset is not updated, and the published tables are
    exactly as they were. The teardown still ends the run's dbt session. Runs last: it leaves the bad
    events in staging."""
    settings = dag_runs["settings"]
    for name, value in run_environment(settings).items():
        monkeypatch.setenv(name, value)
    published_before = published_tables(settings)
    kpis_before = read_kpis(settings.warehouse_path)
    bad_hour = DAY_END + timedelta(hours=2)
    inject_faults(settings, DAY_START, DAY_END, FaultPlan(unknown_event_type=3), bad_hour + timedelta(minutes=10))

    ingest = dags_to_run["ingest_raw_events"].test(logical_date=bad_hour + timedelta(hours=1))
    assert task_states(ingest) == {"wait_for_hour_files": ["success"], "load_raw_events": ["success"]}
    transform = dags_to_run["transform_dbt_models"].test()
    states = task_states(transform)
    print("\nfailure inside a run:\n  " + "\n  ".join(f"{task}: {', '.join(s)}" for task, s in sorted(states.items())))

    assert _state(transform.state) == "failed"
    generation_of_staging = next(
        number
        for number, steps in enumerate(plan_builds(load_manifest(settings.dbt_dir)).generations, start=1)
        if "stg_events" in {step.name for step in steps}
    )
    assert "failed" in states[f"build_generation_{generation_of_staging}"]
    for number in range(generation_of_staging + 1, 9):
        assert set(states[f"build_generation_{number}"]) == {"upstream_failed"}, number
    assert states["run_quality_checks"] == ["upstream_failed"]
    assert states["publish"] == ["upstream_failed"]
    assert states["stop_dbt_session"] == ["success"]
    assert asset_events_of(transform) == set()
    assert published_tables(settings) == published_before
    assert read_kpis(settings.warehouse_path) == kpis_before
