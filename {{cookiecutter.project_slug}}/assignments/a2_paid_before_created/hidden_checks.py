"""A2 hidden check (instructor edition only): the defect planted where a narrow filter would miss it."""

from __future__ import annotations

from assignments.grading.framework import hidden_check

from .checks import ASSIGNMENT, catches


@hidden_check(ASSIGNMENT, "also catches the defect on other kinds of order")
def catches_on_a_cancelled_paid_order(workspace) -> None:
    catches(workspace, "order_status = 'cancelled' and paid_at is not null", "an order cancelled after payment")
