"""Reference pipeline in polars: the features of benchmarks/reference_pipeline.py computed the way
a polars user would (lazy scans, one query plan per input), then the same scikit-learn model and
the same outputs.

Like the pandas reference it imports nothing from the product; it takes the modelling and the
summary from the pandas reference so that the two differ only where polars and pandas differ:
reading and aggregating the input files. The feature definitions (cleaning, RFM, baskets,
browsing) are those of the pandas reference's docstring, rule for rule, and
tests/unit/test_benchmark_references.py checks that both give the same feature table.

Inputs, options and outputs as the pandas reference (customer_segments.parquet,
segment_summary.parquet, timings.json in --output); the two small output files are written by
the same pandas code.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import polars as pl
from reference_pipeline import STATUS_SYNONYMS, parse_arguments, run

BROWSING_FEATURES = (
    "sessions",
    "browsing_minutes",
    "product_views_per_session",
    "cart_abandonment_rate",
)


def load_orders(data_dir: Path) -> tuple[pl.LazyFrame, pl.Expr]:
    """Orders with a normalised status and purchase/refund/return flags, and the as-of date."""
    orders = (
        pl.scan_parquet(data_dir / "orders.parquet")
        .select("order_id", "customer_id", "ordered_at", "amount", "status")
        .drop_nulls(["order_id", "customer_id", "ordered_at", "amount"])
        .unique(maintain_order=True)
        .with_columns(
            pl.col("customer_id").cast(pl.Int64),
            pl.col("ordered_at").dt.truncate("1d").alias("ordered_date"),
            pl.col("status")
            .cast(pl.String)
            .str.strip_chars()
            .str.to_lowercase()
            .replace("", None)
            .fill_null("completed")
            .replace(STATUS_SYNONYMS)
            .alias("status"),
        )
    )
    as_of_date = pl.col("ordered_date").max() + timedelta(days=1)
    non_negative = pl.col("amount") >= 0
    is_refund = (pl.col("status") != "cancelled") & ~non_negative
    orders = orders.filter(pl.col("ordered_date") < as_of_date).with_columns(
        is_purchase=(pl.col("status") == "completed") & non_negative,
        is_refund=is_refund,
        is_return=is_refund | (pl.col("status").is_in(["returned", "refunded"]) & non_negative),
    )
    return orders, as_of_date


def rfm_features(orders: pl.LazyFrame, as_of_date) -> pl.LazyFrame:
    """One row per customer with at least one purchase."""
    per_customer = (
        orders.filter(pl.col("is_purchase"))
        .group_by("customer_id")
        .agg(
            frequency=pl.col("order_id").n_unique(),
            purchase_spend=pl.col("amount").sum(),
            first_order_date=pl.col("ordered_date").min(),
            last_order_date=pl.col("ordered_date").max(),
        )
    )
    net_and_returns = orders.group_by("customer_id").agg(
        monetary=pl.when(pl.col("is_purchase") | pl.col("is_refund"))
        .then(pl.col("amount"))
        .otherwise(0.0)
        .sum(),
        returns=pl.col("is_return").sum(),
    )
    return per_customer.join(net_and_returns, on="customer_id", how="left").select(
        "customer_id",
        recency_days=(as_of_date - pl.col("last_order_date")).dt.total_days(),
        frequency=pl.col("frequency"),
        monetary=pl.col("monetary"),
        average_order_value=pl.col("purchase_spend") / pl.col("frequency"),
        tenure_days=(as_of_date - pl.col("first_order_date")).dt.total_days(),
        return_rate=pl.col("returns") / (pl.col("frequency") + pl.col("returns")),
    )


def basket_features(data_dir: Path, orders: pl.LazyFrame) -> pl.LazyFrame | None:
    """category_diversity and discount_share per customer from the lines of purchases."""
    items_path = data_dir / "order_items.parquet"
    if not items_path.exists():
        return None
    purchases = (
        orders.filter(pl.col("is_purchase"))
        .select("order_id", "customer_id")
        .unique(subset="order_id", keep="first", maintain_order=True)
    )
    lines = (
        pl.scan_parquet(items_path)
        .select("order_id", "product_id", "quantity", "unit_price", "discount_amount")
        .join(purchases, on="order_id", how="inner")
    )
    products_path = data_dir / "products.parquet"
    if products_path.exists():
        products = (
            pl.scan_parquet(products_path)
            .select("product_id", "category")
            .unique(subset="product_id", keep="first", maintain_order=True)
        )
        lines = lines.join(products, on="product_id", how="left").with_columns(
            pl.col("category").fill_null("unknown")
        )
    else:
        lines = lines.with_columns(category=pl.lit("unknown"))
    per_customer = lines.group_by("customer_id").agg(
        category_diversity=pl.col("category").n_unique(),
        discount=pl.col("discount_amount").fill_null(0.0).sum(),
        gross=(pl.col("quantity") * pl.col("unit_price")).sum(),
    )
    return per_customer.select(
        "customer_id",
        "category_diversity",
        discount_share=pl.when(pl.col("gross") > 0).then(pl.col("discount") / pl.col("gross")),
    )


def browsing_features(data_dir: Path, as_of_date) -> pl.LazyFrame | None:
    """Sessions, browsing minutes, product views per session and cart abandonment per customer."""
    events_path = data_dir / "events.parquet"
    if not events_path.exists():
        return None
    event_type = pl.col("event_type").cast(pl.String)
    sessions = (
        pl.scan_parquet(events_path)
        .select("customer_id", "session_id", "event_at", "event_type", "duration_seconds")
        .filter(pl.col("customer_id").is_not_null() & (pl.col("event_at") < as_of_date))
        .group_by(pl.col("customer_id").cast(pl.Int64), "session_id")
        .agg(
            seconds=pl.col("duration_seconds").fill_null(0).sum(),
            product_views=(event_type == "product_view").sum(),
            has_cart=(event_type == "add_to_cart").any().cast(pl.Int64),
            has_purchase=(event_type == "purchase").any().cast(pl.Int64),
        )
    )
    per_customer = sessions.group_by("customer_id").agg(
        sessions=pl.len(),
        seconds=pl.col("seconds").sum(),
        product_views=pl.col("product_views").sum(),
        cart_sessions=pl.col("has_cart").sum(),
        abandoned=(pl.col("has_cart") * (1 - pl.col("has_purchase"))).sum(),
    )
    return per_customer.select(
        "customer_id",
        sessions=pl.col("sessions").cast(pl.Int64),
        browsing_minutes=pl.col("seconds") / 60.0,
        product_views_per_session=pl.col("product_views") / pl.col("sessions"),
        cart_abandonment_rate=pl.when(pl.col("cart_sessions") > 0).then(
            pl.col("abandoned") / pl.col("cart_sessions")
        ),
    )


def build_features(data_dir: Path) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The customer feature table (pandas, index customer_id, sorted) and the as-of date."""
    orders, as_of_date_expression = load_orders(data_dir)
    # Collected once: every later plan compares with this literal instead of recomputing it.
    as_of_date = orders.select(as_of_date_expression).collect().item()
    as_of = pl.lit(as_of_date)
    orders = orders.cache()
    features = rfm_features(orders, as_of)
    baskets = basket_features(data_dir, orders)
    if baskets is not None:
        features = features.join(baskets, on="customer_id", how="left").with_columns(
            pl.col("category_diversity").fill_null(0)
        )
    browsing = browsing_features(data_dir, as_of)
    if browsing is not None:
        features = features.join(browsing, on="customer_id", how="left").with_columns(
            pl.col(BROWSING_FEATURES).fill_null(0)
        )
    table = features.sort("customer_id").collect().to_pandas().set_index("customer_id")
    return table, pd.Timestamp(as_of_date)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: run the polars reference pipeline, write results and timings."""
    return run(parse_arguments(argv, __doc__.split("\n\n")[0]), build_features)


if __name__ == "__main__":
    raise SystemExit(main())
