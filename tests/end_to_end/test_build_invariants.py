"""Real exports never break the build: no input that keeps to the input contract (docs/input.md)
can make a test on an intermediate model or a mart fail. Every value range, key and
relationship those tests assume is guaranteed by a staging rule (a row rejected with a reason)
or by a definition that cannot leave the range; docs/bad_input.md, "Invariants", lists each test
and the rule that holds it.

The property test generates whole shops with hypothesis: every optional table present, absent
or empty; optional columns present, absent or with no value at all (Parquet type NULL as pandas
writes an all-None column, or a float column of NaN); ids as integers, floats or text; typed
Parquet or all-text CSV; thousands of rows; extreme but legal values (amounts of exactly
max_order_amount either way, zero and negative amounts, discounts of the whole line and more,
events of a full day, ratings 1 and 5, numeric attributes at the edge of their range); some
broken rows for staging to reject; the shop's own customer attributes declared or not. Each
shop is built with `dbt build` (unit tests excluded: they do not read the data) and every node
must pass. Hypothesis draws the plan of a shop (sizes, formats, toggles, a seed); numpy draws
the rows from the seed, so a failing plan printed by hypothesis rebuilds the same shop.

The builds run in one dbt process that parses the project once (tests/end_to_end/dbt_worker.py).
In CI the test runs SHOP_PROPERTY_EXAMPLES examples (default 3, derandomized, no shrinking: a
build takes about 20 seconds) after an explicit example with every extreme at once. More:

    SHOP_PROPERTY_EXAMPLES=40 .venv/bin/pytest tests/end_to_end/test_build_invariants.py -k property

The two failures that opened issue 18 are regression tests here: an all-null list_price written
by pandas (Parquet type NULL) stopped compilation, and discounts larger than the price paid
failed the intermediate test on discount_share.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from dbt_worker import WAREHOUSE_FILE, DbtResult, DbtWorker
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from customer_segmentation.report import write_report
from demo.shop import generate_shop

pytestmark = pytest.mark.dbt

TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)
EARLIEST_ORDER_DATE = date(1990, 1, 1)  # var earliest_order_date: legal from this day on
MAX_ORDER_AMOUNT = 1_000_000  # var max_order_amount: legal up to this, either way
OPTIONAL_TABLES = ["customers", "order_items", "products", "events", "reviews"]
STATUS_SPELLINGS = ["completed", "Completed ", " CANCELED", "returned", "refund", "delivered"]
EVENT_TYPES = ["page_view", "product_view", "search", "add_to_cart", "remove_from_cart"]
EVENT_TYPES += ["checkout", "purchase", " PAGE_VIEW", "Add_To_Cart "]
CATEGORIES = ["books", "Toys", "garden ", "🎁 gifts", "électronique", None]
# Personal data where only ids and labels belong: staging must keep it from leaving staging.
EMAIL = "jane.doe@example.com"
ATTRIBUTES = {
    "loyalty_tier": "categorical",
    "household_size": "numeric",
    "income": {"type": "numeric", "bins": [25000, 50000, 100000], "sensitive": True},
    "is_business": {"type": "categorical", "sensitive": True, "max_levels": 3},
}
# Optional columns that may be dropped or written without a single value.
OPTIONAL_COLUMNS = {
    "orders": ["status"],
    "customers": [
        "signup_at",
        "birth_date",
        "gender",
        "country",
        "city",
        "acquisition_channel",
        "email",
        "full_name",
        *ATTRIBUTES,
    ],
    "order_items": ["discount_amount"],
    "products": ["category", "brand", "list_price"],
    "events": ["product_id", "duration_seconds"],
    "reviews": ["product_id", "review_text"],
}


@dataclass(frozen=True)
class ShopPlan:
    """Everything that decides a generated shop; the rows come from numpy seeded with seed."""

    seed: int
    customers: int  # customers with a customer row; some more only have orders
    max_orders_per_customer: int
    history_days: int  # orders spread over this many days up to yesterday
    id_kind: str  # int | text | mixed (each table: integers, floats or digit text)
    formats: tuple[tuple[str, str], ...]  # table -> parquet | csv | absent | empty
    empty_columns: tuple[tuple[str, str], ...]  # optional columns with no value at all
    null_type_columns: bool  # Parquet: empty columns of type NULL (pandas' all-None)
    dropped_columns: tuple[tuple[str, str], ...]  # optional columns not in the file
    extremes: bool  # plant the extreme legal values
    broken_rows: bool  # add rows that staging rejects
    as_of_days_after_first_order: int | None  # var as_of_date, None: the default
    declare_attributes: bool
    unit_price_after_discount: bool

    def format_of(self, table: str) -> str:
        return dict(self.formats)[table]


def optional_column_pairs() -> list[tuple[str, str]]:
    return [(table, column) for table, columns in OPTIONAL_COLUMNS.items() for column in columns]


@st.composite
def shop_plans(draw) -> ShopPlan:
    formats = [("orders", draw(st.sampled_from(["parquet", "csv"])))]
    for table in OPTIONAL_TABLES:
        kind = draw(st.sampled_from(["parquet", "parquet", "csv", "absent", "empty"]))
        formats.append((table, kind))
    columns = optional_column_pairs()
    empty_columns = draw(st.lists(st.sampled_from(columns), max_size=8, unique=True))
    dropped = draw(st.lists(st.sampled_from(columns), max_size=4, unique=True))
    return ShopPlan(
        seed=draw(st.integers(0, 2**32 - 1)),
        customers=draw(st.sampled_from([1, 2, 7, 60, 250])),
        max_orders_per_customer=draw(st.sampled_from([1, 3, 12])),
        history_days=draw(st.sampled_from([1, 45, 400, (YESTERDAY - EARLIEST_ORDER_DATE).days])),
        id_kind=draw(st.sampled_from(["int", "text", "mixed"])),
        formats=tuple(formats),
        empty_columns=tuple(sorted(empty_columns)),
        null_type_columns=draw(st.booleans()),
        dropped_columns=tuple(sorted(set(dropped) - set(empty_columns))),
        extremes=draw(st.booleans()),
        broken_rows=draw(st.booleans()),
        as_of_days_after_first_order=draw(st.none() | st.integers(1, 3000)),
        declare_attributes=draw(st.booleans()),
        unit_price_after_discount=draw(st.booleans()),
    )


EVERYTHING_AT_ONCE = ShopPlan(
    seed=18,
    customers=250,
    max_orders_per_customer=12,
    history_days=(YESTERDAY - EARLIEST_ORDER_DATE).days,
    id_kind="mixed",
    formats=(
        ("orders", "parquet"),
        ("customers", "parquet"),
        ("order_items", "parquet"),
        ("products", "parquet"),
        ("events", "csv"),
        ("reviews", "parquet"),
    ),
    empty_columns=(
        ("customers", "birth_date"),
        ("products", "list_price"),
        ("reviews", "product_id"),
    ),
    null_type_columns=True,
    dropped_columns=(("orders", "status"),),
    extremes=True,
    broken_rows=True,
    as_of_days_after_first_order=None,
    declare_attributes=True,
    unit_price_after_discount=False,
)


# ---------------------------------------------------------------------------------------------
# Writing a shop


class Ids:
    """How a table writes an id: as an integer, a float (pandas with gaps) or text."""

    def __init__(self, kind: str, rng: np.random.Generator):
        self.kind = kind
        self.rng = rng

    def style(self) -> str:
        if self.kind == "int":
            return "int"
        if self.kind == "text":
            return "text"
        return str(self.rng.choice(["int", "float", "digits"]))

    @staticmethod
    def render(number: int | str | None, style: str, prefix: str):
        if number is None:
            return None
        if isinstance(number, str):  # a raw text id (EMAIL): only a text column can hold it
            return number if style in ("text", "digits") else None
        if style == "text":
            # Some ids carry an emoji or padding; padding is trimmed, so ids still match.
            suffix = "-😀" if number % 17 == 0 else ""
            pad = " " if number % 13 == 0 else ""
            return f"{pad}{prefix}{number}{suffix}{pad}"
        if style == "float":
            return float(number)
        if style == "digits":
            return str(number)
        return number


def write_table(
    plan: ShopPlan,
    directory: Path,
    table: str,
    columns: dict[str, tuple[list, pa.DataType]],
) -> None:
    """One input table in the plan's format, with its empty and dropped columns."""
    kind = plan.format_of(table)
    if kind == "absent":
        return
    columns = {
        name: values
        for name, values in columns.items()
        if (table, name) not in plan.dropped_columns
    }
    if kind == "empty":
        # Header only as CSV, or 0 bytes: both count as an absent table.
        path = directory / f"{table}.csv"
        if table == "events":
            path.write_bytes(b"")
        else:
            path.write_text(",".join(columns) + "\n")
        return
    arrays = {}
    for name, (values, data_type) in columns.items():
        row_count = len(values)
        if (table, name) in plan.empty_columns:
            if plan.null_type_columns:
                arrays[name] = pa.nulls(row_count)  # what pandas writes for an all-None column
            elif pa.types.is_timestamp(data_type) or pa.types.is_date(data_type):
                # pandas turns an all-missing date into a float column of NaN.
                arrays[name] = pa.array([float("nan")] * row_count, pa.float64())
            else:
                arrays[name] = pa.nulls(row_count, data_type)
        else:
            arrays[name] = pa.array(values, data_type)
    frame = pa.table(arrays)
    if kind == "parquet":
        pq.write_table(frame, directory / f"{table}.parquet")
    else:
        text = pa.table(
            {
                name: pa.array(
                    [None if value is None else str(value) for value in column.to_pylist()],
                    pa.string(),
                )
                if not pa.types.is_null(column.type)
                else pa.nulls(len(column), pa.string())
                for name, column in zip(frame.column_names, frame.columns, strict=True)
            }
        )
        pa_csv.write_csv(text, directory / f"{table}.csv")


