"""Write-audit-publish: the tables dashboards read change only when the checks pass.

1. Write: `dbt build` builds every model; the analytics models land in the
   candidate schema `analytics_candidate`, which no dashboard reads.
2. Audit: dbt's tests run during the build (a failed test is a finding, named
   with its count of failing rows){% if cookiecutter.include_quality %}; then the Great Expectations suites
   check raw, staging and the candidate analytics tables (see quality/){% endif %}.
3. Publish: only when the audit passed, `dbt run-operation publish_analytics`
   replaces every table of the published schema `analytics` with its candidate
   (DuckDB: one transaction; Snowflake: ALTER TABLE ... SWAP WITH).

A failed audit leaves the published tables as they were, so the dashboard keeps
showing the last data that passed, and the result says what failed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb

from .errors import PipelineError
from .settings import Settings
from .warehouse import build_models, run_dbt

CANDIDATE_SCHEMA = "analytics_candidate"
PUBLISHED_SCHEMA = "analytics"


@dataclass(frozen=True)
class GateResult:
    passed: bool
    failures: tuple[str, ...]  # one readable line per failed dbt test{% if cookiecutter.include_quality %} or expectation{% endif %}, with counts


@dataclass(frozen=True)
class TransformResult:
    gate: GateResult
    published: bool  # False when the gate failed: the published tables are untouched
    published_tables: dict[str, int]  # published table name -> row count, as the dashboard now sees them


def transform(settings: Settings, full_refresh: bool = False) -> TransformResult:
    """dbt build into the candidate schema -> audit (dbt tests{% if cookiecutter.include_quality %} + suites{% endif %}) -> publish.

    Returns normally when the audit fails (published=False); raises PipelineError
    for anything else (a dbt compile error, a missing warehouse, ...).
    """
    failed_tests = build_models(settings, full_refresh=full_refresh)
    gate = GateResult(passed=not failed_tests, failures=failed_tests)
{%- if cookiecutter.include_quality %}
    if gate.passed:
        # Only on a complete build: after a failed test dbt skips what depends on it,
        # so the candidate tables would be last run's.
        gate = run_quality_gate(settings)
{%- endif %}
    if not gate.passed:
        return TransformResult(gate=gate, published=False, published_tables=published_tables(settings))
    return TransformResult(gate=gate, published=True, published_tables=publish(settings))
{%- if cookiecutter.include_quality %}


def run_quality_gate(settings: Settings) -> GateResult:
    """The Great Expectations suites on raw, staging and the candidate analytics tables; prints their table."""
    # Imported here: Great Expectations takes seconds to import, and only this step needs it.
    from .quality.runner import format_report, run_suites

    report = run_suites(settings, analytics_schema=CANDIDATE_SCHEMA)
    print(format_report(report))
    return GateResult(passed=report.passed, failures=report.failures)
{%- endif %}


def publish(settings: Settings) -> dict[str, int]:
    """Replace the published analytics tables with their candidates; returns what the dashboard now sees."""
    run_dbt(settings, "run-operation", "publish_analytics")
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


def format_transform_result(result: TransformResult) -> str:
    """What the gate decided and what the dashboard now reads, for the CLI."""
    tables = "\n".join(
        f"  {PUBLISHED_SCHEMA}.{name:<28} {rows:>10,} rows" for name, rows in result.published_tables.items()
    )
    if result.published:
        return f"Audit passed: published to schema {PUBLISHED_SCHEMA}:\n{tables}"
    failures = "\n".join(f"  - {failure}" for failure in result.gate.failures)
    kept = f"The published tables are unchanged:\n{tables}" if tables else "Nothing was published before."
    return f"Audit failed ({len(result.gate.failures)} check(s)); nothing was published.\n{failures}\n{kept}"
