"""Tests for the synthetic shop generator (demo/shop.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from customer_segmentation.segmentation.reviews import score_reviews
from customer_segmentation.settings import ReviewTextSettings
from demo.shop import generate_shop, main

END_DATE = date(2026, 6, 30)
CUTOFF = pd.Timestamp(END_DATE) + pd.Timedelta(days=1)
LABELS_PATH = Path("_labels") / "planted_personas.parquet"
PLANNED_PERSONA_SHARES = {
    "loyal_high_spender": 0.12,
    "bargain_hunter": 0.22,
    "window_shopper": 0.20,
    "lapsed_one_time": 0.28,
    "new_customer": 0.18,
}
TIMESTAMP = pa.timestamp("us")
# The input contract: table -> [(column, arrow type)].
CONTRACT = {
    "orders": [
        ("order_id", pa.int64()),
        ("customer_id", pa.int64()),
        ("ordered_at", TIMESTAMP),
        ("amount", pa.float64()),
        ("status", pa.string()),
    ],
    "customers": [
        ("customer_id", pa.int64()),
        ("signup_at", TIMESTAMP),
        ("birth_date", pa.date32()),
        ("gender", pa.string()),
        ("country", pa.string()),
        ("city", pa.string()),
        ("acquisition_channel", pa.string()),
        ("email", pa.string()),
        ("full_name", pa.string()),
    ],
    "order_items": [
        ("order_id", pa.int64()),
        ("product_id", pa.int64()),
        ("quantity", pa.int64()),
        ("unit_price", pa.float64()),
        ("discount_amount", pa.float64()),
    ],
    "products": [
        ("product_id", pa.int64()),
        ("category", pa.string()),
        ("brand", pa.string()),
        ("list_price", pa.float64()),
    ],
    "events": [
        ("customer_id", pa.int64()),
        ("session_id", pa.int64()),
        ("event_at", TIMESTAMP),
        ("event_type", pa.string()),
        ("product_id", pa.int64()),
        ("duration_seconds", pa.int64()),
    ],
    "reviews": [
        ("customer_id", pa.int64()),
        ("product_id", pa.int64()),
        ("rating", pa.int64()),
        ("review_text", pa.string()),
        ("reviewed_at", TIMESTAMP),
    ],
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """A 2000-customer parquet shop with events: (directory, returned row counts)."""
    shop_dir = tmp_path_factory.mktemp("shop")
    return shop_dir, generate_shop(shop_dir, n_customers=2000, seed=7)


@pytest.fixture(scope="module")
def shop_dir(shop: tuple[Path, dict[str, int]]) -> Path:
    return shop[0]


@pytest.fixture(scope="module")
def tables(shop_dir: Path) -> dict[str, pd.DataFrame]:
    """All tables of the shared shop, plus the planted labels under ``labels``."""
    frames = {name: pd.read_parquet(shop_dir / f"{name}.parquet") for name in CONTRACT}
    frames["labels"] = pd.read_parquet(shop_dir / LABELS_PATH)
    return frames


@pytest.fixture(scope="module")
def clean_orders(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Orders after the pipeline's cleaning rules (dedupe, known customer, status, cut-off)."""
    orders = tables["orders"].drop_duplicates()
    orders = orders[orders["customer_id"].notna() & (orders["ordered_at"] < CUTOFF)].copy()
    orders["customer_id"] = orders["customer_id"].astype("int64")
    orders["status"] = orders["status"].str.strip().str.lower().fillna("completed")
    return orders


