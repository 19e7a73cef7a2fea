"""The shop's fixed world: its product catalog and its customers.

Both are pure functions of the seed, so every run, test and Lambda invocation
with the same seed sees the same products and the same people.
"""

from __future__ import annotations

import json
import random
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate

CUSTOMER_COUNT = 2000

# Five categories of ten products each; prices are drawn inside each range (in cents).
CATEGORIES: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = {
    "electronics": (
        (1_999, 49_999),
        (
            "Wireless Earbuds",
            "Bluetooth Speaker",
            "Smart Watch",
            "USB-C Hub",
            "Mechanical Keyboard",
            "Gaming Mouse",
            "Portable Charger",
            "Webcam HD",
            "Noise-Cancelling Headphones",
            "E-Reader",
        ),
    ),
    "home_kitchen": (
        (999, 19_999),
        (
            "Chef's Knife",
            "Cast Iron Skillet",
            "French Press",
            "Blender",
            "Cutting Board",
            "Espresso Cups",
            "Air Fryer",
            "Toaster",
            "Storage Jars",
            "Kettle",
        ),
    ),
    "apparel": (
        (1_499, 14_999),
        (
            "Cotton T-Shirt",
            "Denim Jacket",
            "Running Shoes",
            "Wool Sweater",
            "Rain Coat",
            "Baseball Cap",
            "Leather Belt",
            "Hiking Socks",
            "Yoga Pants",
            "Linen Shirt",
        ),
    ),
    "beauty": (
        (599, 7_999),
        (
            "Face Serum",
            "Sunscreen SPF50",
            "Lip Balm",
            "Shampoo Bar",
            "Hand Cream",
            "Perfume",
            "Nail Kit",
            "Hair Dryer",
            "Body Lotion",
            "Makeup Brushes",
        ),
    ),
    "sports_outdoors": (
        (1_299, 29_999),
        (
            "Yoga Mat",
            "Water Bottle",
            "Camping Tent",
            "Dumbbell Set",
            "Cycling Helmet",
            "Trail Backpack",
            "Jump Rope",
            "Tennis Racket",
            "Headlamp",
            "Foam Roller",
        ),
    ),
}

FIRST_NAMES = (
    "Ava",
    "Liam",
    "Mia",
    "Noah",
    "Zoe",
    "Ethan",
    "Lena",
    "Omar",
    "Sofia",
    "Kenji",
    "Amara",
    "Lucas",
    "Priya",
    "Mateo",
    "Chloe",
    "Yusuf",
    "Hana",
    "Leo",
    "Ines",
    "Tariq",
)
LAST_NAMES = (
    "Smith",
    "Garcia",
    "Chen",
    "Okafor",
    "Müller",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Silva",
    "Nguyen",
    "Johansson",
    "Patel",
    "Dubois",
    "Tanaka",
    "Novak",
    "Kim",
    "Brown",
    "Costa",
)
COUNTRIES = (("US", 45), ("GB", 12), ("DE", 10), ("FR", 8), ("CA", 8), ("AU", 6), ("NL", 6), ("ES", 5))


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    category: str
    price_cents: int

    def as_json(self) -> dict:
        return {
            "product_id": self.product_id,
            "name": self.name,
            "category": self.category,
            "price": self.price_cents / 100,
        }


@dataclass(frozen=True)
class Customer:
    customer_id: str
    first_name: str
    last_name: str
    email: str
    country: str
    signup_date: str

    def as_json(self) -> dict:
        return {
            "customer_id": self.customer_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "country": self.country,
            "signup_date": self.signup_date,
        }


def _compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Catalog:
    """Products and customers, with the cumulative weights the generator draws by.

    It also holds each customer and product already serialised as compact JSON:
    they are the same in every event, so the generator pastes them in instead of
    encoding them again for each of millions of events.
    """

    products: tuple[Product, ...]
    customers: tuple[Customer, ...]
    customer_cum_weights: tuple[float, ...]
    product_json: tuple[str, ...] = field(init=False, repr=False, compare=False)
    customer_json: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # object.__setattr__: the dataclass is frozen, these are derived once here.
        object.__setattr__(self, "product_json", tuple(_compact_json(p.as_json()) for p in self.products))
        object.__setattr__(self, "customer_json", tuple(_compact_json(c.as_json()) for c in self.customers))

    def pick_customer_index(self, rng: random.Random) -> int:
        """Index of a customer drawn by weight (what random.choices does, without its per-call lists)."""
        cum = self.customer_cum_weights
        return bisect_right(cum, rng.random() * cum[-1], 0, len(cum) - 1)

    def pick_customer(self, rng: random.Random) -> Customer:
        return self.customers[self.pick_customer_index(rng)]


def _ascii(text: str) -> str:
    """Müller -> Muller: e-mail addresses stay plain ASCII."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def build_products(seed: int) -> tuple[Product, ...]:
    rng = random.Random(f"{seed}:products")
    products = []
    for category, ((low, high), names) in CATEGORIES.items():
        for name in names:
            # Prices end in 99 cents, as shop prices do.
            price = rng.randrange(low // 100, high // 100) * 100 + 99
            products.append(Product(f"P{len(products) + 1:03d}", name, category, price))
    return tuple(products)


def build_customers(seed: int, count: int = CUSTOMER_COUNT) -> tuple[tuple[Customer, ...], tuple[float, ...]]:
    rng = random.Random(f"{seed}:customers")
    country_codes = [code for code, _ in COUNTRIES]
    country_cum = list(accumulate(weight for _, weight in COUNTRIES))
    customers, weights = [], []
    for number in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        signup = date(2023, 1, 1) + timedelta(days=rng.randrange(0, 1000))
        customers.append(
            Customer(
                customer_id=f"C{number:05d}",
                first_name=first,
                last_name=last,
                email=_ascii(f"{first}.{last}.{number}@example.com").lower(),
                # The draw random.choices(weights=...) makes, without building its lists each time.
                country=country_codes[bisect_right(country_cum, rng.random() * country_cum[-1], 0, len(COUNTRIES) - 1)],
                signup_date=signup.isoformat(),
            )
        )
        # A few loyal customers visit far more often than most (a Pareto tail),
        # which gives RFM analysis real spread in frequency and spend.
        weights.append(min(rng.paretovariate(1.3), 25.0))
    return tuple(customers), tuple(accumulate(weights))


@lru_cache(maxsize=8)
def build_catalog(seed: int) -> Catalog:
    """The catalog of a seed. Cached: it is immutable, and every window of a run needs the same one."""
    customers, cum_weights = build_customers(seed)
    return Catalog(build_products(seed), customers, cum_weights)
