"""The course notebooks run top to bottom, and running them leaves the pipeline's data alone.

Each notebook runs with the small values on its parameters cell (`test_parameters`),
injected after that cell as papermill does. A cell tagged `raises-exception` must
raise the exception its `expected_exception` names; any other error fails. The
notebooks read a copy of the session's built warehouse (WAREHOUSE_PATH), and the
published tables of that copy must be the same after them, with `transform` still
working on it. `make test` runs the first notebook; `make test-all` runs them all.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from {{ cookiecutter.package_name }}.quality.gate import transform
from {{ cookiecutter.package_name }}.warehouse.publish import PUBLISHED_SCHEMA

from conftest import PROJECT_DIR

NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 300


def parameterised(path: Path) -> nbformat.NotebookNode:
    """The notebook with a cell after its parameters cell that sets the small test values."""
    notebook = nbformat.read(path, as_version=4)
    index = next(i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", []))
    values = notebook.cells[index].metadata["test_parameters"]
    injected = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(injected, metadata={"tags": ["injected-parameters"]}))
    return notebook


def execute(path: Path) -> nbformat.NotebookNode:
    notebook = parameterised(path)
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}
    )
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} failed:\n{error}")
    return notebook


def published_fingerprint(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Each published table's row count and a hash of all its rows."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1",
                [PUBLISHED_SCHEMA],
            ).fetchall()
        ]
        fingerprint = 'select count(*), coalesce(sum(hash(t)), 0) from {}."{}" t'
        return {name: con.execute(fingerprint.format(PUBLISHED_SCHEMA, name)).fetchone() for name in tables}


@pytest.fixture(scope="module")
def notebook_warehouse(built_warehouse, tmp_path_factory):
    """A copy of the session's warehouse for the notebooks to read, as the demo warehouse would be."""
    copy = tmp_path_factory.mktemp("notebooks") / "warehouse.duckdb"
    shutil.copy2(built_warehouse.warehouse_path, copy)
    return dataclasses.replace(built_warehouse, warehouse_path=copy)


@pytest.fixture(scope="module")
def executed(notebook_warehouse):
    """Runs a notebook with its test parameters the first time a test asks for it, and keeps the result;
    with it, the published tables before any notebook ran."""
    before = published_fingerprint(notebook_warehouse.warehouse_path)
    results: dict[str, nbformat.NotebookNode] = {}

    def run(name: str) -> nbformat.NotebookNode:
        if name not in results:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("WAREHOUSE_PATH", str(notebook_warehouse.warehouse_path))  # the kernel inherits it
                results[name] = execute(NOTEBOOKS_DIR / name)
        return results[name]

    return run, before


def test_there_are_notebooks_and_a_course_map():
    assert NOTEBOOKS
    course_map = (NOTEBOOKS_DIR / "README.md").read_text(encoding="utf-8")
    assert all(path.name in course_map for path in NOTEBOOKS)


# The fast tier runs the first notebook (the kernel, the injected parameters and the lesson helpers
# every notebook uses); the full tier runs them all, minutes in all.
@pytest.mark.parametrize(
    "name", [pytest.param(path.name, marks=() if path == NOTEBOOKS[0] else pytest.mark.full) for path in NOTEBOOKS]
)
def test_notebook_runs_and_raises_only_where_it_means_to(executed, name):
    notebook = executed[0](name)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        errors = [output for output in cell.outputs if output.output_type == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            expected = cell.metadata["expected_exception"]
            assert [error.ename for error in errors] == [expected], f"expected {expected} from:\n{cell.source}"
        else:
            assert errors == [], f"{name}: {errors[0].ename}: {errors[0].evalue}" if errors else ""


@pytest.mark.parametrize("name", [path.name for path in NOTEBOOKS])
def test_notebook_files_carry_no_outputs_or_machine_details(name):
    notebook = json.loads((NOTEBOOKS_DIR / name).read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.full
def test_running_the_notebooks_leaves_the_pipeline_alone(executed, notebook_warehouse):
    run, before = executed
    for path in NOTEBOOKS:
        run(path.name)
    assert before, "the warehouse had no published tables to compare"
    assert published_fingerprint(notebook_warehouse.warehouse_path) == before
    result = transform(notebook_warehouse)
    assert result.published, result.gate.failures
    assert published_fingerprint(notebook_warehouse.warehouse_path) == before
