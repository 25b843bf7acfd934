"""Reference pipeline: the same segmentation written the way a competent data scientist would
without this project (pandas + pyarrow + scikit-learn, one script, no dbt, no warehouse).

It exists only to give the benchmark something honest to compare the product against; it is not
part of the product and imports nothing from it.

Inputs: a directory in the project's input contract (orders.parquet, order_items.parquet,
products.parquet and optionally events.parquet). Outputs, in --output:
customer_segments.parquet (one row per customer with a purchase), segment_summary.parquet (one
row per segment) and timings.json (seconds per step, chosen k, silhouette, row counts).

What it computes (compare models/intermediate/*.sql):
- light cleaning only: exact duplicate order rows dropped, rows without customer_id / order_id /
  ordered_at / amount dropped, status lower-cased and trimmed (null or blank = completed, common
  synonyms mapped). No rejection tables, no per-row fingerprints, no tests.
- as_of_date = the day after the latest order date; recency and tenure are counted up to it.
- RFM: frequency (distinct completed orders with amount >= 0), monetary (purchases net of
  refunds), average_order_value, recency_days, tenure_days, return_rate
  (returns / (purchases + returns), returns = full returns and refunds): as in
  int_customers_rfm_aggregated.
- baskets: category_diversity and discount_share from the lines of purchases: as in
  int_customers_baskets_aggregated (products missing from the catalogue count as 'unknown').
- browsing (when events.parquet exists): sessions, browsing_minutes, product_views_per_session,
  cart_abandonment_rate: as in int_customers_browsing_aggregated. Events are not de-duplicated
  (the demo generator plants no duplicate events).
- model: median imputation, log1p(max(x, 0)) on the skewed features, sklearn RobustScaler (IQR;
  the project uses max(IQR / 1.349, std) and clips at +-5), all fitted on a random training
  sample of --fit-sample-size customers; KMeans for every k in [k_min, k_max] with n_init starts,
  best k by silhouette on a --silhouette-sample-size sample; then every customer is assigned
  with KMeans.predict. Segments are numbered 1..k by KMeans, not named.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import silhouette_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, RobustScaler

DEFAULT_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "average_order_value",
    "tenure_days",
    "sessions",
    "browsing_minutes",
    "product_views_per_session",
    "cart_abandonment_rate",
    "category_diversity",
    "discount_share",
    "return_rate",
)
DEFAULT_LOG1P = (
    "recency_days",
    "frequency",
    "monetary",
    "average_order_value",
    "tenure_days",
    "sessions",
    "browsing_minutes",
    "product_views_per_session",
    "category_diversity",
)
STATUS_SYNONYMS = {
    "complete": "completed",
    "paid": "completed",
    "shipped": "completed",
    "delivered": "completed",
    "fulfilled": "completed",
    "canceled": "cancelled",
    "return": "returned",
    "refund": "refunded",
}


def load_orders(data_dir: Path) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Orders with a normalised status and purchase/refund/return flags, and the as-of date."""
    orders = pd.read_parquet(
        data_dir / "orders.parquet",
        columns=["order_id", "customer_id", "ordered_at", "amount", "status"],
    )
    orders = orders.dropna(subset=["order_id", "customer_id", "ordered_at", "amount"])
    orders = orders.drop_duplicates()
    orders["customer_id"] = orders["customer_id"].astype("int64")
    status = orders["status"].astype("string").str.strip().str.lower()
    status = status.fillna("completed").replace("", "completed")
    orders["status"] = status.replace(STATUS_SYNONYMS)
    orders["ordered_date"] = orders["ordered_at"].dt.normalize()
    as_of_date = orders["ordered_date"].max() + pd.Timedelta(days=1)
    orders = orders[orders["ordered_date"] < as_of_date]
    non_negative = orders["amount"] >= 0
    orders["is_purchase"] = (orders["status"] == "completed") & non_negative
    orders["is_refund"] = (orders["status"] != "cancelled") & ~non_negative
    orders["is_return"] = orders["is_refund"] | (
        orders["status"].isin(["returned", "refunded"]) & non_negative
    )
    return orders, as_of_date


