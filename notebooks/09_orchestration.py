# %% [markdown]
# # 9. Orchestration: the pipeline as DAGs
#
# **What you will learn**
#
# - what Airflow adds to the CLI's steps: a schedule, retries, a sensor that waits
#   for files, and one run per hour you can re-run;
# - how the DAG files are parsed (`DagBag`), and why parsing must stay cheap;
# - how the dbt graph is cut into *generations* that run one after the other, each
#   *mapped* into one task instance per model (dynamic task mapping);
# - the *Asset* that lets the load trigger the transformation, with no clock;
# - `dag.test()`: one hour of ingestion run for real, in this notebook.
#
# **Where this sits.** Around every box: Airflow runs *lake -> warehouse -> dbt
# -> audit -> publish* on a schedule. The DAGs are in `airflow/dags/`, the build plan
# they follow in `src/<package>/warehouse/dbt_graph.py`, the Astronomer deployment in
# `airflow/astro/`; `make airflow` starts Airflow on your laptop.
#
# Airflow here gets a home of its own (a SQLite database in
# `data/notebooks/09_orchestration/`), and the DAGs run on the notebook's own lake
# and warehouse: nothing touches your project's data.

# %% tags=["parameters"] test_parameters={"hour": 4}
day = "2025-10-04"
hour = 20  # the hour of that day (UTC) that the ingestion DAG runs for

# %%
import json
import os
from datetime import UTC, datetime, timedelta

import lesson
import matplotlib.pyplot as plt
import pandas as pd

folder = lesson.workspace("09_orchestration")
settings = lesson.settings(folder)
dags_folder = lesson.PROJECT_DIR / "airflow" / "dags"
# Airflow reads its configuration once, when it is imported: set it first.
os.environ.update(
    {
        "AIRFLOW_HOME": str(folder / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{folder}/airflow/airflow.db",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "DBT_TARGET": "local",
        # What the tasks read through Settings.from_env(): the notebook's lake and warehouse.
        "PROJECT_DIR": str(lesson.PROJECT_DIR),
        "LAKE_DIR": str(settings.lake_dir),
        "WAREHOUSE_PATH": str(settings.warehouse_path),
        # The sensor's connection: an `fs` connection whose path is the lake.
        "AIRFLOW_CONN_LAKE_FS": json.dumps({"conn_type": "fs", "extra": {"path": str(settings.lake_dir)}}),
    }
)
from airflow.dag_processing.dagbag import BundleDagBag  # noqa: E402  (after the configuration)

# %% [markdown]
# ## Parse the DAG folder
#
# The scheduler imports every file of the DAG folder again and again (every 30
# seconds by default) to find the DAGs. A DAG file is *wiring*: it names tasks and
# their order, and does no work when imported (no dbt, no database). `DagBag` is
# what the scheduler uses to parse; `BundleDagBag` is its form for a folder whose
# files import each other (`pipeline_common.py`). `known_pools` makes a task in a
# pool that `airflow/pools.json` does not create an import error.


# %%
def schedule_of(dag) -> str:
    """A clock (a cron expression) or the assets whose updates start the DAG."""
    timetable = dag.timetable
    if getattr(timetable, "asset_condition", None) is not None:
        return "when updated: " + ", ".join(asset.name for asset in timetable.asset_condition.objects)
    return f"cron {timetable.expression}" if hasattr(timetable, "expression") else type(timetable).__name__


pools = json.loads((lesson.PROJECT_DIR / "airflow" / "pools.json").read_text())
bag = BundleDagBag(dag_folder=dags_folder, bundle_path=dags_folder, bundle_name="dags-folder", known_pools=set(pools))
print("import errors:", bag.import_errors or "none")
pd.DataFrame(
    [
        {
            "dag": dag.dag_id,
            "schedule": schedule_of(dag),
            "tasks": len(dag.tasks),
            "tags": ", ".join(sorted(dag.tags)),
        }
        for dag in bag.dags.values()
    ]
).sort_values("dag")

# %% [markdown]
# ## The dbt graph, cut into generations
#
# `dbt build` knows the order of the models. To run each model as a task of its
# own (retried alone, visible alone), the DAG needs that order too. `dbt parse`
# writes the graph to `manifest.json`; `dbt_graph.plan_builds` sorts its nodes into
# **generations**: generation 1 reads only sources, generation n + 1 only models of
# generations 1 to n. A generation starts when the one before it has succeeded, so
# a model never starts before its parents finish; the models of one generation may
# run side by side. Each test runs with the last of its parents to be built.

# %%
dbt_graph = lesson.module("warehouse.dbt_graph")
lesson.dbt(settings, "parse")
manifest = json.loads((folder / "dbt_target" / "manifest.json").read_text())
plan = dbt_graph.plan_builds(manifest)
generations = pd.DataFrame(
    [
        {"generation": number, "node": step.name, "tests": len(step.tests)}
        for number, steps in enumerate(plan.generations, start=1)
        for step in steps
    ]
)
print(f"{len(plan.names)} nodes in {len(plan.generations)} generations; {len(plan.final_tests)} tests run at the end")
generations

# %%
per_generation = generations.groupby("generation").agg(nodes=("node", "size"), tests=("tests", "sum"))
per_generation.plot.bar(
    subplots=True,
    layout=(1, 2),
    figsize=(10, 3),
    rot=0,
    legend=False,
    color=["#4c72b0", "#dd8452"],
    title=["dbt nodes (mapped task instances)", "tests run with them"],
)
plt.show()

# %% [markdown]
# ## Dynamic task mapping
#
# How many models a generation has is known only when `plan_builds` has run, at
# run time. So the transformation DAG declares one task per generation,
# `build_generation_n`, *mapped* with `.expand()` over that generation's list: at
# run time Airflow makes one task instance per model, labelled with the model's
# name. Here are the mapped tasks, and how many instances the plan above gives each.

# %%
transform = bag.dags["transform_dbt_models"]
mapped = [task for task in transform.tasks if task.task_id.startswith("build_generation_")]
pd.DataFrame(
    [
        {
            "task": task.task_id,
            "kind": type(task).__name__,
            "instances at run time": len(plan.generations[n]) if n < len(plan.generations) else 0,
            "trigger rule": str(task.trigger_rule),
        }
        for n, task in enumerate(sorted(mapped, key=lambda t: int(t.task_id.rsplit("_", 1)[1])))
    ]
)

# %% [markdown]
# ## The Asset that starts the transformation
#
# The transformation has no clock. The load task of `ingest_raw_events` declares
# the asset `raw.raw_events` as an *outlet*: each time it succeeds, Airflow records
# an asset event, and `transform_dbt_models`, scheduled on that asset, starts.
# Likewise `publish` updates `analytics`: a dashboard refresh could wait on it.

# %%
ingest = bag.dags["ingest_raw_events"]
pd.DataFrame(
    [
        {"dag": dag.dag_id, "task": task.task_id, "updates asset": ", ".join(a.name for a in task.outlets)}
        for dag in (ingest, transform)
        for task in dag.tasks
        if task.outlets
    ]
    + [{"dag": transform.dag_id, "task": "(schedule)", "updates asset": f"(starts it) {schedule_of(transform)}"}]
)

# %% [markdown]
# ## `dag.test()`: one hour of ingestion, for real
#
# `dag.test()` runs a DAG in this process, task after task, with a real Airflow
# database (a fresh SQLite file here). Generate one hour of events into the
# notebook's lake, then run the hourly ingestion for it: the sensor finds the
# hour's files, the load copies them into `raw.raw_events`, and the asset is updated.
# (The transformation's dbt steps take a few minutes: that run is left to `make airflow`.)

# %%
from airflow.models.pool import Pool
from airflow.utils import db

with lesson.quiet():
    db.initdb()
for name, pool in pools.items():
    Pool.create_or_update_pool(name, pool["slots"], pool["description"], pool["include_deferred"])

backfill = lesson.module("ingest.backfill")
hour_start = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=hour)
generated = backfill.generate_to_lake(settings, hour_start, hour_start + timedelta(hours=1))
print(f"{generated.events:,} events of {hour_start:%Y-%m-%d %H}:00 in {generated.files} lake files")

