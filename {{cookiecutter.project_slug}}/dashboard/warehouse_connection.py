"""How the dashboard reaches the warehouse: where it is (Source), one short-lived
connection per batch of queries (run_batch), and the errors the app explains.

The queries themselves are in queries.py. Each comes as SQL text with `?`
parameters, which both DuckDB and the Snowflake connector (paramstyle qmark) bind,
so the same batch runs on the local DuckDB file and on Snowflake.

DuckDB lets a process write to a database file only while no other process has
it open. So the dashboard never keeps a connection: it opens the file read-only,
runs one batch of queries and closes it, and the pipeline can load and transform
while the dashboard is open. While the pipeline writes, opening fails; that
becomes WarehouseBusy, which the app turns into a "retry in a moment" message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.settings import Settings

# The schema of the tables the dashboard reads: the published analytics tables,
# which change only when the audit passed (write-audit-publish). To look at
# another schema (e.g. analytics_candidate, before it is published), set DASHBOARD_SCHEMA.
DEFAULT_SCHEMA = "analytics"

TARGETS = ("local", "snowflake")
# The Snowflake connection, each setting from SNOWFLAKE_<NAME>, with dbt/profiles.yml's defaults.
SNOWFLAKE_DEFAULTS = {
    "account": {{ cookiecutter.snowflake_account | tojson }},
    "role": {{ cookiecutter.snowflake_role | tojson }},
    "warehouse": {{ cookiecutter.snowflake_warehouse | tojson }},
    "database": {{ cookiecutter.snowflake_database | tojson }},
}
# No default; host, port and protocol only for a private endpoint or an emulator
# (the tests use fakesnow on 127.0.0.1).
SNOWFLAKE_WITHOUT_DEFAULT = ("user", "host", "port", "protocol")
RUN_PIPELINE_FIRST = "Run `make demo` first (or `make generate load transform`), then reload this page."


class DashboardError(Exception):
    """Something about the warehouse that the app explains in one sentence instead of a traceback."""


class WarehouseNotReady(DashboardError):
    """No warehouse, no analytics tables, or no rows in them yet."""


class WarehouseBusy(DashboardError):
    """The pipeline holds the DuckDB file for writing; reading works again when it is done."""


@dataclass(frozen=True)
class Source:
    """Where the figures come from: the local DuckDB file, or a Snowflake database.

    Cached figures are keyed by it, so it names everything that tells one warehouse
    from another (the Snowflake password is read only when connecting).
    """

    target: str
    schema: str
    warehouse_path: Path
    snowflake: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls) -> Source:
        """DASHBOARD_TARGET (else DBT_TARGET, else local), DASHBOARD_SCHEMA, WAREHOUSE_PATH, SNOWFLAKE_*."""
        try:
            settings = Settings.from_env()
        except PipelineError as error:
            raise DashboardError(str(error)) from None
        target = os.environ.get("DASHBOARD_TARGET") or settings.dbt_target
        if target not in TARGETS:
            raise DashboardError(f"DASHBOARD_TARGET must be one of {', '.join(TARGETS)}, got {target!r}")
        schema = os.environ.get("DASHBOARD_SCHEMA") or DEFAULT_SCHEMA
        snowflake = ()
        if target == "snowflake":
            names = (*SNOWFLAKE_DEFAULTS, *SNOWFLAKE_WITHOUT_DEFAULT)
            values = {
                name: os.environ.get(f"SNOWFLAKE_{name.upper()}") or SNOWFLAKE_DEFAULTS.get(name) for name in names
            }
            snowflake = tuple((name, value) for name, value in values.items() if value)
        return cls(target=target, schema=schema, warehouse_path=settings.warehouse_path, snowflake=snowflake)

    def describe(self) -> str:
        if self.target == "snowflake":
            return f"Snowflake {dict(self.snowflake)['database']}.{self.schema}"
        return f"DuckDB {self.warehouse_path} (schema {self.schema}, read-only)"

    def data_version(self) -> str:
        """Changes whenever the local warehouse file does, so cached figures never outlive the data."""
        if self.target == "local" and self.warehouse_path.is_file():
            stat = self.warehouse_path.stat()
            return f"{stat.st_mtime_ns}-{stat.st_size}"
        return ""


@dataclass(frozen=True)
class Query:
    """One query of a batch: SQL text and the values of its `?` placeholders, in order."""

    sql: str
    params: tuple[Any, ...] = ()


def _snowflake_connection(source: Source) -> Any:
    import snowflake.connector  # imported here: only the Snowflake target needs it

    params: dict[str, Any] = dict(source.snowflake)
    missing = [name for name in ("SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD") if not os.environ.get(name)]
    if missing:
        raise DashboardError(
            f"{' and '.join(missing)} not set: the Snowflake target reads its credentials from the environment "
            "(see .env.example)"
        )
    params |= {
        "password": os.environ["SNOWFLAKE_PASSWORD"],
        "paramstyle": "qmark",  # the same `?` placeholders as DuckDB
        "application": "{{ cookiecutter.project_slug }}-dashboard",
        "login_timeout": 30,
    }
    try:
        return snowflake.connector.connect(**params)
    except snowflake.connector.errors.Error as error:
        raise DashboardError(f"cannot connect to Snowflake: {error.msg}") from None


def _duckdb_connection(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.is_file():
        raise WarehouseNotReady(f"There is no warehouse at {path} yet. {RUN_PIPELINE_FIRST}")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusy(
                "The pipeline is writing to the warehouse right now (a DuckDB file can be read only when "
                "no one writes to it). Retry in a moment."
            ) from None
        raise DashboardError(f"cannot open the warehouse {path}: {error}") from None


@contextmanager
def connect(source: Source) -> Iterator[Any]:
    """A connection for one batch of queries, closed as soon as the batch is read."""
    if source.target == "snowflake":
        connection = _snowflake_connection(source)
    else:
        connection = _duckdb_connection(source.warehouse_path)
    try:
        yield connection.cursor()
    finally:
        connection.close()


def _is_missing_table(error: Exception) -> bool:
    if isinstance(error, duckdb.CatalogException):
        return True
    # Snowflake: "SQL compilation error: Object '...' does not exist or not authorized."
    return "does not exist" in str(error)


def _frame(cursor: Any, query: Query) -> pd.DataFrame:
    cursor.execute(query.sql, query.params)
    columns = [column[0].lower() for column in cursor.description]  # Snowflake answers in upper case
    frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    for column in frame.columns:
        # DECIMAL money arrives as Decimal objects; charts and tables want numbers
        if frame[column].map(lambda value: isinstance(value, Decimal)).any():
            frame[column] = frame[column].astype(float)
    return frame


def run_batch(source: Source, queries: dict[str, Query]) -> dict[str, pd.DataFrame]:
    """Run the queries on one short-lived connection; a missing table becomes WarehouseNotReady."""
    with connect(source) as cursor:
        try:
            return {name: _frame(cursor, query) for name, query in queries.items()}
        except Exception as error:
            if _is_missing_table(error):
                raise WarehouseNotReady(
                    f"The tables the dashboard reads are not in the warehouse yet ({source.describe()}). "
                    f"{RUN_PIPELINE_FIRST}"
                ) from None
            raise
