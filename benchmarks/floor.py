"""The floor: the least work that produces the clustering features and the model.

Steps, each timed on its own (seconds in timings.json of --work):
- aggregate_s: one hand-written DuckDB query straight from the Parquet files to a feature table
  with the clustering features (the same aggregates as models/intermediate/*.sql, with no
  staging, no type checks, no rejection tables, no fingerprints, no tests). Status is only
  lower-cased and trimmed (null = completed); order rows are not de-duplicated.
- fit_s: a training sample of segmentation.fit_sample_size customers (DuckDB reservoir sample)
  pulled into pandas and customer_segmentation.segmentation.fit_segmentation on it, with the
  project's settings and its thread limit (segmentation.threads): exactly the Python step of
  the pipeline.
- score_s (reported apart, not part of the floor): every customer assigned to the nearest
  centroid in one SQL pass (per-row distance columns, least(), no join or window).

The database is a fresh DuckDB file with the same threads / memory_limit as the dbt profile.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb
from threadpoolctl import threadpool_limits

from customer_segmentation.segmentation.model import fit_segmentation
from customer_segmentation.settings import SegmentationSettings


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def feature_sql(data_dir: Path) -> str:
    """The minimal feature query for the files present in data_dir."""
    orders = _literal(data_dir / "orders.parquet")
    items = data_dir / "order_items.parquet"
    products = data_dir / "products.parquet"
    events = data_dir / "events.parquet"
    ctes = [
        f"""
orders as (
    select
        customer_id, order_id, amount, cast(ordered_at as date) as ordered_date,
        coalesce(nullif(lower(trim(status)), ''), 'completed') as status
    from read_parquet({orders})
    where customer_id is not null
),
run_date as (
    select max(ordered_date) + 1 as as_of_date from orders
),
classified as (
    select
        orders.*,
        status = 'completed' and amount >= 0 as is_purchase,
        status <> 'cancelled' and amount < 0 as is_refund,
        status in ('returned', 'refunded') and amount >= 0 as is_full_return
    from orders
),
rfm as (
    select
        customer_id,
        count(distinct case when is_purchase then order_id end) as frequency,
        sum(case when is_purchase or is_refund then amount else 0 end) as monetary,
        sum(case when is_purchase then amount else 0 end) as purchase_spend,
        sum(case when is_refund or is_full_return then 1 else 0 end) as returns,
        min(case when is_purchase then ordered_date end) as first_order_date,
        max(case when is_purchase then ordered_date end) as last_order_date
    from classified
    group by customer_id
    having count(distinct case when is_purchase then order_id end) > 0
)"""
    ]
    select = [
        "rfm.customer_id",
        "run_date.as_of_date - rfm.last_order_date as recency_days",
        "rfm.frequency",
        "rfm.monetary",
        "rfm.purchase_spend / rfm.frequency as average_order_value",
        "run_date.as_of_date - rfm.first_order_date as tenure_days",
        "rfm.returns / (rfm.frequency + rfm.returns) as return_rate",
    ]
    joins = ["cross join run_date"]
    if items.exists():
        category = "'unknown'"
        product_join = ""
        if products.exists():
            category = "coalesce(products.category, 'unknown')"
            product_join = (
                f"left join read_parquet({_literal(products)}) as products "
                "on items.product_id = products.product_id"
            )
        ctes.append(
            f"""
baskets as (
    select
        classified.customer_id,
        count(distinct {category}) as category_diversity,
        sum(coalesce(items.discount_amount, 0)) / nullif(sum(items.quantity * items.unit_price), 0)
            as discount_share
    from read_parquet({_literal(items)}) as items
    inner join classified
        on items.order_id = classified.order_id and classified.is_purchase
    {product_join}
    group by classified.customer_id
)"""
        )
        select += [
            "coalesce(baskets.category_diversity, 0) as category_diversity",
            "baskets.discount_share",
        ]
        joins.append("left join baskets on rfm.customer_id = baskets.customer_id")
    if events.exists():
        ctes.append(
            f"""
