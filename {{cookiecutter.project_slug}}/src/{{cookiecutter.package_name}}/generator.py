"""Deterministic e-commerce event generator.

`generate_events(seed, start, end)` is a pure function: the same seed and
window give the same events, byte for byte. It keeps no state between calls.
Sessions are drawn per clock hour from a random stream named by (seed, hour);
each session then lives out its whole funnel from a stream of its own. A
window therefore regenerates every session that may still emit events inside
it (those that started up to `MAX_SESSION_SPAN` earlier) and keeps only the
events whose timestamp falls in the window. Splitting a period into windows
yields exactly the events of the whole period.

The funnel (8 event types):

    product_viewed -> cart_item_added -> checkout_started -> order_created
        -> order_paid -> order_fulfilled
    with branches cart_abandoned (after the cart or at checkout) and
    order_cancelled (payment failed, or cancelled before shipping).

Every event carries a snapshot of the cart or order *as it was at that
moment*: an `order_paid` event shows status "paid", never a later state.
"""

from __future__ import annotations

import heapq
import json
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .catalog import Catalog, Customer, Product, build_catalog

EVENT_TYPES = (
    "product_viewed",
    "cart_item_added",
    "cart_abandoned",
    "checkout_started",
    "order_created",
    "order_paid",
    "order_cancelled",
    "order_fulfilled",
)

# Average sessions per hour before the hour-of-day and day-of-week factors.
SESSIONS_PER_HOUR = 24.0
# Relative traffic by hour of day (UTC, 0..23): quiet nights, lunch and evening peaks.
HOUR_OF_DAY_FACTOR = (
    0.25,
    0.15,
    0.10,
    0.10,
    0.12,
    0.20,
    0.40,
    0.65,
    0.90,
    1.05,
    1.15,
    1.25,
    1.40,
    1.30,
    1.15,
    1.10,
    1.15,
    1.30,
    1.55,
    1.75,
    1.80,
    1.55,
    1.05,
    0.55,
)
# Monday..Sunday: weekends shop more.
DAY_OF_WEEK_FACTOR = (0.90, 0.88, 0.92, 0.95, 1.05, 1.25, 1.20)

CHANNELS = (
    ("organic_search", 0.34),
    ("paid_search", 0.20),
    ("social", 0.16),
    ("email", 0.10),
    ("direct", 0.15),
    ("referral", 0.05),
)
DEVICES = (("mobile", 0.58), ("desktop", 0.34), ("tablet", 0.08))
# Channels and devices convert differently: email and desktop buy more readily.
CHANNEL_INTENT = {
    "organic_search": 1.0,
    "paid_search": 1.1,
    "social": 0.7,
    "email": 1.5,
    "direct": 1.2,
    "referral": 0.9,
}
DEVICE_INTENT = {"mobile": 0.85, "desktop": 1.2, "tablet": 1.0}

CART_RATE = 0.26  # sessions that add something to the cart (before intent factors)
CHECKOUT_RATE = 0.55  # carts that reach checkout
ORDER_RATE = 0.72  # checkouts that place an order
PAYMENT_SUCCESS_RATE = 0.93
FULFILMENT_RATE = 0.96  # paid orders shipped; the rest are cancelled before shipping
CART_TIMEOUT = timedelta(minutes=30)  # inactivity after which a cart counts as abandoned
MAX_FULFILMENT_DELAY = timedelta(hours=72)
# Longest time from a session's start to its last event (browsing, timeouts, fulfilment).
MAX_SESSION_SPAN = timedelta(hours=80)

TAX_RATE_BASIS_POINTS = 800  # 8 % sales tax
FREE_SHIPPING_FROM_CENTS = 7_500
SHIPPING_CENTS = 599
PAYMENT_METHODS = (("card", 0.68), ("paypal", 0.20), ("apple_pay", 0.08), ("gift_card", 0.04))
CARRIERS = ("UPS", "FedEx", "DHL", "USPS")


@dataclass(frozen=True)
class Event:
    """One generated event: its time (for windowing and sorting) and its JSON line."""

    timestamp: datetime
    event_id: str
    body: dict

    def to_json(self) -> str:
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":"))


