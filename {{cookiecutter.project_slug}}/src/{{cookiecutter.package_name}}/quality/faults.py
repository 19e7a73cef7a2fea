"""Fault injection: deliver into a lake the faults real pipelines meet, each with an exact count.

Each fault lands in a file of its own, delivered the way the lake sink delivers
(lake.LocalLakeSink: a gzipped NDJSON file under raw-events/YYYY/MM/DD/HH/,
named as Firehose names it), so the warehouse load sees nothing unusual about
how it arrived, only what is in it:

    duplicates            lines already in the lake, delivered again in a later file (same event_id)
    late_by_a_day         events of the day before the window, delivered now
    late_by_a_week        events of the day a week before the window, delivered now
    malformed_lines       event lines cut in half, interleaved with as many good event lines
    truncated_file        one file of that many events whose gzip stream is cut in half
    extra_field           events with a field the models do not know (schema drift)
    missing_field         events without an optional field, customer.email (schema drift)
    negative_price        product_viewed events with a negative product price (a bad value)
    unknown_event_type    events whose event_type is not one of the 8 known types (a bad value)

and the hostile input of hostile.py, each in a file of its own:

    missing_required      events without a required field (rejected at load)
    unreadable_lines      good events with 3 lines the reader cannot take between them
                          (invalid UTF-8, over-long, the reader's delimiter): rejected at load
    random_bytes_file     a file of random bytes in place of that many events (quarantined)
    plain_text_file       that many events, never gzipped, named .json.gz (quarantined)
    clock_ahead           events dated half a year late by a wrong clock (quarantined at staging)
    ancient_timestamp     events dated 1970-01-01 (quarantined at staging)
    unconvertible_value   events with a month 13 or a word for a price (quarantined at staging)

Events are the generator's, so a fault is a pure function of (seed, window,
plan): the same plan gives the same files (but for clock_ahead, dated after
the wall clock). Fresh events (all but duplicates and
late deliveries) come from the day after the window, each fault from its own
slice, so faults injected in separate calls never share an event.

The result is the sender's ledger: per fault, the lines and events sent and
the files they went into. The reliability report (chaos.py) checks the
warehouse against it.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import PipelineError
from ..ingest.generator import iter_event_lines
from ..ingest.lake import LocalLakeSink, list_lake_files
from ..settings import Settings
from ..warehouse.load import complete_lines
from . import hostile

# A fault's fresh events: its own slice of the day after the window (~1,900 events on the demo seed;
# 16 faults take fresh events).
FRESH_SLICE = 100
EXTRA_FIELD = ("client_app_version", "4.2.0")
UNKNOWN_EVENT_TYPE = "product_wishlisted"


@dataclass(frozen=True)
class FaultPlan:
    """How many of each fault to inject (lines for malformed_lines, events for the others)."""

    duplicates: int = 0
    late_by_a_day: int = 0
    late_by_a_week: int = 0
    malformed_lines: int = 0
    truncated_file: int = 0
    extra_field: int = 0
    missing_field: int = 0
    negative_price: int = 0
    unknown_event_type: int = 0
    missing_required: int = 0
    unreadable_lines: int = 0
    random_bytes_file: int = 0
    plain_text_file: int = 0
    clock_ahead: int = 0
    ancient_timestamp: int = 0
    unconvertible_value: int = 0

    def __post_init__(self) -> None:
        for name, count in self.counts().items():
            if not 0 <= count <= FRESH_SLICE:
                raise ValueError(f"{name} must be between 0 and {FRESH_SLICE}, got {count}")

    def counts(self) -> dict[str, int]:
        return {spec.name: getattr(self, spec.name) for spec in fields(self)}


FAULTS = tuple(FaultPlan().counts())


@dataclass(frozen=True)
class FaultRecord:
    """What one fault sent: its lines, how many of them are whole events, and where they went."""

    fault: str
    lines: int
    events: int  # lines that are whole JSON objects (malformed and unreadable lines are not)
    files: tuple[str, ...]  # lake-relative paths
    event_ids: tuple[str, ...]  # the events the fault is about (the copies, the late ones, the drifted ones...)
    readable_lines: int | None = None  # truncated_file: the complete lines still readable before the cut


@dataclass
class FaultLedger:
    """The sender's ledger of one injection."""

    records: list[FaultRecord] = field(default_factory=list)

    def __getitem__(self, fault: str) -> FaultRecord:
        for record in self.records:
            if record.fault == fault:
                return record
        raise KeyError(fault)

    @property
    def lines(self) -> int:
        return sum(record.lines for record in self.records)


