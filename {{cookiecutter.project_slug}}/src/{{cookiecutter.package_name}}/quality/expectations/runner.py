"""Validate the suites on the warehouse with Great Expectations, and build the Data Docs.

- Local target: each suite's query runs on a READ-ONLY DuckDB connection, and its
  rows are validated as a pandas dataframe (GX's SQL path does not support DuckDB).
- Snowflake target: GX's Snowflake SQL datasource runs each query as a query asset,
  so the rows are checked inside Snowflake.

The GX context is ephemeral: the suites live in suites.py, not in GX's own config
files. Each run writes the Data Docs (an HTML report of every expectation and its
result) to data/quality/data_docs/ next to the warehouse file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import duckdb
import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig

from ...errors import PipelineError
from ...settings import Settings
from .suites import SUITES, Suite

DATA_DOCS_SITE = "quality_data_docs"
EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    expectations: int
    passed: int
    failures: tuple[str, ...]  # one line per failed expectation

    @property
    def failed(self) -> int:
        return self.expectations - self.passed


@dataclass(frozen=True)
class QualityReport:
    results: tuple[SuiteResult, ...]
    data_docs: Path  # index.html of the Data Docs

    @property
    def passed(self) -> bool:
        return all(result.failed == 0 for result in self.results)

    @property
    def failures(self) -> tuple[str, ...]:
        return tuple(failure for result in self.results for failure in result.failures)


def data_docs_dir(settings: Settings) -> Path:
    """data/quality/data_docs by default: beside the warehouse file, git-ignored with the rest of data/."""
    return settings.warehouse_path.parent / "quality" / "data_docs"


def _context(docs_dir: Path):
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        site_name=DATA_DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


def _snowflake_datasource_settings(env=os.environ) -> dict:
    """The Snowflake target's SQLAlchemy URL (and endpoint, if set), from the SNOWFLAKE_* variables of dbt's profile."""
    missing = [name for name in ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD") if not env.get(name)]
    if missing:
        raise PipelineError(f"{', '.join(missing)} not set: export the Snowflake credentials first (see .env.example)")
    database = env.get("SNOWFLAKE_DATABASE") or {{ cookiecutter.snowflake_database | tojson }}
    query = {
        "warehouse": env.get("SNOWFLAKE_WAREHOUSE") or {{ cookiecutter.snowflake_warehouse | tojson }},
        "role": env.get("SNOWFLAKE_ROLE") or {{ cookiecutter.snowflake_role | tojson }},
    }
    parameters = "&".join(f"{name}={quote(value)}" for name, value in query.items())
    connection_string = (
        f"snowflake://{quote(env['SNOWFLAKE_USER'], safe='')}:{quote(env['SNOWFLAKE_PASSWORD'], safe='')}"
        f"@{env['SNOWFLAKE_ACCOUNT']}/{database}/main?{parameters}"
    )
    # A private endpoint or an emulator (the tests use fakesnow on 127.0.0.1): snowflake-sqlalchemy
    # takes these only as connect_args, never in the URL.
    endpoint = {
        name: env[f"SNOWFLAKE_{name.upper()}"]
        for name in ("host", "port", "protocol")
        if env.get(f"SNOWFLAKE_{name.upper()}")
    }
    if "port" in endpoint:
        try:
            endpoint["port"] = int(endpoint["port"])
        except ValueError:
            raise PipelineError(f"SNOWFLAKE_PORT must be a port number, got {endpoint['port']!r}") from None
    if not endpoint:
        return {"connection_string": connection_string}
    return {"connection_string": connection_string, "kwargs": {"connect_args": endpoint}}


def _expectation_label(config) -> str:
    return (config.meta or {}).get("check") or config.type


def _plain(value):
    """A numpy scalar (or a pair of them) as the Python value it holds: 254.07, not np.float64(254.07)."""
    if isinstance(value, tuple | list):
        return tuple(_plain(item) for item in value)
    return value.item() if hasattr(value, "item") else value


def _exception_message(info) -> str:
    """The first line of the first error in GX's exception_info (flat, or keyed by metric)."""
    if isinstance(info, dict):
        if info.get("exception_message"):
            return str(info["exception_message"]).strip().splitlines()[0]
        for value in info.values():
            message = _exception_message(value)
            if message:
                return message
    return ""