@pytest.fixture(scope="module")
def features(tables: dict[str, pd.DataFrame], clean_orders: pd.DataFrame) -> pd.DataFrame:
    """Per-customer features as the pipeline would compute them, with the planted persona."""
    orders = clean_orders[clean_orders["status"] != "cancelled"]
    completed = orders[orders["status"] == "completed"]
    by_customer = completed.groupby("customer_id")
    result = pd.DataFrame(
        {
            "recency": (CUTOFF - by_customer["ordered_at"].max()).dt.days,
            "frequency": by_customer["order_id"].nunique(),
            "completed_value": by_customer["amount"].sum(),
            "tenure": (CUTOFF - by_customer["ordered_at"].min()).dt.days,
            "first_order_at": by_customer["ordered_at"].min(),
        }
    )
    refunds = orders[orders["status"] == "refunded"].groupby("customer_id")["amount"].sum()
    result["monetary"] = result["completed_value"].add(refunds, fill_value=0.0)
    result["aov"] = result["completed_value"] / result["frequency"]
    kept = orders[orders["status"].isin(["completed", "returned"])]
    result["return_rate"] = (kept["status"] == "returned").groupby(kept["customer_id"]).mean()

    lines = tables["order_items"].merge(completed[["order_id", "customer_id"]], on="order_id")
    lines["gross"] = lines["quantity"] * lines["unit_price"]
    line_totals = lines.groupby("customer_id")[["discount_amount", "gross"]].sum()
    result["discount_share"] = line_totals["discount_amount"] / line_totals["gross"]

    events = tables["events"][tables["events"]["event_at"] < CUTOFF]
    sessions = (
        events.assign(
            carted=events["event_type"] == "add_to_cart",
            bought=events["event_type"] == "purchase",
            viewed=events["event_type"] == "product_view",
        )
        .groupby(["customer_id", "session_id"])
        .agg(
            carted=("carted", "any"),
            bought=("bought", "any"),
            views=("viewed", "sum"),
            seconds=("duration_seconds", "sum"),
        )
    )
    sessions["abandoned"] = sessions["carted"] & ~sessions["bought"]
    per_customer = sessions.groupby("customer_id").agg(
        sessions=("carted", "size"),
        carted_sessions=("carted", "sum"),
        abandoned_sessions=("abandoned", "sum"),
        product_views=("views", "sum"),
        browsing_seconds=("seconds", "sum"),
    )
    result = tables["labels"].set_index("customer_id").join(result, how="left").join(per_customer)
    result["sessions"] = result["sessions"].fillna(0)
    result["cart_abandonment"] = (result["abandoned_sessions"] / result["carted_sessions"]).fillna(
        0.0
    )
    result["views_per_session"] = (result["product_views"] / result["sessions"]).fillna(0.0)
    return result.fillna({"discount_share": 0.0, "return_rate": 0.0})


def _generated(directory: Path, seed: int, **options: object) -> Path:
    generate_shop(directory, n_customers=800, seed=seed, **options)
    return directory


def _read_all(directory: Path) -> dict[str, pa.Table]:
    tables = {path.stem: pq.read_table(path) for path in sorted(directory.glob("*.parquet"))}
    tables["labels"] = pq.read_table(directory / LABELS_PATH)
    return tables


def test_same_seed_gives_identical_data_and_other_seed_differs(tmp_path: Path) -> None:
    first = _read_all(_generated(tmp_path / "a", seed=3))
    second = _read_all(_generated(tmp_path / "b", seed=3))
    other = _read_all(_generated(tmp_path / "c", seed=4))
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].equals(second[name]), name
    assert not first["orders"].equals(other["orders"])
    assert not first["customers"].equals(other["customers"])


def test_all_tables_and_columns_have_contract_types(shop_dir: Path) -> None:
    for name, columns in CONTRACT.items():
        schema = pq.read_schema(shop_dir / f"{name}.parquet")
        assert [(field.name, field.type) for field in schema] == columns, name
    labels = pq.read_schema(shop_dir / LABELS_PATH)
    assert labels.names == ["customer_id", "persona", "is_planted_abuser"]