def rfm_features(orders: pd.DataFrame, as_of_date: pd.Timestamp) -> pd.DataFrame:
    """One row per customer with at least one purchase."""
    purchases = orders[orders["is_purchase"]]
    per_customer = purchases.groupby("customer_id").agg(
        frequency=("order_id", "nunique"),
        purchase_spend=("amount", "sum"),
        first_order_date=("ordered_date", "min"),
        last_order_date=("ordered_date", "max"),
    )
    net = orders["amount"].where(orders["is_purchase"] | orders["is_refund"], 0.0)
    monetary = net.groupby(orders["customer_id"]).sum()
    returns = orders["is_return"].groupby(orders["customer_id"]).sum()
    features = pd.DataFrame(index=per_customer.index)
    features["recency_days"] = (as_of_date - per_customer["last_order_date"]).dt.days
    features["frequency"] = per_customer["frequency"]
    features["monetary"] = monetary.reindex(features.index)
    features["average_order_value"] = per_customer["purchase_spend"] / per_customer["frequency"]
    features["tenure_days"] = (as_of_date - per_customer["first_order_date"]).dt.days
    customer_returns = returns.reindex(features.index).fillna(0)
    features["return_rate"] = customer_returns / (per_customer["frequency"] + customer_returns)
    return features


def basket_features(data_dir: Path, orders: pd.DataFrame) -> pd.DataFrame | None:
    """category_diversity and discount_share per customer from the lines of purchases."""
    items_path = data_dir / "order_items.parquet"
    if not items_path.exists():
        return None
    items = pd.read_parquet(
        items_path, columns=["order_id", "product_id", "quantity", "unit_price", "discount_amount"]
    )
    purchases = orders.loc[orders["is_purchase"], ["order_id", "customer_id"]].drop_duplicates(
        "order_id"
    )
    lines = items.merge(purchases, on="order_id", how="inner")
    products_path = data_dir / "products.parquet"
    if products_path.exists():
        products = pd.read_parquet(products_path, columns=["product_id", "category"])
        category = products.drop_duplicates("product_id").set_index("product_id")["category"]
        lines["category"] = lines["product_id"].map(category).fillna("unknown")
    else:
        lines["category"] = "unknown"
    lines["gross"] = lines["quantity"] * lines["unit_price"]
    lines["discount"] = lines["discount_amount"].fillna(0.0)
    per_customer = lines.groupby("customer_id").agg(
        category_diversity=("category", "nunique"),
        discount=("discount", "sum"),
        gross=("gross", "sum"),
    )
    per_customer["discount_share"] = (per_customer["discount"] / per_customer["gross"]).where(
        per_customer["gross"] > 0
    )
    return per_customer[["category_diversity", "discount_share"]]


def browsing_features(data_dir: Path, as_of_date: pd.Timestamp) -> pd.DataFrame | None:
    """Sessions, browsing minutes, product views per session and cart abandonment per customer."""
    events_path = data_dir / "events.parquet"
    if not events_path.exists():
        return None
    events = pd.read_parquet(
        events_path,
        columns=["customer_id", "session_id", "event_at", "event_type", "duration_seconds"],
    )
    events = events[events["customer_id"].notna() & (events["event_at"] < as_of_date)]
    events = events.astype({"customer_id": "int64"})
    event_type = events["event_type"].astype("string")
    events = events.assign(
        seconds=events["duration_seconds"].fillna(0),
        product_view=(event_type == "product_view").astype("int64"),
        add_to_cart=(event_type == "add_to_cart").astype("int64"),
        purchase=(event_type == "purchase").astype("int64"),
    )
    sessions = events.groupby(["customer_id", "session_id"], sort=False).agg(
        seconds=("seconds", "sum"),
        product_views=("product_view", "sum"),
        has_cart=("add_to_cart", "max"),
        has_purchase=("purchase", "max"),
    )
    sessions["abandoned"] = sessions["has_cart"] * (1 - sessions["has_purchase"])
    per_customer = sessions.groupby(level="customer_id").agg(
        sessions=("seconds", "size"),
        seconds=("seconds", "sum"),
        product_views=("product_views", "sum"),
        cart_sessions=("has_cart", "sum"),
        abandoned=("abandoned", "sum"),
    )
    features = pd.DataFrame(index=per_customer.index)
    features["sessions"] = per_customer["sessions"]
    features["browsing_minutes"] = per_customer["seconds"] / 60.0
    features["product_views_per_session"] = per_customer["product_views"] / per_customer["sessions"]
    features["cart_abandonment_rate"] = (
        per_customer["abandoned"] / per_customer["cart_sessions"]
    ).where(per_customer["cart_sessions"] > 0)
    return features


