"""End to end on other input shapes: CSV files with only the required table, tables already in
the warehouse, and invalid input or vars that must stop the build with a clear message.

The commands run in dbt processes that parse the project once each (tests/end_to_end/dbt_worker.py):
one for the input files, one parsed with var raw_schema (the sources' schema is read when dbt
parses). The two builds build what their assertions read, with its parents and staging's
rejected rows, and the data tests whose models are all built (docs/testing.md, "What the heavy
tests build"); every node and data test runs on the demo shop (the demo build) and, with some
optional tables absent or empty, on the generated shops of test_build_invariants.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_worker import WAREHOUSE_FILE, DbtResult, DbtWorker

from demo.shop import generate_shop

pytestmark = pytest.mark.dbt

# What the orders-only build's assertions read, with their parents and the rejected rows (the
# reconciliation tests of staging read them): the ingest tables, staging, the customer features,
# the segmentation fit and scaling, segments and review topics; the churn and purchase scores,
# activation, monitoring and fairness marts are left out. A data test runs when every model it
# reads is selected (cautious).
ORDERS_ONLY_NODES = [
    "--select",
    "+customer_segments",
    "+segment_model_scaling",
    "+review_topics",
    "stg_shop__*_rejected",
    "--indirect-selection",
    "cautious",
]
# The warehouse-tables build: staging with its rejected rows, the segments and the scaling.
WAREHOUSE_NODES = [
    "--select",
    "+customer_segments",
    "+segment_model_scaling",
    "stg_shop__*_rejected",
    "--indirect-selection",
    "cautious",
]


@dataclass(frozen=True)
class Run:
    """A worker command's outcome and the warehouse it wrote."""

    result: DbtResult
    database: Path

    @property
    def output(self) -> str:
        return self.result.output

    def assert_passed(self) -> None:
        problems = self.result.problems()
        assert self.result.success and not problems, f"{problems}\n{self.output[-4000:]}"

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).df()


def run(dbt: DbtWorker, work_dir: Path, args: list[str], variables: dict) -> Run:
    """One command into work_dir's warehouse; mart exports go beside it, never into the repo."""
    database = work_dir / WAREHOUSE_FILE
    variables = {"export_path": str(work_dir / "exports"), **variables}
    return Run(dbt.run(args, variables, database), database)


@pytest.fixture(scope="module")
def small_shop(tmp_path_factory):
    directory = tmp_path_factory.mktemp("small_shop")
    generate_shop(directory, n_customers=600, seed=5)
    return directory


@pytest.fixture(scope="module")
def dbt(tmp_path_factory):
    """The dbt process for input files (var raw_data_path; read by the SQL, not the parse)."""
    worker = DbtWorker(tmp_path_factory.mktemp("inputs_dbt"), {})
    yield worker
    worker.close()


