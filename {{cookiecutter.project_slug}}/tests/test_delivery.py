"""At-least-once delivery: late and duplicate arrivals, decided per event, with no state."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from {{ cookiecutter.package_name }}.ingest.delivery import DeliveryPolicy, deliveries_in_window
from {{ cookiecutter.package_name }}.ingest.generator import generate_events

START = datetime(2025, 10, 1, 10, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)
POLICY = DeliveryPolicy(late_share=0.1, duplicate_share=0.05, min_late_delay=WINDOW, max_late_delay=timedelta(hours=1))


def windows(start, count):
    return [(start + n * WINDOW, start + (n + 1) * WINDOW) for n in range(count)]


def test_without_a_policy_every_event_arrives_once_on_time():
    end = START + timedelta(hours=1)
    delivered = list(deliveries_in_window(42, START, end, DeliveryPolicy()))
    assert [d.event.to_json() for d in delivered] == [e.to_json() for e in generate_events(42, START, end)]
    assert all(d.arrived_at == d.event.timestamp and not d.late and not d.duplicate for d in delivered)


def test_windows_deliver_each_event_once_and_the_chosen_ones_twice():
    # Deliver 3h20 of windows; every event of the second hour (whose late and
    # duplicate arrivals all fall inside the 3 hours) must arrive as the policy says.
    arrivals = Counter()
    duplicates = set()
    for start, end in windows(START, 40):
        for delivery in deliveries_in_window(42, start, end, POLICY):
            assert start <= delivery.arrived_at < end
            arrivals[delivery.event.event_id] += 1
            if delivery.duplicate:
                duplicates.add(delivery.event.event_id)
    middle = generate_events(42, START + timedelta(hours=1), START + timedelta(hours=2))
    assert middle
    for event in middle:
        assert arrivals[event.event_id] == (2 if event.event_id in duplicates else 1)
    share = len(duplicates & {e.event_id for e in middle}) / len(middle)
    assert 0.02 < share < 0.09


def test_late_events_arrive_in_a_later_window_than_their_timestamp():
    late = [d for start, end in windows(START, 24) for d in deliveries_in_window(42, start, end, POLICY) if d.late]
    assert late
    assert all(d.arrived_at - d.event.timestamp >= WINDOW for d in late)
    assert all(d.arrived_at - d.event.timestamp <= POLICY.max_late_delay + POLICY.max_duplicate_delay for d in late)


def test_a_window_delivers_the_same_arrivals_every_time():
    start, end = windows(START, 1)[0]
    first = [(d.arrived_at, d.event.to_json(), d.duplicate) for d in deliveries_in_window(42, start, end, POLICY)]
    again = [(d.arrived_at, d.event.to_json(), d.duplicate) for d in deliveries_in_window(42, start, end, POLICY)]
    assert first == again and first
    assert [a for a, _, _ in first] == sorted(a for a, _, _ in first)


@pytest.mark.parametrize("field, value", [("late_share", 1.5), ("duplicate_share", -0.1)])
def test_shares_outside_0_to_1_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        DeliveryPolicy(**{field: value})
