"""A0 hidden checks (instructor edition only): the table equals the reference built on the student's data."""

from __future__ import annotations

from assignments.grading.framework import hidden_check
from assignments.grading.tables import compare_with_reference

from .checks import ASSIGNMENT


@hidden_check(ASSIGNMENT, "matches the reference solution on your data")
def matches_reference(workspace) -> None:
    compare_with_reference(
        workspace, "asg_daily_revenue", ("order_date",), ("order_date", "orders", "revenue_orders", "net_revenue")
    )
