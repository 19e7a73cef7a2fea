"""Deterministic e-commerce event generator.

`generate_events(seed, start, end)` is a pure function: the same seed and
window give the same events, byte for byte. It keeps no state between calls.
Sessions are drawn per clock hour from a random stream named by (seed, hour);
the sessions of an hour then live out their whole funnels, one after the
other, from that hour's stream. A window therefore replays every hour whose
sessions may still emit events inside it (those that started up to
`MAX_SESSION_SPAN` earlier) and keeps only the events whose timestamp falls in
the window. Splitting a period into windows yields exactly the events of the
whole period.

The funnel (8 event types):

    product_viewed -> cart_item_added -> checkout_started -> order_created
        -> order_paid -> order_fulfilled
    with branches cart_abandoned (after the cart or at checkout) and
    order_cancelled (payment failed, or cancelled before shipping).

Every event carries a snapshot of the cart or order *as it was at that
moment*: an `order_paid` event shows status "paid", never a later state.

It is built for speed (`make bench` measures it). A session is first
*played*: random draws and integer millisecond clocks only, recorded as small
steps. Only the steps inside the window are then *rendered* to JSON lines, so
the sessions replayed before the window cost little. And a line is pasted
together from fragments serialised once (customer, product, cart item,
timestamp parts): the output is exactly what
`json.dumps(body, ensure_ascii=False, separators=(",", ":"))` gives, which the
tests check.
"""

from __future__ import annotations

import json
import math
import random
from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from .catalog import Catalog, build_catalog

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
# Step kinds: indexes into EVENT_TYPES.
_VIEW, _ADD, _ABANDON, _CHECKOUT, _CREATED, _PAID, _CANCELLED, _FULFILLED = range(8)

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

MAX_VIEWS = 10  # product views per session
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

# The generator's clock: integer milliseconds since the Unix epoch (UTC).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR_MS = 3_600_000
_SPAN_MS = MAX_SESSION_SPAN // timedelta(milliseconds=1)
_CART_TIMEOUT_MS = CART_TIMEOUT // timedelta(milliseconds=1)
_MAX_FULFILMENT_MS = MAX_FULFILMENT_DELAY // timedelta(milliseconds=1)
# From an hour's start to the last product view or cart event of its sessions, with margin:
# start in the hour, 10 views of up to 150 s, 10 cart adds of up to 120 s, checkout, a cart timeout.
_EARLY_STEPS_SPAN_MS = 3 * HOUR_MS


class Event:
    """One generated event: its time (for windowing and sorting), its id and its JSON line.

    The line is rendered once, when the event is generated. `body` parses it
    back on first use (the lake never needs it), so the two always agree; it is
    a read-only view: changing the dict does not change `to_json()`.
    """

    __slots__ = ("epoch_ms", "event_id", "json_line", "_body")

    def __init__(self, epoch_ms: int, event_id: str, json_line: str) -> None:
        self.epoch_ms = epoch_ms
        self.event_id = event_id
        self.json_line = json_line
        self._body: dict | None = None

    @property
    def timestamp(self) -> datetime:
        """The event time, an aware UTC datetime."""
        return EPOCH + timedelta(milliseconds=self.epoch_ms)

    @property
    def body(self) -> dict:
        if self._body is None:
            self._body = json.loads(self.json_line)
        return self._body

    def to_json(self) -> str:
        return self.json_line

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (self.epoch_ms, self.event_id, self.json_line) == (other.epoch_ms, other.event_id, other.json_line)

    def __hash__(self) -> int:
        return hash((self.epoch_ms, self.event_id))

    def __repr__(self) -> str:
        return f"Event({self.timestamp.isoformat()}, {self.event_id})"


