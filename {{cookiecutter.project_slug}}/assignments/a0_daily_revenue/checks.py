"""A0 public checks: they hold for any seed, and compare the table with the marts it comes from."""

from __future__ import annotations

from assignments.grading.framework import Assignment, CheckFailed, public_check
from assignments.grading.tables import require_built

ASSIGNMENT = Assignment(
    key="a0_daily_revenue",
    title="Daily revenue (worked example)",
    after_notebook="06_marts",
    files=("dbt/models/assignments/asg_daily_revenue.sql",),
    hidden_parts={"matches the reference solution on your data": 3},
)


@public_check(ASSIGNMENT, "one row per day with orders; the orders add up", points=2)
def one_row_per_order_day(workspace) -> None:
    require_built(workspace, "asg_daily_revenue")
    (days, orders), (order_days, all_orders) = workspace.rows(
        "select count(distinct order_date), coalesce(sum(orders), 0) from assignments.asg_daily_revenue "
        "union all select count(distinct cast(order_created_at as date)), count(*) from marts.fct_orders"
    )
    if days != order_days:
        raise CheckFailed(f"asg_daily_revenue has {days} distinct days; fct_orders has orders on {order_days}")
    if orders != all_orders:
        raise CheckFailed(f"the orders column adds up to {orders}, but fct_orders holds {all_orders} orders")