def _failure_line(suite: str, expectation_result) -> str:
    config = expectation_result.expectation_config
    result = expectation_result.result or {}
    columns = config.kwargs.get("column") or ", ".join(
        str(config.kwargs[key]) for key in ("column_A", "column_B") if key in config.kwargs
    )
    unexpected = result.get("unexpected_count")
    if unexpected is None:  # the expectation could not run (a missing column, ...)
        detail = _exception_message(expectation_result.exception_info) or "did not run"
        return f"{suite}: {_expectation_label(config)} ({config.type} on {columns}): {detail}"
    shown = (result.get("partial_unexpected_list") or [])[:EXAMPLES_SHOWN]
    examples = ", ".join(repr(_plain(value)) for value in shown)
    return (
        f"{suite}: {_expectation_label(config)} ({config.type} on {columns}): "
        f"{int(unexpected):,} unexpected of {int(result.get('element_count') or 0):,} rows"
        + (f", e.g. {examples}" if examples else "")
    )


def run_suites(
    settings: Settings,
    analytics_schema: str = "analytics_candidate",
    suites: Sequence[Suite] = SUITES,
) -> QualityReport:
    """Validate each suite on the warehouse of `settings`; the analytics suites read `analytics_schema`."""
    docs_dir = data_docs_dir(settings)
    docs_dir.mkdir(parents=True, exist_ok=True)
    context = _context(docs_dir)
    snowflake = settings.dbt_target == "snowflake"
    if snowflake:
        source = context.data_sources.add_snowflake("warehouse", **_snowflake_datasource_settings())
    else:
        if not settings.warehouse_path.is_file():
            raise PipelineError(f"no warehouse at {settings.warehouse_path}: run the pipeline first (make demo)")
        source = context.data_sources.add_pandas("warehouse")
    results = []
    for suite in suites:
        query = suite.query(settings.dbt_target, analytics_schema)
        if snowflake:
            # A query asset must start with SELECT: a query with a WITH clause goes in a subquery.
            asset = source.add_query_asset(suite.name, query=f"select * from ({query.strip()}) as suite_rows")
            batch_definition = asset.add_batch_definition_whole_table("all")
            batch_parameters = None
        else:
            batch_definition = source.add_dataframe_asset(suite.name).add_batch_definition_whole_dataframe("all")
            batch_parameters = {"dataframe": _duckdb_frame(settings.warehouse_path, suite.name, query)}
        expectation_suite = context.suites.add(gx.ExpectationSuite(name=suite.name))
        for expectation in suite.expectations():
            expectation_suite.add_expectation(expectation)
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=expectation_suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=suite.name,
                validation_definitions=[validation],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[DATA_DOCS_SITE])],
                result_format={"result_format": "SUMMARY"},
            )
        )
        run = checkpoint.run(batch_parameters=batch_parameters)
        for validation_result in run.run_results.values():
            checked = validation_result.results
            results.append(
                SuiteResult(
                    suite=suite.name,
                    expectations=len(checked),
                    passed=sum(1 for result in checked if result.success),
                    failures=tuple(_failure_line(suite.name, result) for result in checked if not result.success),
                )
            )
    return QualityReport(results=tuple(results), data_docs=docs_dir / "index.html")


def _duckdb_frame(warehouse_path: Path, suite: str, query: str):
    """The suite's rows as a pandas dataframe, read through a read-only connection (the pipeline may be writing)."""
    try:
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            return con.sql(query).df()
    except duckdb.CatalogException as error:
        raise PipelineError(
            f"suite {suite}: a table it reads is missing ({error}); run `make transform` first"
        ) from None
    except duckdb.IOException as error:
        raise PipelineError(f"could not open {warehouse_path} read-only ({error}); is the pipeline writing?") from None


def format_report(report: QualityReport) -> str:
    """The table of suites, their failures and where the Data Docs are."""
    width = max(len("suite"), *(len(result.suite) for result in report.results))
    lines = [f"{'suite':<{width}}  expectations  passed  failed"]
    lines += [
        f"{result.suite:<{width}}  {result.expectations:>12}  {result.passed:>6}  {result.failed:>6}"
        for result in report.results
    ]
    lines += [f"  FAILED {failure}" for failure in report.failures]
    lines.append(f"Data Docs: {report.data_docs}")
    return "\n".join(lines)