def test_returned_row_counts_match_files(shop: tuple[Path, dict[str, int]]) -> None:
    shop_dir, row_counts = shop
    assert set(row_counts) == set(CONTRACT)
    for name, row_count in row_counts.items():
        assert pq.ParquetFile(shop_dir / f"{name}.parquet").metadata.num_rows == row_count
    assert row_counts["customers"] == 2000
    assert 400 <= row_counts["products"] <= 600


def test_mean_orders_per_customer_is_about_ten(shop: tuple[Path, dict[str, int]]) -> None:
    _, row_counts = shop
    assert 8.5 <= row_counts["orders"] / row_counts["customers"] <= 11.5


def test_csv_format_writes_same_columns(tmp_path: Path) -> None:
    row_counts = generate_shop(tmp_path, n_customers=300, seed=5, file_format="csv")
    for name, columns in CONTRACT.items():
        table = pa_csv.read_csv(tmp_path / f"{name}.csv")
        assert table.column_names == [column for column, _ in columns], name
        assert table.num_rows == row_counts[name]
    assert (tmp_path / LABELS_PATH).exists()
    statuses = set(pa_csv.read_csv(tmp_path / "orders.csv")["status"].drop_null().to_pylist())
    assert any(status != status.strip() for status in statuses), "whitespace must survive csv"


def test_without_events_no_events_file_and_same_orders(tmp_path: Path) -> None:
    with_events = _generated(tmp_path / "with", seed=11)
    without_events = _generated(tmp_path / "without", seed=11, include_events=False)
    assert not (without_events / "events.parquet").exists()
    for name in ("orders", "order_items", "customers", "reviews"):
        assert pq.read_table(with_events / f"{name}.parquet").equals(
            pq.read_table(without_events / f"{name}.parquet")
        ), name


def test_order_amount_equals_sum_of_items(tables: dict[str, pd.DataFrame]) -> None:
    orders = tables["orders"].drop_duplicates()
    items = tables["order_items"]
    line_value = items["quantity"] * items["unit_price"] - items["discount_amount"]
    item_totals = line_value.groupby(items["order_id"]).sum()
    purchases = orders[orders["amount"] >= 0].set_index("order_id")
    assert purchases.index.isin(item_totals.index).all()
    difference = (purchases["amount"] - item_totals.reindex(purchases.index)).abs()
    assert difference.max() < 0.005
    assert (items["quantity"] >= 1).all()
    assert (items["discount_amount"] >= 0).all()
    assert (items["unit_price"] > 0).all()


def test_unit_price_is_list_price_or_slightly_below(tables: dict[str, pd.DataFrame]) -> None:
    priced = tables["order_items"].merge(tables["products"], on="product_id")
    ratio = priced["unit_price"] / priced["list_price"]
    assert ratio.between(0.89, 1.0).all()
    assert (ratio == 1.0).mean() > 0.6
    assert tables["products"]["category"].nunique() == 10
    assert tables["products"]["brand"].nunique() >= 35


def test_refund_rows_are_negative_and_have_no_items(
    tables: dict[str, pd.DataFrame], clean_orders: pd.DataFrame
) -> None:
    refunds = clean_orders[clean_orders["status"] == "refunded"]
    assert (refunds["amount"] < 0).all()
    assert (clean_orders.loc[clean_orders["amount"] < 0, "status"] == "refunded").all()
    assert not refunds["order_id"].isin(tables["order_items"]["order_id"]).any()
    assert 0.01 <= len(refunds) / len(clean_orders) <= 0.03


def test_status_shares_as_planned(clean_orders: pd.DataFrame) -> None:
    shares = clean_orders["status"].value_counts(normalize=True)
    assert set(shares.index) == {"completed", "cancelled", "returned", "refunded"}
    assert 0.02 <= shares["cancelled"] <= 0.045
    assert 0.03 <= shares["returned"] <= 0.06


