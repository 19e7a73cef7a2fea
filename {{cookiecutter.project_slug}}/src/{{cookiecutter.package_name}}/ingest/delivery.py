"""At-least-once delivery, modelled honestly and without state.

Real producers deliver some events late (a phone back online, a retried batch)
and some twice (a retry after a lost acknowledgement). This module decides, for
every event, when it arrives: on time (at its own timestamp), late (after a
delay of at least one schedule window), and, for a share of events, a second
time with the same `event_id`.

Each decision is a hash of (seed, event_id), so it is the same in every
invocation: the deliveries of a window are a pure function of (seed, window,
policy). To know what arrives in [start, end), the events of
[start - longest delay, end) are generated and kept when one of their arrivals
falls inside the window. Splitting time into windows anywhere delivers every
event exactly as often as the policy says.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from .catalog import Catalog
from .generator import Event, iter_events


@dataclass(frozen=True)
class DeliveryPolicy:
    """Shares of late and duplicated events; both zero means every event arrives once, on time."""

    late_share: float = 0.0
    duplicate_share: float = 0.0
    # A late event arrives at least one schedule window after its timestamp, at most this late.
    min_late_delay: timedelta = timedelta(minutes=5)
    max_late_delay: timedelta = timedelta(hours=3)
    # The second copy of a duplicated event arrives within this time after the first.
    max_duplicate_delay: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        for name in ("late_share", "duplicate_share"):
            share = getattr(self, name)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {share}")
        if not timedelta(0) < self.min_late_delay <= self.max_late_delay:
            raise ValueError("late delays must satisfy 0 < min_late_delay <= max_late_delay")
        if self.max_duplicate_delay <= timedelta(0):
            raise ValueError("max_duplicate_delay must be positive")

    @property
    def longest_delay(self) -> timedelta:
        late = self.max_late_delay if self.late_share else timedelta(0)
        duplicate = self.max_duplicate_delay if self.duplicate_share else timedelta(0)
        return late + duplicate


@dataclass(frozen=True)
class Delivery:
    """One arrival of an event: when it arrives and why it is not simply on time."""

    arrived_at: datetime
    event: Event
    late: bool
    duplicate: bool  # the second copy of an event already delivered


def _fraction(seed: int, event_id: str, purpose: str) -> float:
    """A number in [0, 1) fixed by (seed, event, purpose): the same in every invocation."""
    digest = hashlib.blake2b(f"{seed}:{event_id}:{purpose}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _delay(fraction: float, low: timedelta, high: timedelta) -> timedelta:
    # Whole milliseconds, so arrival times print as the event timestamps do.
    span_ms = int((high - low).total_seconds() * 1000)
    return low + timedelta(milliseconds=int(fraction * span_ms))


def arrivals(seed: int, event: Event, policy: DeliveryPolicy) -> list[Delivery]:
    """Every arrival of one event under the policy (one, or two for a duplicate)."""
    late = _fraction(seed, event.event_id, "late") < policy.late_share
    first = event.timestamp
    if late:
        first += _delay(_fraction(seed, event.event_id, "late-delay"), policy.min_late_delay, policy.max_late_delay)
    result = [Delivery(first, event, late=late, duplicate=False)]
    if _fraction(seed, event.event_id, "duplicate") < policy.duplicate_share:
        again = first + _delay(
            _fraction(seed, event.event_id, "duplicate-delay"), timedelta(milliseconds=1), policy.max_duplicate_delay
        )
        result.append(Delivery(again, event, late=late, duplicate=True))
    return result


def deliveries_in_window(
    seed: int, start: datetime, end: datetime, policy: DeliveryPolicy, catalog: Catalog | None = None
) -> Iterator[Delivery]:
    """Stream the arrivals in [start, end), ordered by (arrival time, event_id, first copy first).

    Events come in timestamp order and nothing arrives before its timestamp, so an
    arrival earlier than the current event's timestamp is final and can be yielded.
    """
    pending: list[tuple[datetime, str, bool, Delivery]] = []
    for event in iter_events(seed, start - policy.longest_delay, end, catalog):
        while pending and pending[0][0] < event.timestamp:
            yield heapq.heappop(pending)[-1]
        for delivery in arrivals(seed, event, policy):
            if start <= delivery.arrived_at < end:
                heapq.heappush(pending, (delivery.arrived_at, event.event_id, delivery.duplicate, delivery))
    while pending:
        yield heapq.heappop(pending)[-1]
