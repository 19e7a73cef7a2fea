"""What the course notebooks share: the project, its package, a private workspace each, and safe reads.

The notebooks name nothing project-specific: the package is found under src/ when
a notebook runs, so a renamed project keeps working. Each notebook writes only in
its own folder under data/notebooks/, and runs dbt with its own target folder, so
running a notebook never touches the pipeline's data and `make transform` never
breaks a notebook. Reads of the demo warehouse open it read-only and close it at
once: a notebook never holds the lock that `make transform` needs.
"""

from __future__ import annotations

import dataclasses
import importlib
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