def inject_faults(
    settings: Settings, start: datetime, end: datetime, plan: FaultPlan, delivered_at: datetime
) -> FaultLedger:
    """Deliver the plan's faults for the window [start, end) into settings.lake_dir, at `delivered_at`.

    The window is the one already generated into the lake: duplicates copy its
    lines, late deliveries come from before it, fresh events from the day after.
    """
    ledger = FaultLedger()
    counts = plan.counts()
    fresh = _fresh_events(settings, end)
    for position, fault in enumerate(FAULTS):
        count = counts[fault]
        if not count:
            continue
        at = delivered_at + timedelta(seconds=position)
        if fault == "duplicates":
            record = _deliver(settings, fault, at, _lake_lines(settings, count))
        elif fault == "late_by_a_day":
            lines = _generated(settings, start - timedelta(days=1), start, count)
            record = _deliver(settings, fault, at, lines)
        elif fault == "late_by_a_week":
            lines = _generated(settings, start - timedelta(days=8), start - timedelta(days=7), count)
            record = _deliver(settings, fault, at, lines)
        elif fault == "malformed_lines":
            slice_ = fresh(position, 2 * count)
            good, broken = slice_[:count], slice_[count:]
            mixed = [
                line for pair in zip(good, (line[: len(line) // 2] for line in broken), strict=True) for line in pair
            ]
            record = _deliver(settings, fault, at, mixed)
        elif fault == "truncated_file":
            record = _truncate(settings, _deliver(settings, fault, at, fresh(position, count)))
        elif fault == "extra_field":
            name, value = EXTRA_FIELD
            lines = [_dumps({**json.loads(line), name: value}) for line in fresh(position, count)]
            record = _deliver(settings, fault, at, lines)
        elif fault == "missing_field":
            lines = [_dumps(_without_email(json.loads(line))) for line in fresh(position, count)]
            record = _deliver(settings, fault, at, lines)
        elif fault == "negative_price":
            lines = [_dumps(_negative_price(json.loads(line))) for line in fresh(position, count, "product_viewed")]
            record = _deliver(settings, fault, at, lines)
        elif fault == "unknown_event_type":
            events = [json.loads(line) for line in fresh(position, count, "product_viewed")]
            lines = [_dumps({**event, "event_type": UNKNOWN_EVENT_TYPE}) for event in events]
            record = _deliver(settings, fault, at, lines)
        elif fault == "missing_required":
            record = _deliver(settings, fault, at, hostile.missing_required(fresh(position, count)), whole=False)
        elif fault == "unreadable_lines":
            mixed, bad = hostile.unreadable_lines(fresh(position, count))
            path = hostile.write_lake_file(settings.lake_dir, at, hostile.ndjson_gzip(mixed))
            record = FaultRecord(fault, len(mixed), len(mixed) - bad, (path,), ())
        elif fault in ("random_bytes_file", "plain_text_file"):
            lines = fresh(position, count)
            content = hostile.random_bytes(settings.seed) if fault == "random_bytes_file" else hostile.plain_text(lines)
            path = hostile.write_lake_file(settings.lake_dir, at, content)
            record = FaultRecord(fault, count, count, (path,), tuple(_event_id(line) for line in lines), 0)
        elif fault == "clock_ahead":
            # The one fault that depends on the wall clock: ahead of when the warehouse loads it.
            record = _deliver(settings, fault, at, hostile.clock_ahead(fresh(position, count), datetime.now(UTC)))
        elif fault == "ancient_timestamp":
            record = _deliver(settings, fault, at, hostile.ancient(fresh(position, count)))
        else:  # unconvertible_value
            record = _deliver(settings, fault, at, hostile.unconvertible(fresh(position, count, "product_viewed")))
        ledger.records.append(record)
    return ledger


def _dumps(event: dict) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def _without_email(event: dict) -> dict:
    customer = {key: value for key, value in event["customer"].items() if key != "email"}
    return {**event, "customer": customer}


def _negative_price(event: dict) -> dict:
    product = {**event["product"], "price": -abs(event["product"]["price"])}
    return {**event, "product": product}


def _fresh_events(settings: Settings, end: datetime):
    """A function (position, count, event_type=None) -> that many event lines of the fault's own slice."""
    day = [line for batch in iter_event_lines(settings.seed, end, end + timedelta(days=1)) for _, _, line in batch]

    def take(position: int, count: int, event_type: str | None = None) -> list[str]:
        slice_ = day[position * FRESH_SLICE : (position + 1) * FRESH_SLICE]
        if event_type:
            slice_ = [line for line in slice_ if f'"event_type":"{event_type}"' in line]
        if len(slice_) < count:
            raise PipelineError(f"only {len(slice_)} fresh events for fault {FAULTS[position]}, {count} asked")
        return slice_[:count]

    return take


def _generated(settings: Settings, start: datetime, end: datetime, count: int) -> list[str]:
    lines = [line for batch in iter_event_lines(settings.seed, start, end) for _, _, line in batch][:count]
    if len(lines) < count:
        raise PipelineError(f"only {len(lines)} events from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}")
    return lines


def _lake_lines(settings: Settings, count: int) -> list[str]:
    """The first `count` event lines already in the lake, in file order (unreadable files and bad lines skipped)."""
    found: list[str] = []
    for path in list_lake_files(settings.lake_dir):
        for line in _readable_lines(path):
            if _event_id(line) is not None:
                found.append(line)
                if len(found) == count:
                    return found
    raise PipelineError(f"only {len(found)} events in the lake at {settings.lake_dir} to duplicate, {count} asked")


def _readable_lines(path: Path) -> Iterator[str]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, EOFError, UnicodeDecodeError):
        return
    yield from text.splitlines()


def _event_id(line: str) -> str | None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event.get("event_id") if isinstance(event, dict) else None


def _deliver(settings: Settings, fault: str, at: datetime, lines: list[str], whole: bool = True) -> FaultRecord:
    """Deliver the lines as one lake file, the way the sink does (whole=False: the objects break the contract)."""
    sink = LocalLakeSink(settings.lake_dir, buffer_bytes=128 * 1024 * 1024, buffer_seconds=900)
    for line in lines:
        sink.put_line(line, at)
    path = sink.flush()
    ids = [_event_id(line) for line in lines]
    return FaultRecord(
        fault=fault,
        lines=len(lines),
        events=sum(event_id is not None for event_id in ids) if whole else 0,
        files=(path.relative_to(settings.lake_dir).as_posix(),),
        event_ids=tuple(event_id for event_id in ids if event_id is not None),
    )


def _truncate(settings: Settings, record: FaultRecord) -> FaultRecord:
    """Cut the record's file in the middle of its gzip stream, as an interrupted upload leaves it."""
    path = settings.lake_dir / record.files[0]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return dataclasses.replace(record, readable_lines=complete_lines(path))