# %%
for task in ingest.tasks:
    task.retries = 0  # under dag.test() a failure should show at once, not after retry delays
with lesson.quiet():
    run = ingest.test(logical_date=hour_start + timedelta(hours=1))
print(f"run {run.run_id}: {run.state}, data interval {run.data_interval_start} to {run.data_interval_end}")
pd.DataFrame([{"task": ti.task_id, "state": str(ti.state), "tries": ti.try_number} for ti in run.get_task_instances()])

# %% [markdown]
# The load's success was recorded as an asset event: the event a scheduler would
# turn into a run of `transform_dbt_models`.

# %%
from airflow.models.asset import AssetEvent, AssetModel
from airflow.utils.session import create_session

with create_session() as session:
    asset_events = [
        {"asset": event.asset.name, "from dag": event.source_dag_id, "from task": event.source_task_id}
        for event in session.query(AssetEvent).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
        if event.source_run_id == run.run_id
    ]
pd.DataFrame(asset_events)

# %% [markdown]
# ## Checkpoint: the DAG loaded exactly the hour's events
#
# One figure, two ways: the events the generator wrote for the hour, and the rows
# the DAG's load put in the notebook's `raw.raw_events`.

# %%
loaded = lesson.query("select count(*) as n from raw.raw_events", settings.warehouse_path)["n"][0]
print(f"generated {generated.events:,}, loaded by the DAG {loaded:,}")
assert loaded == generated.events
assert str(run.state) in ("success", "DagRunState.SUCCESS")

# %% [markdown]
# ## Break it on purpose: a cycle in the dbt graph
#
# Generations exist only if the graph has no cycle. Make `stg_events` read from a
# model that reads from it (in a copy of the manifest), and the plan refuses, with
# the nodes of the cycle named. The next cell is *meant* to fail with `PipelineError`.

# %%
broken = json.loads(json.dumps(manifest))
stg_events = next(uid for uid, node in broken["nodes"].items() if node["name"] == "stg_events")
fct_orders = next(uid for uid, node in broken["nodes"].items() if node["name"] == "fct_orders")
broken["nodes"][stg_events]["depends_on"]["nodes"].append(fct_orders)

# %% tags=["raises-exception"] expected_exception="PipelineError"
dbt_graph.plan_builds(broken)

# %% [markdown]
# ## Your turn
#
# 1. Which generation is the longest? On Snowflake its models would run in
#    parallel: set the `snowflake_warehouse` pool's slots in `airflow/pools.json`
#    and say how many would run at once.
# 2. Run the ingestion for the same hour again (`ingest.test(...)` with the same
#    logical date): how many rows does `raw.raw_events` gain, and why?
# 3. Read `SENSOR_SETTINGS` in `ingest_raw_events.py`: what does the sensor do for
#    an hour whose files have not arrived, and why does *reschedule* mode matter
#    when a worker has few slots?
# 4. Read `parse_time.py` in `airflow/`: why must a DAG file never run dbt or open
#    the warehouse when it is imported?
