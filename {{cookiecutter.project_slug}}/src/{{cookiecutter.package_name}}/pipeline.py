"""The source side of the local pipeline: generate a window of events into the lake.

The warehouse side (load, dbt build, KPIs) is in warehouse.py; the CLI chains them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from .catalog import build_catalog
from .generator import iter_events
from .lake import LocalLakeSink
from .settings import Settings

# The demo's history: one quarter, long enough for repeat buyers and every RFM segment.
DEMO_START = datetime(2025, 10, 1, tzinfo=UTC)
DEMO_END = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class GenerateResult:
    events: int
    files: int


def generate_to_lake(
    settings: Settings,
    start: datetime,
    end: datetime,
    on_progress: Callable[[datetime], None] | None = None,
) -> GenerateResult:
    """Generate the events of [start, end) and deliver them to the local lake.

    `on_progress` is called with each event's timestamp, for a progress bar.
    """
    sink = LocalLakeSink(
        settings.lake_dir,
        buffer_bytes=settings.lake_buffer_mib * 1024 * 1024,
        buffer_seconds=settings.lake_buffer_seconds,
    )
    with sink:
        for event in iter_events(settings.seed, start, end, build_catalog(settings.seed)):
            sink.put(event)
            if on_progress:
                on_progress(event.timestamp)
    return GenerateResult(events=sink.records_written, files=len(sink.files_written))
