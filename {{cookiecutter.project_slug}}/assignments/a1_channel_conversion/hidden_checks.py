"""A1 hidden checks (instructor edition only): the table equals the reference built on the student's data."""

from __future__ import annotations

from assignments.grading.framework import hidden_check
from assignments.grading.tables import compare_with_reference

from .checks import ASSIGNMENT, MODEL


@hidden_check(ASSIGNMENT, "matches the reference solution on your data")
def matches_reference(workspace) -> None:
    compare_with_reference(
        workspace,
        MODEL,
        ("channel", "device"),
        ("channel", "device", "sessions", "converted_sessions", "conversion_rate", "net_revenue"),
        rounded=("conversion_rate",),
    )
