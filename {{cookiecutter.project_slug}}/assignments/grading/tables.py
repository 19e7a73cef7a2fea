"""Reading a student's table, and comparing it with the reference built on the same data."""

from __future__ import annotations

from .framework import CheckFailed
from .workspace import last_error


def require_built(workspace, model: str) -> None:
    """The model built with its contract; else the check fails with dbt's own reason."""
    results = workspace.node_results()
    if not results:
        raise CheckFailed(f"dbt could not build the assignments: {last_error(workspace.build_output)}")
    result = results.get(model)
    if result is None:
        raise CheckFailed(f"{model} was not built (is its file still in dbt/models/assignments/?)")
    if result["status"] != "success":
        message = (result.get("message") or "").strip().splitlines()
        raise CheckFailed(f"{model} did not build: {message[0] if message else result['status']}")


def compare_with_reference(
    workspace, model: str, key: tuple[str, ...], columns: tuple[str, ...], rounded: tuple[str, ...] = ()
) -> None:
    """Every row of the reference is in the student's table with the same values, and nothing else.

    The `rounded` columns are compared to 4 decimals. The failure names how many rows
    differ and one example key, never the expected values.
    """
    require_built(workspace, model)
    keys = ", ".join(key)
    values = ", ".join(f"round(cast({c} as double), 4) as {c}" if c in rounded else c for c in columns)
    mine = f"select {values} from assignments.{model}"
    theirs = f"select {values} from reference.assignments.{model}"
    with workspace.connect() as connection:
        missing = connection.execute(f"select {keys} from ({theirs} except all {mine}) order by all").fetchall()
        extra = connection.execute(f"select {keys} from ({mine} except all {theirs}) order by all").fetchall()
    if missing or extra:
        example = missing[0] if missing else extra[0]
        raise CheckFailed(
            f"{model}: {len(missing)} expected row(s) missing or different and {len(extra)} unexpected row(s) "
            f"on your data; for example the row with {', '.join(key)} = {', '.join(map(str, example))}"
        )