def utc_iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a Z suffix: 2025-10-01T10:58:12.345Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def money(cents: int) -> float:
    return cents / 100


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in options], weights=[w for _, w in options])[0]


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: exact, and fast enough for the means used here (< 100).
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ms(rng: random.Random, low_seconds: float, high_seconds: float) -> timedelta:
    """A random whole-millisecond delay, so timestamps print without rounding."""
    return timedelta(milliseconds=rng.randint(int(low_seconds * 1000), int(high_seconds * 1000)))


def expected_sessions(hour_start: datetime) -> float:
    return SESSIONS_PER_HOUR * HOUR_OF_DAY_FACTOR[hour_start.hour] * DAY_OF_WEEK_FACTOR[hour_start.weekday()]


def order_amounts(subtotal_cents: int) -> dict[str, int]:
    """Tax and shipping on a subtotal; the total is their exact sum (in cents)."""
    tax = (subtotal_cents * TAX_RATE_BASIS_POINTS + 5_000) // 10_000  # round half up
    shipping = 0 if subtotal_cents >= FREE_SHIPPING_FROM_CENTS else SHIPPING_CENTS
    return {"subtotal": subtotal_cents, "tax": tax, "shipping": shipping, "total": subtotal_cents + tax + shipping}


class _Session:
    """Plays one visitor's session and records an event snapshot at each step."""

    def __init__(self, rng: random.Random, catalog: Catalog, start: datetime):
        self.rng = rng
        self.catalog = catalog
        self.clock = start
        self.session_id = _uuid(rng)
        self.customer: Customer = catalog.pick_customer(rng)
        self.channel = _weighted(rng, CHANNELS)
        self.device = _weighted(rng, DEVICES)
        self.events: list[Event] = []
        self.cart_id: str | None = None
        self.cart: dict[str, tuple[Product, int]] = {}  # product_id -> (product, quantity), in order added
        self.order: dict | None = None

    # -- snapshots: each returns a fresh object, never shared with a later event
    def _cart_snapshot(self) -> dict:
        return {
            "cart_id": self.cart_id,
            "items": [
                {"product_id": p.product_id, "quantity": qty, "unit_price": money(p.price_cents)}
                for p, qty in self.cart.values()
            ],
            "item_count": sum(qty for _, qty in self.cart.values()),
            "cart_value": money(self._cart_cents()),
        }

    def _cart_cents(self) -> int:
        return sum(p.price_cents * qty for p, qty in self.cart.values())

    def _order_snapshot(self) -> dict:
        return {k: (list(map(dict, v)) if k == "items" else v) for k, v in self.order.items()}

    def _emit(self, event_type: str, *, product: Product | None = None, with_cart=False, with_order=False):
        event_id = _uuid(self.rng)
        body = {
            "event_id": event_id,
            "event_type": event_type,
            "event_timestamp": utc_iso(self.clock),
            "session_id": self.session_id,
            "customer": self.customer.as_json(),
            "session": {"channel": self.channel, "device": self.device},
            "product": product.as_json() if product else None,
            "cart": self._cart_snapshot() if with_cart else None,
            "order": self._order_snapshot() if with_order else None,
        }
        self.events.append(Event(self.clock, event_id, body))

    def play(self) -> list[Event]:
        rng = self.rng
        intent = CHANNEL_INTENT[self.channel] * DEVICE_INTENT[self.device]
        viewed: list[Product] = []
        for _ in range(1 + min(int(rng.expovariate(0.45)), 9)):
            product = rng.choice(self.catalog.products)
            viewed.append(product)
            self._emit("product_viewed", product=product)
            self.clock += _ms(rng, 15, 150)

        if rng.random() >= min(CART_RATE * intent, 0.9):
            return self.events  # browsed and left: no cart, nothing to abandon
        self.cart_id = _uuid(rng)
        for product in rng.sample(viewed, k=min(len(viewed), 1 + int(rng.expovariate(1.2)))):
            _, quantity = self.cart.get(product.product_id, (product, 0))
            self.cart[product.product_id] = (product, quantity + (1 if rng.random() < 0.85 else 2))
            self._emit("cart_item_added", product=product, with_cart=True)
            self.clock += _ms(rng, 10, 120)

        if rng.random() >= CHECKOUT_RATE:
            self.clock += CART_TIMEOUT
            self._emit("cart_abandoned", with_cart=True)
            return self.events
        self._emit("checkout_started", with_cart=True)
        self.clock += _ms(rng, 30, 400)

        if rng.random() >= min(ORDER_RATE * intent, 0.95):
            self.clock += CART_TIMEOUT
            self._emit("cart_abandoned", with_cart=True)
            return self.events
        self._place_order()
        return self.events

    def _place_order(self) -> None:
        rng = self.rng
        items = [
            {
                "product_id": product.product_id,
                "product_name": product.name,
                "category": product.category,
                "quantity": quantity,
                "unit_price": money(product.price_cents),
                "line_amount": money(product.price_cents * quantity),
            }
            for product, quantity in self.cart.values()
        ]
        amounts = order_amounts(self._cart_cents())
        self.order = {
            "order_id": _uuid(rng),
            "cart_id": self.cart_id,
            "status": "created",
            "currency": "USD",
            "items": items,
            "item_count": sum(item["quantity"] for item in items),
            "subtotal": money(amounts["subtotal"]),
            "tax": money(amounts["tax"]),
            "shipping": money(amounts["shipping"]),
            "total_amount": money(amounts["total"]),
            "created_at": utc_iso(self.clock),
            "payment_method": None,
            "paid_at": None,
            "fulfilled_at": None,
            "carrier": None,
            "cancelled_at": None,
            "cancel_reason": None,
        }
        self._emit("order_created", with_order=True)

        if rng.random() >= PAYMENT_SUCCESS_RATE:
            self.clock += _ms(rng, 300, 1800)
            self.order |= {
                "status": "cancelled",
                "cancelled_at": utc_iso(self.clock),
                "cancel_reason": "payment_failed",
            }
            self._emit("order_cancelled", with_order=True)
            return
        self.clock += _ms(rng, 5, 240)
        self.order |= {
            "status": "paid",
            "payment_method": _weighted(rng, PAYMENT_METHODS),
            "paid_at": utc_iso(self.clock),
        }
        self._emit("order_paid", with_order=True)

        if rng.random() >= FULFILMENT_RATE:
            self.clock += _ms(rng, 3600, 24 * 3600)
            self.order |= {
                "status": "cancelled",
                "cancelled_at": utc_iso(self.clock),
                "cancel_reason": "customer_request",
            }
            self._emit("order_cancelled", with_order=True)
            return
        self.clock += _ms(rng, 2 * 3600, MAX_FULFILMENT_DELAY.total_seconds())
        self.order |= {"status": "fulfilled", "fulfilled_at": utc_iso(self.clock), "carrier": rng.choice(CARRIERS)}
        self._emit("order_fulfilled", with_order=True)


