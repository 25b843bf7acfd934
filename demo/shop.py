"""Synthetic online shop written in the project's input contract.

``generate_shop`` writes one file per table (``orders``, ``customers``, ``order_items``,
``products``, ``events``, ``reviews``) as parquet or csv, plus the planted persona of every
customer to ``_labels/planted_personas.parquet`` (never read by the pipeline; it is the answer
key for checking that the segmentation recovers the personas and that the risk mart flags the
planted abusers).

Five personas are planted (see ``PERSONAS``): loyal high spenders, bargain hunters, window
shoppers, lapsed one-time buyers and new customers. Across them, a small share of customers with
a purchase history (``RISK_ABUSER_SHARE``) are planted return and refund abusers: they send many
orders back, claim refunds within hours or days of buying, and buy mostly at a heavy discount
(``is_planted_abuser`` in the labels). The data also carries the mess that the
pipeline's cleaning rules are meant to handle: exact duplicate order rows, orders with a null
customer_id, status values in odd case/whitespace or null (null means completed), refunds as
separate negative rows, and a handful of orders dated after ``end_date``.

Generation is vectorised and streamed: customers are generated in chunks of
``CUSTOMERS_PER_CHUNK``, each chunk from its own random streams derived from
``(seed, chunk_index)``, and every table is appended to its file chunk by chunk, so memory
stays bounded for millions of customers. The same seed and parameters give identical data.

Command line: ``python -m demo.shop --output DIR --customers N``.
"""

from __future__ import annotations

import argparse
import contextlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

CUSTOMERS_PER_CHUNK = 50_000
FIRST_CUSTOMER_ID = 100_001
FIRST_ORDER_ID = 1_000_001
FIRST_SESSION_ID = 50_000_001
SMALL_CATALOGUE_SIZE = 500
LARGE_CATALOGUE_SIZE = 2_000
LARGE_CATALOGUE_FROM_CUSTOMERS = 100_000
MIN_HISTORY_DAYS = 90
LABELS_DIR = "_labels"
LABELS_FILE = "planted_personas.parquet"
FILE_FORMATS = ("parquet", "csv")

SECONDS_PER_DAY = 86_400
MICROS_PER_SECOND = 1_000_000
MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND
MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE
MICROS_PER_DAY = 24 * MICROS_PER_HOUR

# Rates of the deliberate mess, as shares of order rows.
DUPLICATE_ROW_RATE = 0.002
NULL_CUSTOMER_RATE = 0.001
ODD_STATUS_SPELLING_RATE = 0.01
NULL_STATUS_RATE = 0.005
LATE_ORDER_RATE = 0.0005
LATE_ORDER_MAX_DAYS = 14
DISCOUNT_AFFINITY_SIGMA = 0.35  # log-normal spread of a customer's share of discounted lines

# Planted return and refund abusers (the answer key for marts.customer_risk). They are drawn
# from customers with at least RISK_ABUSER_MIN_ORDERS planted orders, keep their persona (so
# segment recovery is barely touched) and on top of it: return a share of their orders in full,
# claim partial refunds within RISK_ABUSER_REFUND_HOURS of buying, and buy at a heavy discount.
RISK_ABUSER_SHARE = 0.02  # of all customers
RISK_ABUSER_MIN_ORDERS = 8
RISK_ABUSER_RETURN_RATE = 0.25  # of orders other than the first and last
RISK_ABUSER_REFUND_RATE = 0.25  # of the completed orders left
RISK_ABUSER_REFUND_HOURS = (2, 60)
RISK_ABUSER_LINE_DISCOUNT_SHARE = 0.9
RISK_ABUSER_DISCOUNT_RATE = (0.35, 0.60)

ORDER_STATUSES = ("completed", "cancelled", "returned", "refunded")
COMPLETED, CANCELLED, RETURNED, REFUNDED = range(4)
# Order kinds: planted purchase history, a cancelled retry after the last purchase,
# an order arriving after end_date, and a partial refund of an earlier order.
REGULAR, CANCELLED_RETRY, LATE, REFUND = range(4)

EVENT_TYPES = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout",
    "purchase",
)
PAGE_VIEW, PRODUCT_VIEW, SEARCH, ADD_TO_CART, REMOVE_FROM_CART, CHECKOUT, PURCHASE = range(7)
EVENT_MEDIAN_SECONDS = (25.0, 45.0, 12.0, 6.0, 5.0, 90.0, 8.0)
EVENT_SECONDS_SIGMA = 0.8
MAX_EVENT_SECONDS = 3_600

# Relative order volume by hour of day (night trough, lunch bump, evening peak).
HOURLY_ACTIVITY = (
    0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.7, 1.5, 2.5, 3.2, 3.6, 4.0,
    4.6, 4.6, 4.0, 3.8, 3.9, 4.3, 5.0, 6.0, 6.6, 6.2, 4.4, 2.2,
)  # fmt: skip

# (category, median list price, log-price spread, share of the catalogue, brand names)
CATEGORIES = (
    ("electronics", 120.0, 1.0, 0.12, ("Voltix", "Nordtek", "Pixelon", "Auralis")),
    ("fashion", 45.0, 0.7, 0.20, ("Maison Lune", "Urban Thread", "Kettle & Co", "Vela")),
    ("home", 60.0, 0.8, 0.13, ("Hearthly", "Casa Nova", "Lumen Home", "Oakhaus")),
    ("beauty", 22.0, 0.6, 0.10, ("Glowé", "Pure Petal", "Skinlab", "Belle Rose")),
    ("sports", 50.0, 0.8, 0.08, ("Stridex", "Peakform", "Aquaflex", "Trailhead")),
    ("books", 15.0, 0.4, 0.10, ("Inkwell Press", "Papertrail", "Folio House", "Quillmark")),
    ("toys", 25.0, 0.6, 0.07, ("Blockbuddy", "Tiny Giants", "Playmaze", "Wobble")),
    ("grocery", 8.0, 0.5, 0.08, ("Green Basket", "Daily Harvest", "Olivio", "Bean & Leaf")),
    ("garden", 40.0, 0.8, 0.06, ("Verdana", "Rootwise", "Sprout & Spade", "Bloomfield")),
    ("jewellery", 90.0, 0.9, 0.06, ("Aurelia", "Silverline", "Gemma", "Lumière")),
)
N_CATEGORIES = len(CATEGORIES)

GENDERS = ("female", "male", "non_binary")
GENDER_WEIGHTS = (0.49, 0.46, 0.02)  # the remaining 0.03 is null
NULL_BIRTH_DATE_RATE = 0.05
ACQUISITION_CHANNELS = ("organic_search", "paid_search", "social", "email", "referral", "direct")
EMAIL_DOMAINS = ("example.com", "example.org")
EMAIL_SEPARATORS = (".", "_", "")

# (country, weight, cities with the largest first)
COUNTRIES = (
    ("United Kingdom", 0.22, ("London", "Manchester", "Birmingham", "Leeds", "Glasgow")),
    ("Germany", 0.18, ("Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main")),
    ("France", 0.13, ("Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux")),
    ("Spain", 0.09, ("Madrid", "Barcelona", "Valencia", "Sevilla", "Málaga")),
    ("Netherlands", 0.08, ("Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven")),
    ("Italy", 0.08, ("Roma", "Milano", "Napoli", "Torino", "Bologna")),
    ("United States", 0.07, ("New York", "Los Angeles", "Chicago", "Austin", "Seattle")),
    ("Ireland", 0.04, ("Dublin", "Cork", "Galway")),
    ("Belgium", 0.04, ("Brussels", "Antwerp", "Ghent")),
    ("Poland", 0.03, ("Warszawa", "Kraków", "Wrocław")),
    ("Sweden", 0.02, ("Stockholm", "Göteborg", "Malmö")),
    ("Denmark", 0.01, ("København", "Aarhus", "Odense")),
)
FIRST_NAMES = (
    "Emma", "Olivia", "Sophie", "Léa", "Zoë", "Lucía", "Chloé", "Anna", "Mia", "Hannah",
    "Sofia", "Isabella", "Amélie", "Priya", "Aisha", "Yuki", "Noah", "Liam", "Lucas", "Jonas",
    "Mateo", "Hugo", "Leon", "Oliver", "James", "Luca", "Finn", "Elias", "Théo", "Jan",
    "Marco", "Sam", "Alex", "Omar", "Wei",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Müller", "Martin", "García", "de Vries", "Rossi", "Johnson", "Schmidt",
    "Bernard", "Fernández", "Jansen", "Bianchi", "Williams", "Schneider", "Dubois", "López",
    "Bakker", "Romano", "Brown", "Fischer", "Moreau", "Martínez", "Visser", "Colombo",
    "Taylor", "Weber", "Laurent", "Sánchez", "Meijer", "Ricci", "Nowak", "Kowalski",
    "O'Brien", "Andersson", "Nielsen",
)  # fmt: skip

