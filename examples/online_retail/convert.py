r"""Convert the UCI Online Retail invoice lines into the project's input contract.

Reads the line-level Parquet file (``InvoiceNo``, ``StockCode``, ``Description``, ``Quantity``,
``InvoiceDate``, ``UnitPrice``, ``CustomerID``, ``Country``) and writes ``orders``,
``order_items``, ``products`` and ``customers`` as ``<output>/<table>.parquet``. There are no
``events`` or ``reviews`` files: the data has neither.

Every decision taken on the way (credit notes, bad-debt adjustments, stock adjustments, anonymous
rows, zero prices, duplicate lines, discounts, non-product codes) is counted and printed, and is
described with the measured counts in ``examples/online_retail/README.md`` beside this file.

Usage (from the repository root)::

    python examples/online_retail/convert.py \
        --input ../shared/data/online_retail/online_retail.parquet --output data/online_retail
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SOURCE_COLUMNS: tuple[str, ...] = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)

# Stock codes that are not merchandise: postage, carriage, fees, manual corrections, samples,
# discounts, bad debt and a 0.001 GBP placeholder. They stay in orders so that order amounts
# reconcile with the source, but get category 'non_product' so product-mix features can skip them.
NON_PRODUCT_CODES: frozenset[str] = frozenset(
    {
        "POST",  # postage
        "DOT",  # dotcom postage
        "C2",  # carriage
        "M",  # manual correction (also 'm' in the source; codes are upper-cased)
        "D",  # discount
        "S",  # samples
        "B",  # adjust bad debt
        "BANK CHARGES",
        "AMAZONFEE",
        "CRUK",  # charity commission
        "PADS",  # 'PADS TO MATCH ALL CUSHIONS' at 0.001 GBP: a till placeholder, not a sale
    }
)
# Gift vouchers (gift_0001_10 ... gift_0001_50) are a means of payment, not goods.
NON_PRODUCT_PATTERN = re.compile(r"^GIFT_\d+_\d+$")
DISCOUNT_CODE = "D"

# Ordered keyword rules: the first category with a whole-word match in the product's description
# wins, so the order encodes priority (a 'CHRISTMAS ... BAG' is christmas, a 'LUNCH BAG' is a
# bag, a 'T-LIGHT HOLDER' is lighting, not home_storage). Words are matched on the upper-cased
# description split at non-letters, so 'T-LIGHT' yields 'LIGHT' and 'CAKESTAND' is its own word.
# Each rule is (category, space-separated keywords).
_CATEGORY_KEYWORDS: tuple[tuple[str, str], ...] = (
    (
        "christmas",
        "CHRISTMAS XMAS ADVENT SANTA REINDEER NATIVITY SNOWMAN SNOWFLAKE BAUBLE BAUBLES TREE "
        "WREATH",
    ),
    ("bags", "BAG BAGS SHOPPER TOTE WASHBAG HANDBAG BACKPACK RUCKSACK"),
    (
        "lighting",
        "LIGHT LIGHTS TLIGHT NIGHTLIGHT CANDLE CANDLES CANDLESTICK LANTERN LANTERNS LAMP "
        "LAMPSHADE LED CANDLEHOLDER CHANDELIER CHOCOLATECANDLE",
    ),
    ("party", "PARTY BUNTING BALLOON BALLOONS CONFETTI STRAWS BANNER BIRTHDAY INVITES POPCORN"),
    (
        "tableware",
        "MUG MUGS CUP CUPS TEACUP TEACUPS SAUCER SAUCERS PLATE PLATES BOWL BOWLS JUG TEAPOT "
        "CUTLERY BEAKER BEAKERS TUMBLER TUMBLERS TRAY COASTER COASTERS NAPKIN NAPKINS "
        "CHOPSTICKS GLASSES SPOON SPOONS DISH PLACEMATS PLACEMAT BREAKFAST",
    ),
    (
        "kitchen_baking",
        "CAKE CAKES CAKESTAND BAKING BAKE KITCHEN JAM RECIPE APRON PANTRY SCALES COOKIE "
        "BISCUIT BREAD TOWEL TOWELS LUNCH JAR JARS OVEN EGG SUGAR TEA COFFEE MILK CHOPPING "
        "DOILY DOILEY DOILIES CASES SNACK FOOD",
    ),
    (
        "stationery_gift_wrap",
        "CARD CARDS WRAP WRAPPING NOTEBOOK NOTEBOOKS NOTEPAD PEN PENS PENCIL PENCILS STICKER "
        "STICKERS ENVELOPE ENVELOPES TAPE JOURNAL DIARY CALENDAR ERASER RULER BOOK TISSUE "
        "TISSUES PAPER CHALKBOARD STATIONERY TAG TAGS MEMOBOARD BLACKBOARD BOARD STAMP "
        "EXERCISE",
    ),
    (
        "toys_games",
        "TOY TOYS GAME GAMES DOLL DOLLS PUZZLE JIGSAW SKITTLES DOMINOES HARMONICA SOLDIER "
        "SOLDIERS TEDDY CRAYONS PLAYHOUSE SPINNING BUILDING BLOCKS MAGIC BALL CHILDRENS KIDS "
        "PIRATE SKIPPING SNAKES LADDERS BINGO LUDO NAUGHTS CROSSES PAINT COLOURING MODELLING "
        "CLAY GLIDERS PIGGY BABY",
    ),
    (
        "garden_outdoor",
        "GARDEN GARDENERS PLANT PLANTER PLANTERS WATERING BIRDHOUSE FEEDER PICNIC OUTDOOR "
        "SEED SEEDS TROWEL GNOME FLOWER WINDMILL HAMMOCK",
    ),
    (
        "jewellery_accessories",
        "JEWELLERY NECKLACE NECKLACES BRACELET EARRINGS RING RINGS BROOCH HAIR CLIP CLIPS "
        "CHARM BEAD BEADS PURSE WALLET UMBRELLA PARASOL SCARF KEYRING DIAMANTE HAIRCLIP "
        "BANGLE WARMER LIP GLOSS PONCHO FAN SOMBRERO HAT",
    ),
    (
        "craft_sewing",
        "SEWING CRAFT FELTCRAFT KNITTING RIBBON RIBBONS BUTTONS THREAD NEEDLE REEL KIT "
        "CROCHET SCISSOR SCISSORS CANVAS",
    ),
    (
        "home_decor",
        "SIGN DECORATION DECORATIONS FRAME FRAMES ORNAMENT CLOCK MIRROR GARLAND VASE PICTURE "
        "PHOTO PLAQUE DOORSTOP HANGING BELL CHIME CHIMES HEART HEARTS ART WALL BIRD BIRDS "
        "BUTTERFLY STAR ANGEL DECORATIVE ORNAMENTS FLAG BELLS MAGNETS MAGNET",
    ),
    (
        "home_storage_textiles",
        "DOORMAT CUSHION HOOK HOOKS DRAWER KNOB CABINET STORAGE BOX BOXES BASKET TIN TINS "
        "HOLDER RACK SHELF BIN BOTTLE CHAIR TABLE STOOL HANGER HANGERS THROW BLANKET QUILT "
        "TRUNK CRATE CASE ORGANISER CHEST DRAWERKNOB PEGS MAT MATS",
    ),
)
CATEGORY_RULES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (category, frozenset(keywords.split())) for category, keywords in _CATEGORY_KEYWORDS
)
NON_PRODUCT_CATEGORY = "non_product"
FALLBACK_CATEGORY = "other"
CATEGORIES: tuple[str, ...] = (
    *(name for name, _ in CATEGORY_RULES),
    NON_PRODUCT_CATEGORY,
    FALLBACK_CATEGORY,
)

ORDER_STATUSES: tuple[str, ...] = ("completed", "cancelled", "returned", "refunded")
# The source Country value that means 'not known'; it does not vote for a customer's country.
UNKNOWN_COUNTRY = "Unspecified"

# Output schemas. Money is decimal: order amounts to the cent; unit and list prices to the tenth
# of a penny because the source has 0.001 GBP prices (PADS, BANK CHARGES) that 2 dp would zero.
MONEY = pa.decimal128(18, 2)
PRICE = pa.decimal128(18, 3)
SCHEMAS: dict[str, pa.Schema] = {
    "orders": pa.schema(
        [
            ("order_id", pa.string()),
            ("customer_id", pa.string()),
            ("ordered_at", pa.timestamp("us")),
            ("amount", MONEY),
            ("status", pa.string()),
        ]
    ),
    "order_items": pa.schema(
        [
            ("order_id", pa.string()),
            ("product_id", pa.string()),
            ("quantity", pa.int64()),
            ("unit_price", PRICE),
            ("discount_amount", PRICE),
        ]
    ),
    "products": pa.schema(
        [
            ("product_id", pa.string()),
            ("category", pa.string()),
            ("brand", pa.string()),
            ("list_price", PRICE),
        ]
    ),
    "customers": pa.schema(
        [
            ("customer_id", pa.string()),
            ("country", pa.string()),
            ("signup_at", pa.timestamp("us")),
            ("birth_date", pa.date32()),
            ("gender", pa.string()),
            ("city", pa.string()),
            ("acquisition_channel", pa.string()),
            ("email", pa.string()),
            ("full_name", pa.string()),
        ]
    ),
}

# Invoice kinds, decided per invoice from its number and its lines.
SALE = "sale"
CREDIT_NOTE = "credit_note"
BAD_DEBT_ADJUSTMENT = "bad_debt_adjustment"
STOCK_ADJUSTMENT = "stock_adjustment"
KEPT_KINDS: frozenset[str] = frozenset({SALE, CREDIT_NOTE})
STATUS_BY_KIND: dict[str, str] = {SALE: "completed", CREDIT_NOTE: "refunded"}


@dataclass
class ConversionResult:
    """What :func:`convert` returns.

    Attributes:
        tables: ``orders``, ``order_items``, ``products``, ``customers`` as pandas frames whose
            money columns are still integers (``*_cents`` / ``*_milli``); :func:`to_arrow`
            turns them into the contract's decimal columns.
        excluded: the source lines that did not become orders, with a ``reason`` column.
        counts: named counts for every decision, printed by :func:`format_summary`.
    """

    tables: dict[str, pd.DataFrame]
    excluded: pd.DataFrame
    counts: dict[str, int | float] = field(default_factory=dict)


def categorise(description: str | None) -> str:
    """Return the category of a product description by the ordered :data:`CATEGORY_RULES`.

    Args:
        description: the product's description (any case); ``None`` or empty gives 'other'.

    Returns:
        The first rule's category with a whole-word match, else ``'other'``.
    """
    if not description:
        return FALLBACK_CATEGORY
    words = set(re.findall(r"[A-Z]+", description.upper()))
    for category, keywords in CATEGORY_RULES:
        if words.intersection(keywords):
            return category
    return FALLBACK_CATEGORY


def is_non_product(product_id: str) -> bool:
    """Tell whether an (upper-cased) stock code is a fee, postage, adjustment or voucher."""
    return product_id in NON_PRODUCT_CODES or NON_PRODUCT_PATTERN.match(product_id) is not None


def _round_half_away_from_zero(values: np.ndarray, divisor: int) -> np.ndarray:
    """Integer-divide by ``divisor`` rounding halves away from zero (as SQL ``round`` does)."""
    magnitude = (np.abs(values) + divisor // 2) // divisor
    return np.sign(values) * magnitude


def normalise_lines(raw: pd.DataFrame) -> pd.DataFrame:
    """Clean the source lines into typed columns used by every later step.

    Args:
        raw: the source frame with :data:`SOURCE_COLUMNS`.

    Returns:
        One row per source line, in source order, with ``line_no`` (0-based source position),
        ``order_id``, ``product_id`` (stripped, upper-cased StockCode), ``description``,
        ``quantity`` (int64), ``invoiced_at``, ``price_milli`` (UnitPrice in 0.001 GBP, int64),
        ``customer_id`` (string of the integer id or missing) and ``country``.

    Raises:
        ValueError: if a source column is missing.
    """
    missing = [column for column in SOURCE_COLUMNS if column not in raw.columns]
    if missing:
        raise ValueError(f"input lacks columns: {missing}")
    customer = pd.to_numeric(raw["CustomerID"], errors="raise")
    customer_id = pd.Series(pd.NA, index=raw.index, dtype="string")
    known = customer.notna()
    customer_id[known] = customer[known].round().astype("int64").astype("string")
    price = raw["UnitPrice"].astype("float64").to_numpy()
    return pd.DataFrame(
        {
            "line_no": np.arange(len(raw), dtype="int64"),
            "order_id": raw["InvoiceNo"].astype("string").str.strip().array,
            # 112 codes appear in both cases ('85123a' and '85123A'): same product, same text.
            "product_id": raw["StockCode"].astype("string").str.strip().str.upper().array,
            "description": raw["Description"].astype("string").array,
            "quantity": raw["Quantity"].astype("int64").to_numpy(),
            "invoiced_at": pd.to_datetime(raw["InvoiceDate"]).astype("datetime64[us]").to_numpy(),
            # Integer thousandths of a pound: sums are then exact, and rounding happens once.
            "price_milli": np.rint(price * 1000).astype("int64"),
            "customer_id": customer_id.array,
            "country": raw["Country"].astype("string").array,
        }
    )


def classify_invoices(lines: pd.DataFrame) -> pd.Series:
    """Decide the kind of every invoice.

    - ``credit_note``: number starts with 'C' (a refund or cancellation, negative quantities).
    - ``bad_debt_adjustment``: number starts with 'A' (accounting write-off, no customer).
    - ``stock_adjustment``: any other invoice with no customer on any line and a zero price on
      every line: warehouse corrections ('damaged', 'found', 'check', 'Unknown'), not sales.
    - ``sale``: everything else.

    Args:
        lines: output of :func:`normalise_lines`.

    Returns:
        A string Series indexed by ``order_id``.
    """
    per_invoice = (
        pd.DataFrame(
            {
                "order_id": lines["order_id"],
                "has_customer": lines["customer_id"].notna(),
                "abs_price": np.abs(lines["price_milli"].to_numpy()),
            }
        )
        .groupby("order_id", sort=True)
        .agg(has_customer=("has_customer", "any"), max_abs_price=("abs_price", "max"))
    )
    ids = per_invoice.index.to_series()
    kind = np.select(
        [
            ids.str.startswith("C").to_numpy(dtype=bool),
            ids.str.startswith("A").to_numpy(dtype=bool),
            (~per_invoice["has_customer"] & (per_invoice["max_abs_price"] == 0)).to_numpy(),
        ],
        [CREDIT_NOTE, BAD_DEBT_ADJUSTMENT, STOCK_ADJUSTMENT],
        default=SALE,
    )
    return pd.Series(kind, index=per_invoice.index, name="kind", dtype="string")


def pick_description(lines: pd.DataFrame) -> pd.Series:
    """Choose one description per product for categorising.

    Clean catalogue descriptions are upper case; the source also has notes such as 'check',
    'damaged', '?' or 'Unknown' on some lines. So the most frequent description with a capital
    letter and no lower-case letter wins; ties go to the alphabetically first; a product with
    only notes takes its most frequent note (which will usually fall to 'other').

    Args:
        lines: frame with ``product_id`` and ``description``.

    Returns:
        Series of descriptions indexed by ``product_id``.
    """
    text = lines["description"].fillna("").astype("string").str.strip()
    frame = pd.DataFrame({"product_id": lines["product_id"], "description": text})
    frame["is_clean"] = frame["description"].str.contains("[A-Z]", regex=True) & (
        frame["description"] == frame["description"].str.upper()
    )
    counted = (
        frame.groupby(["product_id", "description", "is_clean"], sort=False)
        .size()
        .rename("n")
        .reset_index()
        .sort_values(
            ["product_id", "is_clean", "n", "description"],
            ascending=[True, False, False, True],
            kind="mergesort",
        )
    )
    return counted.drop_duplicates("product_id").set_index("product_id")["description"]


def pick_list_price(lines: pd.DataFrame) -> pd.Series:
    """Choose a list price per product: the modal positive unit price.

    Sale lines are preferred over credit-note lines; among equally frequent prices the highest
    wins, since the lower ones are the wholesale quantity tiers. Products with no positive price
    get no list price.

    Args:
        lines: kept lines with ``product_id``, ``price_milli`` and ``kind``.

    Returns:
        Series of prices in 0.001 GBP (Int64, missing when none) indexed by ``product_id``.
    """
    positive = lines.loc[lines["price_milli"] > 0, ["product_id", "price_milli", "kind"]]
    positive = positive.assign(is_sale=positive["kind"] == SALE)
    counted = (
        positive.groupby(["product_id", "is_sale", "price_milli"], sort=False)
        .size()
        .rename("n")
        .reset_index()
        .sort_values(
            ["product_id", "is_sale", "n", "price_milli"],
            ascending=[True, False, False, False],
            kind="mergesort",
        )
    )
    return counted.drop_duplicates("product_id").set_index("product_id")["price_milli"]


def country_votes(kept: pd.DataFrame) -> pd.DataFrame:
    """Count each identified customer's invoices per country, best country first.

    'Unspecified' does not vote. The order is: most invoices, then the most recent invoice,
    then the alphabetically first country, so the first row per customer is its country.

    Args:
        kept: kept lines with ``customer_id``, ``order_id``, ``invoiced_at`` and ``country``.

    Returns:
        ``customer_id``, ``country``, ``n`` (invoices) and ``last_at``, sorted as above.
    """
    known = kept[kept["customer_id"].notna() & (kept["country"] != UNKNOWN_COUNTRY)]
    invoices = known.groupby(["customer_id", "country", "order_id"], sort=False).agg(
        invoiced_at=("invoiced_at", "min")
    )
    return (
        invoices.groupby(["customer_id", "country"], sort=False)
        .agg(n=("invoiced_at", "size"), last_at=("invoiced_at", "max"))
        .reset_index()
        .sort_values(
            ["customer_id", "n", "last_at", "country"],
            ascending=[True, False, False, True],
            kind="mergesort",
        )
        .reset_index(drop=True)
    )


def pick_country(kept: pd.DataFrame) -> pd.Series:
    """Choose each identified customer's country: the first row of :func:`country_votes`.

    A customer seen only with 'Unspecified' is absent from the result (no known country).

    Args:
        kept: kept lines with ``customer_id``, ``order_id``, ``invoiced_at`` and ``country``.

    Returns:
        Series of countries indexed by ``customer_id``.
    """
    votes = country_votes(kept)
    return votes.drop_duplicates("customer_id").set_index("customer_id")["country"]


def build_order_items(kept: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Turn kept lines into items, one per (order, product, unit price).

    'D' (Discount) lines are moved into ``discount_milli`` with a zero unit price, so the
    credit they give shows as a discount rather than as a priced product; repeated lines of the
    same product at the same price in one invoice (exact duplicates included) are merged by
    summing their quantities, which keeps every unit and every penny.

    Args:
        kept: kept lines from :func:`normalise_lines` (sales and credit notes).

    Returns:
        The items frame (``order_id``, ``product_id``, ``quantity``, ``unit_price_milli``,
        ``discount_milli``), sorted by key, and the number of lines merged away.
    """
    is_discount = (kept["product_id"] == DISCOUNT_CODE).to_numpy()
    line_value = kept["quantity"].to_numpy() * kept["price_milli"].to_numpy()
    items = pd.DataFrame(
        {
            "order_id": kept["order_id"].array,
            "product_id": kept["product_id"].array,
            "quantity": kept["quantity"].to_numpy(),
            "unit_price_milli": np.where(is_discount, 0, kept["price_milli"].to_numpy()),
            # A D line of quantity -1 at 27.50 credits 27.50: discount is minus the line value.
            "discount_milli": np.where(is_discount, -line_value, 0),
        }
    )
    merged = (
        items.groupby(["order_id", "product_id", "unit_price_milli"], sort=True)
        .agg(quantity=("quantity", "sum"), discount_milli=("discount_milli", "sum"))
        .reset_index()
    )
    merged = merged[["order_id", "product_id", "quantity", "unit_price_milli", "discount_milli"]]
    return merged.reset_index(drop=True), len(items) - len(merged)


