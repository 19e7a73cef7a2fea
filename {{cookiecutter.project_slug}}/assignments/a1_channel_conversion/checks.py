"""A1 public checks: the rows and sessions add up, the model's tests catch a duplicate, every column is documented."""

from __future__ import annotations

from assignments.grading.framework import Assignment, CheckFailed, public_check
from assignments.grading.tables import require_built

ASSIGNMENT = Assignment(
    key="a1_channel_conversion",
    title="Conversion by channel and device",
    after_notebook="07_analytics",
    files=("dbt/models/assignments/asg_channel_conversion.sql", "dbt/models/assignments/_assignments.yml"),
    hidden_parts={"matches the reference solution on your data": 5},
)
MODEL = "asg_channel_conversion"
# A second copy of one row: the kind of fault a careless join makes.
DUPLICATE_ROW = f"insert into assignments.{MODEL} select * from assignments.{MODEL} limit 1"


@public_check(ASSIGNMENT, "one row per channel and device; the sessions add up", points=2)
def one_row_per_channel_and_device(workspace) -> None:
    require_built(workspace, MODEL)
    (rows, sessions), (pairs, all_sessions) = workspace.rows(
        f"select count(*), coalesce(sum(sessions), 0) from assignments.{MODEL} "
        "union all select count(distinct (channel, device)), count(*) from analytics_candidate.analytics_sessions"
    )
    if rows != pairs:
        raise CheckFailed(f"{MODEL} has {rows} rows; the sessions come from {pairs} channel and device pairs")
    if sessions != all_sessions:
        raise CheckFailed(f"the sessions column adds up to {sessions}; analytics_sessions holds {all_sessions}")


def model_tests(workspace) -> list[dict]:
    model_id = f"model.{{ cookiecutter.package_name }}.{MODEL}"
    return [
        node
        for node in workspace.manifest_nodes()
        if node["resource_type"] == "test" and model_id in node["depends_on"]["nodes"]
    ]


@public_check(ASSIGNMENT, "its dbt tests pass, and catch a duplicated row", points=2)
def tests_catch_a_duplicate(workspace) -> None:
    require_built(workspace, MODEL)
    tests = model_tests(workspace)
    if not tests:
        raise CheckFailed(f"{MODEL} has no data tests in _assignments.yml")
    results = workspace.node_results()
    failing = [t["name"] for t in tests if results.get(t["name"], {}).get("status") != "pass"]
    if failing:
        raise CheckFailed(f"these tests of {MODEL} do not pass on your data: {', '.join(sorted(failing))}")
    if not any(workspace.failing_rows(workspace.compiled_sql(t["name"]), plant=DUPLICATE_ROW) for t in tests):
        raise CheckFailed(f"none of the tests of {MODEL} fails when a channel and device row appears twice")


@public_check(ASSIGNMENT, "the model and every column are documented", points=1)
def documented(workspace) -> None:
    nodes = [n for n in workspace.manifest_nodes() if n["resource_type"] == "model" and n["name"] == MODEL]
    if not nodes:
        raise CheckFailed(f"{MODEL} is not in the dbt project")
    (node,) = nodes
    if not node["description"].strip():
        raise CheckFailed(f"{MODEL} has no description in _assignments.yml")
    bare = [name for name, column in node["columns"].items() if not column["description"].strip()]
    if bare or not node["columns"]:
        raise CheckFailed(f"these columns of {MODEL} have no description: {', '.join(bare) or 'all of them'}")