sessions as (
    select
        customer_id,
        session_id,
        sum(coalesce(duration_seconds, 0)) as session_seconds,
        count(*) filter (where event_type = 'product_view') as product_views,
        bool_or(event_type = 'add_to_cart') as has_cart,
        bool_or(event_type = 'purchase') as has_purchase
    from read_parquet({_literal(events)})
    where customer_id is not null
        and event_at < (select as_of_date from run_date)
    group by customer_id, session_id
),
browsing as (
    select
        customer_id,
        count(*) as sessions,
        sum(session_seconds) / 60.0 as browsing_minutes,
        sum(product_views) / count(*) as product_views_per_session,
        count(*) filter (where has_cart and not has_purchase)
            / nullif(count(*) filter (where has_cart), 0) as cart_abandonment_rate
    from sessions
    group by customer_id
)"""
        )
        select += [
            "coalesce(browsing.sessions, 0) as sessions",
            "coalesce(browsing.browsing_minutes, 0) as browsing_minutes",
            "coalesce(browsing.product_views_per_session, 0) as product_views_per_session",
            "coalesce(browsing.cart_abandonment_rate, 0) as cart_abandonment_rate",
        ]
        joins.append("left join browsing on rfm.customer_id = browsing.customer_id")
    return (
        "create table features as\nwith"
        + ",".join(ctes)
        + "\nselect\n    "
        + ",\n    ".join(select)
        + "\nfrom rfm\n"
        + "\n".join(joins)
    )


def scoring_sql(parameters, centroids) -> str:
    """Nearest centroid for every customer of `features`, one pass, no join or window."""

    def number(value) -> str:
        return repr(float(value))

    dimensions = []
    for row in parameters.sort_values("position").itertuples(index=False):
        if row.transform == "one_hot":
            raise NotImplementedError("the floor scores numeric features only")
        filled = f"coalesce(cast({row.source_column} as double), {number(row.fill_value)})"
        if row.transform == "log1p":
            filled = f"ln(1 + greatest({filled}, 0))"
        dimensions.append(
            f"least(greatest(({filled} - {number(row.center)}) / {number(row.scale)}, "
            f"-{number(row.clip_limit)}), {number(row.clip_limit)}) as x{row.position}"
        )
    distances = []
    for segment_index, centroid in enumerate(centroids, 1):
        terms = " + ".join(
            f"(x{position} - {number(value)}) * (x{position} - {number(value)})"
            for position, value in enumerate(centroid, 1)
        )
        distances.append(f"{terms or '0'} as d{segment_index}")
    k = len(centroids)
    nearest = " ".join(f"when d{i} = nearest then {i}" for i in range(1, k + 1))
    return f"""
create table scored as
with scaled as (select customer_id, {", ".join(dimensions) or "1 as x0"} from features),
distances as (select customer_id, {", ".join(distances)} from scaled),
ranked as (select *, least({", ".join(f"d{i}" for i in range(1, k + 1))}) as nearest from distances)
select customer_id, case {nearest} end as segment_id, sqrt(nearest) as distance_to_centroid
from ranked"""


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: time the floor steps, write timings.json in --work."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="input directory")
    parser.add_argument("--work", type=Path, required=True, help="scratch directory")
    parser.add_argument("--settings", required=True, help="segmentation settings as JSON")
    parser.add_argument("--fit-sample-size", type=int, default=50_000)
    parser.add_argument("--threads", default="2", help="DuckDB threads")
    parser.add_argument(
        "--fit-threads", type=int, default=1, help="scikit-learn threads (segmentation.threads)"
    )
    parser.add_argument("--memory-limit", default="8GB")
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    database = args.work / "floor.duckdb"
    database.unlink(missing_ok=True)
    settings = SegmentationSettings.from_json(args.settings)
    timings: dict[str, float] = {}
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"set threads = {int(args.threads)}")
        connection.execute(f"set memory_limit = '{args.memory_limit}'")
        connection.execute("set preserve_insertion_order = false")

        started = time.perf_counter()
        connection.execute(feature_sql(args.data.resolve()))
        timings["aggregate_s"] = time.perf_counter() - started

        started = time.perf_counter()
        as_of_date = connection.sql(
            "select max(cast(ordered_at as date)) + 1 from read_parquet("
            + _literal(args.data.resolve() / "orders.parquet")
            + ")"
        ).fetchall()[0][0]
        sample = connection.sql(
            f"select * from features using sample reservoir({args.fit_sample_size} rows) "
            f"repeatable ({settings.seed})"
        ).df()
        with threadpool_limits(limits=args.fit_threads):
            model = fit_segmentation(sample, settings, as_of_date)
        timings["fit_s"] = time.perf_counter() - started

        started = time.perf_counter()
        connection.execute(scoring_sql(model.scaling.parameters, model.clustering.centroids))
        timings["score_s"] = time.perf_counter() - started
        customers = connection.sql("select count(*) from scored").fetchall()[0][0]

    timings["floor_s"] = timings["aggregate_s"] + timings["fit_s"]
    report = {
        "timings": {name: round(value, 3) for name, value in timings.items()},
        "customers": customers,
        "training_customers": len(sample),
        "k": model.clustering.k,
        "dimensions": model.scaling.feature_names,
    }
    (args.work / "timings.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report["timings"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