def test_planted_mess_is_present(tables: dict[str, pd.DataFrame]) -> None:
    orders = tables["orders"]
    n_rows = len(orders)
    duplicated_ids = orders["order_id"].duplicated(keep=False)
    assert orders.duplicated().sum() == orders["order_id"].duplicated().sum() > 0
    assert orders[duplicated_ids].duplicated(keep=False).all(), "duplicates must be exact"
    assert 0.0005 <= orders.duplicated().sum() / n_rows <= 0.004
    assert 0 < orders["customer_id"].isna().sum() <= 0.003 * n_rows
    assert 0.002 <= orders["status"].isna().mean() <= 0.01
    odd = orders["status"].notna() & ~orders["status"].isin(
        ["completed", "cancelled", "returned", "refunded"]
    )
    assert 0.005 <= odd.mean() <= 0.02
    assert (
        orders.loc[odd, "status"]
        .str.strip()
        .str.lower()
        .isin(["completed", "cancelled", "returned", "refunded"])
        .all()
    )
    assert orders.loc[odd, "status"].str.contains(" ").any()
    assert orders.loc[odd, "status"].str.isupper().any()


def test_only_a_handful_of_orders_arrive_after_end_date(tables: dict[str, pd.DataFrame]) -> None:
    ordered_at = tables["orders"]["ordered_at"]
    late = ordered_at >= CUTOFF
    assert 0 < late.sum() <= 0.002 * len(ordered_at)
    assert ordered_at[late].max() < CUTOFF + pd.Timedelta(days=15)
    assert ordered_at.min() >= CUTOFF - pd.Timedelta(days=730)


def test_persona_shares_roughly_as_planned(tables: dict[str, pd.DataFrame]) -> None:
    shares = tables["labels"]["persona"].value_counts(normalize=True)
    assert set(shares.index) == set(PLANNED_PERSONA_SHARES)
    for persona, planned in PLANNED_PERSONA_SHARES.items():
        assert abs(shares[persona] - planned) < 0.04, persona


def test_kmeans_proxy_recovers_planted_personas(features: pd.DataFrame) -> None:
    log_columns = ["recency", "frequency", "monetary", "aov", "tenure", "sessions"]
    matrix = np.column_stack(
        [np.log1p(features[column].clip(lower=0)) for column in log_columns]
        + [features["discount_share"], features["cart_abandonment"]]
    )
    assert np.isfinite(matrix).all()
    clusters = KMeans(n_clusters=5, n_init=10, random_state=0).fit_predict(
        StandardScaler().fit_transform(matrix)
    )
    assert adjusted_rand_score(features["persona"], clusters) >= 0.85


def test_persona_profiles_match_plan(features: pd.DataFrame) -> None:
    median = features.groupby("persona").median(numeric_only=True)
    loyal, bargain = median.loc["loyal_high_spender"], median.loc["bargain_hunter"]
    window, lapsed = median.loc["window_shopper"], median.loc["lapsed_one_time"]
    new = median.loc["new_customer"]
    assert 35 <= loyal["frequency"] <= 50 and loyal["recency"] <= 20
    assert 150 <= loyal["aov"] <= 250 and loyal["discount_share"] < 0.05
    assert 10 <= bargain["frequency"] <= 14 and 25 <= bargain["aov"] <= 40
    assert 0.3 <= bargain["discount_share"] <= 0.5 and 0.08 <= bargain["return_rate"] <= 0.16
    assert 15 <= bargain["recency"] <= 60
    assert window["frequency"] <= 2 and 25 <= window["sessions"] <= 40
    assert window["cart_abandonment"] > 0.7 and 30 <= window["recency"] <= 120
    assert window["views_per_session"] > 1.5 * bargain["views_per_session"]
    assert new["tenure"] <= 46 and new["frequency"] <= 2 and new["sessions"] <= 8

    one_timers = features[features["persona"] == "lapsed_one_time"]
    assert (one_timers["frequency"] == 1).mean() > 0.99
    assert one_timers["recency"].between(300, 702).mean() > 0.99
    assert lapsed["sessions"] <= 2
    newcomers = features[features["persona"] == "new_customer"]
    assert newcomers["recency"].max() <= 46


