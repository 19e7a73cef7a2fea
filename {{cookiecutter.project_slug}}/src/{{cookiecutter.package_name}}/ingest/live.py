"""Live mode: the generator on the wall clock, delivering into the local lake as the schedule would.

Every window (5 minutes by default), the events whose arrival falls in the
window that just ended are written to the lake. `speed` runs the clock faster
(60: a 5-minute window every 5 seconds) so a learner sees files appear sooner.
Ctrl-C stops between two windows or in the middle of one: files are written
under a temporary name and renamed when whole, so none is left half written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .catalog import build_catalog
from .delivery import Delivery, DeliveryPolicy, deliveries_in_window
from .lake import MAX_BUFFER_SECONDS, LocalLakeSink


def deliver_to_lake(deliveries: Iterable[Delivery], lake_dir: Path, buffer_seconds: int) -> LocalLakeSink:
    """Write arrivals to the lake, partitioned by arrival time as Firehose does; returns the flushed sink."""
    with LocalLakeSink(Path(lake_dir), buffer_seconds=min(buffer_seconds, MAX_BUFFER_SECONDS)) as lake:
        for delivery in deliveries:
            lake.put_line(delivery.event.to_json(), delivery.arrived_at)
    return lake


def window_end_at_or_before(moment: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=UTC)


def accelerated_clock(speed: float, now: Callable[[], datetime] = lambda: datetime.now(UTC)):
    """A clock that starts at the real time and runs `speed` times faster, and a sleep that matches it."""
    origin = now()

    def clock() -> datetime:
        return origin + (now() - origin) * speed

    def sleep(simulated_seconds: float) -> None:
        time.sleep(simulated_seconds / speed)

    return clock, sleep


def run_live(
    seed: int,
    lake_dir: Path,
    window: timedelta,
    policy: DeliveryPolicy,
    report: Callable[[datetime, datetime, LocalLakeSink], None],
    *,
    windows: int | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Deliver each window as it ends, until Ctrl-C (or `windows` windows); returns the windows delivered."""
    catalog = build_catalog(seed)
    end = window_end_at_or_before(clock(), window)
    delivered = 0
    while windows is None or delivered < windows:
        start, end = end, end + window
        while (remaining := (end - clock()).total_seconds()) > 0:
            sleep(min(remaining, 1.0))  # short naps keep the loop responsive to the clock
        lake = deliver_to_lake(
            deliveries_in_window(seed, start, end, policy, catalog), lake_dir, int(window.total_seconds())
        )
        report(start, end, lake)
        delivered += 1
    return delivered
