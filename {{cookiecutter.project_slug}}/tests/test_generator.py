"""The event generator: deterministic, stateless across windows, true to its contract."""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import jsonschema
import pytest

from {{ cookiecutter.package_name }}.ingest.catalog import CATEGORIES, build_catalog
from {{ cookiecutter.package_name }}.ingest.generator import (
    EVENT_TYPES,
    generate_events,
    iter_event_lines,
    utc_iso,
    uuid4_str,
)

from conftest import event_schema

START = datetime(2025, 10, 1, tzinfo=UTC)
END = datetime(2025, 10, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
def week():
    return generate_events(42, START, END)


@pytest.fixture(scope="module")
def week_json(week):
    return [json.loads(event.to_json()) for event in week]


def test_same_seed_and_window_give_byte_identical_output(week):
    again = generate_events(42, START, END)
    assert "\n".join(e.to_json() for e in again) == "\n".join(e.to_json() for e in week)


def test_another_seed_gives_other_events(week):
    other = generate_events(7, START, END)
    assert {e.event_id for e in other}.isdisjoint({e.event_id for e in week})


def test_windows_split_anywhere_give_the_same_events(week):
    cut = START + timedelta(days=3, hours=10, minutes=58)
    pieces = generate_events(42, START, cut) + generate_events(42, cut, END)
    assert [e.to_json() for e in pieces] == [e.to_json() for e in week]


def test_windows_split_at_many_points_give_the_same_events(week):
    # Sub-millisecond, busy-hour and quiet-hour cuts, and one 80 hours in: the replayed sessions must agree.
    cuts = [
        START + timedelta(hours=1, minutes=59, seconds=59, microseconds=999_500),
        START + timedelta(days=2, hours=19, minutes=7),
        START + timedelta(days=3, hours=8),
        START + timedelta(days=5, hours=3),
    ]
    bounds = [START, *cuts, END]
    pieces = [e for a, b in pairwise(bounds) for e in generate_events(42, a, b)]
    assert [e.to_json() for e in pieces] == [e.to_json() for e in week]


def test_lines_are_exactly_what_json_dumps_writes(week):
    # The lines are pasted together from pre-serialised parts; they must be what json.dumps gives.
    for event in week:
        line = event.to_json()
        assert json.dumps(json.loads(line), ensure_ascii=False, separators=(",", ":")) == line


def test_event_attributes_agree_with_the_line(week, week_json):
    for event, body in zip(week, week_json, strict=True):
        assert event.event_id == body["event_id"] == event.body["event_id"]
        assert utc_iso(event.timestamp) == body["event_timestamp"]
        assert event.timestamp.tzinfo is not None


def test_the_line_stream_is_the_event_stream(week):
    records = [record for batch in iter_event_lines(42, START, END) for record in batch]
    assert [(e.event_id, e.to_json()) for e in week] == [(event_id, line) for _, event_id, line in records]


def test_uuids_are_version_4():
    rng = random.Random(1)
    for _ in range(1000):
        bits = rng.getrandbits(128)
        assert uuid4_str(bits) == str(uuid.UUID(int=bits, version=4))


def test_funnel_rates_stay_realistic(week_json):
    sessions = defaultdict(set)
    for event in week_json:
        sessions[event["session_id"]].add(event["event_type"])
    converted = sum("order_created" in types for types in sessions.values()) / len(sessions)
    carted = sum("cart_item_added" in types for types in sessions.values()) / len(sessions)
    assert 0.08 < converted < 0.15  # ~11 % of sessions place an order
    assert 0.20 < carted < 0.32
    assert {event["session"]["channel"] for event in week_json} == {
        "organic_search",
        "paid_search",
        "social",
        "email",
        "direct",
        "referral",
    }


def test_every_event_matches_the_schema(week_json):
    schema = event_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = [(event["event_id"], error.message) for event in week_json for error in validator.iter_errors(event)]
    assert errors == []


def test_the_schema_rejects_a_later_state_on_an_earlier_event(week_json):
    schema = event_schema()
    paid = copy.deepcopy(next(e for e in week_json if e["event_type"] == "order_paid"))
    paid["order"]["status"] = "fulfilled"
    assert not jsonschema.Draft202012Validator(schema).is_valid(paid)


def test_all_eight_event_types_occur(week):
    assert set(Counter(e.body["event_type"] for e in week)) == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == 8


def test_events_are_sorted_inside_the_window_with_unique_ids(week):
    assert all(START <= e.timestamp < END for e in week)
    assert [(e.timestamp, e.event_id) for e in week] == sorted((e.timestamp, e.event_id) for e in week)
    assert len({e.event_id for e in week}) == len(week)


def test_timestamps_are_utc_iso8601(week_json):
    for event in week_json[:500]:
        parsed = datetime.fromisoformat(event["event_timestamp"].replace("Z", "+00:00"))
        assert parsed.utcoffset() == timedelta(0)


def test_order_totals_are_consistent(week_json):
    for event in week_json:
        order = event["order"]
        if order is None:
            continue
        subtotal = sum(Decimal(str(item["line_amount"])) for item in order["items"])
        assert Decimal(str(order["subtotal"])) == subtotal
        assert Decimal(str(order["total_amount"])) == (
            Decimal(str(order["subtotal"])) + Decimal(str(order["tax"])) + Decimal(str(order["shipping"]))
        )
        for item in order["items"]:
            assert Decimal(str(item["line_amount"])) == Decimal(str(item["unit_price"])) * item["quantity"]


def test_each_event_carries_the_order_as_it_was_then(week_json):
    expected_status = {
        "order_created": "created",
        "order_paid": "paid",
        "order_fulfilled": "fulfilled",
        "order_cancelled": "cancelled",
    }
    for event in week_json:
        if event["event_type"] in expected_status:
            assert event["order"]["status"] == expected_status[event["event_type"]]
    created = [e for e in week_json if e["event_type"] == "order_created"]
    assert created and all(e["order"]["paid_at"] is None and e["order"]["fulfilled_at"] is None for e in created)


def test_carts_grow_event_by_event(week_json):
    carts = defaultdict(list)
    for event in week_json:
        if event["event_type"] == "cart_item_added":
            carts[event["cart"]["cart_id"]].append(event["cart"]["item_count"])
    assert carts
    assert all(counts == sorted(counts) for counts in carts.values())


def test_each_session_follows_the_funnel_order(week_json):
    order_of = {
        name: rank
        for rank, name in enumerate(
            ["product_viewed", "cart_item_added", "checkout_started", "order_created", "order_paid"]
        )
    }
    sessions = defaultdict(list)
    for event in week_json:
        sessions[event["session_id"]].append(event["event_type"])
    for types in sessions.values():
        ranks = [order_of[t] for t in types if t in order_of]
        assert ranks == sorted(ranks)
        assert types.count("order_created") <= 1


def test_catalog_and_customers_have_the_documented_size():
    catalog = build_catalog(42)
    assert len(catalog.products) == 50
    assert Counter(p.category for p in catalog.products) == {category: 10 for category in CATEGORIES}
    assert len(catalog.customers) == 2000
    assert len({c.customer_id for c in catalog.customers}) == 2000


def test_traffic_varies_by_hour_of_day_and_day_of_week(week):
    sessions_started = {}
    for event in week:
        sessions_started.setdefault(event.body["session_id"], event.timestamp)
    by_hour = Counter(moment.hour for moment in sessions_started.values())
    assert by_hour[20] > 4 * by_hour[3]
    by_weekday = Counter(moment.weekday() for moment in sessions_started.values())
    assert by_weekday[5] > by_weekday[1]  # Saturday busier than Tuesday


def test_a_naive_or_empty_window_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_events(42, datetime(2025, 10, 1), datetime(2025, 10, 2))
    with pytest.raises(ValueError, match="must be after"):
        generate_events(42, END, START)
