"""`make chaos`: the whole pipeline with every fault injected, and a reliability report that must balance.

It runs in a folder of its own (data/chaos/ by default: its lake and warehouse,
never the project's data/lake and data/warehouse.duckdb) in four deliveries,
the order a real lake sees them in:

    1. the window, clean                        -> load -> transform (gate -> publish)
    2. duplicates: lines delivered again         -> load -> transform
    3. late events (a day, a week), malformed lines, a truncated gzip file, schema
       drift, and hostile input (hostile.py): events without a required field,
       lines the reader cannot take, a file of random bytes, a file never gzipped,
       a clock half a year ahead, a 1970 timestamp, values that do not convert
                                                 -> load (rejects, quarantine) -> transform
    4. bad values: a negative price, an unknown
       event type                                -> load -> transform --full-refresh

and then checks the warehouse against the sender's ledger (faults.py):

    sent          lines written to the lake: the generator's events and every fault line (sender's ledger)
    loaded        rows in raw.raw_events
    rejected      lines in raw.raw_events_rejects, each with its reason
    quarantined   every line the sender wrote into a file moved to quarantine (raw.quarantined_files):
                  its readable part and its lost tail

    sent = loaded + rejected + quarantined

    loaded = staged + set aside at staging + deduplicated + missing (0)
      staged        rows of stg_events
      set aside     rows of stg_quarantined_events (a value that does not convert, an implausible time)
      deduplicated  loaded rows whose event_id another loaded row already has (stg_events keeps one)

Each fault's own outcome is checked too (see CHECKS in the report). The report
is printed and written to <folder>/report.json.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from ..errors import PipelineError
from ..ingest.backfill import generate_to_lake
from ..settings import Settings, writable_folder
from ..warehouse.dbt_runner import missing_events
from ..warehouse.kpis import read_kpis
from ..warehouse.load import QuarantinedFile, load_lake
from ..warehouse.publish import PUBLISHED_SCHEMA
from .faults import FaultLedger, FaultPlan, inject_faults
from .gate import transform

REDELIVERY = FaultPlan(duplicates=25)
FAULTS = FaultPlan(
    late_by_a_day=20,
    late_by_a_week=15,
    malformed_lines=10,
    truncated_file=40,
    extra_field=10,
    missing_field=10,
    missing_required=6,
    unreadable_lines=5,
    random_bytes_file=12,
    plain_text_file=8,
    clock_ahead=4,
    ancient_timestamp=3,
    unconvertible_value=6,
)
# Where each fault's lines must end up.
REJECTED_AT_LOAD = ("malformed_lines", "missing_required", "unreadable_lines")
QUARANTINED_FILES = ("truncated_file", "random_bytes_file", "plain_text_file")
SET_ASIDE_AT_STAGING = ("clock_ahead", "ancient_timestamp", "unconvertible_value")
BAD_VALUES = FaultPlan(negative_price=3, unknown_event_type=2)
# The dbt tests that stop each bad value (dbt/tests/assert_no_negative_amounts.sql, and
# accepted_values on stg_events.event_type).
BAD_VALUE_TESTS = ("assert_no_negative_amounts", "accepted_values_stg_events_event_type")


@dataclass(frozen=True)
class Round:
    """One delivery of the run and what the gate made of it."""

    name: str
    published: bool
    gate_failures: tuple[str, ...]
    published_tables: dict[str, int]  # what the dashboard reads after the round: table -> rows
    figures: dict[str, object]  # published_figures() after the round


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class ChaosReport:
    start: datetime
    end: datetime
    seed: int
    folder: Path
    generated_events: int
    generated_files: int
    faults: FaultLedger
    sent: int
    loaded: int
    rejected_lines: int
    rejected_by_reason: dict[str, int]
    quarantined_files: list[QuarantinedFile]
    quarantined_file_lines: int
    deduplicated: int
    staged: int
    set_aside: int  # rows of stg_quarantined_events
    set_aside_by_reason: dict[str, int]
    missing: int  # loaded events neither staged nor set aside: the audit fails on any
    published: bool  # round 4: the gate let the bad values through (it must not)
    gate_failures: tuple[str, ...]
    published_tables: dict[str, int]
    rounds: list[Round] = field(default_factory=list)
    missing_after_round_3: int = 0
    checks: list[Check] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        return self.quarantined_file_lines

    @property
    def balanced(self) -> bool:
        return all(check.passed for check in self.checks)


def chaos_settings(settings: Settings, folder: Path) -> Settings:
    """The project's settings with the lake and warehouse in `folder`, on the local target."""
    return dataclasses.replace(
        settings, lake_dir=folder / "lake", warehouse_path=folder / "warehouse.duckdb", dbt_target="local"
    )


