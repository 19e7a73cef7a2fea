"""A4 hidden check (instructor edition only): the full build equals the reference built on the student's data."""

from __future__ import annotations

from assignments.grading.framework import hidden_check
from assignments.grading.tables import compare_with_reference

from .checks import ASSIGNMENT, MODEL, require_incremental


@hidden_check(ASSIGNMENT, "matches the reference solution on your data")
def matches_reference(workspace) -> None:
    require_incremental(workspace)
    compare_with_reference(
        workspace, MODEL, ("event_type", "event_hour"), ("event_type", "event_hour", "events", "last_loaded_at")
    )