# Review text: an opening and a sentence about one aspect of the purchase, in the tone of the
# rating (1-2 stars negative, 3 neutral, 4-5 positive), then sometimes a closing that sets the
# stars apart. The aspects are the topics a topic model should find.
REVIEW_TONES = ("negative", "neutral", "positive")
REVIEW_TONE_OF_RATING = (0, 0, 1, 2, 2)  # index = stars - 1
REVIEW_OPENINGS = (
    ("Really disappointed.", "Not happy at all.", "Awful purchase.", "Very poor."),
    ("It's okay.", "Average overall.", "Nothing special.", "Does the job."),
    ("Love it!", "Excellent purchase.", "Really happy with this.", "Great buy."),
)
REVIEW_ASPECTS = (
    (  # quality
        "Poor quality material, the stitching broke after a week.",
        "The quality of the material and stitching is acceptable.",
        "Superb quality material with solid stitching.",
    ),
    (  # delivery
        "Delivery was late and the parcel arrived damaged.",
        "Delivery took about a week, the parcel arrived as promised.",
        "Delivery was fast and the parcel arrived early.",
    ),
    (  # size and fit
        "The size runs small and the fit is uncomfortable.",
        "The size is as described and the fit is standard.",
        "The size is perfect and the fit is comfortable.",
    ),
    (  # price
        "Overpriced, not worth the money at this price.",
        "The price is fair for the money.",
        "Great value for the money, a good price.",
    ),
    (  # customer service
        "Customer service ignored my emails about the refund.",
        "Customer service answered my question after a few days.",
        "Customer service was friendly and solved my problem quickly.",
    ),
)
REVIEW_CLOSINGS = (  # index = stars - 1
    ("Never again! 😡", "Avoid."),
    ("Could be better.", "Expected more 😕"),
    ("", "Fine 🤷"),
    ("Would buy again.", "Recommended 👍"),
    ("Highly recommend! 😍", "Best purchase this year 🌟"),
)
REVIEW_FOREIGN = (  # texts the sentiment lexicon does not cover, by tone
    ("Não recomendo. Muito fraco.", "Schlechte Qualität 👎", "Nicht wie beschrieben."),
    ("Correcto, sin más.", "Ça va, sans plus.", "Geht so."),
    ("Très bien 👍", "Muy bueno, llegó rápido.", "Fantastisch – würde ich wieder kaufen."),
)
REVIEW_EMPTY_TEXTS = ("", "   ")
REVIEW_MIXED_TONE_RATE = 0.15  # the tone is drawn at random: reviews that disagree with the stars
REVIEW_CLOSING_RATE = 0.6
REVIEW_FOREIGN_RATE = 0.04
REVIEW_EMPTY_RATE = 0.02
REVIEW_COUNT_WEIGHTS = (0.6, 0.3, 0.1)  # a reviewer writes 1, 2 or 3 reviews
REVIEW_DELAY_DAYS = (2, 30)


@dataclass(frozen=True)
class PersonaProfile:
    """Behavioural parameters of one planted persona.

    Day ranges are inclusive and count days before ``end_date`` (0 = on ``end_date``).
    ``(lo, hi)`` float pairs are uniform ranges drawn once per customer unless noted.
    """

    name: str
    share: float
    orders_mean: float  # planted orders (completed, returned, cancelled), normal then clipped
    orders_sd: float
    orders_min: int
    orders_max: int
    last_order_days: tuple[int, int]
    order_span_days: tuple[int, int]  # first-to-last order distance when >= 2 orders
    first_order_max_days: int
    signup_same_session_share: float  # otherwise sign-up precedes the first order by days
    signup_lead_days_mean: float
    signup_max_days: int
    aov_median: float  # net order value after discounts
    aov_customer_sigma: float  # log-normal spread of a customer's typical order value
    aov_order_sigma: float  # log-normal spread of one order around the customer's typical value
    extra_lines_mean: float  # order lines = 1 + Poisson(extra_lines_mean), at most 6
    line_discount_share: float  # share of lines that carry a discount
    discount_rate: tuple[float, float]  # discount as a share of the line's gross value
    cancel_rate: float  # of orders other than the first and last
    return_rate: float  # of orders other than the first and last
    cancelled_retry_share: float  # customers with an extra cancelled order after their last
    refund_rate: float  # of completed orders
    category_weights: tuple[float, ...]  # preference over CATEGORIES
    category_concentration: float  # Dirichlet concentration: low = few favourite categories
    browse_sessions: tuple[float, float]  # Poisson mean of sessions without a purchase
    max_browse_sessions: int
    browse_near_orders: bool  # browse around the order dates instead of over the whole tenure
    tracked_purchase_share: float  # orders whose purchase session was tracked
    searches_per_session: float
    product_views_per_session: float
    product_view_seconds_factor: float
    cart_share: float  # browse sessions with an add_to_cart
    review_share: float  # buyers who write reviews
    rating_weights: tuple[float, float, float, float, float]
    age_mean: float
    channel_weights: tuple[float, ...]  # over ACQUISITION_CHANNELS


PERSONAS: tuple[PersonaProfile, ...] = (
    PersonaProfile(
        name="loyal_high_spender",
        share=0.12,
        orders_mean=45.0,
        orders_sd=7.0,
        orders_min=28,
        orders_max=70,
        last_order_days=(0, 25),
        order_span_days=(330, 700),
        first_order_max_days=729,
        signup_same_session_share=0.3,
        signup_lead_days_mean=60.0,
        signup_max_days=100_000,
        aov_median=200.0,
        aov_customer_sigma=0.25,
        aov_order_sigma=0.35,
        extra_lines_mean=1.8,
        line_discount_share=0.08,
        discount_rate=(0.10, 0.25),
        cancel_rate=0.03,
        return_rate=0.01,
        cancelled_retry_share=0.0,
        refund_rate=0.012,
        category_weights=(3.0, 3.0, 2.5, 1.5, 1.5, 1.0, 0.7, 0.5, 1.0, 2.0),
        category_concentration=0.35,
        browse_sessions=(5.0, 30.0),
        max_browse_sessions=1_000,
        browse_near_orders=False,
        tracked_purchase_share=0.9,
        searches_per_session=0.6,
        product_views_per_session=3.0,
        product_view_seconds_factor=1.0,
        cart_share=0.15,
        review_share=0.32,
        rating_weights=(0.02, 0.03, 0.08, 0.30, 0.57),
        age_mean=44.0,
        channel_weights=(0.25, 0.10, 0.10, 0.20, 0.10, 0.25),
    ),
    PersonaProfile(
        name="bargain_hunter",
        share=0.22,
        orders_mean=15.0,
        orders_sd=3.0,
        orders_min=8,
        orders_max=24,
        last_order_days=(15, 60),
        order_span_days=(150, 600),
        first_order_max_days=729,
        signup_same_session_share=0.4,
        signup_lead_days_mean=30.0,
        signup_max_days=100_000,
        aov_median=32.0,
        aov_customer_sigma=0.22,
        aov_order_sigma=0.30,
        extra_lines_mean=1.5,
        line_discount_share=0.85,
        discount_rate=(0.25, 0.60),
        cancel_rate=0.04,
        return_rate=0.13,
        cancelled_retry_share=0.0,
        refund_rate=0.04,
        category_weights=(1.0, 2.0, 1.5, 1.5, 1.0, 1.0, 1.2, 1.5, 1.0, 0.6),
        category_concentration=3.0,
        browse_sessions=(6.0, 22.0),
        max_browse_sessions=1_000,
        browse_near_orders=False,
        tracked_purchase_share=0.9,
        searches_per_session=1.5,
        product_views_per_session=5.0,
        product_view_seconds_factor=1.1,
        cart_share=0.45,
        review_share=0.22,
        rating_weights=(0.08, 0.12, 0.25, 0.30, 0.25),
        age_mean=36.0,
        channel_weights=(0.20, 0.25, 0.15, 0.20, 0.15, 0.05),
    ),
    PersonaProfile(
        name="window_shopper",
        share=0.20,
        orders_mean=1.4,
        orders_sd=0.5,
        orders_min=1,
        orders_max=2,
        last_order_days=(25, 140),
        order_span_days=(20, 250),
        first_order_max_days=729,
        signup_same_session_share=0.15,
        signup_lead_days_mean=45.0,
        signup_max_days=100_000,
        aov_median=70.0,
        aov_customer_sigma=0.25,
        aov_order_sigma=0.30,
        extra_lines_mean=1.0,
        line_discount_share=0.20,
        discount_rate=(0.10, 0.30),
        cancel_rate=0.0,
        return_rate=0.0,
        cancelled_retry_share=0.10,
        refund_rate=0.02,
        category_weights=(2.0, 2.5, 1.5, 1.5, 1.0, 1.0, 1.0, 0.5, 0.8, 1.5),
        category_concentration=0.6,
        browse_sessions=(18.0, 40.0),
        max_browse_sessions=1_000,
        browse_near_orders=False,
        tracked_purchase_share=0.95,
        searches_per_session=1.2,
        product_views_per_session=8.0,
        product_view_seconds_factor=1.8,
        cart_share=0.65,
        review_share=0.12,
        rating_weights=(0.05, 0.10, 0.25, 0.35, 0.25),
        age_mean=31.0,
        channel_weights=(0.25, 0.15, 0.30, 0.05, 0.10, 0.15),
    ),
    PersonaProfile(
        name="lapsed_one_time",
        share=0.28,
        orders_mean=1.0,
        orders_sd=0.0,
        orders_min=1,
        orders_max=1,
        last_order_days=(300, 700),
        order_span_days=(0, 0),
        first_order_max_days=729,
        signup_same_session_share=0.6,
        signup_lead_days_mean=10.0,
        signup_max_days=100_000,
        aov_median=70.0,
        aov_customer_sigma=0.30,
        aov_order_sigma=0.0,
        extra_lines_mean=1.0,
        line_discount_share=0.30,
        discount_rate=(0.10, 0.30),
        cancel_rate=0.0,
        return_rate=0.0,
        cancelled_retry_share=0.08,
        refund_rate=0.02,
        category_weights=(1.5, 2.0, 1.5, 1.0, 1.0, 1.2, 1.0, 0.6, 1.0, 0.8),
        category_concentration=0.5,
        browse_sessions=(0.2, 0.8),
        max_browse_sessions=1,
        browse_near_orders=True,
        tracked_purchase_share=0.5,
        searches_per_session=0.6,
        product_views_per_session=3.0,
        product_view_seconds_factor=1.0,
        cart_share=0.30,
        review_share=0.10,
        rating_weights=(0.10, 0.12, 0.20, 0.30, 0.28),
        age_mean=40.0,
        channel_weights=(0.30, 0.25, 0.15, 0.05, 0.10, 0.15),
    ),
    PersonaProfile(
        name="new_customer",
        share=0.18,
        orders_mean=1.35,
        orders_sd=0.5,
        orders_min=1,
        orders_max=2,
        last_order_days=(0, 40),
        order_span_days=(1, 30),
        first_order_max_days=45,
        signup_same_session_share=0.7,
        signup_lead_days_mean=5.0,
        signup_max_days=59,
        aov_median=80.0,
        aov_customer_sigma=0.25,
        aov_order_sigma=0.30,
        extra_lines_mean=1.2,
        line_discount_share=0.50,
        discount_rate=(0.10, 0.20),
        cancel_rate=0.0,
        return_rate=0.0,
        cancelled_retry_share=0.10,
        refund_rate=0.02,
        category_weights=(1.5, 2.0, 1.5, 1.5, 1.0, 1.0, 1.0, 0.8, 0.8, 1.0),
        category_concentration=0.6,
        browse_sessions=(1.0, 6.0),
        max_browse_sessions=1_000,
        browse_near_orders=False,
        tracked_purchase_share=0.95,
        searches_per_session=0.8,
        product_views_per_session=4.0,
        product_view_seconds_factor=1.0,
        cart_share=0.35,
        review_share=0.12,
        rating_weights=(0.04, 0.06, 0.20, 0.35, 0.35),
        age_mean=33.0,
        channel_weights=(0.20, 0.25, 0.30, 0.05, 0.15, 0.05),
    ),
)
PERSONA_NAMES = tuple(profile.name for profile in PERSONAS)