# Left in every folder a chaos run works in: only a folder that holds it (or nothing) is ever emptied.
CHAOS_MARKER = ".made-by-chaos"


def claim_folder(settings: Settings, folder: Path) -> Path:
    """Make `folder` the run's own, refusing one that holds data the chaos run did not write.

    A run replaces the lake and warehouse inside its folder: `--dir data` must not
    wipe the project's real lake, so a folder that is not empty and has no marker
    of an earlier chaos run, or that holds the project's lake or warehouse, is refused.
    """
    folder = folder.resolve()
    for name, path in (("lake", settings.lake_dir), ("warehouse", settings.warehouse_path)):
        if path.resolve().is_relative_to(folder):
            raise PipelineError(
                f"--dir {folder} holds the project's {name} ({path}): choose a folder of its own, such as data/chaos"
            )
    if folder.is_file():
        raise PipelineError(f"--dir {folder} is a file: choose a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / CHAOS_MARKER).is_file():
        raise PipelineError(
            f"--dir {folder} already holds files that a chaos run did not write, and a run replaces "
            "the lake and warehouse in it: choose a new or empty folder"
        )
    writable_folder(folder, "--dir")
    (folder / CHAOS_MARKER).write_text("A `make chaos` run keeps its lake and warehouse here; it may replace them.\n")
    return folder


def run_chaos(
    settings: Settings, folder: Path, start: datetime, end: datetime, echo: Callable[[str], None] = print
) -> ChaosReport:
    """Run the four deliveries in `folder` (its lake and warehouse are replaced) and measure the ledger."""
    run = chaos_settings(settings, claim_folder(settings, folder))
    shutil.rmtree(run.lake_dir, ignore_errors=True)
    run.warehouse_path.unlink(missing_ok=True)

    echo(f"[1/4] The window {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}, clean")
    generated = generate_to_lake(run, start, end)
    load_lake(run)
    clean = _transform(run, "clean", echo)

    echo("[2/4] Duplicates: lines of the lake delivered again")
    ledger = inject_faults(run, start, end, REDELIVERY, delivered_at=end)
    load_lake(run)
    redelivered = _transform(run, "duplicates", echo)

    echo("[3/4] Late events, malformed lines, unreadable files, schema drift, hostile records")
    faults = inject_faults(run, start, end, FAULTS, delivered_at=end + timedelta(hours=1))
    ledger.records += faults.records
    load_lake(run)  # quarantines the unreadable files
    faulty = _transform(run, "late, malformed, unreadable, drift, hostile", echo)
    missing_after_faults = len(missing_events(run.warehouse_path))
    late = ledger["late_by_a_day"].event_ids + ledger["late_by_a_week"].event_ids
    staged_late = _staged(run.warehouse_path, late)
    drifted = ledger["extra_field"].event_ids + ledger["missing_field"].event_ids
    staged_drift = _staged(run.warehouse_path, drifted)
    hostile_ids = [event_id for fault in SET_ASIDE_AT_STAGING for event_id in ledger[fault].event_ids]
    set_aside_hostile = _set_aside(run.warehouse_path, hostile_ids)

    echo("[4/4] Bad values (a negative price, an unknown event type), with a full refresh")
    bad = inject_faults(run, start, end, BAD_VALUES, delivered_at=end + timedelta(hours=2))
    ledger.records += bad.records
    load_lake(run)
    bad_values = _transform(run, "bad values, full refresh", echo, full_refresh=True)

    report = measure(run, folder, start, end, generated.events, generated.files, ledger, bad_values)
    report.rounds = [clean, redelivered, faulty, bad_values]
    report.missing_after_round_3 = missing_after_faults
    report.checks += [
        Check(
            "duplicates changed no figure",
            clean.published and redelivered.published and redelivered.figures == clean.figures,
            "KPIs and every published table's rows and sums equal the clean run's",
        ),
        Check(
            "late events are staged by the next incremental build",
            staged_late == len(late) and missing_after_faults == 0,
            f"{staged_late} of {len(late)} (a day and a week late) in stg_events after round 3; "
            f"{missing_after_faults} loaded event(s) missing from staging",
        ),
        Check(
            "hostile records are set aside at staging and the rest is published",
            faulty.published and set_aside_hostile == len(hostile_ids),
            f"{set_aside_hostile} of {len(hostile_ids)} (clock ahead, 1970, unconvertible) in "
            f"stg_quarantined_events; round 3 {'published' if faulty.published else 'NOT published'}",
        ),
        Check(
            "schema drift does not break the build",
            faulty.published and staged_drift == len(drifted),
            f"round 3 {'published' if faulty.published else 'NOT published'}; "
            f"{staged_drift} of {len(drifted)} drifted events in stg_events",
        ),
        Check(
            "bad values are stopped by the gate and never published",
            not bad_values.published
            and bad_values.figures == faulty.figures
            and all(any(test in failure for failure in bad_values.gate_failures) for test in BAD_VALUE_TESTS),
            "round 4 not published, published tables as after round 3, failures name " + " and ".join(BAD_VALUE_TESTS),
        ),
    ]
    write_report(report)
    return report


def _transform(settings: Settings, name: str, echo: Callable[[str], None], full_refresh: bool = False) -> Round:
    """Write-audit-publish (publish.transform), then what the dashboard reads."""
    result = transform(settings, full_refresh=full_refresh)
    echo(f"      gate {'passed: published' if result.published else 'failed: nothing published'}")
    return Round(
        name,
        result.published,
        result.gate.failures,
        result.published_tables,
        published_figures(settings.warehouse_path),
    )


def _set_aside(warehouse_path: Path, event_ids: list[str]) -> int:
    """How many of these events are in stg_quarantined_events (and not in stg_events)."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        return con.execute(
            "select count(distinct event_id) from staging.stg_quarantined_events where event_id in (select unnest(?)) "
            "and event_id not in (select event_id from staging.stg_events)",
            [list(event_ids)],
        ).fetchone()[0]


def _staged(warehouse_path: Path, event_ids: tuple[str, ...]) -> int:
    """How many of these events are in stg_events."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        return con.execute(
            "select count(*) from staging.stg_events where event_id in (select unnest(?))", [list(event_ids)]
        ).fetchone()[0]


