"""What the course notebooks share: the project, its package, a private workspace each, and safe reads.

The notebooks name nothing project-specific: the package is found under src/ when
a notebook runs, so a renamed project keeps working. Each notebook writes only in
its own folder under data/notebooks/, and runs dbt with its own target folder, so
running a notebook never touches the pipeline's data and `make transform` never
breaks a notebook. Reads of the demo warehouse open it read-only and close it at
once: a notebook never holds the lock that `make transform` needs.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import importlib
import io
import os
import shutil
import time
from pathlib import Path
from types import ModuleType


def _find_project_dir() -> Path:
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "dbt" / "dbt_project.yml").is_file() and (folder / "src").is_dir():
            return folder
    raise RuntimeError(f"no project found from {here}: open the notebooks from the project (make notebooks)")


PROJECT_DIR = _find_project_dir()
PACKAGE = next(path.parent.name for path in sorted((PROJECT_DIR / "src").glob("*/__init__.py")))
SQL_DIR = Path(__file__).resolve().parent / "sql"
NOTEBOOK_DATA_DIR = PROJECT_DIR / "data" / "notebooks"
# The pipeline's warehouse, as the project's settings find it (WAREHOUSE_PATH, else data/warehouse.duckdb).
DEMO_WAREHOUSE = PROJECT_DIR / os.environ.get("WAREHOUSE_PATH", "data/warehouse.duckdb")


def module(name: str) -> ModuleType:
    """A module of the project's package, e.g. module("ingest.generator")."""
    return importlib.import_module(f"{PACKAGE}.{name}")


def workspace(notebook: str, fresh: bool = True) -> Path:
    """The notebook's own folder under data/notebooks/ (emptied first when `fresh`)."""
    folder = NOTEBOOK_DATA_DIR / notebook
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settings(folder: Path, **changes):
    """Pipeline settings whose lake, warehouse and dbt target folder all live in `folder`.

    dbt writes its manifest and run results to DBT_TARGET_PATH: pointing it into the
    notebook's folder keeps them apart from those of `make transform`.
    """
    os.environ["DBT_TARGET_PATH"] = str(folder / "dbt_target")
    os.environ["DBT_LOG_PATH"] = str(folder / "dbt_logs")
    base = module("settings").Settings.from_env()
    own = {"lake_dir": folder / "lake", "warehouse_path": folder / "warehouse.duckdb", "dbt_target": "local"}
    return dataclasses.replace(base, **{**own, **changes})


