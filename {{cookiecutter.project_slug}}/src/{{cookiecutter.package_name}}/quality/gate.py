"""Write-audit-publish: the tables dashboards read change only when the checks pass.

1. Write: `dbt build` builds every model; the analytics models land in the
   candidate schema `analytics_candidate`, which no dashboard reads.
2. Audit: dbt's tests run during the build (a failed test is a finding, named
   with its count of failing rows){% if cookiecutter.include_quality %}; then the Great Expectations suites
   (suites.py, runner.py) check raw, staging and the candidate analytics tables{% endif %}.
3. Publish: only when the audit passed, warehouse/publish.py replaces every table
   of the published schema `analytics` with its candidate.

A failed audit leaves the published tables as they were, so the dashboard keeps
showing the last data that passed, and the result says what failed. The gate
lives here, with the checks, because it decides; the warehouse only builds and
publishes tables when told to.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import Settings
from ..warehouse.dbt_runner import build_models
from ..warehouse.load import require_loaded
from ..warehouse.publish import {% if cookiecutter.include_quality %}CANDIDATE_SCHEMA, {% endif %}PUBLISHED_SCHEMA, publish, published_tables


@dataclass(frozen=True)
class GateResult:
    passed: bool
    failures: tuple[str, ...]  # one readable line per failed dbt test{% if cookiecutter.include_quality %} or expectation{% endif %}, with counts


@dataclass(frozen=True)
class TransformResult:
    gate: GateResult
    published: bool  # False when the gate failed: the published tables are untouched
    published_tables: dict[str, int]  # published table name -> row count, as the dashboard now sees them


def transform(settings: Settings, full_refresh: bool = False, full_tests: bool = False) -> TransformResult:
    """dbt build into the candidate schema -> audit (dbt tests{% if cookiecutter.include_quality %} + suites{% endif %}) -> publish.

    The dbt tests read the rows this build touched (an hourly run); `full_tests`
    makes them read whole tables (the daily run). A failure in what was tested
    blocks publishing either way.

    Returns normally when the audit fails (published=False); raises PipelineError
    for anything else (a dbt compile error, a missing warehouse, ...).
    """
    require_loaded(settings)
    failed_tests = build_models(settings, full_refresh=full_refresh, full_tests=full_tests)
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
    from .expectations.runner import format_report, run_suites

    report = run_suites(settings, analytics_schema=CANDIDATE_SCHEMA)
    print(format_report(report))
    return GateResult(passed=report.passed, failures=report.failures)
{%- endif %}


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