def published_figures(warehouse_path: Path) -> dict[str, object]:
    """The KPIs, and each published table's row count and the sum of each numeric column."""
    figures: dict[str, object] = {"kpis": dataclasses.asdict(read_kpis(warehouse_path))}
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = ? order by table_name, ordinal_position",
            [PUBLISHED_SCHEMA],
        ).fetchall()
        for table in sorted({table for table, _, _ in columns}):
            numeric = [
                column
                for name, column, data_type in columns
                if name == table and data_type.split("(")[0] in NUMERIC_TYPES
            ]
            sums = ", ".join([f'sum("{column}")' for column in numeric] or ["null"])
            row = con.execute(f'select count(*), {sums} from {PUBLISHED_SCHEMA}."{table}"').fetchone()
            figures[table] = [_rounded(value) for value in row]
    return figures


NUMERIC_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DECIMAL", "DOUBLE", "FLOAT", "REAL"}


def _rounded(value: object) -> object:
    # Float sums may differ in the last bits with the order rows are added in.
    return round(value, 6) if isinstance(value, float) else value


def measure(
    settings: Settings,
    folder: Path,
    start: datetime,
    end: datetime,
    generated_events: int,
    generated_files: int,
    ledger: FaultLedger,
    last: Round,
) -> ChaosReport:
    """Read the warehouse, compare it with the sender's ledger and check that it balances."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:

        def one(sql: str) -> int:
            return con.execute(sql).fetchone()[0]

        def by_reason(sql: str) -> dict[str, int]:
            return dict(con.execute(sql).fetchall())

        loaded = one("select count(*) from raw.raw_events")
        distinct = one("select count(distinct event->>'$.event_id') from raw.raw_events")
        rejected = one("select count(*) from raw.raw_events_rejects")
        # Reasons without the varying part (the reader's byte counts, the value that did not convert).
        rejected_by_reason = by_reason(
            "select regexp_replace(error, '(: Maximum line size).*$', '\\1'), count(*) "
            "from raw.raw_events_rejects group by 1 order by 2 desc, 1"
        )
        staged = one("select count(*) from staging.stg_events")
        set_aside = one("select count(*) from staging.stg_quarantined_events")
        set_aside_by_reason = by_reason(
            "select regexp_replace(reason, ': ''.*'' is not ', ' is not '), count(*) "
            "from staging.stg_quarantined_events group by 1 order by 2 desc, 1"
        )
        quarantined_rows = con.execute(
            "select source_file, quarantined_path, reason, readable_lines from raw.quarantined_files order by 1"
        ).fetchall()
    missing = len(missing_events(settings.warehouse_path))
    lines_by_file = {path: record.lines for record in ledger.records for path in record.files}
    quarantined_files = [
        QuarantinedFile(source, settings.lake_dir / path, reason, readable)
        for source, path, reason, readable in quarantined_rows
    ]
    unknown = [file.source_file for file in quarantined_files if file.source_file not in lines_by_file]
    quarantined_file_lines = sum(lines_by_file.get(file.source_file, 0) for file in quarantined_files)
    sent = generated_events + ledger.lines
    report = ChaosReport(
        start=start,
        end=end,
        seed=settings.seed,
        folder=folder,
        generated_events=generated_events,
        generated_files=generated_files,
        faults=ledger,
        sent=sent,
        loaded=loaded,
        rejected_lines=rejected,
        rejected_by_reason=rejected_by_reason,
        quarantined_files=quarantined_files,
        quarantined_file_lines=quarantined_file_lines,
        deduplicated=loaded - distinct,
        staged=staged,
        set_aside=set_aside,
        set_aside_by_reason=set_aside_by_reason,
        missing=missing,
        published=last.published,
        gate_failures=last.gate_failures,
        published_tables=last.published_tables,
    )

    def sent_by(faults: tuple[str, ...], bad_lines_only: bool = False) -> int:
        records = [record for record in ledger.records if record.fault in faults]
        return sum(record.lines - record.events if bad_lines_only else record.lines for record in records)

    def files_of(faults: tuple[str, ...]) -> list[str]:
        return sorted(path for record in ledger.records if record.fault in faults for path in record.files)

    duplicates = sent_by(("duplicates",))
    # Whole events of missing_required count as bad lines: its records have events = 0.
    rejected_sent = sent_by(REJECTED_AT_LOAD, bad_lines_only=True)
    set_aside_sent = sent_by(SET_ASIDE_AT_STAGING)
    report.checks = [
        Check(
            "sent = loaded + rejected + quarantined",
            sent == loaded + rejected + quarantined_file_lines and not unknown,
            f"{sent:,} = {loaded:,} + {rejected:,} + {quarantined_file_lines:,}"
            + (f"; quarantined files the sender never wrote: {', '.join(unknown)}" if unknown else ""),
        ),
        Check(
            "loaded = staged + set aside + deduplicated, nothing missing",
            loaded == staged + set_aside + report.deduplicated and missing == 0,
            f"{loaded:,} = {staged:,} in stg_events + {set_aside:,} in stg_quarantined_events"
            f" + {report.deduplicated:,} duplicates; {missing:,} missing",
        ),
        Check(
            "duplicates removed = duplicates sent",
            report.deduplicated == duplicates,
            f"{report.deduplicated:,} removed, {duplicates:,} sent",
        ),
        Check(
            "lines rejected at load = bad lines sent",
            rejected == rejected_sent,
            f"{rejected:,} in raw.raw_events_rejects, {rejected_sent:,} sent (malformed, missing a required field, "
            "unreadable)",
        ),
        Check(
            "unreadable files quarantined = unreadable files sent",
            sorted(file.source_file for file in quarantined_files) == files_of(QUARANTINED_FILES),
            f"{len(quarantined_files)} in raw.quarantined_files, {len(files_of(QUARANTINED_FILES))} sent "
            "(truncated, random bytes, never gzipped)",
        ),
        Check(
            "events set aside at staging = implausible or unconvertible events sent",
            set_aside == set_aside_sent,
            f"{set_aside:,} in stg_quarantined_events, {set_aside_sent:,} sent",
        ),
    ]
    return report


def format_report(report: ChaosReport) -> str:
    """The reliability report, as printed by `make chaos`."""
    files = report.quarantined_files
    readable = sum(file.readable_lines for file in files)
    duplicates = sum(r.lines for r in report.faults.records if r.fault == "duplicates")
    rows = [
        (
            "sent",
            report.sent,
            f"lines written to the lake: {report.generated_events:,} generated events"
            f" + {report.faults.lines:,} fault lines (sender's ledger)",
        ),
        ("loaded", report.loaded, "rows in raw.raw_events"),
        ("rejected", report.rejected_lines, "lines in raw.raw_events_rejects, by reason:"),
        *[("", count, f"  {reason}") for reason, count in report.rejected_by_reason.items()],
        (
            "quarantined",
            report.quarantined,
            f"lines sent in {len(files)} unreadable file(s) moved to quarantine/"
            f" ({readable:,} readable, {report.quarantined - readable:,} lost)",
        ),
        *[("", count, f"  file: {reason}") for reason, count in sorted(Counter(file.reason for file in files).items())],
        ("staged", report.staged, "rows in stg_events"),
        ("set aside", report.set_aside, "rows in stg_quarantined_events (kept out of staging), by reason:"),
        *[("", count, f"  {reason}") for reason, count in report.set_aside_by_reason.items()],
        ("deduplicated", report.deduplicated, f"loaded rows whose event_id was already loaded ({duplicates:,} sent)"),
        (
            "missing",
            report.missing,
            f"loaded events neither staged nor set aside ({report.missing_after_round_3:,} after round 3)",
        ),
    ]
    width = max(len(f"{value:,}") for _, value, _ in rows)
    lines = [
        f"Reliability report: {report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M}, "
        f"seed {report.seed}, in {_shown(report.folder)}",
        "",
        "Sent per fault (lines / whole events, file):",
    ]
    lines += [
        f"  {record.fault:<22} {record.lines:>5} / {record.events:<5} {record.files[0]}"
        for record in report.faults.records
    ]
    lines += ["", "Deliveries, each loaded and then built, audited and published if the gate passed:"]
    lines += [
        f"  {number}. {round_.name:<44} {'passed: published' if round_.published else 'FAILED: not published'}"
        for number, round_ in enumerate(report.rounds, start=1)
    ]
    lines += ["", "Ledger (lines): sent = loaded + rejected + quarantined; loaded = staged + set aside + deduplicated"]
    lines += [f"  {label:<14} {value:>{width},}  {meaning}" for label, value, meaning in rows]
    if report.published:
        lines.append("  published      round 4 PASSED the gate: the bad values reached the published tables")
    else:
        lines.append("  published      no: the gate stopped round 4; the dashboard still reads round 3's tables:")
        lines += [f"                   - {failure}" for failure in report.gate_failures]
    lines.append(
        "                 " + ", ".join(f"analytics.{name} {rows:,}" for name, rows in report.published_tables.items())
    )
    lines += ["", "Checks:"]
    lines += [f"  {'ok  ' if check.passed else 'FAIL'}  {check.name}: {check.detail}" for check in report.checks]
    lines += [
        "",
        "The ledger balances: nothing unaccounted for."
        if report.balanced
        else "The ledger does NOT balance: see the FAIL lines above.",
    ]
    return "\n".join(lines)


def _shown(path: Path) -> Path:
    """The path relative to the current folder when it is inside it (data/chaos), else as it is."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def report_path(folder: Path) -> Path:
    return _shown(folder / "report.json")


def write_report(report: ChaosReport) -> Path:
    path = report.folder / "report.json"
    data = {**dataclasses.asdict(report), "quarantined": report.quarantined, "balanced": report.balanced}
    path.write_text(json.dumps(data, indent=2, default=_json_default) + "\n", encoding="utf-8")
    return path


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal | Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def check_balance(report: ChaosReport) -> None:
    """Raise PipelineError (exit 1 from the CLI) when the ledger does not balance."""
    failed = [check.name for check in report.checks if not check.passed]
    if failed:
        raise PipelineError(f"the reliability ledger does not balance: {'; '.join(failed)}")
