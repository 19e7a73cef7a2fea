"""Command line: one command per pipeline step, and `demo` for all of them.

{{ cookiecutter.project_slug }} generate --start 2025-10-01 --end 2025-10-08
{{ cookiecutter.project_slug }} load
{{ cookiecutter.project_slug }} transform
{{ cookiecutter.project_slug }} kpis
{%- if cookiecutter.include_quality %}
{{ cookiecutter.project_slug }} quality
{%- endif %}
{{ cookiecutter.project_slug }} demo
{{ cookiecutter.project_slug }} chaos
{{ cookiecutter.project_slug }} snowflake-setup
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from click.core import ParameterSource

from .errors import PipelineError
from .ingest.backfill import DEMO_END, DEMO_START, generate_to_lake
from .ingest.delivery import DeliveryPolicy
from .ingest.lake import LAKE_PREFIX, LocalLakeSink, list_lake_files
from .ingest.live import accelerated_clock, run_live
from .quality.gate import TransformResult, format_transform_result
from .quality.gate import transform as build_audit_publish
from .settings import Settings
from .warehouse.kpis import format_kpis, read_kpis
from .warehouse.load import load_lake

DATE = click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def _step(number: int, total: int, text: str) -> float:
    click.secho(f"\n[{number}/{total}] {text}", bold=True)
    return time.monotonic()


def _done(started: float, text: str = "") -> None:
    click.echo(f"      done in {time.monotonic() - started:.1f} s{'  ' + text if text else ''}")


START = click.option(
    "--start",
    type=DATE,
    default=DEMO_START.strftime("%Y-%m-%d"),
    show_default=True,
    help="First moment of the window (UTC).",
)
WORKERS = click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes that generate in parallel; the lake files are the same as with 1.",
)


def _generate(settings: Settings, start: datetime, end: datetime, workers: int = 1) -> None:
    total_hours = max(1, int((end - start).total_seconds() // 3600))
    with click.progressbar(length=total_hours, label="      events", show_pos=True, width=30) as bar:
        last_hour = 0

        def advance(moment: datetime) -> None:
            nonlocal last_hour
            hour = int((moment - start).total_seconds() // 3600)
            if hour > last_hour:
                bar.update(hour - last_hour)
                last_hour = hour

        result = generate_to_lake(settings, start, end, on_progress=advance, workers=workers)
        bar.update(total_hours - last_hour)
    click.echo(f"      {result.events:,} events in {result.files:,} files under {settings.lake_dir / LAKE_PREFIX}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The local e-commerce analytics pipeline: events -> lake -> warehouse -> dbt -> KPIs."""


@main.command()
@START
@click.option(
    "--end",
    type=DATE,
    default=DEMO_END.strftime("%Y-%m-%d"),
    show_default=True,
    help="End of the window, exclusive (UTC).",
)
@WORKERS
def generate(start: datetime, end: datetime, workers: int) -> None:
    """Generate the events of a time window into the local lake (same window, same files)."""
    _generate(Settings.from_env(), _utc(start), _utc(end), workers)


@main.command()
def load() -> None:
    """Load new lake files into the warehouse (dbt run-operation copy_into_raw_events)."""
    load_lake(Settings.from_env())


def _report_transform(result: TransformResult) -> None:
    """Print the gate's decision; a failed audit ends the command with exit status 1."""
    if result.published:
        click.secho(format_transform_result(result), fg="green")
        return
    click.secho(format_transform_result(result), fg="red", err=True)
    raise PipelineError("the audit failed: the dashboard keeps the last published data (see the checks above)")


@main.command()
@click.option("--full-refresh", is_flag=True, help="Rebuild the incremental models from the whole raw table.")
@click.option(
    "--full-tests",
    is_flag=True,
    help="Test every row of every table (the daily run), not only the rows this build touched (the hourly run).",
)
def transform(full_refresh: bool, full_tests: bool) -> None:
    """Build the dbt models into analytics_candidate, audit them, and publish them to analytics if they pass."""
    _report_transform(build_audit_publish(Settings.from_env(), full_refresh=full_refresh, full_tests=full_tests))


