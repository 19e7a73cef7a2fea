"""Publish: replace the analytics tables dashboards read with their audited candidates.

`dbt run-operation publish_analytics` replaces every table of the published schema
`analytics` with its candidate in `analytics_candidate` (DuckDB: copies, in one
transaction; Snowflake: zero-copy clones). Whether to publish is the
audit's decision (quality/gate.py); this module only carries it out.
"""

from __future__ import annotations

import os

import duckdb

from ..errors import PipelineError
from ..settings import Settings
from .dbt_runner import run_dbt
from .dbt_session import Session, run_in_session

CANDIDATE_SCHEMA = "analytics_candidate"
PUBLISHED_SCHEMA = "analytics"


def publish(settings: Settings, session: Session | None = None) -> dict[str, int]:
    """Replace the published analytics tables with their candidates; returns what the dashboard now sees.

    In a running dbt session when given one (a scheduled run's), else as a learner types it.
    """
    if session is None:
        run_dbt(settings, "run-operation", "publish_analytics")
    else:
        run_in_session(session, "run-operation", "publish_analytics")
    return published_tables(settings)


def published_tables(settings: Settings) -> dict[str, int]:
    """Each published analytics table and its row count (empty before the first publish)."""
    if settings.dbt_target == "snowflake":
        return _snowflake_published_tables()
    if not settings.warehouse_path.is_file():
        raise PipelineError(f"no warehouse at {settings.warehouse_path}: run the pipeline first (make demo)")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
                [PUBLISHED_SCHEMA],
            ).fetchall()
        ]
        return {name: con.execute(f'select count(*) from {PUBLISHED_SCHEMA}."{name}"').fetchone()[0] for name in tables}


def _snowflake_published_tables() -> dict[str, int]:
    from .snowflake_setup import connect, connection_from_env

    params = {**connection_from_env(), "application": "publish"}
    database = os.environ.get("SNOWFLAKE_DATABASE") or {{ cookiecutter.snowflake_database | tojson }}
    with connect(params) as connection:
        cursor = connection.cursor()
        cursor.execute(
            f"select table_name from {database}.information_schema.tables "
            "where table_schema = %s and table_type = 'BASE TABLE' order by table_name",
            (PUBLISHED_SCHEMA.upper(),),
        )
        names = [row[0] for row in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f'select count(*) from {database}.{PUBLISHED_SCHEMA}."{name}"')
            counts[name.lower()] = cursor.fetchone()[0]
        return counts
