"""Tests for examples/online_retail/convert.py (UCI Online Retail -> input contract).

Most tests build tiny source frames by hand so every rule has a known answer. One test runs the
real file from ../shared/data (relative to the repository root) and checks the totals that the
example README documents; it is skipped where that file is not present.
"""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "examples" / "online_retail" / "convert.py"
REAL_FILE = REPO_ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
TABLES = ("orders", "order_items", "products", "customers")


def _load_script() -> ModuleType:
    """Import convert.py by path: examples/ is not a package, and should not need to be."""
    spec = importlib.util.spec_from_file_location("online_retail_convert", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before executing so that dataclasses can resolve the module's annotations.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


convert = _load_script()


def line(
    invoice: str,
    code: str,
    quantity: int,
    price: float,
    customer: float | None = 17850.0,
    when: str = "2011-01-10 10:00",
    description: str = "WHITE HANGING HEART T-LIGHT HOLDER",
    country: str = "United Kingdom",
) -> dict[str, object]:
    """Build one source line with the source's column names."""
    return {
        "InvoiceNo": invoice,
        "StockCode": code,
        "Description": description,
        "Quantity": quantity,
        "InvoiceDate": pd.Timestamp(when),
        "UnitPrice": price,
        "CustomerID": float("nan") if customer is None else customer,
        "Country": country,
    }


def frame(*lines: dict[str, object]) -> pd.DataFrame:
    """Build a source frame with the source's dtypes."""
    raw = pd.DataFrame(list(lines))
    return raw.astype(
        {
            "InvoiceNo": "str",
            "StockCode": "str",
            "Description": "str",
            "Quantity": "int64",
            "InvoiceDate": "datetime64[us]",
            "UnitPrice": "float64",
            "CustomerID": "float64",
            "Country": "str",
        }
    )


def orders_of(result: Any) -> pd.DataFrame:
    """Return the orders of a ConversionResult indexed by order_id."""
    return result.tables["orders"].set_index("order_id")


@pytest.fixture
def sample() -> pd.DataFrame:
    """Return a small data set with an example of every kind of invoice the rules tell apart."""
    return frame(
        # A sale to 17850: a product on two lines at two timestamps, and a postage line.
        line("536365", "85123A", 6, 2.55, when="2010-12-01 08:27"),
        line("536365", "85123A", 6, 2.55, when="2010-12-01 08:26"),
        line("536365", "71053", 6, 3.39, description="WHITE METAL LANTERN"),
        line("536365", "POST", 1, 18.0, description="POSTAGE"),
        # Its credit note.
        line("C536391", "85123A", -6, 2.55, when="2010-12-02 10:00"),
        # A discount credit note with two 'D' lines.
        line("C538897", "D", -1, 5.76, description="Discount"),
        line("C538897", "D", -1, 42.5, description="Discount"),
        # An anonymous sale.
        line("536544", "21218", 2, 3.75, customer=None, description="RED SPOTTY BISCUIT TIN"),
        # A bad-debt adjustment.
        line("A563185", "B", 1, 11062.06, customer=None, description="Adjust bad debt"),
        # Stock adjustments: negative and positive quantities, no customer, price 0.
        line("536589", "21777", -10, 0.0, customer=None, description="damaged"),
        line("536545", "21134", 1, 0.0, customer=None, description="found"),
        # A free item inside a customer's invoice stays.
        line("537197", "22841", 1, 0.0, customer=12647.0, description="ROUND CAKE TIN VINTAGE"),
        line("537197", "85123a", 2, 2.95, customer=12647.0, country="Germany"),
    )


def test_credit_note_becomes_refunded_negative_order(sample: pd.DataFrame) -> None:
    orders = orders_of(convert.convert(sample))
    assert orders.loc["C536391", "status"] == "refunded"
    assert orders.loc["C536391", "amount_cents"] == -1530
    assert orders.loc["C536391", "customer_id"] == "17850"
    assert orders.loc["536365", "status"] == "completed"


def test_bad_debt_and_stock_adjustments_are_excluded_and_counted(sample: pd.DataFrame) -> None:
    result = convert.convert(sample)
    orders = orders_of(result)
    for invoice in ("A563185", "536589", "536545"):
        assert invoice not in orders.index
    reasons = result.excluded.set_index("InvoiceNo")["reason"]
    assert reasons["A563185"] == "bad_debt_adjustment"
    assert reasons["536589"] == "stock_adjustment"
    assert reasons["536545"] == "stock_adjustment"
    counts = result.counts
    assert counts["bad_debt_adjustment_lines"] == 1
    assert counts["stock_adjustment_lines"] == 2
    assert counts["stock_adjustment_negative_lines"] == 1
    # Every source line is either kept or excluded with a reason.
    kept_lines = sum(counts[f"{kind}_lines"] for kind in ("sale", "credit_note"))
    assert kept_lines + len(result.excluded) == len(sample)


def test_zero_priced_item_of_a_customer_is_kept(sample: pd.DataFrame) -> None:
    result = convert.convert(sample)
    items = result.tables["order_items"]
    free = items[(items["order_id"] == "537197") & (items["product_id"] == "22841")]
    assert free["unit_price_milli"].tolist() == [0]
    assert orders_of(result).loc["537197", "amount_cents"] == 590


def test_null_customer_is_kept_with_null_id(sample: pd.DataFrame) -> None:
    result = convert.convert(sample)
    orders = orders_of(result)
    assert pd.isna(orders.loc["536544", "customer_id"])
    assert orders.loc["536544", "amount_cents"] == 750
    assert result.counts["kept_anonymous_orders"] == 1
    assert set(result.tables["customers"]["customer_id"]) == {"17850", "12647"}


def test_amount_sums_all_lines_and_keeps_duplicates(sample: pd.DataFrame) -> None:
    result = convert.convert(sample)
    # 2 x (6 x 2.55) + 6 x 3.39 + 18.00 postage.
    assert orders_of(result).loc["536365", "amount_cents"] == 3060 + 2034 + 1800
    items = result.tables["order_items"].set_index(["order_id", "product_id"])
    assert items.loc[("536365", "85123A"), "quantity"] == 12
    assert result.counts["exact_duplicate_lines"] == 0  # timestamps differ: not exact
    assert result.counts["lines_merged_into_items"] == 2  # the repeat and the second 'D'


def test_exact_duplicates_are_merged_by_summing_quantity() -> None:
    raw = frame(line("1", "22423", 2, 12.75), line("1", "22423", 2, 12.75))
    result = convert.convert(raw)
    assert result.counts["exact_duplicate_lines"] == 1
    items = result.tables["order_items"]
    assert items[["quantity", "unit_price_milli"]].values.tolist() == [[4, 12750]]
    assert orders_of(result).loc["1", "amount_cents"] == 5100


def test_same_product_at_two_prices_stays_two_items() -> None:
    raw = frame(line("1", "21218", 2, 3.75), line("1", "21218", 1, 8.47))
    items = convert.convert(raw).tables["order_items"]
    assert items["unit_price_milli"].tolist() == [3750, 8470]


def test_amount_rounds_half_away_from_zero_once_per_order() -> None:
    raw = frame(
        line("1", "PADS", 5, 0.001),  # 0.005 -> 0.01
        line("C2", "PADS", -5, 0.001),  # -0.005 -> -0.01
        line("3", "PADS", 4, 0.001),  # 0.004 -> 0.00
        line("4", "21218", 3, 0.335),  # 1.005 -> 1.01
    )
    orders = orders_of(convert.convert(raw))
    assert orders["amount_cents"].to_dict() == {"1": 1, "3": 0, "4": 101, "C2": -1}


def test_discount_lines_become_discount_amount(sample: pd.DataFrame) -> None:
    result = convert.convert(sample)
    items = result.tables["order_items"]
    discount = items[items["order_id"] == "C538897"]
    assert discount[
        ["product_id", "quantity", "unit_price_milli", "discount_milli"]
    ].values.tolist() == [["D", -2, 0, 48260]]
    orders = orders_of(result)
    assert orders.loc["C538897", "amount_cents"] == -4826
    assert orders.loc["C538897", "status"] == "refunded"
    assert result.counts["discount_lines"] == 2


def test_mixed_timestamps_take_the_earliest(sample: pd.DataFrame) -> None:
    orders = orders_of(convert.convert(sample))
    assert orders.loc["536365", "ordered_at"] == pd.Timestamp("2010-12-01 08:26")


@pytest.mark.parametrize(
    ("description", "category"),
    [
        ("PAPER CHAIN KIT 50'S CHRISTMAS ", "christmas"),
        ("CHRISTMAS GINGHAM BAG", "christmas"),  # christmas outranks bags
        ("JUMBO BAG RED RETROSPOT", "bags"),
        ("WHITE HANGING HEART T-LIGHT HOLDER", "lighting"),  # not home_decor / storage
        ("PARTY BUNTING", "party"),
        ("SET OF 3 CAKE TINS PANTRY DESIGN", "kitchen_baking"),
        ("ROSES REGENCY TEACUP AND SAUCER", "tableware"),
        ("WRAP ENGLISH ROSE", "stationery_gift_wrap"),
        ("SPACEBOY BIRTHDAY CARD", "party"),
        ("SET OF 6 SOLDIER SKITTLES", "toys_games"),
        ("GARDENERS KNEELING PAD KEEP CALM", "garden_outdoor"),
        ("DIAMANTE NECKLACE", "jewellery_accessories"),
        ("FELTCRAFT CUSHION OWL", "craft_sewing"),
        ("FRENCH BLUE METAL DOOR SIGN 4", "home_decor"),
        ("CHOCOLATE HOT WATER BOTTLE", "home_storage_textiles"),
        ("SET 3 RETROSPOT TEA,COFFEE,SUGAR", "kitchen_baking"),  # split at punctuation
        ("WOODEN FRAME ANTIQUE WHITE", "home_decor"),
        ("RED RETROSPOT UMBRELLA", "jewellery_accessories"),
        ("PURPLE DRAWERKNOB ACRYLIC EDWARDIAN", "home_storage_textiles"),
        ("jumbo bag red retrospot", "bags"),  # case does not matter
        ("BAGUETTE", "other"),  # whole words only
        ("PAINTED METAL PEARS ASSORTED", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_categorise(description: str | None, category: str) -> None:
    assert convert.categorise(description) == category


def test_category_rule_list_is_ordered_and_named() -> None:
    names = [name for name, _ in convert.CATEGORY_RULES]
    assert names[0] == "christmas"
    assert len(names) == len(set(names))
    assert set(convert.CATEGORIES) == {*names, "non_product", "other"}
    assert 5 <= len(convert.CATEGORIES) <= 16


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("POST", True),
        ("DOT", True),
        ("M", True),
        ("D", True),
        ("C2", True),
        ("BANK CHARGES", True),
        ("AMAZONFEE", True),
        ("CRUK", True),
        ("PADS", True),
        ("S", True),
        ("B", True),
        ("GIFT_0001_20", True),
        ("85123A", False),
        ("DCGSSGIRL", False),  # a real party bag sold on the dotcom shop
    ],
)
def test_non_product_codes(code: str, expected: bool) -> None:
    assert convert.is_non_product(code) is expected


def test_products_categories_prices_and_descriptions(sample: pd.DataFrame) -> None:
    products = convert.convert(sample).tables["products"].set_index("product_id")
    assert products.loc["POST", "category"] == "non_product"
    assert products.loc["D", "category"] == "non_product"
    assert pd.isna(products.loc["POST", "list_price_milli"])
    assert products.loc["71053", "category"] == "lighting"
    # '85123a' and '85123A' are one product.
    assert "85123a" not in products.index
    assert products.loc["85123A", "category"] == "lighting"
    # Sold at 2.55 on three lines and 2.95 on one: the mode wins.
    assert products.loc["85123A", "list_price_milli"] == 2550
    assert products["brand"].isna().all()
    # Products only in excluded invoices are not products of the orders.
    assert "21777" not in products.index


def test_list_price_ties_go_to_the_higher_price_and_sales_beat_credits() -> None:
    raw = frame(
        line("1", "22423", 10, 10.95),
        line("2", "22423", 100, 9.95),
        line("C3", "22423", -1, 12.75),
        line("C4", "22423", -1, 12.75),
        line("C5", "21218", -1, 4.25),
    )
    products = convert.convert(raw).tables["products"].set_index("product_id")
    assert products.loc["22423", "list_price_milli"] == 10950
    # Only credit-note prices: still a price.
    assert products.loc["21218", "list_price_milli"] == 4250


def test_description_prefers_catalogue_text_over_notes() -> None:
    raw = frame(
        line("1", "22139", 1, 4.95, description="RETROSPOT TEA SET CERAMIC 11 PC"),
        line("2", "22139", 1, 0.0, customer=12647.0, description="Unknown"),
        line("3", "22139", 1, 0.0, customer=12647.0, description="Unknown"),
        line("4", "22139", 1, 0.0, customer=12647.0, description="?"),
    )
    products = convert.convert(raw).tables["products"].set_index("product_id")
    assert products.loc["22139", "description"] == "RETROSPOT TEA SET CERAMIC 11 PC"
    assert products.loc["22139", "category"] == "kitchen_baking"


def test_country_majority_then_most_recent_then_alphabetical() -> None:
    raw = frame(
        # 12417: two invoices in Belgium beat a newer one in Spain.
        line("1", "22423", 1, 1.0, customer=12417.0, country="Belgium", when="2011-01-01"),
        line("2", "22423", 1, 1.0, customer=12417.0, country="Belgium", when="2011-02-01"),
        line("3", "22423", 1, 1.0, customer=12417.0, country="Spain", when="2011-03-01"),
        # 12394: one each; the most recent (Denmark) wins, however many lines Belgium had.
        line("4", "22423", 1, 1.0, customer=12394.0, country="Belgium", when="2011-05-06"),
        line("4", "21218", 1, 1.0, customer=12394.0, country="Belgium", when="2011-05-06"),
        line("5", "22423", 1, 1.0, customer=12394.0, country="Denmark", when="2011-10-07"),
        # 12500: same count and same time; alphabetical.
        line("6", "22423", 1, 1.0, customer=12500.0, country="Norway", when="2011-01-01"),
        line("7", "22423", 1, 1.0, customer=12500.0, country="Finland", when="2011-01-01"),
        # 12363: only 'Unspecified' -> no country; 12743: 'Unspecified' does not vote.
        line("8", "22423", 1, 1.0, customer=12363.0, country="Unspecified"),
        line("9", "22423", 1, 1.0, customer=12743.0, country="Unspecified", when="2011-09-01"),
        line("10", "22423", 1, 1.0, customer=12743.0, country="Unspecified", when="2011-09-02"),
        line("11", "22423", 1, 1.0, customer=12743.0, country="Malta", when="2011-01-01"),
    )
    result = convert.convert(raw)
    countries = result.tables["customers"].set_index("customer_id")["country"]
    assert countries["12417"] == "Belgium"
    assert countries["12394"] == "Denmark"
    assert countries["12500"] == "Finland"
    assert pd.isna(countries["12363"])
    assert countries["12743"] == "Malta"
    assert result.counts["customers_multi_country"] == 3
    assert result.counts["customers_country_tie"] == 2


def test_output_does_not_depend_on_input_order(sample: pd.DataFrame) -> None:
    first = convert.convert(sample)
    shuffled = convert.convert(sample.sample(frac=1.0, random_state=7).reset_index(drop=True))
    for name in TABLES:
        pd.testing.assert_frame_equal(first.tables[name], shuffled.tables[name])
    assert first.counts == shuffled.counts


def test_arrow_tables_match_the_contract(sample: pd.DataFrame) -> None:
    tables = convert.to_arrow(convert.convert(sample).tables)
    assert set(tables) == set(TABLES)
    for name, table in tables.items():
        assert table.schema.equals(convert.SCHEMAS[name]), name
    assert tables["orders"].schema.names == [
        "order_id",
        "customer_id",
        "ordered_at",
        "amount",
        "status",
    ]
    assert tables["order_items"].schema.names == [
        "order_id",
        "product_id",
        "quantity",
        "unit_price",
        "discount_amount",
    ]
    assert tables["products"].schema.names == ["product_id", "category", "brand", "list_price"]
    assert tables["customers"].schema.names == [
        "customer_id",
        "country",
        "signup_at",
        "birth_date",
        "gender",
        "city",
        "acquisition_channel",
        "email",
        "full_name",
    ]
    assert pa.types.is_decimal(tables["orders"].schema.field("amount").type)
    assert tables["orders"].schema.field("amount").type.scale == 2
    customers = tables["customers"]
    for column in customers.schema.names[2:]:
        assert customers.column(column).null_count == len(customers), column
    assert set(tables["orders"].column("status").to_pylist()) <= set(convert.ORDER_STATUSES)
    assert set(tables["products"].column("category").to_pylist()) <= set(convert.CATEGORIES)


def test_decimal_values_are_exact(sample: pd.DataFrame) -> None:
    tables = convert.to_arrow(convert.convert(sample).tables)
    amounts = dict(
        zip(
            tables["orders"].column("order_id").to_pylist(),
            tables["orders"].column("amount").to_pylist(),
            strict=True,
        )
    )
    assert amounts["536365"] == Decimal("68.94")
    assert amounts["C538897"] == Decimal("-48.26")
    items = tables["order_items"].to_pylist()
    d_item = next(item for item in items if item["product_id"] == "D")
    assert d_item["unit_price"] == Decimal("0.000")
    assert d_item["discount_amount"] == Decimal("48.260")


def test_write_tables_round_trips_through_parquet(sample: pd.DataFrame, tmp_path: Path) -> None:
    tables = convert.to_arrow(convert.convert(sample).tables)
    written = convert.write_tables(tables, tmp_path / "out")
    assert sorted(path.name for path in written) == sorted(f"{name}.parquet" for name in TABLES)
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(
        f"{name}.parquet" for name in TABLES
    )  # no events / reviews files
    for name in TABLES:
        read = pq.read_table(tmp_path / "out" / f"{name}.parquet")
        assert read.schema.equals(convert.SCHEMAS[name]), name
        assert read.num_rows == tables[name].num_rows


def test_write_tables_refuses_stale_optional_tables(sample: pd.DataFrame, tmp_path: Path) -> None:
    (tmp_path / "events.parquet").write_bytes(b"")
    with pytest.raises(FileExistsError):
        convert.write_tables(convert.to_arrow(convert.convert(sample).tables), tmp_path)


def test_missing_column_is_an_error(sample: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="Country"):
        convert.convert(sample.drop(columns=["Country"]))


def test_cli_writes_tables_and_prints_the_summary(
    sample: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "online_retail.parquet"
    sample.to_parquet(source, index=False)
    excluded = tmp_path / "excluded.parquet"
    code = convert.main(
        ["--input", str(source), "--output", str(tmp_path / "out"), "--excluded", str(excluded)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "'A' bad-debt adjustments -> excluded" in printed
    assert "Output rows:" in printed
    assert pq.read_table(tmp_path / "out" / "orders.parquet").num_rows == 5
    assert pq.read_table(excluded).num_rows == 3


@pytest.mark.skipif(
    not REAL_FILE.exists(),
    reason=f"real data not present: {REAL_FILE} (the UCI Online Retail file beside the repo)",
)
def test_real_file_totals_reconcile() -> None:
    raw = pd.read_parquet(REAL_FILE)
    result = convert.convert(raw)
    counts = result.counts
    # The data README's figures.
    assert counts["lines_in"] == 541_909
    assert counts["invoices_in"] == 25_900
    assert counts["customers_in"] == 4_372
    assert counts["value_in"] == pytest.approx(9_747_747.93, abs=0.01)
    # Every invoice and every line is accounted for.
    kinds = ("sale", "credit_note", "bad_debt_adjustment", "stock_adjustment")
    assert sum(counts[f"{kind}_invoices"] for kind in kinds) == 25_900
    assert sum(counts[f"{kind}_lines"] for kind in kinds) == 541_909
    assert len(result.excluded) == 3 + 2_108
    # The documented decisions (examples/online_retail/README.md).
    assert counts["sale_invoices"] == 19_963
    assert counts["credit_note_invoices"] == 3_836
    assert counts["bad_debt_adjustment_invoices"] == 3
    assert counts["stock_adjustment_invoices"] == 2_098
    assert counts["stock_adjustment_value"] == 0
    assert counts["kept_anonymous_orders"] == 1_609
    assert counts["discount_lines"] == 77
    # Orders carry all revenue but the excluded bad-debt adjustments (net -11,062.06).
    orders = result.tables["orders"]
    assert len(orders) == 23_799
    orders_value = orders["amount_cents"].sum() / 100
    assert orders_value == pytest.approx(9_758_809.99, abs=0.01)
    assert orders_value + counts["bad_debt_adjustment_value"] == pytest.approx(
        9_747_747.93, abs=0.01
    )
    by_status = orders.groupby("status")["amount_cents"].sum() / 100
    assert by_status["completed"] == pytest.approx(10_655_622.48, abs=0.01)
    assert by_status["refunded"] == pytest.approx(-896_812.49, abs=0.01)
    assert orders["order_id"].is_unique
    # Every identified customer is kept, once.
    customers = result.tables["customers"]
    assert len(customers) == 4_372
    assert customers["customer_id"].is_unique
    assert set(orders["customer_id"].dropna()) == set(customers["customer_id"])
    # Items: unique per (order, product, price), every product known, amounts add up.
    items = result.tables["order_items"]
    assert len(items) == 529_678
    assert not items.duplicated(["order_id", "product_id", "unit_price_milli"]).any()
    products = result.tables["products"]
    assert len(products) == 3_827
    assert set(items["product_id"]) == set(products["product_id"])
    line_value = items["quantity"] * items["unit_price_milli"] - items["discount_milli"]
    # Items keep the kept lines' exact (unrounded) value: 10,655,622.484 - 896,812.49.
    assert int(line_value.sum()) == 9_758_809_994
    # Categories: keyword rules leave little revenue in 'other'.
    sales = items[~items["order_id"].str.startswith("C")].merge(products, on="product_id")
    value = (sales["quantity"] * sales["unit_price_milli"]).groupby(sales["category"]).sum()
    assert value["other"] / value.sum() < 0.05
    assert (products["category"] == "non_product").sum() == 15