def build_orders(kept: pd.DataFrame, items: pd.DataFrame, kinds: pd.Series) -> pd.DataFrame:
    """One order per kept invoice.

    Args:
        kept: kept lines (for customer and timestamps).
        items: output of :func:`build_order_items`.
        kinds: output of :func:`classify_invoices`.

    Returns:
        ``order_id``, ``customer_id``, ``ordered_at`` (the earliest line timestamp: 43 source
        invoices have two), ``amount_cents`` (sum of quantity x unit price minus discount, rounded
        half away from zero to the cent; negative for credit notes) and ``status``.
    """
    header = kept.groupby("order_id", sort=True).agg(
        customer_id=("customer_id", "first"),  # 'first' skips missing; one customer per invoice
        ordered_at=("invoiced_at", "min"),
    )
    value_milli = (
        (items["quantity"] * items["unit_price_milli"] - items["discount_milli"])
        .groupby(items["order_id"], sort=True)
        .sum()
    )
    orders = header.join(value_milli.rename("amount_milli"), how="left")
    orders["amount_cents"] = _round_half_away_from_zero(
        orders["amount_milli"].fillna(0).astype("int64").to_numpy(), 10
    )
    orders["status"] = kinds.reindex(orders.index).map(STATUS_BY_KIND).astype("string")
    orders = orders.reset_index()
    return orders[["order_id", "customer_id", "ordered_at", "amount_cents", "status"]]