def test_orders_only_as_csv_builds_and_leaves_out_the_missing_features(dbt, small_shop, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    orders = pd.read_parquet(small_shop / "orders.parquet").drop(columns=["status"])
    orders.to_csv(raw / "orders.csv", index=False)
    variables = {"raw_data_path": str(raw), "as_of_date": "2026-05-01"}
    built = run(dbt, tmp_path, ["build", *ORDERS_ONLY_NODES], variables)
    built.assert_passed()

    assert "input events: not found" in built.output
    assert "input orders: found at" in built.output
    # What the ingest step found, in the warehouse (staging.shop_inputs).
    inputs = built.query("select * from staging.shop_inputs").set_index("table_name")
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
    statuses = built.query("select distinct status from staging.shop_input__orders")["status"]
    assert statuses.isna().all()
    dropped = built.query(
        "select feature, text_value from ml.segment_model_fit where record_type = 'dropped_feature'"
    )
    assert {"sessions", "discount_share", "category_diversity"} <= set(dropped["feature"])
    used = built.query("select feature from ml.segment_model_scaling")["feature"]
    assert set(used) <= {
        "recency_days",
        "frequency",
        "monetary",
        "average_order_value",
        "tenure_days",
        "return_rate",
    }
    # The as_of_date cut-off: nothing on or after it is used.
    features = built.query(
        "select max(last_order_date) as last, min(as_of_date) as as_of "
        "from intermediate.int_customer_features"
    ).iloc[0]
    assert str(features["as_of"].date()) == "2026-05-01"
    assert features["last"] < features["as_of"]
    # A missing status column means every order is completed.
    statuses = built.query("select distinct status from staging.stg_shop__orders")["status"]
    assert statuses.tolist() == ["completed"]
    assert built.query("select count(*) as n from marts.customer_segments")["n"].iloc[0] > 100
    # No reviews input: the review text features are null, there are no topics, and it says so.
    review_features = built.query(
        "select count(review_sentiment_mean) as sentiment, "
        "count(review_negative_share) as negative, count(review_topic_1_share) as topics "
        "from intermediate.int_customer_features"
    ).iloc[0]
    assert review_features.sum() == 0
    assert built.query("select count(*) as n from marts.review_topics")["n"].iloc[0] == 0
    status = built.query("select text_value from ml.review_text_fit where metric = 'topics_status'")
    assert status["text_value"].iloc[0].startswith("not fitted")


def test_tables_already_in_the_warehouse_are_read_from_raw_schema(small_shop, tmp_path):
    database = tmp_path / WAREHOUSE_FILE
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema shop_raw")
        for table in ["orders", "customers", "order_items", "products"]:
            connection.execute(
                f"create table shop_raw.{table} as select * from read_parquet(?)",
                [str(small_shop / f"{table}.parquet")],
            )
    variables = {"raw_schema": "shop_raw"}
    dbt = DbtWorker(tmp_path / "dbt", variables)
    try:
        built = run(dbt, tmp_path, ["build", *WAREHOUSE_NODES], variables)
        built.assert_passed()
        assert "input orders: found at" in built.output
        assert "input events: not found" in built.output
        counts = built.query(
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

        stale = run(dbt, tmp_path, ["source", "freshness"], variables)
        assert not stale.result.success
        assert "ERROR STALE freshness of shop.orders" in stale.output
        with duckdb.connect(str(database)) as connection:
            connection.execute(
                "insert into shop_raw.orders by name select max(order_id) + 1 as order_id, "
                "min(customer_id) as customer_id, current_timestamp::timestamp as ordered_at, "
                "10.0 as amount, 'completed' as status from shop_raw.orders"
            )
        fresh = run(dbt, tmp_path, ["source", "freshness"], variables)
        assert fresh.result.success, fresh.output[-4000:]
        assert "PASS freshness of shop.orders" in fresh.output
    finally:
        dbt.close()


def test_a_missing_required_column_stops_the_build_naming_file_and_column(
    dbt, small_shop, tmp_path
):
    raw = tmp_path / "raw"
    raw.mkdir()
    pd.read_parquet(small_shop / "orders.parquet").drop(columns=["amount"]).to_parquet(
        raw / "orders.parquet"
    )
    failed = run(dbt, tmp_path, ["build"], {"raw_data_path": str(raw)})
    assert not failed.result.success
    assert "orders.parquet has no column 'amount'" in failed.output
    assert "Traceback" not in failed.output


def test_a_missing_orders_table_is_a_clear_error(dbt, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = run(dbt, tmp_path, ["build"], {"raw_data_path": str(empty)})
    assert not failed.result.success
    assert "The required input 'orders' was not found" in failed.output


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
def test_vars_are_validated_before_use(dbt, variables, model, message, small_shop, tmp_path):
    variables = {"raw_data_path": str(small_shop), **variables}
    failed = run(dbt, tmp_path, ["compile", "--select", model], variables)
    assert not failed.result.success
    assert message in failed.output
