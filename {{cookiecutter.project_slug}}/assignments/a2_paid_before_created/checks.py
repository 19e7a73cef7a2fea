"""A2 public check: the test passes on clean data and catches the defect planted on a fulfilled order."""

from __future__ import annotations

from assignments.grading.framework import Assignment, CheckFailed, public_check

ASSIGNMENT = Assignment(
    key="a2_paid_before_created",
    title="A test that catches payments recorded before their order",
    after_notebook="08_data_quality",
    files=("dbt/tests/assignments/assert_no_order_paid_before_created.sql",),
    hidden_parts={"also catches the defect on other kinds of order": 2},
)
TEST = "assert_no_order_paid_before_created"


def plant_paid_before_created(order_filter: str) -> str:
    """SQL that moves one order's payment to an hour before its creation: which order depends on the seed."""
    return (
        "update marts.fct_orders set paid_at = order_created_at - interval 1 hour "
        f"where order_id = (select min(order_id) from marts.fct_orders where {order_filter})"
    )


def catches(workspace, order_filter: str, kind: str) -> None:
    """The test ran, found nothing on the clean data, and finds the planted order."""
    result = workspace.node_results().get(TEST)
    if result is None:
        raise CheckFailed(f"the test {TEST} did not run (is it still in dbt/tests/assignments/?)")
    if result["status"] != "pass":
        raise CheckFailed(f"the test {TEST} does not pass on clean data ({result['status']})")
    if workspace.failing_rows(workspace.compiled_sql(TEST), plant=plant_paid_before_created(order_filter)) == 0:
        raise CheckFailed(f"the test finds nothing when {kind} is recorded as paid before it was created")


@public_check(ASSIGNMENT, "passes on clean data, catches it on a fulfilled order", points=3)
def catches_on_a_fulfilled_order(workspace) -> None:
    catches(workspace, "order_status = 'fulfilled'", "a fulfilled order")