def build_features(data_dir: Path) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The customer feature table (index customer_id) and the as-of date."""
    orders, as_of_date = load_orders(data_dir)
    features = rfm_features(orders, as_of_date)
    baskets = basket_features(data_dir, orders)
    del orders
    if baskets is not None:
        features = features.join(baskets, how="left")
        features["category_diversity"] = features["category_diversity"].fillna(0)
    browsing = browsing_features(data_dir, as_of_date)
    if browsing is not None:
        features = features.join(browsing, how="left")
        for column in browsing.columns:
            features[column] = features[column].fillna(0)
    return features, as_of_date


def log1p_non_negative(x: np.ndarray) -> np.ndarray:
    """log1p of max(x, 0)."""
    return np.log1p(np.clip(x, 0.0, None))


def make_preprocessor(log1p_columns: list[str], linear_columns: list[str]) -> ColumnTransformer:
    """Median imputation, log1p on the skewed columns, RobustScaler."""
    return ColumnTransformer(
        [
            (
                "log1p",
                make_pipeline(
                    SimpleImputer(strategy="median"),
                    FunctionTransformer(log1p_non_negative),
                    RobustScaler(),
                ),
                log1p_columns,
            ),
            (
                "linear",
                make_pipeline(SimpleImputer(strategy="median"), RobustScaler()),
                linear_columns,
            ),
        ]
    )


def segment(
    features: pd.DataFrame,
    feature_names: list[str],
    log1p_names: list[str],
    k_min: int,
    k_max: int,
    n_init: int,
    seed: int,
    fit_sample_size: int,
    silhouette_sample_size: int,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Fit on a sample, choose k by silhouette, assign every customer.

    Returns (segment ids 1..k, distance to the assigned centre, fit details).
    """
    usable = [f for f in feature_names if f in features.columns and features[f].notna().any()]
    log1p_columns = [f for f in usable if f in log1p_names]
    linear_columns = [f for f in usable if f not in log1p_names]
    if 0 < fit_sample_size < len(features):
        sample = features.sample(n=fit_sample_size, random_state=seed)
    else:
        sample = features
    preprocessor = make_preprocessor(log1p_columns, linear_columns)
    x_sample = preprocessor.fit_transform(sample[usable])
    candidates = []
    best = None
    for k in range(k_min, min(k_max, len(x_sample) - 1) + 1):
        fitted = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(x_sample)
        score = float(
            silhouette_score(
                x_sample,
                fitted.labels_,
                sample_size=min(silhouette_sample_size, len(x_sample)),
                random_state=seed,
            )
        )
        candidates.append({"k": k, "silhouette": score, "inertia": float(fitted.inertia_)})
        if best is None or score > best[0]:
            best = (score, fitted)
    assert best is not None, "no k to try"
    x_all = preprocessor.transform(features[usable])
    distances = best[1].transform(x_all)
    labels = distances.argmin(axis=1)
    details = {
        "k": int(best[1].n_clusters),
        "silhouette": best[0],
        "dimensions": usable,
        "candidates": candidates,
        "training_customers": len(x_sample),
    }
    return labels + 1, distances[np.arange(len(labels)), labels], details


