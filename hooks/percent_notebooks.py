"""Build .ipynb notebooks from their text sources, jupytext's percent format, with the standard library alone.

The course notebooks are written as `.py` files (reviewable diffs, linted by ruff,
no stored outputs): `# %%` opens a code cell, `# %% [markdown]` a text cell whose
lines are commented with `# `, and `key=value` pairs after the marker (JSON values)
become the cell's metadata, e.g. `# %% tags=["parameters"]`. A cell with
`requires="<part>"` belongs to an optional part of the template (aws, airflow,
dashboard, quality) and is left out when that part is switched off. The bake writes
each as an nbformat 4.5 notebook with no outputs, no execution counts and the
generic `python3` kernel. tests/test_notebook_sources.py checks the result against
jupytext's own reading of the same file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

CELL_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
METADATA_PAIR = re.compile(r'\s*(?P<key>[A-Za-z_][\w-]*)=(?P<value>\{[^}]*\}|\[[^\]]*\]|"(?:[^"\\]|\\.)*"|\S+)')
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


class NotebookSourceError(ValueError):
    """A percent-format source that this converter cannot read faithfully."""


def _marker(rest: str, line_number: int) -> tuple[str, dict]:
    """The cell type and metadata of a `# %%` line's remainder."""
    rest = rest.strip()
    cell_type = "code"
    if rest.startswith("[markdown]"):
        cell_type, rest = "markdown", rest[len("[markdown]") :]
    metadata: dict = {}
    position = 0
    while rest[position:].strip():
        pair = METADATA_PAIR.match(rest, position)
        if pair is None:
            raise NotebookSourceError(f"line {line_number}: cannot read cell options {rest[position:]!r}")
        try:
            metadata[pair["key"]] = json.loads(pair["value"])
        except json.JSONDecodeError:
            raise NotebookSourceError(f"line {line_number}: {pair['key']}= needs a JSON value") from None
        position = pair.end()
    return cell_type, metadata


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _uncomment(line: str, line_number: int) -> str:
    if line == "#":
        return ""
    if line.startswith("# "):
        return line[2:]
    if line.startswith("#"):
        return line[1:]
    raise NotebookSourceError(f"line {line_number}: a markdown cell's lines start with '#': {line!r}")


def read_cells(text: str) -> list[dict]:
    """The cells of a percent-format source, as (cell_type, source, metadata) dicts."""
    cells: list[dict] = []
    current: dict | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        marker = CELL_MARKER.match(line)
        if marker:
            cell_type, metadata = _marker(marker["rest"], number)
            current = {"cell_type": cell_type, "metadata": metadata, "lines": [], "first_line": number}
            cells.append(current)
        elif current is None:
            if line.strip():
                raise NotebookSourceError(f"line {number}: text before the first '# %%' cell marker")
        else:
            current["lines"].append(line)
    result = []
    for cell in cells:
        lines = _trim(cell["lines"])
        if cell["cell_type"] == "markdown":
            lines = [_uncomment(line, cell["first_line"] + 1 + i) for i, line in enumerate(lines)]
        result.append({"cell_type": cell["cell_type"], "source": "\n".join(lines), "metadata": cell["metadata"]})
    return result


def to_notebook(cells: list[dict]) -> dict:
    """An nbformat 4.5 notebook: ids from the cell's position, no outputs, no execution counts."""
    notebook_cells = []
    for index, cell in enumerate(cells, start=1):
        lines = cell["source"].splitlines(keepends=True)
        entry = {"cell_type": cell["cell_type"], "id": f"cell-{index:02d}", "metadata": cell["metadata"]}
        entry["source"] = lines
        if cell["cell_type"] == "code":
            entry.update(execution_count=None, outputs=[])
        notebook_cells.append(entry)
    return {
        "cells": notebook_cells,
        "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def convert(text: str, included_parts: Mapping[str, bool] | None = None) -> str:
    """The .ipynb text of a percent-format source (stable: the same source gives the same bytes).

    `included_parts` maps each optional part to whether the project has it; cells
    that require a part it lacks are dropped (None keeps every cell).
    """
    cells = read_cells(text)
    if included_parts is not None:
        required = {cell["metadata"]["requires"] for cell in cells if "requires" in cell["metadata"]}
        unknown = required - set(included_parts)
        if unknown:
            raise NotebookSourceError(f"cells require unknown parts: {sorted(unknown)}")
        cells = [cell for cell in cells if included_parts.get(cell["metadata"].get("requires"), True)]
    return json.dumps(to_notebook(cells), indent=1, ensure_ascii=False) + "\n"
