"""The course notebooks' text sources: the bake's conversion agrees with jupytext, and the course map with the files."""

from __future__ import annotations

import json
import sys
import tomllib

import jupytext
import pytest

from conftest import TEMPLATE_DIR

sys.path.insert(0, str(TEMPLATE_DIR / "hooks"))
from percent_notebooks import NotebookSourceError, convert, read_cells  # noqa: E402

NOTEBOOKS_DIR = TEMPLATE_DIR / "notebooks"
COURSE = tomllib.loads((NOTEBOOKS_DIR / "course.toml").read_text(encoding="utf-8"))["notebook"]
SOURCES = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py"))
# jupytext's own bookkeeping of blank lines between cells: layout, not content.
JUPYTEXT_LAYOUT_KEYS = {"lines_to_next_cell"}


def test_the_course_map_lists_every_source_once_in_order():
    assert [entry["file"] for entry in COURSE] == [path.stem for path in SOURCES]
    parts = {name.removeprefix("include_") for name in json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())}
    for entry in COURSE:
        assert entry["requires"] in parts | {""}, entry["file"]
        assert entry["minutes"] > 0 and entry["title"] and entry["teaches"], entry["file"]


@pytest.mark.parametrize("source", SOURCES, ids=[path.stem for path in SOURCES])
def test_the_bake_converts_a_source_as_jupytext_reads_it(source):
    ours = json.loads(convert(source.read_text(encoding="utf-8")))
    theirs = jupytext.read(source, fmt="py:percent")
    assert len(ours["cells"]) == len(theirs.cells)
    for mine, reference in zip(ours["cells"], theirs.cells, strict=True):
        assert mine["cell_type"] == reference.cell_type
        assert "".join(mine["source"]) == reference.source
        expected_metadata = {k: v for k, v in reference.metadata.items() if k not in JUPYTEXT_LAYOUT_KEYS}
        assert mine["metadata"] == expected_metadata


@pytest.mark.parametrize("source", SOURCES, ids=[path.stem for path in SOURCES])
def test_each_notebook_follows_the_course_shape(source):
    """A parameters cell with small test values, a cell meant to raise that names its exception, a checkpoint."""
    cells = read_cells(source.read_text(encoding="utf-8"))
    parameters = [cell for cell in cells if "parameters" in cell["metadata"].get("tags", [])]
    assert len(parameters) == 1 and isinstance(parameters[0]["metadata"].get("test_parameters"), dict)
    raising = [cell for cell in cells if "raises-exception" in cell["metadata"].get("tags", [])]
    assert raising and all(cell["metadata"].get("expected_exception") for cell in raising)
    parts = {name.removeprefix("include_") for name in json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())}
    assert {cell["metadata"]["requires"] for cell in cells if "requires" in cell["metadata"]} <= parts
    text = "\n".join(cell["source"] for cell in cells)
    assert "What you will learn" in text and "Checkpoint" in text and "Your turn" in text
    assert "cookiecutter" not in text  # nothing is rendered into a notebook


def test_a_source_the_converter_cannot_read_is_refused():
    with pytest.raises(NotebookSourceError, match="line 2"):
        read_cells("# %% [markdown]\nnot a comment\n")
    with pytest.raises(NotebookSourceError, match="JSON value"):
        read_cells("# %% tags=[parameters]\nx = 1\n")