def summarise(segments: pd.DataFrame, features: pd.DataFrame, feature_names: list[str]):
    """One row per segment: size, revenue shares, RFM averages and medians, feature means."""
    extra = [f for f in feature_names if f not in ("recency_days", "frequency", "monetary")]
    joined = segments.join(features[extra], on="customer_id") if extra else segments
    grouped = joined.groupby("segment_id")
    summary = grouped.agg(
        customers=("customer_id", "size"),
        revenue=("monetary", "sum"),
        avg_recency_days=("recency_days", "mean"),
        median_recency_days=("recency_days", "median"),
        avg_frequency=("frequency", "mean"),
        median_frequency=("frequency", "median"),
        avg_monetary=("monetary", "mean"),
        median_monetary=("monetary", "median"),
    )
    summary["share_of_customers"] = summary["customers"] / summary["customers"].sum()
    total_revenue = summary["revenue"].sum()
    summary["share_of_revenue"] = summary["revenue"] / total_revenue if total_revenue else np.nan
    if extra:
        means = grouped[extra].mean().add_prefix("avg_")
        summary = summary.join(means)
    return summary.reset_index()


def parse_arguments(argv: list[str] | None, description: str) -> argparse.Namespace:
    """The options both references take (the polars one reuses them)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", type=Path, required=True, help="input directory")
    parser.add_argument("--output", type=Path, required=True, help="output directory")
    parser.add_argument("--features", nargs="+", default=list(DEFAULT_FEATURES))
    parser.add_argument("--log1p-features", nargs="*", default=list(DEFAULT_LOG1P))
    parser.add_argument("--k-min", type=int, default=3)
    parser.add_argument("--k-max", type=int, default=8)
    parser.add_argument("--n-init", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--fit-sample-size", type=int, default=50_000, help="customers to fit on; 0 = all"
    )
    parser.add_argument("--silhouette-sample-size", type=int, default=10_000)
    return parser.parse_args(argv)


def run(
    args: argparse.Namespace,
    features_of: Callable[[Path], tuple[pd.DataFrame, pd.Timestamp]],
) -> int:
    """Features by features_of (pandas here, polars in the other reference), then the same
    model, summary and files; timings per step in timings.json."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    features, as_of_date = features_of(args.data)
    timings["features_s"] = time.perf_counter() - started

    step = time.perf_counter()
    segment_ids, distances, details = segment(
        features,
        args.features,
        args.log1p_features,
        args.k_min,
        args.k_max,
        args.n_init,
        args.seed,
        args.fit_sample_size,
        args.silhouette_sample_size,
    )
    timings["fit_and_predict_s"] = time.perf_counter() - step

    step = time.perf_counter()
    segments = pd.DataFrame(
        {
            "customer_id": features.index.to_numpy(),
            "segment_id": segment_ids,
            "as_of_date": as_of_date.date(),
            "recency_days": features["recency_days"].to_numpy(),
            "frequency": features["frequency"].to_numpy(),
            "monetary": features["monetary"].to_numpy(),
            "distance_to_centroid": distances,
        }
    )
    summary = summarise(segments, features, details["dimensions"])
    args.output.mkdir(parents=True, exist_ok=True)
    segments.to_parquet(args.output / "customer_segments.parquet", index=False)
    summary.to_parquet(args.output / "segment_summary.parquet", index=False)
    timings["write_s"] = time.perf_counter() - step
    timings["total_s"] = time.perf_counter() - started

    report = {
        "timings": {name: round(value, 3) for name, value in timings.items()},
        "customers": len(segments),
        "as_of_date": str(as_of_date.date()),
        **details,
    }
    (args.output / "timings.json").write_text(json.dumps(report, indent=2))
    print(json.dumps({"timings": report["timings"], "k": details["k"]}))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: run the reference pipeline, write results and timings."""
    return run(parse_arguments(argv, __doc__.split("\n\n")[0]), build_features)


if __name__ == "__main__":
    raise SystemExit(main())