TIMESTAMP = pa.timestamp("us")
TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "orders": pa.schema(
        [
            ("order_id", pa.int64()),
            ("customer_id", pa.int64()),
            ("ordered_at", TIMESTAMP),
            ("amount", pa.float64()),
            ("status", pa.string()),
        ]
    ),
    "customers": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("signup_at", TIMESTAMP),
            ("birth_date", pa.date32()),
            ("gender", pa.string()),
            ("country", pa.string()),
            ("city", pa.string()),
            ("acquisition_channel", pa.string()),
            ("email", pa.string()),
            ("full_name", pa.string()),
        ]
    ),
    "order_items": pa.schema(
        [
            ("order_id", pa.int64()),
            ("product_id", pa.int64()),
            ("quantity", pa.int64()),
            ("unit_price", pa.float64()),
            ("discount_amount", pa.float64()),
        ]
    ),
    "products": pa.schema(
        [
            ("product_id", pa.int64()),
            ("category", pa.string()),
            ("brand", pa.string()),
            ("list_price", pa.float64()),
        ]
    ),
    "events": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("session_id", pa.int64()),
            ("event_at", TIMESTAMP),
            ("event_type", pa.string()),
            ("product_id", pa.int64()),
            ("duration_seconds", pa.int64()),
        ]
    ),
    "reviews": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("product_id", pa.int64()),
            ("rating", pa.int64()),
            ("review_text", pa.string()),
            ("reviewed_at", TIMESTAMP),
        ]
    ),
}
LABELS_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("persona", pa.string()),
        ("is_planted_abuser", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class Calendar:
    """Time frame of the shop, in microseconds since the Unix epoch (naive timestamps)."""

    end_day_start_us: int  # midnight at the start of end_date
    cutoff_us: int  # midnight at the end of end_date; regular orders are strictly before it
    history_days: int

    @classmethod
    def from_end_date(cls, end_date: date, history_days: int) -> Calendar:
        """Build the calendar for data ending on ``end_date`` covering ``history_days`` days."""
        end_day_start_us = (end_date - date(1970, 1, 1)).days * MICROS_PER_DAY
        return cls(end_day_start_us, end_day_start_us + MICROS_PER_DAY, history_days)

    def day_start_us(self, days_before_end: np.ndarray) -> np.ndarray:
        """Midnight of the day ``days_before_end`` days before end_date (negative = after)."""
        return self.end_day_start_us - days_before_end.astype(np.int64) * MICROS_PER_DAY


@dataclass(frozen=True)
class ProductCatalogue:
    """Products, plus a (category, price)-sorted view used to pick products by price."""

    product_id: np.ndarray
    category: np.ndarray
    brand: np.ndarray
    list_cents: np.ndarray
    sorted_product_id: np.ndarray  # product ids ordered by (category, list price)
    sorted_list_cents: np.ndarray
    sorted_price_key: np.ndarray  # category * 100 + log(list price), increasing
    category_start: np.ndarray  # first position of each category in the sorted view
    category_size: np.ndarray

    def to_table(self) -> pa.Table:
        """Return the ``products`` table in the contract's schema."""
        category_names = pa.array([name for name, *_ in CATEGORIES])
        brand_names = pa.array([brand for *_, brands in CATEGORIES for brand in brands])
        return pa.table(
            {
                "product_id": pa.array(self.product_id, pa.int64()),
                "category": category_names.take(pa.array(self.category)),
                "brand": brand_names.take(pa.array(self.brand)),
                "list_price": pa.array(self.list_cents / 100.0, pa.float64()),
            },
            schema=TABLE_SCHEMAS["products"],
        )

    def random_product(self, rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
        """Product ids drawn uniformly within each given category."""
        offset = np.minimum(
            (rng.random(category.size) * self.category_size[category]).astype(np.int64),
            self.category_size[category] - 1,
        )
        return self.sorted_product_id[self.category_start[category] + offset]

    def positions_near_price(
        self, rng: np.random.Generator, category: np.ndarray, target_price: np.ndarray
    ) -> np.ndarray:
        """Sorted-view positions of a product close in price to the target, per category."""
        first = self.category_start[category]
        last = first + self.category_size[category] - 1
        key = category * 100.0 + np.log(np.maximum(target_price, 0.01))
        above = np.clip(np.searchsorted(self.sorted_price_key, key), first, last)
        below = np.clip(above - 1, first, last)
        nearest = np.where(
            key - self.sorted_price_key[below] <= self.sorted_price_key[above] - key, below, above
        )
        # A neighbour now and then, so one target price does not always map to one product.
        return np.clip(nearest + rng.integers(-1, 2, size=nearest.size), first, last)


def _build_catalogue(rng: np.random.Generator, n_products: int) -> ProductCatalogue:
    """Draw ``n_products`` products with category-specific, log-normal list prices."""
    shares = np.array([share for _, _, _, share, _ in CATEGORIES])
    counts = np.floor(shares * n_products).astype(np.int64)
    counts[: n_products - counts.sum()] += 1
    category = rng.permutation(np.repeat(np.arange(N_CATEGORIES), counts))
    median = np.array([median for _, median, *_ in CATEGORIES])[category]
    spread = np.array([spread for _, _, spread, *_ in CATEGORIES])[category]
    price = np.clip(median * np.exp(rng.normal(0.0, spread)), 1.0, 2_500.0)
    list_cents = np.floor(price).astype(np.int64) * 100 + 99  # shop prices end in .99
    brands_per_category = len(CATEGORIES[0][4])
    brand = category * brands_per_category + rng.integers(0, brands_per_category, n_products)
    product_id = np.arange(1, n_products + 1, dtype=np.int64)

    order = np.lexsort((list_cents, category))
    sorted_category = category[order]
    return ProductCatalogue(
        product_id=product_id,
        category=category,
        brand=brand,
        list_cents=list_cents,
        sorted_product_id=product_id[order],
        sorted_list_cents=list_cents[order],
        sorted_price_key=sorted_category * 100.0 + np.log(list_cents[order] / 100.0),
        category_start=np.searchsorted(sorted_category, np.arange(N_CATEGORIES)),
        category_size=np.bincount(sorted_category, minlength=N_CATEGORIES),
    )


def _persona_parameter(persona: np.ndarray, field_name: str, part: int | None = None) -> np.ndarray:
    """Per-row value of a ``PersonaProfile`` field (``part`` picks from a tuple field)."""
    values = [getattr(profile, field_name) for profile in PERSONAS]
    if part is not None:
        values = [value[part] for value in values]
    return np.asarray(values)[persona]


def _group_starts(counts: np.ndarray) -> np.ndarray:
    """Start offset of each group when groups of the given sizes are laid out back to back."""
    starts = np.zeros(counts.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _rank_within_groups(counts: np.ndarray) -> np.ndarray:
    """0-based position of every row inside its group, for groups laid out back to back."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(_group_starts(counts), counts)


def _time_of_day_us(rng: np.random.Generator, size: int) -> np.ndarray:
    """Microseconds after midnight (whole seconds), following the shop's daily rhythm."""
    weights = np.asarray(HOURLY_ACTIVITY)
    hour = rng.choice(24, size=size, p=weights / weights.sum())
    return hour * MICROS_PER_HOUR + rng.integers(0, 3_600, size) * MICROS_PER_SECOND


def _cumulative_preferences(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
    """Flattened per-customer category CDFs, offset by the customer's row index.

    Row ``i`` holds ``i + cumsum(preferences_i)``, so the whole array is increasing and one
    ``searchsorted`` call samples categories for many customers at once.
    """
    weights = np.asarray([profile.category_weights for profile in PERSONAS])
    weights = weights / weights.sum(axis=1, keepdims=True)
    concentration = np.asarray([p.category_concentration for p in PERSONAS]) * N_CATEGORIES
    alpha = (weights * concentration[:, None])[persona]
    # The tiny floor keeps a row valid even if every gamma draw underflows to zero.
    preference = rng.gamma(alpha) + 1e-12
    preference /= preference.sum(axis=1, keepdims=True)
    offsets = np.arange(persona.size, dtype=np.float64)[:, None]
    return (np.cumsum(preference, axis=1) + offsets).ravel()


def _sample_categories(
    rng: np.random.Generator, cumulative_preferences: np.ndarray, customer: np.ndarray
) -> np.ndarray:
    """One category per row, drawn from the preferences of the row's customer."""
    flat = np.searchsorted(cumulative_preferences, customer + rng.random(customer.size), "right")
    return np.clip(flat - customer * N_CATEGORIES, 0, N_CATEGORIES - 1)


def _sample_per_persona(
    rng: np.random.Generator, persona: np.ndarray, weights: Sequence[Sequence[float]]
) -> np.ndarray:
    """Draw an index from ``weights[persona]`` for every row."""
    table = np.asarray(weights, dtype=np.float64)
    table = table / table.sum(axis=1, keepdims=True)
    width = table.shape[1]
    flat_cdf = (np.cumsum(table, axis=1) + np.arange(len(table))[:, None]).ravel()
    flat = np.searchsorted(flat_cdf, persona + rng.random(persona.size), "right")
    return np.clip(flat - persona * width, 0, width - 1)


def _dictionary_strings(
    values: Sequence[str], codes: np.ndarray, null_mask: np.ndarray | None = None
) -> pa.Array:
    """String array ``values[codes]``, null where ``null_mask`` is set."""
    indices = pa.array(codes.astype(np.int64), mask=null_mask)
    return pa.array(list(values), pa.string()).take(indices)


@dataclass(frozen=True)
class ChunkIds:
    """First ids available to a chunk."""

    customer_id: int
    order_id: int
    session_id: int


@dataclass(frozen=True)
class ChunkResult:
    """Tables generated for one chunk and the number of ids it consumed."""

    tables: dict[str, pa.Table]
    labels: pa.Table
    orders_used: int
    sessions_used: int


@dataclass(frozen=True)
class PlannedOrders:
    """Orders of one chunk before ids and mess are applied (one row per order)."""

    customer: np.ndarray  # chunk-local customer index
    ordered_at_us: np.ndarray
    status: np.ndarray
    kind: np.ndarray
    is_first_purchase: np.ndarray


@dataclass(frozen=True)
class PlannedItems:
    """Order lines of one chunk; lines of an order are contiguous."""

    order: np.ndarray  # index into the chunk's planned orders
    product_id: np.ndarray
    quantity: np.ndarray
    unit_cents: np.ndarray
    discount_cents: np.ndarray
    lines_per_order: np.ndarray
    first_line: np.ndarray  # per order
    amount_cents: np.ndarray  # per order


def _plan_orders(
    rng: np.random.Generator, persona: np.ndarray, calendar: Calendar
) -> tuple[PlannedOrders, np.ndarray]:
    """Order dates and statuses of the chunk's customers.

    Returns the planned orders (regular history, cancelled retries, late arrivals) and the
    time of each customer's first regular order.
    """
    n_customers = persona.size
    latest_day = calendar.history_days - 1
    n_orders = np.clip(
        np.rint(
            rng.normal(
                _persona_parameter(persona, "orders_mean"), _persona_parameter(persona, "orders_sd")
            )
        ),
        _persona_parameter(persona, "orders_min"),
        _persona_parameter(persona, "orders_max"),
    ).astype(np.int64)
    last_day = np.minimum(
        rng.integers(
            _persona_parameter(persona, "last_order_days", 0),
            _persona_parameter(persona, "last_order_days", 1) + 1,
        ),
        latest_day,
    )
    span = rng.integers(
        _persona_parameter(persona, "order_span_days", 0),
        _persona_parameter(persona, "order_span_days", 1) + 1,
    )
    first_day = np.minimum(
        last_day + span,
        np.minimum(_persona_parameter(persona, "first_order_max_days"), latest_day),
    )
    first_day = np.where(n_orders == 1, last_day, np.maximum(first_day, last_day))

    customer = np.repeat(np.arange(n_customers), n_orders)
    rank = _rank_within_groups(n_orders)
    is_first = rank == 0
    is_last = rank == n_orders[customer] - 1
    day = rng.integers(last_day[customer], first_day[customer] + 1)
    day = np.where(is_first, first_day[customer], np.where(is_last, last_day[customer], day))
    ordered_at = calendar.day_start_us(day) + _time_of_day_us(rng, day.size)

    # First and last orders stay completed so tenure and recency follow the persona plan.
    order_persona = persona[customer]
    draw = rng.random(customer.size)
    cancel_rate = _persona_parameter(order_persona, "cancel_rate")
    return_rate = _persona_parameter(order_persona, "return_rate")
    status = np.where(
        draw < cancel_rate,
        CANCELLED,
        np.where(draw < cancel_rate + return_rate, RETURNED, COMPLETED),
    )
    status[is_first | is_last] = COMPLETED

    starts = _group_starts(n_orders)
    first_order_at = np.minimum.reduceat(ordered_at, starts)
    last_order_at = np.maximum.reduceat(ordered_at, starts)

    retry_customer = np.flatnonzero(
        rng.random(n_customers) < _persona_parameter(persona, "cancelled_retry_share")
    )
    retry_at = np.minimum(
        last_order_at[retry_customer]
        + rng.integers(5, 180, retry_customer.size) * MICROS_PER_MINUTE,
        calendar.cutoff_us - MICROS_PER_SECOND,
    )

    n_late = max(1, int(rng.binomial(customer.size, LATE_ORDER_RATE)))
    late_customer = rng.integers(0, n_customers, n_late)
    late_day = -rng.integers(1, LATE_ORDER_MAX_DAYS + 1, n_late)
    late_at = calendar.day_start_us(late_day) + _time_of_day_us(rng, n_late)

    planned = PlannedOrders(
        customer=np.concatenate([customer, retry_customer, late_customer]),
        ordered_at_us=np.concatenate([ordered_at, retry_at, late_at]),
        status=np.concatenate(
            [status, np.full(retry_customer.size, CANCELLED), np.full(n_late, COMPLETED)]
        ),
        kind=np.concatenate(
            [
                np.full(customer.size, REGULAR),
                np.full(retry_customer.size, CANCELLED_RETRY),
                np.full(n_late, LATE),
            ]
        ),
        is_first_purchase=np.concatenate(
            [is_first, np.zeros(retry_customer.size + n_late, dtype=bool)]
        ),
    )
    return planned, first_order_at


def _plan_items(
    rng: np.random.Generator,
    persona: np.ndarray,
    orders: PlannedOrders,
    catalogue: ProductCatalogue,
    cumulative_preferences: np.ndarray,
) -> PlannedItems:
    """Order lines whose value follows each customer's typical basket and discount habit.

    Prices and discounts are kept in integer cents so that an order's amount equals the sum of
    its lines to the cent.
    """
    order_persona = persona[orders.customer]
    typical_value = _persona_parameter(persona, "aov_median") * np.exp(
        rng.normal(0.0, _persona_parameter(persona, "aov_customer_sigma"))
    )
    # Customers differ in how keen they are on deals, even within a persona.
    discount_share = np.clip(
        _persona_parameter(persona, "line_discount_share")
        * np.exp(rng.normal(0.0, DISCOUNT_AFFINITY_SIGMA, persona.size)),
        0.0,
        1.0,
    )
    mean_discount_rate = (
        _persona_parameter(persona, "discount_rate", 0)
        + _persona_parameter(persona, "discount_rate", 1)
    ) / 2
    # Targets are net of discount, so gross up by the customer's expected discount.
    gross_value = typical_value / (1.0 - discount_share * mean_discount_rate)
    order_gross = gross_value[orders.customer] * np.exp(
        rng.normal(0.0, _persona_parameter(order_persona, "aov_order_sigma"))
    )

    lines_per_order = 1 + np.minimum(
        rng.poisson(_persona_parameter(order_persona, "extra_lines_mean")), 5
    )
    first_line = _group_starts(lines_per_order)
    line_order = np.repeat(np.arange(lines_per_order.size), lines_per_order)
    line_customer = orders.customer[line_order]
    line_weight = rng.gamma(2.0, size=line_order.size)
    line_weight /= np.add.reduceat(line_weight, first_line)[line_order]
    line_gross = order_gross[line_order] * line_weight

    planned_quantity = rng.choice(4, size=line_order.size, p=[0.78, 0.14, 0.05, 0.03]) + 1
    category = _sample_categories(rng, cumulative_preferences, line_customer)
    position = catalogue.positions_near_price(rng, category, line_gross / planned_quantity)
    list_cents = catalogue.sorted_list_cents[position]
    markdown = rng.uniform(0.90, 0.99, line_order.size)
    unit_cents = np.where(
        rng.random(line_order.size) < 0.8, list_cents, np.floor(list_cents * markdown)
    ).astype(np.int64)
    quantity = np.clip(np.rint(line_gross / (unit_cents / 100.0)), 1, 5).astype(np.int64)

    line_persona = persona[line_customer]
    is_discounted = rng.random(line_order.size) < discount_share[line_customer]
    rate = rng.uniform(
        _persona_parameter(line_persona, "discount_rate", 0),
        _persona_parameter(line_persona, "discount_rate", 1),
    )
    gross_cents = quantity * unit_cents
    discount_cents = np.where(is_discounted, np.rint(gross_cents * rate), 0).astype(np.int64)
    amount_cents = np.add.reduceat(gross_cents - discount_cents, first_line)
    return PlannedItems(
        order=line_order,
        product_id=catalogue.sorted_product_id[position],
        quantity=quantity,
        unit_cents=unit_cents,
        discount_cents=discount_cents,
        lines_per_order=lines_per_order,
        first_line=first_line,
        amount_cents=amount_cents,
    )


def _plan_refunds(
    rng: np.random.Generator,
    persona: np.ndarray,
    orders: PlannedOrders,
    amount_cents: np.ndarray,
    calendar: Calendar,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Partial refunds of completed orders: (refunded order index, refund time, negative cents).

    Only orders at least ten days old are refunded so the refund still falls before the cutoff.
    """
    latest_refundable = calendar.cutoff_us - 10 * MICROS_PER_DAY
    eligible = (
        (orders.kind == REGULAR)
        & (orders.status == COMPLETED)
        & (orders.ordered_at_us < latest_refundable)
    )
    refund_rate = _persona_parameter(persona[orders.customer], "refund_rate")
    refunded = np.flatnonzero(eligible & (rng.random(eligible.size) < refund_rate))
    refund_at = (
        orders.ordered_at_us[refunded]
        + rng.integers(1 * SECONDS_PER_DAY, 10 * SECONDS_PER_DAY, refunded.size) * MICROS_PER_SECOND
    )
    refund_cents = -np.maximum(
        1, np.rint(amount_cents[refunded] * rng.uniform(0.15, 0.8, refunded.size))
    ).astype(np.int64)
    return refunded, refund_at, refund_cents


def _choose_abusers(
    rng: np.random.Generator, orders: PlannedOrders, n_customers: int
) -> np.ndarray:
    """Chunk-local mask of the planted abusers: RISK_ABUSER_SHARE of the chunk's customers,
    drawn among those with at least RISK_ABUSER_MIN_ORDERS planted orders."""
    planned_orders = np.bincount(orders.customer[orders.kind == REGULAR], minlength=n_customers)
    eligible = np.flatnonzero(planned_orders >= RISK_ABUSER_MIN_ORDERS)
    wanted = min(eligible.size, round(RISK_ABUSER_SHARE * n_customers))
    is_abuser = np.zeros(n_customers, dtype=bool)
    is_abuser[rng.choice(eligible, size=wanted, replace=False)] = True
    return is_abuser


def _plant_abusive_returns(
    rng: np.random.Generator, is_abuser: np.ndarray, orders: PlannedOrders
) -> PlannedOrders:
    """Abusers return RISK_ABUSER_RETURN_RATE of their middle orders in full."""
    middle = (orders.kind == REGULAR) & (orders.status == COMPLETED) & ~orders.is_first_purchase
    last_at = np.zeros(is_abuser.size, dtype=np.int64)
    np.maximum.at(
        last_at, orders.customer, np.where(orders.kind == REGULAR, orders.ordered_at_us, 0)
    )
    middle &= orders.ordered_at_us < last_at[orders.customer]
    returned = (
        middle
        & is_abuser[orders.customer]
        & (rng.random(orders.customer.size) < RISK_ABUSER_RETURN_RATE)
    )
    return replace(orders, status=np.where(returned, RETURNED, orders.status))


def _plant_abusive_discounts(
    rng: np.random.Generator, is_abuser: np.ndarray, orders: PlannedOrders, items: PlannedItems
) -> PlannedItems:
    """Abusers' lines mostly carry a heavy discount; order amounts follow their lines."""
    abusive = is_abuser[orders.customer[items.order]]
    gross_cents = items.quantity * items.unit_cents
    rate = rng.uniform(*RISK_ABUSER_DISCOUNT_RATE, items.order.size)
    heavy = abusive & (rng.random(items.order.size) < RISK_ABUSER_LINE_DISCOUNT_SHARE)
    discount_cents = np.where(
        heavy, np.rint(gross_cents * rate).astype(np.int64), items.discount_cents
    )
    amount_cents = np.add.reduceat(gross_cents - discount_cents, items.first_line)
    return replace(items, discount_cents=discount_cents, amount_cents=amount_cents)


def _plan_abusive_refunds(
    rng: np.random.Generator,
    is_abuser: np.ndarray,
    orders: PlannedOrders,
    amount_cents: np.ndarray,
    already_refunded: np.ndarray,
    calendar: Calendar,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Abusers' quick partial refunds: (refunded order index, refund time, negative cents)."""
    latest_refundable = calendar.cutoff_us - RISK_ABUSER_REFUND_HOURS[1] * MICROS_PER_HOUR
    eligible = (
        (orders.kind == REGULAR)
        & (orders.status == COMPLETED)
        & (orders.ordered_at_us < latest_refundable)
        & is_abuser[orders.customer]
    )
    eligible[already_refunded] = False
    refunded = np.flatnonzero(eligible & (rng.random(eligible.size) < RISK_ABUSER_REFUND_RATE))
    refund_at = (
        orders.ordered_at_us[refunded]
        + rng.integers(
            RISK_ABUSER_REFUND_HOURS[0] * 60, RISK_ABUSER_REFUND_HOURS[1] * 60, refunded.size
        )
        * MICROS_PER_MINUTE
    )
    refund_cents = -np.maximum(
        1, np.rint(amount_cents[refunded] * rng.uniform(0.3, 0.9, refunded.size))
    ).astype(np.int64)
    return refunded, refund_at, refund_cents


def _signup_times(
    rng: np.random.Generator, persona: np.ndarray, first_order_at: np.ndarray, calendar: Calendar
) -> np.ndarray:
    """Sign-up time of every customer, on or before the first order."""
    same_session = rng.random(persona.size) < _persona_parameter(
        persona, "signup_same_session_share"
    )
    lead_days = rng.exponential(_persona_parameter(persona, "signup_lead_days_mean"))
    lead_us = np.where(
        same_session,
        rng.integers(2, 25, persona.size) * MICROS_PER_MINUTE,
        (lead_days * MICROS_PER_DAY).astype(np.int64)
        + rng.integers(1, 60, persona.size) * MICROS_PER_MINUTE,
    )
    lead_us = (lead_us // MICROS_PER_SECOND) * MICROS_PER_SECOND
    earliest_signup = calendar.day_start_us(_persona_parameter(persona, "signup_max_days"))
    return np.maximum(first_order_at - lead_us, np.minimum(earliest_signup, first_order_at))


def _customers_table(
    rng: np.random.Generator,
    persona: np.ndarray,
    customer_id: np.ndarray,
    signup_at: np.ndarray,
    calendar: Calendar,
) -> pa.Table:
    """The ``customers`` table; demographics depend on the persona only mildly."""
    n = persona.size
    gender_weights = np.array([*GENDER_WEIGHTS, 1.0 - sum(GENDER_WEIGHTS)])
    gender = rng.choice(len(gender_weights), size=n, p=gender_weights)
    age_years = np.clip(rng.normal(_persona_parameter(persona, "age_mean"), 13.0), 18.0, 85.0)
    end_day = calendar.end_day_start_us // MICROS_PER_DAY
    birth_day = (end_day - np.floor(age_years * 365.25)).astype(np.int32)

    country_weights = np.array([weight for _, weight, _ in COUNTRIES])
    country = rng.choice(len(COUNTRIES), size=n, p=country_weights / country_weights.sum())
    cities_per_country = np.array([len(cities) for *_, cities in COUNTRIES])
    city_offset = np.minimum(
        (rng.random(n) ** 1.7 * cities_per_country[country]).astype(np.int64),
        cities_per_country[country] - 1,
    )
    city = _group_starts(cities_per_country)[country] + city_offset
    channel = _sample_per_persona(rng, persona, [p.channel_weights for p in PERSONAS])

    first_name = rng.integers(0, len(FIRST_NAMES), n)
    last_name = rng.integers(0, len(LAST_NAMES), n)
    full_names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    email = pc.binary_join_element_wise(
        _dictionary_strings([_ascii_slug(name) for name in FIRST_NAMES], first_name),
        _dictionary_strings(EMAIL_SEPARATORS, rng.integers(0, len(EMAIL_SEPARATORS), n)),
        _dictionary_strings([_ascii_slug(name) for name in LAST_NAMES], last_name),
        pc.cast(pa.array(customer_id), pa.string()),
        _dictionary_strings(
            [f"@{domain}" for domain in EMAIL_DOMAINS], rng.integers(0, len(EMAIL_DOMAINS), n)
        ),
        "",
    )
    return pa.table(
        {
            "customer_id": pa.array(customer_id, pa.int64()),
            "signup_at": pa.array(signup_at, TIMESTAMP),
            "birth_date": pa.array(
                birth_day, pa.date32(), mask=rng.random(n) < NULL_BIRTH_DATE_RATE
            ),
            "gender": _dictionary_strings(GENDERS, gender, null_mask=gender == len(GENDERS)),
            "country": _dictionary_strings([name for name, *_ in COUNTRIES], country),
            "city": _dictionary_strings([c for *_, cities in COUNTRIES for c in cities], city),
            "acquisition_channel": _dictionary_strings(ACQUISITION_CHANNELS, channel),
            "email": email,
            "full_name": _dictionary_strings(full_names, first_name * len(LAST_NAMES) + last_name),
        },
        schema=TABLE_SCHEMAS["customers"],
    )


def _ascii_slug(name: str) -> str:
    """Lower-case ASCII form of a name for use in an e-mail address ("O'Brien" -> "obrien")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(char for char in ascii_name.lower() if char.isalnum())


def _orders_table(
    rng: np.random.Generator,
    customer_id: np.ndarray,
    ordered_at: np.ndarray,
    status: np.ndarray,
    amount_cents: np.ndarray,
    order_id: np.ndarray,
    may_lose_customer: np.ndarray,
) -> pa.Table:
    """The ``orders`` table with the planted mess (rows are already in order_id order)."""
    n = order_id.size
    null_customer = may_lose_customer & (rng.random(n) < NULL_CUSTOMER_RATE)
    completed = status == COMPLETED
    null_status_rate = NULL_STATUS_RATE * n / max(1, int(completed.sum()))
    null_status = completed & (rng.random(n) < null_status_rate)
    odd_spelling = ~null_status & (rng.random(n) < ODD_STATUS_SPELLING_RATE)
    spelling = np.where(odd_spelling, rng.integers(1, 6, n), 0)
    spellings = [
        variant
        for canonical in ORDER_STATUSES
        for variant in (
            canonical,
            canonical.upper(),
            canonical.capitalize(),
            f"{canonical} ",
            f" {canonical}",
            f"{canonical.capitalize()} ",
        )
    ]
    table = pa.table(
        {
            "order_id": pa.array(order_id, pa.int64()),
            "customer_id": pa.array(customer_id, pa.int64(), mask=null_customer),
            "ordered_at": pa.array(ordered_at, TIMESTAMP),
            "amount": pa.array(amount_cents / 100.0, pa.float64()),
            "status": _dictionary_strings(spellings, status * 6 + spelling, null_mask=null_status),
        },
        schema=TABLE_SCHEMAS["orders"],
    )
    duplicated = np.flatnonzero(rng.random(n) < DUPLICATE_ROW_RATE)
    # Re-delivered rows sit right next to their original, as a double load would leave them.
    return table.take(np.sort(np.concatenate([np.arange(n), duplicated])))


class _EventBlocks:
    """Collects blocks of events and returns them ordered by session and funnel phase."""

    def __init__(self) -> None:
        self._sessions: list[np.ndarray] = []
        self._types: list[np.ndarray] = []
        self._products: list[np.ndarray] = []
        self._phases: list[np.ndarray] = []

    def add(
        self,
        sessions: np.ndarray,
        event_type: int | np.ndarray,
        products: np.ndarray,
        phase: float | np.ndarray,
    ) -> None:
        """Add one event per entry of ``sessions``; a larger phase comes later in a session."""
        self._sessions.append(sessions)
        self._types.append(np.broadcast_to(np.asarray(event_type, np.int8), sessions.shape))
        self._products.append(products)
        self._phases.append(np.broadcast_to(np.asarray(phase, np.float64), sessions.shape))

    def sorted_events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(session, event type, product) of all events, ordered by session then phase."""
        sessions = np.concatenate(self._sessions)
        in_order = np.argsort(sessions * 8.0 + np.concatenate(self._phases), kind="stable")
        return (
            sessions[in_order],
            np.concatenate(self._types)[in_order],
            np.concatenate(self._products)[in_order],
        )


def _events_table(
    rng: np.random.Generator,
    persona: np.ndarray,
    customer_id: np.ndarray,
    signup_at: np.ndarray,
    orders: PlannedOrders,
    items: PlannedItems,
    catalogue: ProductCatalogue,
    cumulative_preferences: np.ndarray,
    calendar: Calendar,
    first_session_id: int,
) -> pa.Table:
    """Browsing sessions: purchase sessions ending at an order, and sessions without one."""
    n_customers = persona.size
    # Purchase sessions: most planted orders; the purchase event lands at ordered_at.
    tracked = (orders.kind == REGULAR) & (
        rng.random(orders.kind.size)
        < _persona_parameter(persona[orders.customer], "tracked_purchase_share")
    )
    purchase_order = np.flatnonzero(tracked)

    browse_mean = rng.uniform(
        _persona_parameter(persona, "browse_sessions", 0),
        _persona_parameter(persona, "browse_sessions", 1),
    )
    n_browse = np.minimum(
        rng.poisson(browse_mean), _persona_parameter(persona, "max_browse_sessions")
    )
    browse_customer = np.repeat(np.arange(n_customers), n_browse)
    last_regular_at = np.zeros(n_customers, dtype=np.int64)
    regular = orders.kind == REGULAR
    np.maximum.at(last_regular_at, orders.customer[regular], orders.ordered_at_us[regular])
    near_orders = _persona_parameter(persona, "browse_near_orders")[browse_customer]
    window_lo = signup_at[browse_customer]
    window_hi = np.full(browse_customer.size, calendar.cutoff_us - MICROS_PER_HOUR)
    centre = last_regular_at[browse_customer]
    window_lo = np.where(
        near_orders, np.maximum(window_lo, centre - 20 * MICROS_PER_DAY), window_lo
    )
    window_hi = np.where(
        near_orders, np.minimum(window_hi, centre + 20 * MICROS_PER_DAY), window_hi
    )
    moment = window_lo + (rng.random(browse_customer.size) * (window_hi - window_lo)).astype(
        np.int64
    )
    browse_start = (moment - calendar.end_day_start_us) // MICROS_PER_DAY * MICROS_PER_DAY
    browse_start += calendar.end_day_start_us + _time_of_day_us(rng, browse_customer.size)
    browse_start = np.clip(browse_start, signup_at[browse_customer] + MICROS_PER_MINUTE, window_hi)

    session_customer = np.concatenate([orders.customer[purchase_order], browse_customer])
    session_order = np.concatenate([purchase_order, np.full(browse_customer.size, -1)])
    session_start = np.concatenate([orders.ordered_at_us[purchase_order], browse_start])
    # Session ids follow (approximate) start time, like an auto-increment would.
    by_start = np.argsort(session_start, kind="stable")
    session_customer = session_customer[by_start]
    session_order = session_order[by_start]
    session_start = session_start[by_start]
    is_purchase = session_order >= 0
    n_sessions = session_customer.size
    session_persona = persona[session_customer]

    def draw_products(sessions: np.ndarray) -> np.ndarray:
        categories = _sample_categories(rng, cumulative_preferences, session_customer[sessions])
        return catalogue.random_product(rng, categories)

    extra_page_views = rng.poisson(1.0, n_sessions)
    searches = rng.poisson(_persona_parameter(session_persona, "searches_per_session"))
    views_mean = _persona_parameter(session_persona, "product_views_per_session")
    random_views = rng.poisson(np.where(is_purchase, 0.4 * views_mean, views_mean))
    carted = ~is_purchase & (
        rng.random(n_sessions) < _persona_parameter(session_persona, "cart_share")
    )
    browse_adds = np.where(carted, 1 + rng.poisson(0.5, n_sessions), 0)
    removes = carted & (rng.random(n_sessions) < 0.3)
    browse_checkout = carted & (rng.random(n_sessions) < 0.12)

    # Events are collected in blocks and then sorted by (session, funnel phase). Browsing
    # events share phase 1 with a random tie-break, so they are shuffled within the session.
    blocks = _EventBlocks()
    all_sessions = np.arange(n_sessions)
    blocks.add(all_sessions, PAGE_VIEW, np.full(n_sessions, -1), 0.0)  # landing page

    browse_counts = extra_page_views + searches + random_views
    browse_session = np.repeat(all_sessions, browse_counts)
    rank = _rank_within_groups(browse_counts)
    browse_type = np.where(
        rank < extra_page_views[browse_session],
        PAGE_VIEW,
        np.where(rank < (extra_page_views + searches)[browse_session], SEARCH, PRODUCT_VIEW),
    )
    browse_product = np.where(browse_type == PRODUCT_VIEW, draw_products(browse_session), -1)
    blocks.add(browse_session, browse_type, browse_product, 1.0 + 0.9 * rng.random(rank.size))

    purchase_sessions = np.flatnonzero(is_purchase)
    bought_order = session_order[purchase_sessions]
    line_counts = items.lines_per_order[bought_order]
    line_session = np.repeat(purchase_sessions, line_counts)
    line_position = np.repeat(items.first_line[bought_order], line_counts)
    bought_product = items.product_id[line_position + _rank_within_groups(line_counts)]
    blocks.add(
        line_session, PRODUCT_VIEW, bought_product, 1.0 + 0.9 * rng.random(line_session.size)
    )
    blocks.add(line_session, ADD_TO_CART, bought_product, 2.0)

    add_session = np.repeat(all_sessions, browse_adds)
    added_product = draw_products(add_session)
    blocks.add(add_session, ADD_TO_CART, added_product, 2.0)
    first_in_cart = np.full(n_sessions, -1)
    first_in_cart[carted] = added_product[_group_starts(browse_adds)[carted]]
    first_in_cart[purchase_sessions] = items.product_id[items.first_line[bought_order]]

    remove_session = np.flatnonzero(removes)
    blocks.add(remove_session, REMOVE_FROM_CART, first_in_cart[remove_session], 3.0)
    checkout_session = np.flatnonzero(browse_checkout | is_purchase)
    blocks.add(checkout_session, CHECKOUT, first_in_cart[checkout_session], 4.0)
    blocks.add(purchase_sessions, PURCHASE, first_in_cart[purchase_sessions], 5.0)
    event_session, event_type, product = blocks.sorted_events()
    del blocks

    median_seconds = np.asarray(EVENT_MEDIAN_SECONDS)[event_type]
    median_seconds = np.where(
        event_type == PRODUCT_VIEW,
        median_seconds
        * _persona_parameter(session_persona[event_session], "product_view_seconds_factor"),
        median_seconds,
    )
    duration = np.clip(
        np.rint(median_seconds * np.exp(rng.normal(0.0, EVENT_SECONDS_SIGMA, event_type.size))),
        1,
        MAX_EVENT_SECONDS,
    ).astype(np.int64)

    events_per_session = np.bincount(event_session, minlength=n_sessions)
    elapsed = np.cumsum(duration) - duration
    elapsed -= elapsed[_group_starts(events_per_session)][event_session]
    is_purchase_event = event_type == PURCHASE
    purchase_event_session = event_session[is_purchase_event]
    session_start[purchase_event_session] = (
        orders.ordered_at_us[session_order[purchase_event_session]]
        - elapsed[is_purchase_event] * MICROS_PER_SECOND
    )
    event_at = session_start[event_session] + elapsed * MICROS_PER_SECOND

    return pa.table(
        {
            "customer_id": pa.array(customer_id[session_customer[event_session]], pa.int64()),
            "session_id": pa.array(first_session_id + event_session, pa.int64()),
            "event_at": pa.array(event_at, TIMESTAMP),
            "event_type": _dictionary_strings(EVENT_TYPES, event_type),
            "product_id": pa.array(product, pa.int64(), mask=product < 0),
            "duration_seconds": pa.array(duration, pa.int64()),
        },
        schema=TABLE_SCHEMAS["events"],
    )


def _review_texts(rng: np.random.Generator, rating: np.ndarray) -> list[str]:
    """A text per review whose tone follows its stars (REVIEW_TONE_OF_RATING), with noise.

    A share of the reviews takes a random tone (REVIEW_MIXED_TONE_RATE), some are in a language
    the sentiment lexicon does not cover (REVIEW_FOREIGN_RATE) and some are empty
    (REVIEW_EMPTY_RATE): the cases the review text features must handle.
    """
    n = rating.size
    tone = np.asarray(REVIEW_TONE_OF_RATING)[rating - 1]
    tone = np.where(rng.random(n) < REVIEW_MIXED_TONE_RATE, rng.integers(0, 3, n), tone)
    opening = rng.integers(0, len(REVIEW_OPENINGS[0]), n)
    aspect = rng.integers(0, len(REVIEW_ASPECTS), n)
    closing = np.where(
        rng.random(n) < REVIEW_CLOSING_RATE, rng.integers(0, len(REVIEW_CLOSINGS[0]), n), -1
    )
    kind = rng.random(n)
    foreign = rng.integers(0, len(REVIEW_FOREIGN[0]), n)
    empty = rng.integers(0, len(REVIEW_EMPTY_TEXTS), n)
    texts = []
    for i in range(n):
        if kind[i] < REVIEW_EMPTY_RATE:
            texts.append(REVIEW_EMPTY_TEXTS[empty[i]])
        elif kind[i] < REVIEW_EMPTY_RATE + REVIEW_FOREIGN_RATE:
            texts.append(REVIEW_FOREIGN[tone[i]][foreign[i]])
        else:
            parts = [REVIEW_OPENINGS[tone[i]][opening[i]], REVIEW_ASPECTS[aspect[i]][tone[i]]]
            if closing[i] >= 0:
                parts.append(REVIEW_CLOSINGS[rating[i] - 1][closing[i]])
            texts.append(" ".join(part for part in parts if part))
    return texts


def _reviews_table(
    rng: np.random.Generator,
    rng_text: np.random.Generator,
    persona: np.ndarray,
    customer_id: np.ndarray,
    orders: PlannedOrders,
    items: PlannedItems,
    calendar: Calendar,
) -> pa.Table:
    """Reviews of bought products by a persona-dependent share of buyers, 1-3 each.

    The text is drawn from its own stream (rng_text), so every other column is the same as
    before review text followed the stars."""
    is_reviewer = rng.random(persona.size) < _persona_parameter(persona, "review_share")
    reviews_wanted = rng.choice(len(REVIEW_COUNT_WEIGHTS), persona.size, p=REVIEW_COUNT_WEIGHTS) + 1
    line_customer = orders.customer[items.order]
    candidate = np.flatnonzero(
        is_reviewer[line_customer]
        & (orders.kind[items.order] == REGULAR)
        & (orders.status[items.order] == COMPLETED)
    )
    cand_customer = line_customer[candidate]
    cand_product = items.product_id[candidate]
    cand_bought_at = orders.ordered_at_us[items.order[candidate]]

    # One review per (customer, product): keep a random purchase of each product.
    order = np.lexsort((rng.random(candidate.size), cand_product, cand_customer))
    cand_customer, cand_product, cand_bought_at = (
        cand_customer[order],
        cand_product[order],
        cand_bought_at[order],
    )
    first_of_pair = np.ones(candidate.size, dtype=bool)
    first_of_pair[1:] = (cand_customer[1:] != cand_customer[:-1]) | (
        cand_product[1:] != cand_product[:-1]
    )
    cand_customer, cand_product, cand_bought_at = (
        cand_customer[first_of_pair],
        cand_product[first_of_pair],
        cand_bought_at[first_of_pair],
    )

    order = np.lexsort((rng.random(cand_customer.size), cand_customer))
    cand_customer, cand_product, cand_bought_at = (
        cand_customer[order],
        cand_product[order],
        cand_bought_at[order],
    )
    rank = _rank_within_groups(np.bincount(cand_customer, minlength=persona.size))
    reviewed_at = (
        cand_bought_at
        + rng.integers(
            REVIEW_DELAY_DAYS[0] * SECONDS_PER_DAY,
            REVIEW_DELAY_DAYS[1] * SECONDS_PER_DAY,
            cand_customer.size,
        )
        * MICROS_PER_SECOND
    )
    keep = (rank < reviews_wanted[cand_customer]) & (reviewed_at < calendar.cutoff_us)
    review_customer = cand_customer[keep]
    rating = (
        _sample_per_persona(rng, persona[review_customer], [p.rating_weights for p in PERSONAS]) + 1
    )
    by_time = np.argsort(reviewed_at[keep], kind="stable")
    return pa.table(
        {
            "customer_id": pa.array(customer_id[review_customer][by_time], pa.int64()),
            "product_id": pa.array(cand_product[keep][by_time], pa.int64()),
            "rating": pa.array(rating[by_time], pa.int64()),
            "review_text": pa.array(_review_texts(rng_text, rating[by_time]), pa.string()),
            "reviewed_at": pa.array(reviewed_at[keep][by_time], TIMESTAMP),
        },
        schema=TABLE_SCHEMAS["reviews"],
    )


def _generate_chunk(
    seed: int,
    chunk_index: int,
    n_customers: int,
    first_ids: ChunkIds,
    catalogue: ProductCatalogue,
    calendar: Calendar,
    include_events: bool,
) -> ChunkResult:
    """All tables for one chunk of customers.

    Each table family draws from its own stream derived from ``(seed, chunk_index)``, so the
    orders are the same whether or not events are generated.
    """
    # spawn(n) gives the same first streams as spawn(n - 1): the sixth (planted abusers) and the
    # seventh (review text) were added without changing any other draw.
    streams = np.random.SeedSequence(seed, spawn_key=(1, chunk_index)).spawn(7)
    (
        rng_orders,
        rng_customers,
        rng_mess,
        rng_events,
        rng_reviews,
        rng_abuse,
        rng_review_text,
    ) = (np.random.Generator(np.random.PCG64(stream)) for stream in streams)
    shares = np.array([profile.share for profile in PERSONAS])
    persona = rng_orders.choice(len(PERSONAS), size=n_customers, p=shares / shares.sum())
    cumulative_preferences = _cumulative_preferences(rng_orders, persona)

    orders, first_order_at = _plan_orders(rng_orders, persona, calendar)
    is_abuser = _choose_abusers(rng_abuse, orders, n_customers)
    orders = _plant_abusive_returns(rng_abuse, is_abuser, orders)
    items = _plan_items(rng_orders, persona, orders, catalogue, cumulative_preferences)
    items = _plant_abusive_discounts(rng_abuse, is_abuser, orders, items)
    refunded, refund_at, refund_cents = _plan_refunds(
        rng_orders, persona, orders, items.amount_cents, calendar
    )
    abusive = _plan_abusive_refunds(
        rng_abuse, is_abuser, orders, items.amount_cents, refunded, calendar
    )
    refunded, refund_at, refund_cents = (
        np.concatenate([normal, extra])
        for normal, extra in zip((refunded, refund_at, refund_cents), abusive, strict=True)
    )
    signup_at = _signup_times(rng_customers, persona, first_order_at, calendar)

    # Customer ids and order ids increase with sign-up and order time, like auto-increments.
    by_signup = np.argsort(signup_at, kind="stable")
    customer_id = np.empty(n_customers, dtype=np.int64)
    customer_id[by_signup] = first_ids.customer_id + np.arange(n_customers)

    all_customer = np.concatenate([orders.customer, orders.customer[refunded]])
    all_at = np.concatenate([orders.ordered_at_us, refund_at])
    by_time = np.argsort(all_at, kind="stable")
    order_id = np.empty(by_time.size, dtype=np.int64)
    order_id[by_time] = first_ids.order_id + np.arange(by_time.size)
    orders_table = _orders_table(
        rng_mess,
        customer_id=customer_id[all_customer][by_time],
        ordered_at=all_at[by_time],
        status=np.concatenate([orders.status, np.full(refunded.size, REFUNDED)])[by_time],
        amount_cents=np.concatenate([items.amount_cents, refund_cents])[by_time],
        order_id=order_id[by_time],
        may_lose_customer=np.concatenate(
            [~orders.is_first_purchase, np.ones(refunded.size, dtype=bool)]
        )[by_time],
    )
    items_table = pa.table(
        {
            "order_id": pa.array(order_id[items.order], pa.int64()),
            "product_id": pa.array(items.product_id, pa.int64()),
            "quantity": pa.array(items.quantity, pa.int64()),
            "unit_price": pa.array(items.unit_cents / 100.0, pa.float64()),
            "discount_amount": pa.array(items.discount_cents / 100.0, pa.float64()),
        },
        schema=TABLE_SCHEMAS["order_items"],
    )
    # Items in order_id order, as they would come out of the shop database.
    items_table = items_table.take(np.argsort(order_id[items.order], kind="stable"))

    tables = {
        "orders": orders_table,
        "customers": _customers_table(
            rng_customers, persona, customer_id, signup_at, calendar
        ).take(by_signup),
        "order_items": items_table,
        "reviews": _reviews_table(
            rng_reviews, rng_review_text, persona, customer_id, orders, items, calendar
        ),
    }
    sessions_used = 0
    if include_events:
        events = _events_table(
            rng_events,
            persona,
            customer_id,
            signup_at,
            orders,
            items,
            catalogue,
            cumulative_preferences,
            calendar,
            first_ids.session_id,
        )
        tables["events"] = events
        if events.num_rows:
            sessions_used = int(pc.max(events["session_id"]).as_py()) - first_ids.session_id + 1
    labels = pa.table(
        {
            "customer_id": pa.array(customer_id[by_signup], pa.int64()),
            "persona": _dictionary_strings(PERSONA_NAMES, persona[by_signup]),
            "is_planted_abuser": pa.array(is_abuser[by_signup], pa.bool_()),
        },
        schema=LABELS_SCHEMA,
    )
    return ChunkResult(tables, labels, orders_used=by_time.size, sessions_used=sessions_used)


class TableFileWriter:
    """Appends pyarrow tables of one schema to a parquet or csv file.

    CSV timestamps are written with whole seconds (all generated times are whole seconds).
    """

    def __init__(self, path: Path, schema: pa.Schema, file_format: str) -> None:
        self.path = path
        self.file_format = file_format
        self.rows_written = 0
        if file_format == "parquet":
            self._schema = schema
            self._writer = pq.ParquetWriter(path, schema, compression="zstd")
        else:
            self._schema = pa.schema(
                [pa.field(f.name, pa.timestamp("s")) if f.type == TIMESTAMP else f for f in schema]
            )
            self._writer = pa_csv.CSVWriter(path, self._schema)

    def write(self, table: pa.Table) -> None:
        """Append ``table`` (in the writer's schema) to the file."""
        if self.file_format == "csv":
            table = table.cast(self._schema)
        self._writer.write_table(table)
        self.rows_written += table.num_rows

    def close(self) -> None:
        """Flush and close the file."""
        self._writer.close()


def generate_shop(
    output_dir: str | Path,
    n_customers: int = 5000,
    seed: int = 42,
    file_format: str = "parquet",
    include_events: bool = True,
    end_date: date = date(2026, 6, 30),
    history_days: int = 730,
) -> dict[str, int]:
    """Write a synthetic online shop in the project's input contract.

    Inputs: ``output_dir`` (created if missing), the number of customers, the random seed, the
    file format (``"parquet"`` or ``"csv"``), whether to write browsing ``events``, the last day
    of regular data ``end_date`` (a few late orders fall after it) and the length of the order
    history in days.

    Output: ``<output_dir>/<table>.<format>`` for orders, customers, order_items, products,
    reviews and (optionally) events, plus ``<output_dir>/_labels/planted_personas.parquet``
    with columns (customer_id, persona, is_planted_abuser). Returns ``{table: row_count}`` for
    the table files. The same seed and parameters always give the same data.
    """
    if n_customers < 1:
        raise ValueError(f"n_customers must be at least 1, got {n_customers}")
    if file_format not in FILE_FORMATS:
        raise ValueError(f"file_format must be one of {FILE_FORMATS}, got {file_format!r}")
    if history_days < MIN_HISTORY_DAYS:
        raise ValueError(f"history_days must be at least {MIN_HISTORY_DAYS}, got {history_days}")
    if isinstance(end_date, datetime):
        end_date = end_date.date()

    output_path = Path(output_dir)
    (output_path / LABELS_DIR).mkdir(parents=True, exist_ok=True)
    calendar = Calendar.from_end_date(end_date, history_days)
    catalogue_size = (
        LARGE_CATALOGUE_SIZE
        if n_customers >= LARGE_CATALOGUE_FROM_CUSTOMERS
        else SMALL_CATALOGUE_SIZE
    )
    catalogue_rng = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0,)))
    )
    catalogue = _build_catalogue(catalogue_rng, catalogue_size)

    table_names = ["orders", "customers", "order_items", "products", "reviews"]
    if include_events:
        table_names.append("events")
    else:
        # A stale events file from an earlier run would not match the new orders.
        (output_path / f"events.{file_format}").unlink(missing_ok=True)

    with contextlib.ExitStack() as stack:
        writers: dict[str, TableFileWriter] = {}
        for name in table_names:
            writer = TableFileWriter(
                output_path / f"{name}.{file_format}", TABLE_SCHEMAS[name], file_format
            )
            stack.callback(writer.close)
            writers[name] = writer
        labels_writer = TableFileWriter(
            output_path / LABELS_DIR / LABELS_FILE, LABELS_SCHEMA, "parquet"
        )
        stack.callback(labels_writer.close)

        writers["products"].write(catalogue.to_table())
        next_ids = ChunkIds(FIRST_CUSTOMER_ID, FIRST_ORDER_ID, FIRST_SESSION_ID)
        for chunk_index, chunk_start in enumerate(range(0, n_customers, CUSTOMERS_PER_CHUNK)):
            chunk = _generate_chunk(
                seed,
                chunk_index,
                min(CUSTOMERS_PER_CHUNK, n_customers - chunk_start),
                next_ids,
                catalogue,
                calendar,
                include_events,
            )
            for name, table in chunk.tables.items():
                writers[name].write(table)
            labels_writer.write(chunk.labels)
            next_ids = ChunkIds(
                customer_id=next_ids.customer_id + chunk.labels.num_rows,
                order_id=next_ids.order_id + chunk.orders_used,
                session_id=next_ids.session_id + chunk.sessions_used,
            )
            del chunk
        return {name: writer.rows_written for name, writer in writers.items()}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; prints one ``table: rows`` line per written table."""
    parser = argparse.ArgumentParser(
        description="Generate a synthetic online shop (orders, customers, events, ...)."
    )
    parser.add_argument("--output", required=True, help="output directory")
    parser.add_argument("--customers", type=int, default=5000, help="number of customers")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--format", choices=FILE_FORMATS, default="parquet", dest="file_format")
    parser.add_argument(
        "--no-events", action="store_true", help="skip the (large) browsing events table"
    )
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=date(2026, 6, 30),
        help="last day of regular data, YYYY-MM-DD",
    )
    parser.add_argument("--history-days", type=int, default=730, help="days of order history")
    args = parser.parse_args(argv)
    row_counts = generate_shop(
        args.output,
        n_customers=args.customers,
        seed=args.seed,
        file_format=args.file_format,
        include_events=not args.no_events,
        end_date=args.end_date,
        history_days=args.history_days,
    )
    for table_name, row_count in row_counts.items():
        print(f"{table_name}: {row_count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