def money_type(rng: np.random.Generator, scale: int = 2) -> pa.DataType:
    return [pa.float64(), pa.decimal128(18, scale), pa.string()][int(rng.integers(3))]


def money_values(amounts: list[Decimal | None], data_type: pa.DataType) -> list:
    if pa.types.is_floating(data_type):
        return [None if a is None else float(a) for a in amounts]
    if pa.types.is_string(data_type):
        return [None if a is None else str(a) for a in amounts]
    return amounts


def id_type(style: str) -> pa.DataType:
    return {"int": pa.int64(), "float": pa.float64(), "digits": pa.string(), "text": pa.string()}[
        style
    ]


def timestamp_column(moments: list[datetime | None], rng: np.random.Generator):
    kind = int(rng.integers(4))
    if kind == 0:
        return moments, pa.timestamp("us")
    if kind == 3:
        return moments, pa.timestamp("us", tz="UTC")
    if kind == 1:
        return [None if m is None else m.date() for m in moments], pa.date32()
    return [None if m is None else m.isoformat(sep=" ") for m in moments], pa.string()


def cents(rng: np.random.Generator, low: float, high: float) -> Decimal:
    return Decimal(int(rng.integers(int(low * 100), int(high * 100) + 1))) / 100


def write_shop(plan: ShopPlan, directory: Path) -> dict:
    """Write the shop; returns the vars its build needs."""
    rng = np.random.default_rng(plan.seed)
    ids = Ids(plan.id_kind, rng)
    directory.mkdir(parents=True)
    first_day = max(EARLIEST_ORDER_DATE, YESTERDAY - timedelta(days=plan.history_days))
    span = (YESTERDAY - first_day).days

    def moment(day_offset: int) -> datetime:
        day = first_day + timedelta(days=int(day_offset))
        return datetime.combine(day, datetime.min.time()) + timedelta(
            seconds=int(rng.integers(0, 86400))
        )

    # ---- orders: customer 0's first order is a completed purchase on the first day, so the
    # shop always has something to segment (a shop without any is a documented stop).
    customer_count = plan.customers + max(1, plan.customers // 5)  # some without a customer row
    order_rows = [
        (0, 0, datetime.combine(first_day, datetime.min.time()), Decimal("10.00"), "completed")
    ]
    order_number = 1
    for customer in range(customer_count):
        for _ in range(int(rng.integers(0, plan.max_orders_per_customer + 1))):
            amount = cents(rng, 0.01, 400)
            draw = rng.random()
            status = str(rng.choice(STATUS_SPELLINGS))
            if draw < 0.1:
                amount, status = -amount, "refunded"
            elif draw < 0.15:
                amount = Decimal("0.00")
            status = None if rng.random() < 0.05 else status
            order_rows.append(
                (order_number, customer, moment(rng.integers(0, span + 1)), amount, status)
            )
            order_number += 1
    if plan.extremes:
        for amount in ["1000000.00", "-1000000.00", "0.01", "-0.01", "999999.99"]:
            order_rows.append(
                (order_number, 1 % customer_count, moment(span), Decimal(amount), "completed")
            )
            order_number += 1
        # Many orders of one customer on one day, and orders on the first legal day.
        for _ in range(30):
            order_rows.append((order_number, 0, moment(0), cents(rng, 1, 50), "completed"))
            order_number += 1
    broken_orders = []
    if plan.broken_rows:
        broken_orders = [
            (None, 3, moment(0), Decimal("5.00"), "completed"),
            (order_number, None, moment(0), Decimal("5.00"), "completed"),
            (order_number + 1, 4, None, Decimal("5.00"), "completed"),
            (order_number + 2, 4, moment(0), None, "completed"),
            (order_number + 3, 4, moment(0), Decimal("5.00"), "lost in space"),
            # A conflicting second version of an order, and an identical copy of another.
            (1, 1, moment(span), Decimal("77.00"), "completed"),
            order_rows[-1],
            (order_number + 4, EMAIL, moment(0), Decimal("5.00"), "completed"),
            (EMAIL, 5, moment(0), Decimal("5.00"), "completed"),
        ]
        order_number += 4
    all_orders = order_rows + broken_orders
    order_id_style, customer_id_style = ids.style(), ids.style()
    ordered_at, ordered_at_type = timestamp_column([row[2] for row in all_orders], rng)
    amount_type = money_type(rng)
    write_table(
        plan,
        directory,
        "orders",
        {
            "order_id": (
                [Ids.render(row[0], order_id_style, "o") for row in all_orders],
                id_type(order_id_style),
            ),
            "customer_id": (
                [Ids.render(row[1], customer_id_style, "c") for row in all_orders],
                id_type(customer_id_style),
            ),
            "ordered_at": (ordered_at, ordered_at_type),
            "amount": (money_values([row[3] for row in all_orders], amount_type), amount_type),
            "status": ([row[4] for row in all_orders], pa.string()),
        },
    )

    # ---- customers (with the shop's attributes)
    customer_style = ids.style()
    people = list(range(plan.customers))
    birth_dates = []
    for person in people:
        if plan.extremes and person % 11 == 0:
            birth_dates.append([date(1890, 1, 1), TODAY + timedelta(days=400), TODAY][person % 3])
        else:
            birth_dates.append(TODAY - timedelta(days=int(rng.integers(16 * 365, 95 * 365))))
    tiers = rng.choice(
        ["gold", "silver", "bronze", " Gold ", "platinum", ""],
        len(people),
        p=[0.2, 0.3, 0.4, 0.05, 0.004, 0.046],
    )
    households = [float(v) for v in rng.integers(1, 9, len(people))]
    incomes = [float(v) for v in rng.integers(5_000, 250_000, len(people))]
    if plan.extremes and people:
        households[0] = 99999999999999.9999
        households[-1] = -3.0
        incomes[0] = 0.0
    household_type = pa.float64()
    customer_columns = {
        "customer_id": (
            [Ids.render(p, customer_style, "c") for p in people],
            id_type(customer_style),
        ),
        "signup_at": ([moment(rng.integers(0, span + 1)) for _ in people], pa.timestamp("us")),
        "birth_date": (birth_dates, pa.date32()),
        "gender": (
            list(rng.choice(["F", "male", "Non-binary", "🦄", "", None], len(people))),
            pa.string(),
        ),
        "country": (list(rng.choice(["DE", "FR", "Ísland", None], len(people))), pa.string()),
        "city": (list(rng.choice(["Berlin", "Zürich 🏔️", None], len(people))), pa.string()),
        "acquisition_channel": (list(rng.choice(["Web", "store", None], len(people))), pa.string()),
        "email": ([f"person{p}@example.com" for p in people], pa.string()),
        "full_name": ([f"Person {p}" for p in people], pa.string()),
        "loyalty_tier": ([str(t) for t in tiers], pa.string()),
        "household_size": (households, household_type),
        "income": (incomes, pa.float64()),
        "is_business": ([bool(v) for v in rng.random(len(people)) < 0.1], pa.bool_()),
    }
    if plan.broken_rows and people:
        # Duplicates, a missing id; with the attributes declared, a value staging refuses.
        for name, (values, _) in customer_columns.items():
            values.append(values[0])
            values.append(None if name == "customer_id" else values[-1])
        if plan.format_of("customers") == "csv":
            sizes = [None if v is None else str(v) for v in customer_columns["household_size"][0]]
            customer_columns["household_size"] = ([*sizes[:-1], "a few"], pa.string())
        customer_columns["loyalty_tier"][0][-2] = "vip@example.com"
        # A customer whose id is an e-mail address, and one whose country is.
        for name, (values, _) in customer_columns.items():
            values.append(
                Ids.render(EMAIL, customer_style, "c") if name == "customer_id" else values[0]
            )
            values.append(
                Ids.render(10**6, customer_style, "c") if name == "customer_id" else values[0]
            )
        customer_columns["country"][0][-1] = EMAIL
    write_table(plan, directory, "customers", customer_columns)

    # ---- products
    product_count = int(rng.integers(1, 40))
    categories = list(rng.choice(CATEGORIES, product_count))
    product_style = ids.style()
    write_table(
        plan,
        directory,
        "products",
        {
            "product_id": (
                [Ids.render(p, product_style, "p") for p in range(product_count)],
                id_type(product_style),
            ),
            "category": (
                [EMAIL if plan.broken_rows and p == 0 else c for p, c in enumerate(categories)],
                pa.string(),
            ),
            "brand": ([f"brand {p % 4}" for p in range(product_count)], pa.string()),
            "list_price": ([float(cents(rng, 0, 500)) for _ in range(product_count)], pa.float64()),
        },
    )

    # ---- order lines: discounts from none to more than the line is worth
    line_rows = []
    for order in order_rows:
        if order[0] is None or rng.random() < 0.3:
            continue
        for _ in range(int(rng.integers(1, 5))):
            quantity = int(rng.integers(1, 6))
            unit_price = Decimal(int(rng.integers(0, 3_000_000))) / 10_000
            worth = quantity * unit_price
            draw = rng.random()
            if draw < 0.5:
                discount = None if rng.random() < 0.5 else Decimal("0")
            elif draw < 0.8:
                discount = (worth * Decimal(float(rng.random()))).quantize(Decimal("0.0001"))
            elif draw < 0.9:
                discount = worth
            else:
                discount = (worth + cents(rng, 0.01, 20)).quantize(Decimal("0.0001"))
            product = int(rng.integers(0, product_count + 2))  # a few not in the catalogue
            line_rows.append((order[0], product, quantity, unit_price, discount))
    if plan.extremes and order_rows:
        line_rows += [
            (0, 0, 1_000_000, Decimal("1"), Decimal("1000000")),  # the largest legal line
            (0, 0, 1, Decimal("0"), Decimal("0")),
            (0, 1, 3, Decimal("0.0001"), Decimal("0.0003")),
            (0, 1, 7, Decimal("0.0013"), Decimal("0.0091")),  # rounds to 0.01 paid + 0.01 off
        ]
    if plan.broken_rows:
        line_rows += [(999_999_999, 0, 1, Decimal("1"), None), (0, 0, -1, Decimal("1"), None)]
    item_order_style, item_product_style = ids.style(), ids.style()
    quantity_type = [pa.int64(), pa.float64(), pa.string()][int(rng.integers(3))]
    price_type = money_type(rng, scale=4)
    write_table(
        plan,
        directory,
        "order_items",
        {
            "order_id": (
                [Ids.render(row[0], item_order_style, "o") for row in line_rows],
                id_type(item_order_style),
            ),
            "product_id": (
                [Ids.render(row[1], item_product_style, "p") for row in line_rows],
                id_type(item_product_style),
            ),
            "quantity": (
                [
                    row[2]
                    if quantity_type == pa.int64()
                    else (float(row[2]) if quantity_type == pa.float64() else str(row[2]))
                    for row in line_rows
                ],
                quantity_type,
            ),
            "unit_price": (money_values([row[3] for row in line_rows], price_type), price_type),
            "discount_amount": (
                money_values([row[4] for row in line_rows], price_type),
                price_type,
            ),
        },
    )

    # ---- browsing events
    event_rows = []
    for customer in range(customer_count):
        if rng.random() < 0.4:
            continue
        for session in range(int(rng.integers(1, 5))):
            start = moment(rng.integers(0, span + 1))
            for step in range(int(rng.integers(1, 8))):
                duration = None if rng.random() < 0.1 else int(rng.integers(0, 600))
                if plan.extremes and step == 0 and session == 0:
                    duration = [0, 86400][customer % 2]
                event_rows.append(
                    (
                        customer,
                        f"s{customer}-{session}",
                        start + timedelta(seconds=step * 30),
                        str(rng.choice(EVENT_TYPES)),
                        int(rng.integers(0, product_count)) if rng.random() < 0.7 else None,
                        duration,
                    )
                )
    if plan.broken_rows:
        event_rows += [
            (None, "s-anonymous", moment(0), "page_view", None, 5),
            (0, "s0", moment(0), "teleport", None, 5),
            (EMAIL, "s-email", moment(0), "page_view", None, 5),
        ]
    event_customer_style, event_product_style = ids.style(), ids.style()
    event_at, event_at_type = timestamp_column([row[2] for row in event_rows], rng)
    write_table(
        plan,
        directory,
        "events",
        {
            "customer_id": (
                [Ids.render(row[0], event_customer_style, "c") for row in event_rows],
                id_type(event_customer_style),
            ),
            "session_id": ([row[1] for row in event_rows], pa.string()),
            "event_at": (event_at, event_at_type),
            "event_type": ([row[3] for row in event_rows], pa.string()),
            "product_id": (
                [Ids.render(row[4], event_product_style, "p") for row in event_rows],
                id_type(event_product_style),
            ),
            "duration_seconds": ([row[5] for row in event_rows], pa.int64()),
        },
    )

    # ---- reviews
    review_rows = []
    for customer in range(customer_count):
        if rng.random() < 0.7:
            continue
        for _ in range(int(rng.integers(1, 4))):
            rating = int(rng.integers(1, 6)) if not plan.extremes else int(rng.choice([1, 5]))
            review_rows.append(
                (
                    customer,
                    int(rng.integers(0, product_count)),
                    rating,
                    "ça marche 👍",
                    moment(rng.integers(0, span + 1)),
                )
            )
    if plan.broken_rows:
        review_rows += [
            (0, 0, 6, "too good", moment(0)),
            (None, 0, 5, "anonymous", moment(0)),
            (EMAIL, 0, 5, "from an e-mail id", moment(0)),
        ]
    review_customer_style, review_product_style = ids.style(), ids.style()
    rating_type = [pa.int64(), pa.float64(), pa.string()][int(rng.integers(3))]
    reviewed_at, reviewed_at_type = timestamp_column([row[4] for row in review_rows], rng)
    write_table(
        plan,
        directory,
        "reviews",
        {
            "customer_id": (
                [Ids.render(row[0], review_customer_style, "c") for row in review_rows],
                id_type(review_customer_style),
            ),
            "product_id": (
                [Ids.render(row[1], review_product_style, "p") for row in review_rows],
                id_type(review_product_style),
            ),
            "rating": (
                [
                    row[2]
                    if rating_type == pa.int64()
                    else (float(row[2]) if rating_type == pa.float64() else str(row[2]))
                    for row in review_rows
                ],
                rating_type,
            ),
            "review_text": ([row[3] for row in review_rows], pa.string()),
            "reviewed_at": (reviewed_at, reviewed_at_type),
        },
    )

    variables = {
        "raw_data_path": str(directory),
        "export_path": None,
        "unit_price_after_discount": plan.unit_price_after_discount,
        "customer_attributes": ATTRIBUTES if plan.declare_attributes else {},
    }
    if plan.as_of_days_after_first_order is not None:
        as_of = first_day + timedelta(days=plan.as_of_days_after_first_order)
        variables["as_of_date"] = str(min(as_of, TODAY + timedelta(days=30)))
    return variables


# ---------------------------------------------------------------------------------------------
# The builds

BUILD = ["build", "--exclude-resource-type", "unit_test"]


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("build_invariants")
    dbt = DbtWorker(work_dir, {"customer_attributes": ATTRIBUTES, "export_path": None})
    yield dbt
    dbt.close()


def build_shop(worker: DbtWorker, directory: Path, variables: dict) -> DbtResult:
    database = directory.parent / WAREHOUSE_FILE
    return worker.run(BUILD, variables, database)


def assert_every_node_passes(result: DbtResult, plan=None) -> None:
    problems = result.problems()
    summary = result.output.split("Completed with", 1)[-1][-4000:]
    assert result.success and not problems, f"{plan}\n{problems}\n{summary}"


PROPERTY_EXAMPLES = int(os.environ.get("SHOP_PROPERTY_EXAMPLES", "3"))


@settings(
    max_examples=PROPERTY_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # A build takes seconds: shrinking would rebuild for minutes; the plan is printed instead.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@example(plan=EVERYTHING_AT_ONCE)
@given(plan=shop_plans())
def test_property_no_contract_input_fails_an_intermediate_or_mart_test(
    worker, tmp_path_factory, plan
):
    directory = tmp_path_factory.mktemp("shop") / "raw"
    variables = write_shop(plan, directory)
    result = build_shop(worker, directory, variables)
    try:
        assert_every_node_passes(result, plan)
    finally:
        shutil.rmtree(directory.parent, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The two failures that opened issue 18, and a shop with its own customer attributes, built on a
# small demo shop: products written by pandas with an all-null list_price, some customers'
# order lines discounted by more than the line was worth, and customers with declared columns.

ISSUE_ATTRIBUTES = {
    "loyalty_tier": {"type": "categorical", "max_levels": 4},
    "household_size": "numeric",
    "income": {"type": "numeric", "bins": [25000, 50000, 100000], "sensitive": True},
    "marital_status": {"type": "categorical", "sensitive": True},
}
DISCOUNTED_CUSTOMERS = 29


@dataclass(frozen=True)
class IssueShop:
    directory: Path
    over_discounted_lines: pd.DataFrame  # order_id, product_id, quantity, unit_price, discount


@pytest.fixture(scope="module")
def issue_shop(tmp_path_factory) -> IssueShop:
    directory = tmp_path_factory.mktemp("issue_shop") / "raw"
    generate_shop(directory, n_customers=400, seed=18)
    # pandas writes a column of None only as Parquet type NULL.
    products = pd.read_parquet(directory / "products.parquet")
    products["list_price"] = None
    products.to_parquet(directory / "products.parquet")
    assert pa.types.is_null(pq.read_schema(directory / "products.parquet").field("list_price").type)

    # The export's unit price is after the discount: for some customers the discount exceeds
    # quantity x unit price (one line of each of DISCOUNTED_CUSTOMERS customers).
    items = pd.read_parquet(directory / "order_items.parquet")
    orders = pd.read_parquet(directory / "orders.parquet")[["order_id", "customer_id"]]
    orders = orders.dropna().drop_duplicates("order_id")
    lines = items.reset_index().merge(orders, on="order_id")
    valid = lines[(lines["quantity"] >= 1) & (lines["unit_price"] > 0)]
    chosen = valid.drop_duplicates("customer_id").head(DISCOUNTED_CUSTOMERS)["index"]
    worth = items.loc[chosen, "quantity"] * items.loc[chosen, "unit_price"]
    items.loc[chosen, "discount_amount"] = (worth + 5).round(2)
    items.to_parquet(directory / "order_items.parquet")

    # The shop's own customer columns, with a rare tier, a value that is no number and an
    # e-mail address where a level should be.
    customers = pd.read_parquet(directory / "customers.parquet")
    rng = np.random.default_rng(18)
    count = len(customers)
    customers["loyalty_tier"] = rng.choice(
        ["bronze", "silver", "gold", " gold "], count, p=[0.5, 0.3, 0.15, 0.05]
    )
    customers.loc[customers.index[2:4], "loyalty_tier"] = "platinum"  # 2 of 400: under 1%
    customers["household_size"] = [str(v) for v in rng.integers(1, 7, count)]
    customers["income"] = rng.integers(8_000, 180_000, count).astype(float)
    customers["marital_status"] = rng.choice(["married", "single", "widowed", None], count)
    customers.loc[customers.index[0], "household_size"] = "a few"
    customers.loc[customers.index[1], "marital_status"] = "ask.me@example.org"
    customers.to_parquet(directory / "customers.parquet")
    return IssueShop(directory, items.loc[chosen])


@pytest.fixture(scope="module")
def issue_build(worker, issue_shop) -> DbtResult:
    variables = {
        "raw_data_path": str(issue_shop.directory),
        "export_path": None,
        "customer_attributes": ISSUE_ATTRIBUTES,
    }
    return build_shop(worker, issue_shop.directory, variables)


def query(directory: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(directory.parent / WAREHOUSE_FILE), read_only=True) as connection:
        return connection.sql(sql).df()


def test_an_all_null_list_price_written_by_pandas_is_read_as_missing(issue_build, issue_shop):
    assert_every_node_passes(issue_build)
    assert (
        f"input products: column 'list_price' of {issue_shop.directory}/products.parquet "
        'has no values (type "NULL"); read as missing values'
    ) in issue_build.output
    staged = query(
        issue_shop.directory,
        "select count(*) as products, count(list_price) as priced from staging.stg_shop__products",
    ).iloc[0]
    assert staged["products"] > 0 and staged["priced"] == 0


def test_discounts_larger_than_the_line_are_rejected_with_a_reason(issue_build, issue_shop):
    assert_every_node_passes(issue_build)
    rejected = query(
        issue_shop.directory,
        "select raw_order_id, raw_product_id from staging.stg_shop__order_items_rejected "
        "where rejection_reason = 'discount_exceeds_line_amount'",
    )
    expected = issue_shop.over_discounted_lines
    assert len(rejected) == len(expected) == DISCOUNTED_CUSTOMERS
    assert set(rejected["raw_order_id"]) == {str(v) for v in expected["order_id"]}
    shares = query(
        issue_shop.directory,
        "select min(discount_share) as low, max(discount_share) as high "
        "from intermediate.int_customer_features",
    ).iloc[0]
    assert 0 <= shares["low"] <= shares["high"] <= 1


def test_with_the_unit_price_after_discount_those_lines_are_kept(clustering_builds, issue_shop):
    """var unit_price_after_discount: the line was worth quantity x unit price + discount, and
    discount_share = discounts / (paid + discounts), in [0, 1] for every customer."""
    directory = clustering_builds.directory
    assert_every_node_passes(clustering_builds.second)
    reasons = query(
        directory,
        "select distinct rejection_reason from staging.stg_shop__order_items_rejected",
    )["rejection_reason"]
    assert "discount_exceeds_line_amount" not in set(reasons)
    compared = query(
        directory,
        """
        with purchased as (
            select
                orders.customer_id,
                sum(items.discount_amount) as discounts,
                sum(items.quantity * items.unit_price) as paid
            from staging.stg_shop__order_items as items
            inner join intermediate.int_orders_classified as orders
                on items.order_id = orders.order_id
            where orders.is_purchase
            group by orders.customer_id
        )
        select
            features.customer_id,
            features.discount_share,
            purchased.discounts / nullif(purchased.paid + purchased.discounts, 0) as expected
        from intermediate.int_customer_features as features
        inner join purchased
            on features.customer_id = purchased.customer_id
        """,
    )
    over_discounted = {str(v) for v in issue_shop.over_discounted_lines["order_id"]}
    assert len(compared) > 100
    assert compared["discount_share"].to_numpy() == pytest.approx(
        compared["expected"].astype(float).to_numpy(), abs=1e-9, nan_ok=True
    )
    assert compared["discount_share"].between(0, 1).all()
    staged = query(
        directory,
        "select order_id, product_id, cast(discount_amount as double) as discount_amount "
        "from staging.stg_shop__order_items where order_id in ("
        + ", ".join(f"'{v}'" for v in over_discounted)
        + ")",
    )
    expected = issue_shop.over_discounted_lines.astype({"order_id": str, "product_id": str})
    kept = expected.merge(staged, on=["order_id", "product_id", "discount_amount"])
    assert len(kept) == len(expected)  # every over-discounted line is staged as it was


def test_declared_customer_attributes_are_staged_with_reasons_for_refused_values(
    issue_build, issue_shop
):
    assert_every_node_passes(issue_build)
    rejected = query(
        issue_shop.directory,
        "select rejection_reason, rejected_attribute, raw_household_size, raw_marital_status "
        "from staging.stg_shop__customers_rejected where rejected_attribute is not null "
        "order by rejected_attribute",
    )
    assert rejected.to_dict("records") == [
        {
            "rejection_reason": "unparseable_customer_attribute",
            "rejected_attribute": "household_size",
            "raw_household_size": "a few",
            "raw_marital_status": rejected["raw_marital_status"].iloc[0],
        },
        {
            "rejection_reason": "personal_data_in_customer_attribute",
            "rejected_attribute": "marital_status",
            "raw_household_size": rejected["raw_household_size"].iloc[1],
            "raw_marital_status": "ask.me@example.org",
        },
    ]
    features = query(
        issue_shop.directory,
        "select loyalty_tier, income_band, household_size, marital_status "
        "from intermediate.int_customer_features",
    )
    # Trimmed (' gold ' is 'gold'); the rare platinum (0.3%) is grouped as 'other'; customers
    # without a customer row are 'unknown'. max_levels 4 keeps bronze, silver, gold.
    assert set(features["loyalty_tier"]) <= {"bronze", "silver", "gold", "other", "unknown"}
    assert "other" in set(features["loyalty_tier"])
    assert set(features["income_band"]) <= {
        "under_25000",
        "25000_50000",
        "50000_100000",
        "100000_plus",
        "unknown",
    }
    assert features["household_size"].dropna().between(1, 6).all()
    assert "income" not in features.columns  # banded: the number stays in staging


def test_declared_attributes_are_profiled_and_the_sensitive_ones_are_in_the_fairness_view(
    issue_build, issue_shop
):
    assert_every_node_passes(issue_build)
    profiles = query(
        issue_shop.directory,
        "select segment_id, feature, source_column, segment_mean, is_customer_attribute, "
        "is_sensitive from marts.segment_profiles where is_customer_attribute",
    )
    segments = query(issue_shop.directory, "select segment_id from marts.segment_summary")
    assert set(profiles["segment_id"]) == set(segments["segment_id"])
    features = set(profiles["feature"])
    assert "household_size" in features
    assert {"loyalty_tier=gold", "loyalty_tier=other", "income_band=100000_plus"} <= features
    assert set(profiles.loc[profiles["is_sensitive"], "source_column"]) == {
        "income_band",
        "marital_status",
    }
    # A level's mean is the share of the segment with it: the levels of a segment sum to 1.
    levels = profiles[profiles["source_column"] == "loyalty_tier"]
    assert levels.groupby("segment_id")["segment_mean"].sum().to_numpy() == pytest.approx(1.0)

    fairness = query(issue_shop.directory, "select * from marts.segment_fairness")
    assert set(fairness["attribute"]) == {"gender", "age_band", "income_band", "marital_status"}
    for _, group in fairness.groupby(["segment_id", "attribute"]):
        assert group["segment_share"].sum() == pytest.approx(1.0)
    summary = query(
        issue_shop.directory, "select distinguishing_features from marts.segment_summary"
    )
    described = " ".join(summary["distinguishing_features"].dropna())
    assert "income_band" not in described and "marital_status" not in described


def test_the_report_shows_the_attributes(issue_build, issue_shop, tmp_path):
    assert_every_node_passes(issue_build)
    html = write_report(
        issue_shop.directory.parent / WAREHOUSE_FILE, tmp_path / "report.html"
    ).read_text(encoding="utf-8")
    assert "loyalty tier=gold" in html  # a row of the profile heatmap
    assert "By income band" in html and "By marital status" in html  # fairness charts


@dataclass(frozen=True)
class ClusteringBuilds:
    directory: Path
    first: DbtResult  # attributes listed as clustering features, not declared yet
    first_dropped: frozenset[str]
    second: DbtResult  # declared, and unit_price_after_discount


@pytest.fixture(scope="module")
def clustering_builds(issue_shop, tmp_path_factory) -> ClusteringBuilds:
    """The issue shop built twice in a dbt process parsed with attributes as clustering features
    (those vars are read when dbt parses): first before the attributes are declared, as a shop
    that adds them later, then declared, with the unit price read as after the discount."""
    work_dir = tmp_path_factory.mktemp("clustering_builds")
    clustering = {
        "customer_attributes": ISSUE_ATTRIBUTES,
        "segmentation": {
            "numeric_features": ["recency_days", "frequency", "monetary", "household_size"],
            "log1p_features": ["recency_days", "frequency", "monetary"],
            "categorical_features": ["loyalty_tier"],
        },
        # Read at parse time too: every build of this worker refits.
        "retrain": True,
        "export_path": None,
    }
    dbt = DbtWorker(work_dir / "worker", clustering)
    try:
        directory = work_dir / "raw"
        shutil.copytree(issue_shop.directory, directory)
        first = build_shop(
            dbt,
            directory,
            {**clustering, "raw_data_path": str(directory), "customer_attributes": {}},
        )
        dropped = query(
            directory,
            "select feature from ml.segment_model_fit where record_type = 'dropped_feature'",
        )["feature"]
        second = build_shop(
            dbt,
            directory,
            {**clustering, "raw_data_path": str(directory), "unit_price_after_discount": True},
        )
    finally:
        dbt.close()
    return ClusteringBuilds(directory, first, frozenset(dropped), second)


def test_attributes_listed_as_clustering_features_are_used_by_the_model(clustering_builds):
    """Off by default; listed in the clustering vars, a numeric attribute is scaled and a
    categorical one one-hot encoded, and monitoring follows the numeric one. Listed before
    they are declared, they are left out with the reason, and the build passes."""
    assert_every_node_passes(clustering_builds.first)
    assert {"household_size", "loyalty_tier"} <= clustering_builds.first_dropped
    directory = clustering_builds.directory
    second = clustering_builds.second
    assert_every_node_passes(second)
    scaling = query(directory, "select feature, transform from ml.segment_model_scaling")
    dimensions = dict(zip(scaling["feature"], scaling["transform"], strict=True))
    assert dimensions["household_size"] == "identity"
    assert dimensions["loyalty_tier=gold"] == "one_hot"
    drift = query(directory, "select feature from intermediate.int_feature_drift")
    assert "household_size" in set(drift["feature"])
    # The refitted model stores the attribute's training distribution, which drift is measured
    # against from now on.
    reference = query(
        directory,
        "select sum(reference_customers) as customers from ml.segment_model_drift_reference "
        "where feature = 'household_size' and bin > 0",
    )
    assert reference["customers"].iloc[0] > 0


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({"email": "categorical"}, "it is named like personal data (var personal_data_columns)"),
        ({"gender": "categorical"}, "it is a column of the input contract"),
        ({"tier": "text"}, "type must be categorical or numeric"),
        ({"tier": {"type": "categorical", "levels": 3}}, 'unknown option "levels"'),
        (
            {"income": {"type": "numeric", "sensitive": True}},
            "a sensitive numeric attribute needs bins",
        ),
        (
            {"income": {"type": "numeric", "bins": [50, 10]}},
            "bins must be a list of increasing numbers",
        ),
        ({"tier": {"type": "categorical", "bins": [1]}}, "bins are for numeric attributes"),
        ({"fingerprint": "categorical"}, "the name is used by the pipeline itself"),
        (
            {"Tier": "categorical"},
            "the name must be the column's name in the customers input, in lower case",
        ),
    ],
)
def test_a_wrong_attribute_declaration_stops_the_build_naming_the_attribute(
    worker, issue_shop, tmp_path, declared, message
):
    (tmp_path / "compile").mkdir()
    result = worker.run(
        ["compile", "--select", "stg_shop__customers_checked"],
        {"raw_data_path": str(issue_shop.directory), "customer_attributes": declared},
        tmp_path / "compile" / WAREHOUSE_FILE,
    )
    assert not result.success
    (name,) = declared
    assert f'var customer_attributes, attribute "{name}": ' in result.output
    assert message in result.output
