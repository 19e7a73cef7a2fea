"""The source side of the local pipeline: generate a window of events into the lake.

The warehouse side (load, dbt build, KPIs) is in ../warehouse/; the CLI chains them.

With `workers` > 1 the window is cut into chunks that worker processes generate
and deliver, and the lake receives the same files, byte for byte, as from a
serial run. Events split anywhere (the generator is a pure function of the
window); files do not, because where one ends depends on the records before it.
Except after a gap: a record that comes at least the buffer interval after the
record before it starts a new file whatever was buffered (that buffer opened no
later than the record before, so its interval is over). So every chunk begins
at such a record, the first after a planned cut. The worker before it delivers
its last buffer just before that record, as the serial run does when the record
arrives, and the worker of the chunk starts there with an empty buffer, as the
serial run does. Both workers find that record on their own, by the same rule.
Cuts are planned at 03:00 UTC, the quietest hour, where a gap comes within
minutes; a worker skips the few records before it.
"""

from __future__ import annotations

import math
import multiprocessing
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..settings import Settings, writable_folder
from .catalog import build_catalog
from .generator import EPOCH, iter_event_lines, to_epoch_ms
from .lake import LocalLakeSink

# The demo's history: one quarter, long enough for repeat buyers and every RFM segment.
DEMO_START = datetime(2025, 10, 1, tzinfo=UTC)
DEMO_END = datetime(2026, 1, 1, tzinfo=UTC)
# Longest chunk of a parallel run: chunks are handed out as workers finish, which evens out busy and quiet days.
MAX_CHUNK = timedelta(days=7)
QUIET_HOUR = 3  # UTC


@dataclass(frozen=True)
class GenerateResult:
    events: int
    files: int


def _sink(settings: Settings) -> LocalLakeSink:
    return LocalLakeSink(
        writable_folder(settings.lake_dir, "LAKE_DIR"),
        buffer_bytes=settings.lake_buffer_mib * 1024 * 1024,
        buffer_seconds=settings.lake_buffer_seconds,
        keep_paths=False,  # memory stays flat however many files a backfill writes
    )


def generate_to_lake(
    settings: Settings,
    start: datetime,
    end: datetime,
    on_progress: Callable[[datetime], None] | None = None,
    workers: int = 1,
) -> GenerateResult:
    """Generate the events of [start, end) and deliver them to the local lake.

    `on_progress` is called with the event time reached, about once per hour
    of events (once per chunk with workers), for a progress bar. `workers` > 1
    generates in that many processes; the files are the same as with 1.
    """
    cuts = plan_cuts(start, end, workers) if workers > 1 else []
    if cuts:
        return _generate_parallel(settings, start, end, cuts, workers, on_progress)
    sink = _sink(settings)
    with sink:
        for batch in iter_event_lines(settings.seed, start, end, build_catalog(settings.seed)):
            sink.put_records(batch)
            if on_progress:
                on_progress(EPOCH + timedelta(milliseconds=batch[-1][0]))
    return GenerateResult(events=sink.records_written, files=sink.file_count)


def plan_cuts(start: datetime, end: datetime, workers: int) -> list[datetime]:
    """Where the chunks of a parallel run roughly begin: two per worker if they last a day, and at most MAX_CHUNK."""
    span = end - start
    per_worker = 2 if span >= timedelta(days=2 * workers) else 1
    count = workers * max(per_worker, math.ceil(span / (MAX_CHUNK * workers)))
    cuts: list[datetime] = []
    for number in range(1, count):
        cut = (start + span * number / count).astimezone(UTC)
        if span / count >= timedelta(days=1):
            quiet = cut.replace(hour=QUIET_HOUR, minute=0, second=0, microsecond=0)
            cut = min((quiet - timedelta(days=1), quiet, quiet + timedelta(days=1)), key=lambda q: abs(q - cut))
        if (cuts[-1] if cuts else start) < cut < end:
            cuts.append(cut)
    return cuts


def _first_gap(records: Sequence[tuple[int, str, str]], previous_ms: int | None, from_ms: int, gap_ms: int) -> int:
    """Index of the first record at or after from_ms that comes gap_ms or more after the record before it.

    `previous_ms` is the time of the record before records[0] (None: there is none).
    Returns len(records) if no record qualifies.
    """
    first = bisect_left(records, (from_ms,))
    previous = records[first - 1][0] if first else previous_ms
    for index in range(first, len(records)):
        if previous is None or records[index][0] - previous >= gap_ms:
            return index
        previous = records[index][0]
    return len(records)


def _run_chunk(job: tuple[Settings, datetime, datetime, datetime | None, datetime | None]) -> GenerateResult:
    """Deliver the records from the first gap after `cut` to the first gap after `next_cut`, as the serial run does.

    `cut` None: from the window's start. `next_cut` None: to the window's end.
    """
    settings, start, end, cut, next_cut = job
    gap_ms = settings.lake_buffer_seconds * 1000
    # A record's gap is about the records of the last interval before it: they are all generated from here.
    scan_from = start if cut is None else max(start, cut - timedelta(seconds=settings.lake_buffer_seconds))
    begin_ms = None if cut is None else to_epoch_ms(cut)
    stop_ms = None if next_cut is None else to_epoch_ms(next_cut)
    previous_ms, started = None, cut is None
    sink = _sink(settings)
    with sink:
        for batch in iter_event_lines(settings.seed, scan_from, end, build_catalog(settings.seed)):
            first = 0
            if not started:
                first = _first_gap(batch, previous_ms, begin_ms, gap_ms)
                started = first < len(batch)
            last = len(batch)
            if started and stop_ms is not None and batch[-1][0] >= stop_ms:
                before = batch[first - 1][0] if first else previous_ms
                last = first + _first_gap(batch[first:], before, stop_ms, gap_ms)
            if started:
                sink.put_records(batch if first == 0 and last == len(batch) else batch[first:last])
            if last < len(batch):
                break  # the next chunk begins here
            previous_ms = batch[-1][0]
    return GenerateResult(events=sink.records_written, files=sink.file_count)


def _generate_parallel(
    settings: Settings,
    start: datetime,
    end: datetime,
    cuts: list[datetime],
    workers: int,
    on_progress: Callable[[datetime], None] | None,
) -> GenerateResult:
    build_catalog(settings.seed)  # built once here: forked workers inherit it
    # fork starts a worker in milliseconds and, unlike spawn and forkserver, does not re-run the caller's
    # __main__ script in the worker. Spawn (macOS, Windows) imports the package again, and works too.
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    bounds: list[datetime | None] = [None, *cuts, None]
    jobs = [(settings, start, end, cut, next_cut) for cut, next_cut in zip(bounds, bounds[1:], strict=False)]
    events = files = done = 0
    with context.Pool(min(workers, len(jobs))) as pool:
        for result in pool.imap_unordered(_run_chunk, jobs):
            events, files, done = events + result.events, files + result.files, done + 1
            if on_progress:
                on_progress(start + (end - start) * done / len(jobs))
    return GenerateResult(events=events, files=files)
