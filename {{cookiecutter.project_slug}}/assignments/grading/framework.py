"""What an assignment is, what a check is, and how a check's outcome becomes points.

A check is a function of the built workspace that returns nothing when the work
is right and raises CheckFailed with one sentence for the student when it is
not. Only that sentence reaches feedback: never the check's code, which is why
checks do not use `assert` (its message would quote the expression).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ASSIGNMENTS_DIR = Path(__file__).resolve().parents[1]


class CheckFailed(Exception):
    """The work does not meet a check: the message says what is wrong, not how the check works."""


@dataclass(frozen=True)
class Assignment:
    key: str  # its folder: a0_daily_revenue
    title: str
    after_notebook: str
    files: tuple[str, ...]  # the files a student edits, relative to the project
    # Names and points of the checks that run only at grading: shown to students, their code is not.
    hidden_parts: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.key.split("_", 1)[0].upper()


@dataclass(frozen=True)
class Part:
    assignment: Assignment
    name: str
    points: int
    hidden: bool
    run: Callable | None = None  # None for a hidden part listed in the student edition


@dataclass(frozen=True)
class Outcome:
    part: Part
    status: str  # passed, failed, not started, hidden (runs at grading)
    message: str = ""

    @property
    def score(self) -> int:
        return self.part.points if self.status == "passed" else 0


_registered: list[Part] = []


def public_check(assignment: Assignment, name: str, points: int) -> Callable:
    """Register a check that students run with `make check` and that grading runs again."""

    def register(function: Callable) -> Callable:
        _registered.append(Part(assignment, name, points, hidden=False, run=function))
        return function

    return register


def hidden_check(assignment: Assignment, name: str) -> Callable:
    """Register a check that runs only at grading (instructor edition); its points are declared in the assignment."""

    def register(function: Callable) -> Callable:
        _registered.append(Part(assignment, name, assignment.hidden_parts[name], hidden=True, run=function))
        return function

    return register


ASSIGNMENT_MODULES = (
    "a0_daily_revenue",
    "a1_channel_conversion",
    "a2_paid_before_created",
    "a3_analyst_grants",
    "a4_incremental_counts",
{%- if cookiecutter.include_airflow %}
    "a5_kpi_snapshots",
{%- endif %}
)


def load_assignments() -> tuple[list[Assignment], list[Part]]:
    """Every assignment and its parts, in course order; hidden parts are runnable where their code exists.

    Each checks module registers its parts once, when first imported: a second call finds the same parts."""
    assignments = []
    for name in ASSIGNMENT_MODULES:
        module = importlib.import_module(f"assignments.{name}.checks")
        assignments.append(module.ASSIGNMENT)
        if (ASSIGNMENTS_DIR / name / "hidden_checks.py").is_file():
            importlib.import_module(f"assignments.{name}.hidden_checks")
    parts = []
    for assignment in assignments:
        parts += [p for p in _registered if p.assignment == assignment and not p.hidden]
        runnable = {p.name: p for p in _registered if p.assignment == assignment and p.hidden}
        parts += [
            runnable.get(name, Part(assignment, name, points, hidden=True))
            for name, points in assignment.hidden_parts.items()
        ]
    return assignments, parts


def run_part(part: Part, workspace) -> Outcome:
    """Run one check; an unexpected error is a failure with its one-line reason, not a crash of the grader."""
    try:
        part.run(workspace)
    except CheckFailed as failure:
        return Outcome(part, "failed", str(failure))
    except Exception as error:  # a submission can break a check in any way: it loses that part only
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return Outcome(part, "failed", f"could not be checked: {type(error).__name__}: {reason}"[:300])
    return Outcome(part, "passed")