def test_planted_abusers_return_refund_quickly_and_buy_on_discount(
    features: pd.DataFrame, clean_orders: pd.DataFrame
) -> None:
    assert 0.015 <= features["is_planted_abuser"].mean() <= 0.025
    assert (features.loc[features["is_planted_abuser"], "frequency"] >= 4).all()
    # Quick refunds: a refund row within 3 days after the customer's latest order before it.
    refunds = clean_orders[clean_orders["amount"] < 0].sort_values("ordered_at")
    bought = clean_orders[clean_orders["amount"] >= 0].sort_values("ordered_at")
    paired = pd.merge_asof(
        refunds.assign(refunded_at=refunds["ordered_at"]),
        bought.assign(bought_at=bought["ordered_at"])[["customer_id", "ordered_at", "bought_at"]],
        on="ordered_at",
        by="customer_id",
    )
    quick = paired[paired["refunded_at"] - paired["bought_at"] <= pd.Timedelta(days=3)]
    features = features.join(quick.groupby("customer_id").size().rename("quick_refunds"))
    features["quick_refunds"] = features["quick_refunds"].fillna(0)
    for persona in ["loyal_high_spender", "bargain_hunter"]:
        group = features[features["persona"] == persona]
        abusers, others = group[group["is_planted_abuser"]], group[~group["is_planted_abuser"]]
        assert len(abusers) >= 5, persona
        abuser_returns = abusers["return_rate"].median()
        assert abuser_returns >= max(0.15, 1.5 * others["return_rate"].median()), persona
        abuser_discounts = abusers["discount_share"].median()
        assert abuser_discounts >= max(0.35, others["discount_share"].median()), persona
        assert abusers["quick_refunds"].median() >= 2 > others["quick_refunds"].quantile(0.9)


def test_new_customers_signed_up_recently(tables: dict[str, pd.DataFrame]) -> None:
    customers = tables["customers"].merge(tables["labels"], on="customer_id")
    newcomers = customers[customers["persona"] == "new_customer"]
    assert (newcomers["signup_at"] >= CUTOFF - pd.Timedelta(days=61)).all()


def test_signup_is_on_or_before_first_order(
    tables: dict[str, pd.DataFrame], clean_orders: pd.DataFrame
) -> None:
    first_order = clean_orders.groupby("customer_id")["ordered_at"].min()
    customers = tables["customers"].set_index("customer_id")
    assert first_order.index.isin(customers.index).all()
    assert (customers.loc[first_order.index, "signup_at"] <= first_order).all()
    assert customers.index.is_unique and len(customers) == 2000


def test_customer_attributes_are_plausible(tables: dict[str, pd.DataFrame]) -> None:
    customers = tables["customers"]
    assert customers["email"].str.fullmatch(r"[a-z._]+\d+@example\.(com|org)").all()
    assert customers["email"].is_unique
    assert set(customers["gender"].dropna()) == {"female", "male", "non_binary"}
    assert 0.01 <= customers["gender"].isna().mean() <= 0.06
    assert 0.03 <= customers["birth_date"].isna().mean() <= 0.08
    assert set(customers["acquisition_channel"]) == {
        "organic_search",
        "paid_search",
        "social",
        "email",
        "referral",
        "direct",
    }
    assert customers["country"].value_counts().index[0] == "United Kingdom"


def test_sensitive_attributes_barely_relate_to_persona(tables: dict[str, pd.DataFrame]) -> None:
    customers = tables["customers"].merge(tables["labels"], on="customer_id")
    female_share = (customers["gender"] == "female").groupby(customers["persona"]).mean()
    assert female_share.max() - female_share.min() < 0.12
    uk_share = (customers["country"] == "United Kingdom").groupby(customers["persona"]).mean()
    assert uk_share.max() - uk_share.min() < 0.12
    birth_year = pd.to_datetime(customers["birth_date"]).dt.year
    median_birth_year = birth_year.groupby(customers["persona"]).median()
    assert median_birth_year.max() - median_birth_year.min() <= 16


