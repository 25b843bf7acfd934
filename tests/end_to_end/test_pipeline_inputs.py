"""End to end on other input shapes: CSV files with only the required table, tables already in
the warehouse, and invalid input or vars that must stop the build with a clear message."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from helpers import run_dbt

from demo.shop import generate_shop

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def small_shop(tmp_path_factory):
    directory = tmp_path_factory.mktemp("small_shop")
    generate_shop(directory, n_customers=600, seed=5)
    return directory


def test_orders_only_as_csv_builds_and_leaves_out_the_missing_features(small_shop, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    orders = pd.read_parquet(small_shop / "orders.parquet").drop(columns=["status"])
    orders.to_csv(raw / "orders.csv", index=False)
    run = run_dbt(tmp_path, {"raw_data_path": str(raw), "as_of_date": "2026-05-01"})

    assert "input events: not found" in run.output
    assert "input orders: found at" in run.output
    # What the ingest step found, in the warehouse (staging.shop_inputs).
    inputs = run.query("select * from staging.shop_inputs").set_index("table_name")
    assert set(inputs.index) == {
        "orders",
        "customers",
        "order_items",
        "products",
        "events",
        "reviews",
    }
    orders = inputs.loc["orders"]
    assert orders["is_required"] and orders["is_found"] and pd.isna(orders["problem"])
    assert orders["location"] == f"{raw}/orders.csv"
    assert orders["found_columns"] == "order_id, customer_id, ordered_at, amount"
    events = inputs.loc["events"]
    assert not events["is_found"]
    assert events["problem"] == f"was not found at {raw}/events.{{parquet,csv}}"
    # Staging reads a view with every column of the contract: the missing status is null.
    statuses = run.query("select distinct status from staging.shop_input__orders")["status"]
    assert statuses.isna().all()
    dropped = run.query(
        "select feature, text_value from ml.segment_model_fit where record_type = 'dropped_feature'"
    )
    assert {"sessions", "discount_share", "category_diversity"} <= set(dropped["feature"])
    used = run.query("select feature from ml.segment_model_scaling")["feature"]
    assert set(used) <= {
        "recency_days",
        "frequency",
        "monetary",
        "average_order_value",
        "tenure_days",
        "return_rate",
    }
    # The as_of_date cut-off: nothing on or after it is used.
    features = run.query(
        "select max(last_order_date) as last, min(as_of_date) as as_of "
        "from intermediate.int_customer_features"
    ).iloc[0]
    assert str(features["as_of"].date()) == "2026-05-01"
    assert features["last"] < features["as_of"]
    # A missing status column means every order is completed.
    statuses = run.query("select distinct status from staging.stg_shop__orders")["status"]
    assert statuses.tolist() == ["completed"]
    assert run.query("select count(*) as n from marts.customer_segments")["n"].iloc[0] > 100
    # No reviews input: the review text features are null, there are no topics, and it says so.
    review_features = run.query(
        "select count(review_sentiment_mean) as sentiment, "
        "count(review_negative_share) as negative, count(review_topic_1_share) as topics "
        "from intermediate.int_customer_features"
    ).iloc[0]
    assert review_features.sum() == 0
    assert run.query("select count(*) as n from marts.review_topics")["n"].iloc[0] == 0
    status = run.query("select text_value from ml.review_text_fit where metric = 'topics_status'")
    assert status["text_value"].iloc[0].startswith("not fitted")


def test_tables_already_in_the_warehouse_are_read_from_raw_schema(small_shop, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema shop_raw")
        for table in ["orders", "customers", "order_items", "products"]:
            connection.execute(
                f"create table shop_raw.{table} as select * from read_parquet(?)",
                [str(small_shop / f"{table}.parquet")],
            )
    run = run_dbt(tmp_path, {"raw_schema": "shop_raw"}, database=database)
    assert "input orders: found at" in run.output
    assert "input events: not found" in run.output
    counts = run.query(
        """
        select
            (select count(*) from shop_raw.orders) as raw_orders,
            (select count(*) from staging.stg_shop__orders) as staged,
            (select count(*) from staging.stg_shop__orders_rejected) as rejected,
            (select count(*) from marts.customer_segments) as segmented,
            (select count(distinct feature) from ml.segment_model_scaling
             where feature in ('category_diversity', 'discount_share')) as basket_features
        """
    ).iloc[0]
    assert counts["raw_orders"] == counts["staged"] + counts["rejected"]
    assert counts["segmented"] > 500
    assert counts["basket_features"] == 2

    stale = run_dbt(
        tmp_path, {"raw_schema": "shop_raw"}, "source freshness", database=database, check=False
    )
    assert stale.returncode != 0 and "ERROR STALE freshness of shop.orders" in stale.output
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            "insert into shop_raw.orders by name select max(order_id) + 1 as order_id, "
            "min(customer_id) as customer_id, current_timestamp::timestamp as ordered_at, "
            "10.0 as amount, 'completed' as status from shop_raw.orders"
        )
    fresh = run_dbt(tmp_path, {"raw_schema": "shop_raw"}, "source freshness", database=database)
    assert "PASS freshness of shop.orders" in fresh.output


def test_a_missing_required_column_stops_the_build_naming_file_and_column(small_shop, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    pd.read_parquet(small_shop / "orders.parquet").drop(columns=["amount"]).to_parquet(
        raw / "orders.parquet"
    )
    run = run_dbt(tmp_path, {"raw_data_path": str(raw)}, check=False)
    assert run.returncode != 0
    assert "orders.parquet has no column 'amount'" in run.output
    assert "Traceback" not in run.output


def test_a_missing_orders_table_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    run = run_dbt(tmp_path, {"raw_data_path": str(empty)}, check=False)
    assert run.returncode != 0
    assert "The required input 'orders' was not found" in run.output


@pytest.mark.parametrize(
    ("variables", "model", "message"),
    [
        ({"as_of_date": "2026-02-30"}, "int_as_of_date", "var as_of_date is not a calendar date"),
        (
            {"as_of_date": "yesterday'; drop table x; --"},
            "int_as_of_date",
            "var as_of_date must be a date",
        ),
        (
            {"raw_data_path": "data'; drop table x; --"},
            "stg_shop__orders_checked",
            "var raw_data_path contains the character",
        ),
    ],
)
def test_vars_are_validated_before_use(variables, model, message, small_shop, tmp_path):
    variables = {"raw_data_path": str(small_shop), **variables}
    run = run_dbt(
        tmp_path, variables, command="compile", extra_arguments=("--select", model), check=False
    )
    assert run.returncode != 0
    assert message in run.output
