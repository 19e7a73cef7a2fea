"""A5 hidden checks (instructor edition only): a second run changes nothing, and the snapshots equal the
reference solution's, run on the same copies: the student's data, and the same with a day's orders removed."""

from __future__ import annotations

from collections import Counter

from assignments.grading.framework import CheckFailed, hidden_check

from .checks import ASSIGNMENT, SNAPSHOTS, dag_runs, require_run, snapshot_rows


def differing_days(mine: list[tuple], theirs: list[tuple]) -> list[str]:
    """The days whose row is missing, extra or different (never the expected values)."""
    mine_counted, theirs_counted = Counter(mine), Counter(theirs)
    return sorted({str(row[0]) for row in (mine_counted - theirs_counted) + (theirs_counted - mine_counted)})


@hidden_check(ASSIGNMENT, "a second run changes nothing")
def second_run_changes_nothing(workspace) -> None:
    runs = dag_runs(workspace)
    first = snapshot_rows(require_run(runs, "first_run", "the first run"))
    second = snapshot_rows(require_run(runs, "second_run", "a second run on what the first left"))
    if len(second) != len(first):
        raise CheckFailed(f"after a second run {SNAPSHOTS} has {len(second)} rows instead of {len(first)}")
    changed = differing_days(first, second)
    if changed:
        raise CheckFailed(f"a second run changed the rows of {len(changed)} day(s), for example {changed[0]}")


@hidden_check(ASSIGNMENT, "matches the reference solution on your data, and on a day without orders")
def matches_reference(workspace) -> None:
    runs = dag_runs(workspace)
    cases = (
        ("first_run", "your data", "dag.test()"),
        ("planted", f"your data without the orders of {runs.get('planted_day')}", "the run on a day without orders"),
    )
    for name, data, what in cases:
        reference = snapshot_rows(require_run(runs, f"reference_{name}", f"the reference solution on {data}"))
        mine = snapshot_rows(require_run(runs, name, what))
        wrong = differing_days(mine, reference)
        if wrong:
            raise CheckFailed(
                f"on {data}, {len(wrong)} day(s) of {SNAPSHOTS} are missing, extra or different; for example {wrong[0]}"
            )