def utc_iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a Z suffix: 2025-10-01T10:58:12.345Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_epoch_ms(moment: datetime) -> int:
    """The first whole millisecond at or after an aware moment."""
    return -(-((moment - EPOCH) // timedelta(microseconds=1)) // 1000)


def money(cents: int) -> float:
    return cents / 100


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: exact, and fast enough for the means used here (< 100).
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


# Version 4 and RFC 4122 variant bits, set on 128 random bits to make a UUID.
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def uuid4_str(bits: int) -> str:
    """The UUID string of 128 random bits (what str(uuid.UUID(int=bits, version=4)) gives, 3x faster)."""
    # hex("-", 2) writes 8 groups of 4 digits; a UUID joins groups 1-2 and 6-8: 8-4-4-4-12.
    h = ((bits & _UUID_CLEAR) | _UUID_SET).to_bytes(16, "big").hex("-", 2)
    return f"{h[:4]}{h[5:29]}{h[30:34]}{h[35:]}"


def expected_sessions(hour_start: datetime) -> float:
    return SESSIONS_PER_HOUR * HOUR_OF_DAY_FACTOR[hour_start.hour] * DAY_OF_WEEK_FACTOR[hour_start.weekday()]


def order_amounts(subtotal_cents: int) -> dict[str, int]:
    """Tax and shipping on a subtotal; the total is their exact sum (in cents)."""
    tax = (subtotal_cents * TAX_RATE_BASIS_POINTS + 5_000) // 10_000  # round half up
    shipping = 0 if subtotal_cents >= FREE_SHIPPING_FROM_CENTS else SHIPPING_CENTS
    return {"subtotal": subtotal_cents, "tax": tax, "shipping": shipping, "total": subtotal_cents + tax + shipping}


def _cum(options: tuple[tuple[str, float], ...]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    return tuple(name for name, _ in options), tuple(accumulate(weight for _, weight in options))


_CHANNEL_NAMES, _CHANNEL_CUM = _cum(CHANNELS)
_DEVICE_NAMES, _DEVICE_CUM = _cum(DEVICES)
_PAYMENT_NAMES, _PAYMENT_CUM = _cum(PAYMENT_METHODS)
_INTENT = tuple(tuple(CHANNEL_INTENT[c] * DEVICE_INTENT[d] for d in _DEVICE_NAMES) for c in _CHANNEL_NAMES)
_CART_THRESHOLD = tuple(tuple(min(CART_RATE * i, 0.9) for i in row) for row in _INTENT)
_ORDER_THRESHOLD = tuple(tuple(min(ORDER_RATE * i, 0.95) for i in row) for row in _INTENT)


def _compact(value: object) -> str:
    """What json.dumps(body, ensure_ascii=False, separators=(",", ":")) writes for this part."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_SESSION_JSON = tuple(tuple(_compact({"channel": c, "device": d}) for d in _DEVICE_NAMES) for c in _CHANNEL_NAMES)

# Line fragments. A line is
#   {"event_id":"<id>","event_type":"<type>","event_timestamp":"<ts>","session_id":"<id>",
#    "customer":{..},"session":{..},"product":<product|null>,"cart":<cart|null>,"order":<order|null>}
_LINE_HEAD = '{"event_id":"'
_TYPE_PART = tuple(f'","event_type":"{name}","event_timestamp":"' for name in EVENT_TYPES)
_NO_ORDER = ',"order":null}'
_NULL_ORDER_TAIL = ',"fulfilled_at":null,"carrier":null,"cancelled_at":null,"cancel_reason":null}'

# Timestamps from integer ms: a cached "YYYY-MM-DDTHH:" per hour plus "MM:SS." and "mmmZ" tables.
_MMSS = tuple(f"{m:02d}:{s:02d}." for m in range(60) for s in range(60))
_MILLIS = tuple(f"{n:03d}Z" for n in range(1000))


class _Tables:
    """The catalog's JSON fragments the renderer pastes together, built once per catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        products = catalog.products
        self.product_count = len(products)
        self.prices = tuple(p.price_cents for p in products)
        self.customer_json = catalog.customer_json
        self.customer_cum = catalog.customer_cum_weights
        # A product_viewed event ends with its product and two nulls.
        self.view_tail = tuple(f'{pj},"cart":null{_NO_ORDER}' for pj in catalog.product_json)
        self.add_head = tuple(f'{pj},"cart":' for pj in catalog.product_json)
        # Cart and order items by product and quantity. A product is at most in every
        # view, and each view adds one or two to the cart. Floats print as json does (repr).
        quantities = range(2 * MAX_VIEWS + 1)
        self.cart_item = tuple(
            tuple(
                '{"product_id":'
                + f'{_compact(p.product_id)},"quantity":{q},"unit_price":{money(p.price_cents)!r}'
                + "}"
                for q in quantities
            )
            for p in products
        )
        self.order_item = tuple(
            tuple(
                '{"product_id":'
                + f"{_compact(p.product_id)},"
                + f'"product_name":{_compact(p.name)},"category":{_compact(p.category)},"quantity":{q},'
                + f'"unit_price":{money(p.price_cents)!r},"line_amount":{money(p.price_cents * q)!r}'
                + "}"
                for q in quantities
            )
            for p in products
        )
        self.hour_prefix: dict[int, str] = {}  # hour since the epoch -> "YYYY-MM-DDTHH:"

    def prefix_of(self, hour: int) -> str:
        if len(self.hour_prefix) > 256:  # a window only revisits ~80 hours: keep memory flat
            self.hour_prefix.clear()
        prefix = self.hour_prefix[hour] = (EPOCH + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:")
        return prefix

    def iso(self, ms: int) -> str:
        """UTC ISO-8601 of an epoch-ms time: 2025-10-01T10:58:12.345Z."""
        hour, rest = divmod(ms, HOUR_MS)
        prefix = self.hour_prefix.get(hour) or self.prefix_of(hour)
        return prefix + _MMSS[rest // 1000] + _MILLIS[rest % 1000]


_tables_cache: list[_Tables] = []


def _tables_for(catalog: Catalog) -> _Tables:
    # One catalog per run in practice: remember the last one (by identity, hashing it would cost more).
    if _tables_cache and _tables_cache[0].catalog is catalog:
        return _tables_cache[0]
    tables = _Tables(catalog)
    _tables_cache[:] = [tables]
    return tables


def _cart_json(tables: _Tables, cart_id: str, items: tuple[tuple[int, int], ...]) -> str:
    prices, rows = tables.prices, tables.cart_item
    count = cents = 0
    for p, q in items:
        count += q
        cents += prices[p] * q
    parts = ",".join([rows[p][q] for p, q in items])
    return '{"cart_id":"' + cart_id + f'","items":[{parts}],"item_count":{count},"cart_value":{cents / 100!r}' + "}"


def _render_session(
    tables: _Tables,
    steps: list[tuple],
    lo: int,
    hi: int,
    session_bits: int,
    customer: int,
    channel: int,
    device: int,
    cart_bits: int,
    order: tuple | None,
    pending: dict[int, list[tuple[int, str, str]]],
) -> None:
    """Render the session's steps that fall in [lo, hi) to JSON lines, into per-hour buckets."""
    iso, hour_prefix = tables.iso, tables.hour_prefix
    session_part = (
        f'","session_id":"{uuid4_str(session_bits)}","customer":{tables.customer_json[customer]},'
        f'"session":{_SESSION_JSON[channel][device]},"product":'
    )
    cart_id = uuid4_str(cart_bits) if cart_bits else ""
    order_head = order_mid = ""
    for ms, kind, event_bits, arg in steps:
        if ms < lo or ms >= hi:
            continue
        hexa = ((event_bits & _UUID_CLEAR) | _UUID_SET).to_bytes(16, "big").hex("-", 2)  # uuid4_str, inlined
        event_id = f"{hexa[:4]}{hexa[5:29]}{hexa[30:34]}{hexa[35:]}"
        if kind == _VIEW:
            tail = tables.view_tail[arg]
        elif kind == _ADD:
            tail = tables.add_head[arg[0]] + _cart_json(tables, cart_id, arg[1]) + _NO_ORDER
        elif kind < _CREATED:  # cart abandoned or checkout started: the cart, no product
            tail = 'null,"cart":' + _cart_json(tables, cart_id, arg) + _NO_ORDER
        else:
            order_bits, items, created, payment, paid, cancelled, fulfilled, carrier = order
            if not order_head:
                order_head, order_mid = _order_parts(tables, order_bits, cart_id, items, iso(created))
            if kind == _CREATED:
                state = "created"
                rest = ',"payment_method":null,"paid_at":null' + _NULL_ORDER_TAIL
            elif kind == _PAID:
                state = "paid"
                rest = f',"payment_method":"{payment}","paid_at":"{iso(paid)}"' + _NULL_ORDER_TAIL
            elif kind == _FULFILLED:
                state = "fulfilled"
                rest = (
                    f',"payment_method":"{payment}","paid_at":"{iso(paid)}","fulfilled_at":"{iso(fulfilled)}",'
                    f'"carrier":"{carrier}","cancelled_at":null,"cancel_reason":null' + "}"
                )
            elif paid:  # cancelled before shipping
                state = "cancelled"
                rest = (
                    f',"payment_method":"{payment}","paid_at":"{iso(paid)}","fulfilled_at":null,"carrier":null,'
                    f'"cancelled_at":"{iso(cancelled)}","cancel_reason":"customer_request"' + "}"
                )
            else:  # payment failed
                state = "cancelled"
                rest = (
                    ',"payment_method":null,"paid_at":null,"fulfilled_at":null,"carrier":null,'
                    f'"cancelled_at":"{iso(cancelled)}","cancel_reason":"payment_failed"' + "}"
                )
            tail = 'null,"cart":null,"order":' + order_head + state + order_mid + rest + "}"
        hour, rest = divmod(ms, HOUR_MS)
        prefix = hour_prefix.get(hour) or tables.prefix_of(hour)
        line = (  # one f-string: the line is built in one allocation
            f"{_LINE_HEAD}{event_id}{_TYPE_PART[kind]}"
            f"{prefix}{_MMSS[rest // 1000]}{_MILLIS[rest % 1000]}{session_part}{tail}"
        )
        bucket = pending.get(hour)
        if bucket is None:
            bucket = pending[hour] = []
        bucket.append((ms, event_id, line))


def _order_parts(
    tables: _Tables, order_bits: int, cart_id: str, items: tuple[tuple[int, int], ...], created_at: str
) -> tuple[str, str]:
    """The order's fixed JSON around its status: `{"order_id":..,"status":"` and `","currency":..created_at`."""
    prices, rows = tables.prices, tables.order_item
    subtotal = sum(prices[p] * q for p, q in items)
    amounts = order_amounts(subtotal)
    head = '{"order_id":"' + uuid4_str(order_bits) + f'","cart_id":"{cart_id}","status":"'
    mid = (
        f'","currency":"USD","items":[{",".join([rows[p][q] for p, q in items])}],'
        f'"item_count":{sum(q for _, q in items)},"subtotal":{amounts["subtotal"] / 100!r},'
        f'"tax":{amounts["tax"] / 100!r},"shipping":{amounts["shipping"] / 100!r},'
        f'"total_amount":{amounts["total"] / 100!r},"created_at":"{created_at}"'
    )
    return head, mid


def _play_hour(
    seed: int, hour_ms: int, tables: _Tables, lo: int, hi: int, pending: dict[int, list[tuple[int, str, str]]]
) -> None:
    """Play every session that starts in this clock hour; render its events inside [lo, hi).

    All the draws of every session happen whatever the window, in the same
    order, so a session is the same in every window that contains it.
    """
    hour_start = EPOCH + timedelta(milliseconds=hour_ms)
    rng = random.Random(f"{seed}:hour:{hour_start:%Y-%m-%dT%H}")
    count = _poisson(rng, expected_sessions(hour_start))
    rnd, bits, log = rng.random, rng.getrandbits, math.log
    n_products, customer_cum = tables.product_count, tables.customer_cum
    customer_total, last_customer = customer_cum[-1], len(customer_cum) - 1
    channel_total, device_total = _CHANNEL_CUM[-1], _DEVICE_CUM[-1]
    # Hours long before the window: only their orders' later events (shipping, cancellation) can
    # fall in it. Their sessions make the same draws, but skip recording views and cart additions.
    early = hour_ms + _EARLY_STEPS_SPAN_MS < lo
    for _ in range(count):
        # Time draws are whole milliseconds, uniform in [low, high] as random.randint would give.
        clock = hour_ms + int(rnd() * HOUR_MS)
        session_bits = bits(128)
        customer = bisect_right(customer_cum, rnd() * customer_total, 0, last_customer)
        channel = bisect_right(_CHANNEL_CUM, rnd() * channel_total, 0, len(_CHANNEL_CUM) - 1)
        device = bisect_right(_DEVICE_CUM, rnd() * device_total, 0, len(_DEVICE_CUM) - 1)
        cart_bits, order = 0, None
        steps: list[tuple] = []
        viewed = []
        # -log(1 - U) / rate is what random.expovariate(rate) computes, without its call.
        for _ in range(1 + min(int(-log(1.0 - rnd()) / 0.45), MAX_VIEWS - 1)):
            product = int(rnd() * n_products)
            viewed.append(product)
            event_bits = bits(128)
            if not early:
                steps.append((clock, _VIEW, event_bits, product))
            clock += 15_000 + int(rnd() * 135_001)

        if rnd() < _CART_THRESHOLD[channel][device]:
            cart_bits = bits(128)
            cart: dict[int, int] = {}  # product -> quantity, in the order added
            # A random sample of the viewed products, as random.sample draws it, without its overhead.
            pool, left = viewed, len(viewed)
            for _ in range(min(left, 1 + int(-log(1.0 - rnd()) / 1.2))):
                pick = int(rnd() * left)
                product = pool[pick]
                left -= 1
                pool[pick] = pool[left]
                cart[product] = cart.get(product, 0) + (1 if rnd() < 0.85 else 2)
                event_bits = bits(128)
                if not early:
                    steps.append((clock, _ADD, event_bits, (product, tuple(cart.items()))))
                clock += 10_000 + int(rnd() * 110_001)
            items = tuple(cart.items())
            if rnd() >= CHECKOUT_RATE:
                clock += _CART_TIMEOUT_MS
                steps.append((clock, _ABANDON, bits(128), items))
            else:
                steps.append((clock, _CHECKOUT, bits(128), items))
                clock += 30_000 + int(rnd() * 370_001)
                if rnd() >= _ORDER_THRESHOLD[channel][device]:
                    clock += _CART_TIMEOUT_MS
                    steps.append((clock, _ABANDON, bits(128), items))
                else:
                    order = _place_order(rng, clock, items, steps)

        if steps and steps[0][0] < hi and steps[-1][0] >= lo:  # some step falls in the window
            _render_session(tables, steps, lo, hi, session_bits, customer, channel, device, cart_bits, order, pending)


def _place_order(rng: random.Random, clock: int, items: tuple, steps: list[tuple]) -> tuple:
    """Play an order from creation to payment and fulfilment or cancellation; returns its state."""
    rnd, bits = rng.random, rng.getrandbits
    order_bits = bits(128)
    created = clock
    steps.append((clock, _CREATED, bits(128), None))
    payment, paid, cancelled, fulfilled, carrier = "", 0, 0, 0, ""
    if rnd() >= PAYMENT_SUCCESS_RATE:
        clock += 300_000 + int(rnd() * 1_500_001)
        cancelled = clock
        steps.append((clock, _CANCELLED, bits(128), None))
    else:
        clock += 5_000 + int(rnd() * 235_001)
        payment = _PAYMENT_NAMES[bisect_right(_PAYMENT_CUM, rnd() * _PAYMENT_CUM[-1], 0, len(_PAYMENT_CUM) - 1)]
        paid = clock
        steps.append((clock, _PAID, bits(128), None))
        if rnd() >= FULFILMENT_RATE:
            clock += 3_600_000 + int(rnd() * (86_400_000 - 3_600_000 + 1))
            cancelled = clock
            steps.append((clock, _CANCELLED, bits(128), None))
        else:
            clock += 7_200_000 + int(rnd() * (_MAX_FULFILMENT_MS - 7_200_000 + 1))
            carrier = CARRIERS[int(rnd() * len(CARRIERS))]
            fulfilled = clock
            steps.append((clock, _FULFILLED, bits(128), None))
    return order_bits, items, created, payment, paid, cancelled, fulfilled, carrier


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("window bounds must be timezone-aware (UTC)")
    if end <= start:
        raise ValueError(f"window end {end.isoformat()} must be after its start {start.isoformat()}")


def iter_event_lines(
    seed: int, start: datetime, end: datetime, catalog: Catalog | None = None
) -> Iterator[list[tuple[int, str, str]]]:
    """The events with start <= timestamp < end as (epoch_ms, event_id, json_line), sorted, one list per hour.

    The fast path for sinks: no Event objects. Once the sessions of hour H are
    played, every event before H+1h is final and its hour's list can be
    yielded: memory holds only the sessions still in progress, however long
    the window.
    """
    _check_window(start, end)
    tables = _tables_for(catalog or build_catalog(seed))
    lo, hi = to_epoch_ms(start), to_epoch_ms(end)
    hour_ms = (lo - _SPAN_MS) // HOUR_MS * HOUR_MS
    pending: dict[int, list[tuple[int, str, str]]] = {}
    while hour_ms < hi:
        _play_hour(seed, hour_ms, tables, lo, hi, pending)
        batch = pending.pop(hour_ms // HOUR_MS, None)
        if batch:
            batch.sort()  # by time, then event id
            yield batch
        hour_ms += HOUR_MS


def iter_events(seed: int, start: datetime, end: datetime, catalog: Catalog | None = None) -> Iterator[Event]:
    """Stream the events with start <= timestamp < end in (timestamp, event_id) order."""
    for batch in iter_event_lines(seed, start, end, catalog):
        for epoch_ms, event_id, line in batch:
            yield Event(epoch_ms, event_id, line)


def generate_events(seed: int, start: datetime, end: datetime, catalog: Catalog | None = None) -> list[Event]:
    """All events with start <= timestamp < end, sorted by (timestamp, event_id)."""
    return list(iter_events(seed, start, end, catalog))