@main.command()
def kpis() -> None:
    """Print the KPI summary from the published analytics tables."""
    click.echo(format_kpis(read_kpis(Settings.from_env().warehouse_path)))


@main.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default="data/chaos",
    show_default=True,
    help="Where the run keeps its own lake and warehouse (replaced on each run), relative to the project.",
)
@START
@click.option("--hours", type=click.IntRange(1, 24 * 7), default=24, show_default=True, help="Length of the window.")
def chaos(folder: Path, start: datetime, hours: int) -> None:
    """Run the pipeline with every fault injected and print the reliability report; exit 1 if it does not balance."""
    from .quality.chaos import check_balance, format_report, report_path, run_chaos

    settings = Settings.from_env()
    folder = folder if folder.is_absolute() else settings.project_dir / folder
    begin = _utc(start)
    report = run_chaos(
        settings, folder, begin, begin + timedelta(hours=hours), echo=lambda text: click.secho(text, bold=True)
    )
    click.echo()
    click.secho(format_report(report), fg="green" if report.balanced else "red")
    click.echo(f"\nWritten to {report_path(folder)}")
    check_balance(report)


{%- if cookiecutter.include_quality %}


@main.command()
def quality() -> None:
    """Run the data quality suites on raw, staging and the candidate analytics tables; exit 1 if any fails."""
    from .quality.expectations.runner import format_report, run_suites

    report = run_suites(Settings.from_env())
    click.echo(format_report(report))
    if not report.passed:
        raise PipelineError(f"{len(report.failures)} expectation(s) failed (listed above; details in the Data Docs)")
{%- endif %}


@main.command()
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True, help="Length of the window.")
@click.option(
    "--workers",
    type=click.IntRange(2, 64),
    default=None,
    help="Processes of the parallel lake run  [default: the CPUs, 2 to 4].",
)
@click.option("--skip-warehouse", is_flag=True, help="Measure the generator and the lake only, not the dbt steps.")
@click.option("--repeat", type=click.IntRange(1, 50), default=5, show_default=True, help="Runs per figure, best kept.")
@click.option(
    "--events",
    default=None,
    metavar="COUNT",
    help="Instead: the warehouse at scale, about COUNT events (10M, 500k) over 30 days or --days: "
    "load, full dbt build, one new hour built incrementally.",
)
@click.option(
    "--lake-cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With --events: keep the generated lake in this folder and reuse it in the next run of the same size.",
)
def bench(
    days: int, workers: int | None, skip_warehouse: bool, repeat: int, events: str | None, lake_cache: Path | None
) -> None:
    """Measure each step (events/s, seconds, peak memory) on a window in a temporary folder.

    The figures are also written to data/bench/<UTC time>-<days>d.json
    (with --events: data/bench/<UTC time>-warehouse-<events>.json).
    """
    from .bench.generator import run_bench
    from .bench.measure import parse_count
    from .bench.warehouse import SCALE_DAYS, run_warehouse_bench

    settings = Settings.from_env()
    if events is not None:
        days_given = click.get_current_context().get_parameter_source("days") is not ParameterSource.DEFAULT
        scale_days = days if days_given else SCALE_DAYS
        rows = run_warehouse_bench(
            settings, parse_count(events), days=scale_days, workers=workers, lake_cache=lake_cache
        )
    else:
        rows = run_bench(settings, days, workers=workers, warehouse=not skip_warehouse, repeat=repeat)
    width = max(len(label) for label, _ in rows)
    click.echo("\n".join(f"{label:<{width}}  {value}" for label, value in rows))