def sql(name: str) -> str:
    """The text of notebooks/sql/<name>.sql (the notebooks' SQL lives in files that sqlfluff lints)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def query(statement: str, warehouse: Path | None = None, params: list | None = None, wait_seconds: float = 60):
    """Run one SQL statement on a warehouse, read-only, and return a pandas DataFrame.

    The connection is closed before this returns. While a `make transform` writes
    the demo warehouse, DuckDB refuses readers; this waits up to `wait_seconds`.
    """
    import duckdb

    path = warehouse or DEMO_WAREHOUSE
    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}: run `make demo` first")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                return con.execute(statement, params or []).df()
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(1)


# Notebooks 03-06 build a small pipeline of their own in their workspace: the helpers
# below run its steps as `make load` and `make transform` do, showing dbt's summary
# instead of its every line.


def dbt(settings, *args: str) -> None:
    """Run one dbt command on the settings' warehouse and print its summary.

    On success the summary is dbt's last line (PASS, WARN, ERROR counts) and any
    warnings; when dbt fails, the lines that say why are printed and the project's
    PipelineError is raised.
    """
    runner = module("warehouse.dbt_runner")
    with contextlib.redirect_stdout(io.StringIO()):
        returncode, output = runner.run_dbt_with_status(settings, *args)
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    if returncode == 0:
        print("\n".join(line for line in lines if " WARN " in line or "Warning" in line or "Done." in line))
        return
    start = next((i for i, line in enumerate(lines) if "Completed with" in line), max(len(lines) - 25, 0))
    print("\n".join(lines[start:]))
    raise runner.dbt_failed(*args)


def load(settings) -> list:
    """`make load` on the settings' lake and warehouse, printing the load's summary; returns the quarantined files."""
    with contextlib.redirect_stdout(io.StringIO()) as captured:
        quarantined = module("warehouse.load").load_lake(settings)
    print(
        "\n".join(
            line
            for line in captured.getvalue().splitlines()
            if "copy_into_raw_events:" in line or line.startswith("Quarantined")
        )
    )
    return quarantined


# dbt sessions opened by one_dbt_process, closed when the notebook's kernel stops.
_open_sessions = contextlib.ExitStack()
atexit.register(_open_sessions.close)


def one_dbt_process(settings) -> None:
    """Run the rest of this notebook's dbt commands on `settings` in one dbt process.

    Every `dbt ...` typed at a terminal first imports dbt and reads the project: about
    5 CPU-seconds before any work, paid again by each load and build. A notebook that
    runs a dozen short commands starts one dbt session instead, as the transform DAG
    does (notebook 09): parsed once, each command a fork of it. Its output and results
    are the same. The session reads the models once, now: use it where they are not edited.
    """
    _open_sessions.enter_context(module("warehouse.dbt_session").one_dbt_process(settings))


def build_window(notebook: str, start, end, *build_args: str, copy_dbt: bool = False, **changes):
    """A fresh workspace with the events of [start, end) generated into its lake, loaded and built by dbt.

    `build_args` go to `dbt build` (e.g. "--select", "+fct_orders"); `copy_dbt` runs
    dbt from a copy of the project's dbt/ folder (see copy_dbt_project); `changes`
    as for settings(), e.g. seed=7. Returns the workspace's settings.
    """
    own = settings(workspace(notebook), **changes)
    if copy_dbt:
        own = copy_dbt_project(own)
    result = module("ingest.backfill").generate_to_lake(own, start, end)
    print(f"generated {result.events:,} events into {result.files:,} lake files")
    load(own)
    dbt(own, "build", *build_args)
    return own


def copy_dbt_project(settings):
    """The same settings, running dbt from a copy of the project's dbt/ folder in the workspace.

    Edit the models of the copy (settings.dbt_dir) freely: the project's own stay as they are.
    """
    folder = settings.warehouse_path.parent
    shutil.copytree(settings.dbt_dir, folder / "dbt", ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return dataclasses.replace(settings, project_dir=folder)


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a file with `new` (a ValueError when it is not there exactly once)."""
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise ValueError(f"{path.name} has {text.count(old)} occurrences of {old!r}, expected one")
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- Helpers of notebooks 08-12 ---


@contextlib.contextmanager
def quiet(tail: int = 0):
    """Keep what the project prints (dbt's log, line by line) out of the notebook; yields the text so far.

    dbt prints a line per model and test: hundreds for a build. With `tail`, the last
    lines are shown when the block ends (where dbt prints its summary).
    """
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            yield buffer
    finally:
        if tail:
            print("\n".join(buffer.getvalue().rstrip().splitlines()[-tail:]))


def published_fingerprint(warehouse: Path | None = None):
    """Each published analytics table with its row count and a hash of all its rows (read-only).

    Two fingerprints are equal only when every table holds the same rows: the way to
    see that a failed audit published nothing.
    """
    schema = module("warehouse.publish").PUBLISHED_SCHEMA
    tables = query(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        warehouse,
        [schema],
    )["table_name"]
    rows = [
        query(
            f'select \'{name}\' as "table", count(*) as "rows", coalesce(sum(hash(t)), 0) as checksum '
            f'from {schema}."{name}" as t',
            warehouse,
        )
        for name in tables
    ]
    import pandas as pd

    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["table", "rows", "checksum"])
