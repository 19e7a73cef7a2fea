"""
### Transform: every dbt model, in dbt's dependency order, with its tests

Runs when new raw events have landed (the asset `raw.raw_events`), not on a clock.

1. **plan_builds** (a *setup* task) starts a dbt session for this run: one process
   that imports dbt and parses the project once, so a model added to `dbt/models/`
   is picked up by the next run. Every dbt command of the run goes to it, and it
   runs each one without dbt's start-up (seconds per command). It sorts the models
   (and the snapshots and seeds, which `dbt build` builds too) into generations:
   generation 1 reads only sources; every model of generation n + 1 selects only
   from models of generations 1 to n.
2. **build_generation_1** to **build_generation_8**: one task per generation, each
   mapped (`.expand()`) over that generation's models (handed over by
   **steps_of_generation_n**), one instance per model, labelled with its name.
   Each instance runs `dbt build --select <model> <its tests>`: the model, then
   its tests. A generation starts only when the one before it has succeeded, so
   a model never starts before its parents have finished, and a failing model or
   test stops everything after it. The models of one generation run in parallel
   as far as the warehouse pool allows (1 slot on DuckDB). Generations the graph
   does not reach are skipped (a deeper graph fails the plan with a clear error).
3. **run_quality_checks** is the audit of write-audit-publish: `dbt source
   freshness` (the raw table was loaded recently), the tests no single model
   completes (tests on the sources, and tests across two models of one
   generation){% if cookiecutter.include_quality %}, then the Great Expectations suites on raw, staging and the
   candidate analytics tables (any failed expectation fails the task, named in
   its log){% endif %}. The analytics models were built into `analytics_candidate`,
   which no dashboard reads.
4. **publish** runs only when the audit passed: `dbt run-operation
   publish_analytics` replaces the published `analytics` tables with their
   candidates. Its success updates the asset `analytics`, so dashboards only ever
   refresh from checked tables; a failed audit leaves them as they were.
5. **stop_dbt_session** (a *teardown* task) ends the session, whether the run
   succeeded or not. Clearing a failed model's task clears its setup and teardown
   too, so a retry gets a session of its own.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task
from pipeline_common import ANALYTICS, DEFAULT_ARGS, RAW_EVENTS, START_DATE, WAREHOUSE_POOL

# Task slots for the generations of the dbt graph (the project has 5 today).
MAX_GENERATIONS = 8


@dag(
    schedule=[RAW_EVENTS],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    default_args=DEFAULT_ARGS,
    tags=["transformation", "dbt", "warehouse"],
    doc_md=__doc__,
)
def transform_dbt_models():
    @task(multiple_outputs=True)
    def plan_builds() -> dict:
        """Start the run's dbt session (it parses the project), then the nodes of each generation with their
        tests, and the tests left for the end."""
        from {{ cookiecutter.package_name }}.errors import PipelineError
        from {{ cookiecutter.package_name }}.settings import Settings
        from {{ cookiecutter.package_name }}.warehouse.dbt_graph import start_and_plan
        from {{ cookiecutter.package_name }}.warehouse.dbt_session import stop_session

        session, plan = start_and_plan(Settings.from_env())
        if len(plan.generations) > MAX_GENERATIONS:
            stop_session(session)
            raise PipelineError(
                f"the dbt graph has {len(plan.generations)} generations; raise MAX_GENERATIONS "
                f"(now {MAX_GENERATIONS}) in {__file__}"
            )
        generations = [[{"name": step.name, "tests": list(step.tests)} for step in steps] for steps in plan.generations]
        return {"generations": generations, "final_tests": list(plan.final_tests), "session": session.to_dict()}

    # Airflow maps only over a task's whole return value: each generation's list comes from a task of its own.
    # The builds and the audit take the plan through these hand-over tasks: only tasks that need every
    # upstream task to succeed may follow a setup task, and a generation must run after an empty one.
    @task
    def steps_of_generation(generations: list[list[dict]], session: dict, number: int) -> list[dict]:
        """The steps of one generation (none if the graph is shallower), each with the run's dbt session."""
        steps = generations[number - 1] if number <= len(generations) else []
        return [{**step, "session": session} for step in steps]

    @task
    def plan_of_audit(final_tests: list[str], session: dict) -> dict:
        """The tests left for the audit, with the run's dbt session."""
        return {"tests": final_tests, "session": session}

    # Each mapped instance is labelled with its node in the UI (and in the task instance's rendered_map_index).
    @task(pool=WAREHOUSE_POOL, trigger_rule="none_failed", map_index_template={% raw %}"{{ node }}"{% endraw %})
    def build_node(step: dict) -> None:
        """dbt build --select <model, snapshot or seed> <its tests>, in the run's dbt session."""
        from {{ cookiecutter.package_name }}.warehouse.dbt_graph import BuildStep, build_step
        from {{ cookiecutter.package_name }}.warehouse.dbt_session import Session

        get_current_context()["node"] = step["name"]
        build_step(Session(**step["session"]), BuildStep(step["name"], tuple(step["tests"])))

    @task(pool=WAREHOUSE_POOL, trigger_rule="none_failed")
    def run_quality_checks(audit: dict) -> None:
        """dbt source freshness, then dbt test of the tests no single step completes{% if cookiecutter.include_quality %}, then the suites{% endif %}."""
{%- if cookiecutter.include_quality %}
        from airflow.sdk.exceptions import AirflowFailException
{% endif %}
{%- if cookiecutter.include_quality %}
        from {{ cookiecutter.package_name }}.quality.gate import run_quality_gate
        from {{ cookiecutter.package_name }}.settings import Settings
{%- endif %}
        from {{ cookiecutter.package_name }}.warehouse.dbt_graph import run_final_tests
        from {{ cookiecutter.package_name }}.warehouse.dbt_session import Session, run_in_session

        dbt = Session(**audit["session"])
        run_in_session(dbt, "source", "freshness")
        run_final_tests(dbt, audit["tests"])
{%- if cookiecutter.include_quality %}
        # Imports Great Expectations when the task runs, never when the DAG file is parsed.
        gate = run_quality_gate(Settings.from_env())
        if not gate.passed:
            # Bad data stays bad on a retry: fail at once, and publish nothing.
            raise AirflowFailException(f"{len(gate.failures)} check(s) failed: " + "; ".join(gate.failures))
{%- endif %}

    @task(pool=WAREHOUSE_POOL, outlets=[ANALYTICS])
    def publish(session: dict) -> dict[str, int]:
        """dbt run-operation publish_analytics: the audited candidates become the published analytics tables."""
        from {{ cookiecutter.package_name }}.settings import Settings
        from {{ cookiecutter.package_name }}.warehouse.dbt_session import Session
        from {{ cookiecutter.package_name }}.warehouse.publish import publish as publish_analytics

        return publish_analytics(Settings.from_env(), Session(**session))

    @task
    def stop_dbt_session(session: dict) -> None:
        """End the run's dbt session."""
        from {{ cookiecutter.package_name }}.warehouse.dbt_session import Session, stop_session

        stop_session(Session(**session))

    plan = plan_builds()
    previous = None
    for number in range(1, MAX_GENERATIONS + 1):
        # none_failed: a generation runs after one that was skipped (empty), never after one that failed.
        steps = steps_of_generation.override(task_id=f"steps_of_generation_{number}")(
            plan["generations"], plan["session"], number
        )
        generation = build_node.override(task_id=f"build_generation_{number}").expand(step=steps)
        if previous is not None:
            previous >> generation
        previous = generation
    audit = run_quality_checks(plan_of_audit(plan["final_tests"], plan["session"]))
    published = previous >> audit >> publish(plan["session"])
    published >> stop_dbt_session(plan["session"]).as_teardown(setups=plan)


transform_dbt_models()