@main.command("snowflake-setup")
@click.option(
    "--with-snowpipe", is_flag=True, help="Also create the Snowpipe (06_snowpipe.sql), instead of the hourly COPY."
)
def snowflake_setup(with_snowpipe: bool) -> None:
    """Run the Snowflake setup scripts of infra/snowflake/ in order (credentials from SNOWFLAKE_* variables)."""
    from .warehouse.snowflake_setup import connection_from_env, run_setup, setup_scripts

    scripts = setup_scripts(Settings.from_env().project_dir, with_snowpipe)
    params = connection_from_env()
    click.echo(f"Setting up Snowflake account {params['account']} as {params['user']}:")
    started = time.monotonic()
    runs = run_setup(scripts, params, echo=click.echo)
    statements = sum(run.statements for run in runs)
    click.echo(f"Done: {len(runs)} scripts, {statements} statements in {time.monotonic() - started:.1f} s.")


@main.command()
@click.option(
    "--window-seconds",
    type=click.IntRange(1, 3600),
    default=300,
    show_default=True,
    help="How often a window is delivered (the schedule's period).",
)
@click.option(
    "--late-share",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of events that arrive in a later window.",
)
@click.option(
    "--duplicate-share",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of events delivered twice with the same event_id.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=1),
    default=1.0,
    show_default=True,
    help="Run the clock this many times faster (60: a 5-minute window every 5 s).",
)
def live(window_seconds: int, late_share: float, duplicate_share: float, speed: float) -> None:
    """Run the generator on the wall clock into the local lake, as the schedule would; Ctrl-C stops."""
    settings = Settings.from_env()
    window = timedelta(seconds=window_seconds)
    policy = DeliveryPolicy(late_share=late_share, duplicate_share=duplicate_share, min_late_delay=window)
    click.echo(
        f"Delivering a {window_seconds} s window every {window_seconds / speed:g} s into "
        f"{settings.lake_dir / LAKE_PREFIX}. Ctrl-C stops."
    )

    def report(start: datetime, end: datetime, lake: LocalLakeSink) -> None:
        files = ", ".join(str(path.relative_to(settings.lake_dir)) for path in lake.files_written) or "no file"
        click.echo(f"{start:%H:%M:%S}-{end:%H:%M:%S}  {lake.records_written:>5} events  {files}")

    try:
        clock, sleep = accelerated_clock(speed)
        run_live(settings.seed, settings.lake_dir, window, policy, report, clock=clock, sleep=sleep)
    except KeyboardInterrupt:
        click.echo("\nStopped. Every file in the lake is whole.")


@main.command()
def demo() -> None:
    """Run the whole local pipeline on the demo quarter and print the KPI summary."""
    settings = Settings.from_env()
    overall = time.monotonic()
    started = _step(
        1, 4, f"Generating {DEMO_START:%Y-%m-%d} to {DEMO_END:%Y-%m-%d} (seed {settings.seed}) into the local lake"
    )
    _generate(settings, DEMO_START, DEMO_END)
    _done(started)
    started = _step(2, 4, "Loading new lake files into raw.raw_events (dbt run-operation copy_into_raw_events)")
    load_lake(settings)
    _done(started)
    started = _step(3, 4, "Building, auditing and publishing the dbt models (write-audit-publish)")
    _report_transform(build_audit_publish(settings))
    _done(started)
    _step(4, 4, "Reading the KPIs from the published analytics tables")
    click.echo()
    click.secho(format_kpis(read_kpis(settings.warehouse_path)), fg="green")
    files = len(list_lake_files(settings.lake_dir))
    click.echo(
        f"\nWhere the data lives:\n"
        f"  lake       {settings.lake_dir / LAKE_PREFIX}  ({files:,} gzipped NDJSON files)\n"
        f"  warehouse  {settings.warehouse_path}\n"
        "             (schemas raw, staging, intermediate, marts, analytics_candidate, analytics, audit, snapshots)\n"
{%- if cookiecutter.include_quality %}
        f"  quality    {settings.warehouse_path.parent / 'quality' / 'data_docs' / 'index.html'}  (Data Docs)\n"
{%- endif %}
        f"\nPipeline finished in {time.monotonic() - overall:.0f} s."
    )


def run() -> None:
    """Entry point: user errors print as one line, without a traceback."""
    try:
        main.main(standalone_mode=False)
    except PipelineError as error:
        click.secho(f"Error: {error}", fg="red", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