def sessions_in_hour(seed: int, catalog: Catalog, hour_start: datetime) -> Iterator[list[Event]]:
    """Every session that starts in this clock hour, each as its full list of events."""
    hour_key = hour_start.strftime("%Y-%m-%dT%H")
    count = _poisson(random.Random(f"{seed}:hour:{hour_key}"), expected_sessions(hour_start))
    for number in range(count):
        rng = random.Random(f"{seed}:session:{hour_key}:{number}")
        start = hour_start + _ms(rng, 0, 3599.999)
        yield _Session(rng, catalog, start).play()


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("window bounds must be timezone-aware (UTC)")
    if end <= start:
        raise ValueError(f"window end {end.isoformat()} must be after its start {start.isoformat()}")


def iter_events(seed: int, start: datetime, end: datetime, catalog: Catalog | None = None) -> Iterator[Event]:
    """Stream the events with start <= timestamp < end in (timestamp, event_id) order.

    A session never emits before it starts, so once the sessions of hour H are
    played, every pending event before H+1h is final and can be yielded: memory
    holds only the sessions still in progress, however long the window.
    """
    _check_window(start, end)
    catalog = catalog or build_catalog(seed)
    hour = (start - MAX_SESSION_SPAN).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    pending: list[tuple[datetime, str, Event]] = []
    while hour < end:
        for session_events in sessions_in_hour(seed, catalog, hour):
            for event in session_events:
                if start <= event.timestamp < end:
                    heapq.heappush(pending, (event.timestamp, event.event_id, event))
        hour += timedelta(hours=1)
        while pending and pending[0][0] < hour:
            yield heapq.heappop(pending)[2]
    while pending:
        yield heapq.heappop(pending)[2]


def generate_events(seed: int, start: datetime, end: datetime, catalog: Catalog | None = None) -> list[Event]:
    """All events with start <= timestamp < end, sorted by (timestamp, event_id)."""
    return list(iter_events(seed, start, end, catalog))
