"""Open the local DuckDB warehouse, turning the ways it can fail into one sentence each.

DuckDB lets one process write a database file at a time, and while it writes no
other process may even read it: a `kpis` during a `transform` meets that lock.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..errors import PipelineError


def connect_warehouse(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file; PipelineError if it is missing, busy or not DuckDB."""
    if read_only and not path.is_file():
        raise PipelineError(f"no warehouse at {path}: run the pipeline first (make demo)")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        message = str(error)
        if "lock" in message.lower():
            raise PipelineError(
                f"the warehouse {path} is busy: another command (a load or a transform) is writing to it; "
                "retry when it has finished"
            ) from None
        if "not a valid DuckDB database" in message:
            raise PipelineError(f"{path} is not a DuckDB database: set WAREHOUSE_PATH to the warehouse") from None
        raise PipelineError(f"cannot open the warehouse {path}: {message}") from None


def has_table(path: Path, schema: str, table: str) -> bool:
    """Whether the warehouse file exists and holds schema.table (read-only, so it never creates the file)."""
    if not path.is_file():
        return False
    with connect_warehouse(path, read_only=True) as con:
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()
    return bool(found and found[0])