def build_products(kept: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """One product per stock code that appears in the items.

    Args:
        kept: kept lines with ``kind`` (for descriptions and prices).
        items: output of :func:`build_order_items`.

    Returns:
        ``product_id``, ``category``, ``brand`` (always missing: the data has no brands),
        ``list_price_milli`` (missing for non-product codes: a postage or fee amount is not a
        catalogue price) and ``description`` (the text the category came from; not written).
    """
    product_ids = pd.Index(np.sort(items["product_id"].unique()), name="product_id")
    description = pick_description(kept).reindex(product_ids)
    list_price = pick_list_price(kept).reindex(product_ids).astype("Int64")
    non_product = np.array([is_non_product(str(code)) for code in product_ids], dtype=bool)
    category = [
        NON_PRODUCT_CATEGORY if flag else categorise(None if pd.isna(text) else str(text))
        for flag, text in zip(non_product, description, strict=True)
    ]
    list_price[non_product] = pd.NA
    return pd.DataFrame(
        {
            "product_id": product_ids.astype("string"),
            "category": pd.array(category, dtype="string"),
            "brand": pd.array([pd.NA] * len(product_ids), dtype="string"),
            "list_price_milli": list_price.array,
            "description": description.astype("string").array,
        }
    )


def build_customers(kept: pd.DataFrame) -> pd.DataFrame:
    """One row per identified customer; every contract column but ``country`` is missing.

    Args:
        kept: kept lines.

    Returns:
        ``customer_id`` and ``country`` (other contract columns are added as nulls on writing).
    """
    ids = np.sort(kept["customer_id"].dropna().unique())
    country = pick_country(kept).reindex(ids)
    return pd.DataFrame(
        {
            "customer_id": pd.array(ids, dtype="string"),
            "country": country.astype("string").array,
        }
    )


def convert(raw: pd.DataFrame) -> ConversionResult:
    """Convert source invoice lines into the contract tables.

    Args:
        raw: the source frame with :data:`SOURCE_COLUMNS`.

    Returns:
        A :class:`ConversionResult` with the four tables, the excluded lines and the counts.
    """
    lines = normalise_lines(raw)
    kinds = classify_invoices(lines)
    lines["kind"] = kinds.reindex(lines["order_id"]).array
    kept_mask = lines["kind"].isin(list(KEPT_KINDS)).to_numpy()
    kept = lines[kept_mask].reset_index(drop=True)
    excluded_lines = lines[~kept_mask]

    items, merged_away = build_order_items(kept)
    orders = build_orders(kept, items, kinds)
    products = build_products(kept, items)
    customers = build_customers(kept)

    value_milli = lines["quantity"] * lines["price_milli"]
    source_customers = lines["customer_id"].dropna().unique()
    counts: dict[str, int | float] = {
        "lines_in": len(lines),
        "invoices_in": int(lines["order_id"].nunique()),
        "customers_in": len(source_customers),
        "value_in": int(value_milli.sum()) / 1000,
        "codes_recased_lines": int(
            (raw["StockCode"].astype("string").str.strip() != lines["product_id"]).sum()
        ),
        "prices_off_milli_grid": int(
            (np.abs(raw["UnitPrice"].to_numpy() * 1000 - lines["price_milli"]) > 1e-6).sum()
        ),
    }
    for kind in (SALE, CREDIT_NOTE, BAD_DEBT_ADJUSTMENT, STOCK_ADJUSTMENT):
        of_kind = lines["kind"] == kind
        counts[f"{kind}_lines"] = int(of_kind.sum())
        counts[f"{kind}_invoices"] = int((kinds == kind).sum())
        counts[f"{kind}_value"] = int(value_milli[of_kind].sum()) / 1000
    stock = lines["kind"] == STOCK_ADJUSTMENT
    counts["stock_adjustment_negative_lines"] = int((stock & (lines["quantity"] < 0)).sum())
    sale = lines["kind"] == SALE
    counts["sale_negative_quantity_lines"] = int((sale & (lines["quantity"] < 0)).sum())
    anonymous = kept["customer_id"].isna()
    counts["kept_anonymous_lines"] = int(anonymous.sum())
    counts["kept_anonymous_orders"] = int(orders["customer_id"].isna().sum())
    counts["kept_anonymous_value"] = (
        int(orders.loc[orders["customer_id"].isna(), "amount_cents"].sum()) / 100
    )
    counts["kept_zero_price_lines"] = int((kept["price_milli"] == 0).sum())
    counts["kept_negative_price_lines"] = int((kept["price_milli"] < 0).sum())
    counts["exact_duplicate_lines"] = int(
        lines.loc[kept_mask].duplicated(subset=[c for c in lines.columns if c != "line_no"]).sum()
    )
    counts["lines_merged_into_items"] = merged_away
    counts["discount_lines"] = int((kept["product_id"] == DISCOUNT_CODE).sum())
    counts["discount_value"] = int(items["discount_milli"].sum()) / 1000
    counts["orders_multi_timestamp"] = int(
        (kept.groupby("order_id")["invoiced_at"].nunique() > 1).sum()
    )
    counts["orders_multi_customer"] = int(
        (kept.groupby("order_id")["customer_id"].nunique() > 1).sum()
    )
    counts["orders_out"] = len(orders)
    counts["orders_value"] = int(orders["amount_cents"].sum()) / 100
    counts["orders_zero_amount"] = int((orders["amount_cents"] == 0).sum())
    counts["order_items_out"] = len(items)
    counts["products_out"] = len(products)
    counts["non_product_codes"] = int((products["category"] == NON_PRODUCT_CATEGORY).sum())
    counts["customers_out"] = len(customers)
    counts["customers_without_country"] = int(customers["country"].isna().sum())
    votes = country_votes(kept)
    rank = votes.groupby("customer_id", sort=False).cumcount()
    best = votes.loc[rank == 0].set_index("customer_id")["n"]
    runner_up = votes.loc[rank == 1].set_index("customer_id")["n"]
    counts["customers_multi_country"] = len(runner_up)
    # A tie: the runner-up country has as many invoices as the winner.
    counts["customers_country_tie"] = int((runner_up == best.reindex(runner_up.index)).sum())

    excluded = raw.iloc[excluded_lines["line_no"].to_numpy()].copy()
    excluded["reason"] = excluded_lines["kind"].array
    return ConversionResult(
        tables={
            "orders": orders,
            "order_items": items,
            "products": products,
            "customers": customers,
        },
        excluded=excluded.reset_index(drop=True),
        counts=counts,
    )


def _decimal_column(values: pd.Series, scale: int, dtype: pa.DataType) -> pa.Array:
    """Turn integer amounts in 10**-scale units (missing allowed) into an exact decimal array."""
    numbers = pd.array(values, dtype="Int64")
    floats = numbers.to_numpy(dtype="float64", na_value=np.nan) / 10**scale
    # The float is the nearest double to an exact decimal of `scale` places, and Arrow's cast
    # checks that it rescales without loss, so no amount can drift here.
    return pa.array(floats, type=pa.float64(), from_pandas=True).cast(dtype)


def to_arrow(tables: dict[str, pd.DataFrame]) -> dict[str, pa.Table]:
    """Give the converted frames the contract's exact column names, order and types.

    Args:
        tables: ``ConversionResult.tables``.

    Returns:
        Arrow tables matching :data:`SCHEMAS`.
    """
    orders = tables["orders"]
    items = tables["order_items"]
    products = tables["products"]
    customers = tables["customers"]

    def strings(values: pd.Series) -> pa.Array:
        return pa.array(values.astype("string"), from_pandas=True).cast(pa.string())

    def nulls(name: str, table: str, length: int) -> pa.Array:
        return pa.nulls(length, type=SCHEMAS[table].field(name).type)

    columns: dict[str, list[pa.Array]] = {
        "orders": [
            strings(orders["order_id"]),
            strings(orders["customer_id"]),
            pa.array(orders["ordered_at"].astype("datetime64[us]"), type=pa.timestamp("us")),
            _decimal_column(orders["amount_cents"], 2, MONEY),
            strings(orders["status"]),
        ],
        "order_items": [
            strings(items["order_id"]),
            strings(items["product_id"]),
            pa.array(items["quantity"].astype("int64"), type=pa.int64()),
            _decimal_column(items["unit_price_milli"], 3, PRICE),
            _decimal_column(items["discount_milli"], 3, PRICE),
        ],
        "products": [
            strings(products["product_id"]),
            strings(products["category"]),
            nulls("brand", "products", len(products)),
            _decimal_column(products["list_price_milli"], 3, PRICE),
        ],
        "customers": [
            strings(customers["customer_id"]),
            strings(customers["country"]),
            *(nulls(name, "customers", len(customers)) for name in SCHEMAS["customers"].names[2:]),
        ],
    }
    return {
        name: pa.Table.from_arrays(arrays, schema=SCHEMAS[name]) for name, arrays in columns.items()
    }


def write_tables(tables: dict[str, pa.Table], output_dir: Path) -> list[Path]:
    """Write each table as ``<output_dir>/<name>.parquet``; return the paths written.

    Stale ``events.parquet`` / ``reviews.parquet`` from another data set would be read by the
    pipeline as this data's, so they are refused rather than left beside the new files.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    stale = [output_dir / f"{name}.parquet" for name in ("events", "reviews")]
    present = [str(path) for path in stale if path.exists()]
    if present:
        raise FileExistsError(f"remove files from another data set first: {present}")
    written = []
    for name, table in tables.items():
        path = output_dir / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd")
        written.append(path)
    return written


def format_summary(counts: dict[str, int | float]) -> str:
    """Render the decision counts as the plain-text report printed by :func:`main`."""

    def row(label: str, lines: object, invoices: object, value: object) -> str:
        return f"  {label:<46} {lines!s:>9} {invoices!s:>9} {value!s:>15}"

    def money(value: int | float) -> str:
        return f"{value:,.2f}"

    c = counts
    out = [
        "Online Retail -> contract: decisions (lines / invoices / GBP value of qty x price)",
        row("decision", "lines", "invoices", "value"),
        row("source", c["lines_in"], c["invoices_in"], money(c["value_in"])),
        row(
            "sale invoices -> orders 'completed'",
            c["sale_lines"],
            c["sale_invoices"],
            money(c["sale_value"]),
        ),
        row(
            "'C' credit notes -> orders 'refunded'",
            c["credit_note_lines"],
            c["credit_note_invoices"],
            money(c["credit_note_value"]),
        ),
        row(
            "'A' bad-debt adjustments -> excluded",
            c["bad_debt_adjustment_lines"],
            c["bad_debt_adjustment_invoices"],
            money(c["bad_debt_adjustment_value"]),
        ),
        row(
            "stock adjustments (no customer, price 0) -> excl.",
            c["stock_adjustment_lines"],
            c["stock_adjustment_invoices"],
            money(c["stock_adjustment_value"]),
        ),
        row("  of which negative quantity", c["stock_adjustment_negative_lines"], "", ""),
        "",
        "Kept lines:",
        row(
            "no customer -> kept, customer_id null",
            c["kept_anonymous_lines"],
            c["kept_anonymous_orders"],
            money(c["kept_anonymous_value"]),
        ),
        row("zero unit price -> kept as items at 0", c["kept_zero_price_lines"], "", ""),
        row("negative unit price", c["kept_negative_price_lines"], "", ""),
        row("negative quantity on a sale invoice", c["sale_negative_quantity_lines"], "", ""),
        row("stock codes upper-cased (e.g. 85123a)", c["codes_recased_lines"], "", ""),
        row("prices not on a 0.001 grid (rounded)", c["prices_off_milli_grid"], "", ""),
        row("exact duplicate lines -> merged (qty summed)", c["exact_duplicate_lines"], "", ""),
        row("all lines merged into an existing item", c["lines_merged_into_items"], "", ""),
        row(
            "'D' discount lines -> discount_amount",
            c["discount_lines"],
            "",
            money(c["discount_value"]),
        ),
        row("invoices with >1 timestamp -> earliest", "", c["orders_multi_timestamp"], ""),
        row("invoices with >1 customer", "", c["orders_multi_customer"], ""),
        "",
        "Output rows:",
        row("orders (sum of amount)", "", c["orders_out"], money(c["orders_value"])),
        row("  of which amount 0.00 (all items free)", "", c["orders_zero_amount"], ""),
        row("order_items", c["order_items_out"], "", ""),
        row("products (non_product codes)", c["products_out"], c["non_product_codes"], ""),
        row(
            "customers (without a known country)",
            c["customers_out"],
            c["customers_without_country"],
            "",
        ),
        row("customers seen in >1 country (majority)", c["customers_multi_country"], "", ""),
        row("  of which tied (most recent wins)", c["customers_country_tie"], "", ""),
    ]
    return "\n".join(out)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, type=Path, help="online_retail.parquet")
    parser.add_argument("--output", required=True, type=Path, help="folder for <table>.parquet")
    parser.add_argument(
        "--excluded",
        type=Path,
        default=None,
        help="optional Parquet file for the source lines that were not converted, with a reason",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the conversion from the command line; return the exit code."""
    args = parse_args(argv)
    started = time.perf_counter()
    raw = pd.read_parquet(args.input, columns=list(SOURCE_COLUMNS))
    result = convert(raw)
    written = write_tables(to_arrow(result.tables), args.output)
    if args.excluded is not None:
        args.excluded.parent.mkdir(parents=True, exist_ok=True)
        result.excluded.to_parquet(args.excluded, index=False)
        written.append(args.excluded)
    print(format_summary(result.counts))
    print("")
    for path in written:
        print(f"wrote {path}")
    print(f"done in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