def test_events_are_consistent_sessions(
    tables: dict[str, pd.DataFrame], clean_orders: pd.DataFrame
) -> None:
    events = tables["events"]
    without_product = events["event_type"].isin(["page_view", "search"])
    assert events.loc[without_product, "product_id"].isna().all()
    assert events.loc[~without_product, "product_id"].notna().all()
    assert (events.groupby("session_id")["customer_id"].nunique() == 1).all()
    assert (events["duration_seconds"] >= 1).all()
    assert (events["event_at"] < CUTOFF).all()

    purchase_sessions = events.loc[events["event_type"] == "purchase", "session_id"].nunique()
    planted_orders = clean_orders["status"].isin(["completed", "returned", "cancelled"]).sum()
    assert 0.6 * planted_orders <= purchase_sessions <= planted_orders
    carted = events.loc[events["event_type"] == "add_to_cart", "session_id"].unique()
    assert len(carted) > 1.3 * purchase_sessions, "many carts must be abandoned"


def test_reviews_follow_a_purchase_of_the_product(
    tables: dict[str, pd.DataFrame], clean_orders: pd.DataFrame
) -> None:
    reviews = tables["reviews"]
    purchases = tables["order_items"].merge(
        clean_orders[["order_id", "customer_id", "ordered_at"]], on="order_id"
    )
    matched = reviews.merge(purchases, on=["customer_id", "product_id"])
    matched = matched[matched["ordered_at"] < matched["reviewed_at"]]
    assert len(matched.drop_duplicates(["customer_id", "product_id"])) == len(reviews)
    assert reviews["rating"].between(1, 5).all()
    assert reviews["review_text"].map(lambda text: not text.isascii()).any()
    buyers = clean_orders["customer_id"].nunique()
    assert 0.10 <= reviews["customer_id"].nunique() / buyers <= 0.20
    assert reviews.groupby("customer_id").size().max() <= 3


def test_review_text_sentiment_follows_the_rating(tables: dict[str, pd.DataFrame]) -> None:
    reviews = tables["reviews"].reset_index(drop=True)
    reviews["review_id"] = reviews.index.map(lambda i: f"{i:08d}")
    scored = score_reviews(reviews, ReviewTextSettings()).merge(reviews, on="review_id")
    assert (~scored["has_text"]).any(), "some demo reviews are empty"
    assert (scored["is_language_supported"] == False).any(), "some are not in English"  # noqa: E712
    with_score = scored.dropna(subset=["sentiment_score"])
    assert len(with_score) >= 0.9 * len(reviews)
    pearson = np.corrcoef(with_score["sentiment_score"].astype(float), with_score["rating"])[0, 1]
    assert pearson >= 0.5, f"Pearson correlation of sentiment with rating {pearson:.3f}"


def test_cli_writes_tables_and_prints_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = main(
        [
            *("--output", str(tmp_path), "--customers", "200", "--seed", "1"),
            *("--no-events", "--end-date", "2025-12-31"),
        ]
    )
    assert exit_code == 0
    printed = dict(line.split(": ") for line in capsys.readouterr().out.strip().splitlines())
    assert printed["customers"] == "200"
    assert "events" not in printed
    orders = pd.read_parquet(tmp_path / "orders.parquet")
    assert len(orders) == int(printed["orders"])
    assert (orders["ordered_at"] < pd.Timestamp("2026-01-01")).mean() > 0.99


@pytest.mark.parametrize(
    "options",
    [{"n_customers": 0}, {"file_format": "json"}, {"history_days": 30}],
)
def test_invalid_arguments_are_rejected(tmp_path: Path, options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        generate_shop(tmp_path, **options)
