"""Replay: the demo shop built month by month with the documented backfill command, a persona
growing sharply part-way. History, migration and monitoring must tell the story, the retraining
policy must refit, and segment ids must survive the refit."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from helpers import REPO_ROOT

from demo.shop import generate_shop

pytestmark = pytest.mark.dbt

RUN_DATES = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"]
DRIFT_FROM = datetime(2026, 3, 2)
CLONES = 3
ID_OFFSET = 10_000_000_000
# What the tests read (history, migration, monitoring, the model registry) and what the backfill's
# summary prints (segment_summary, the rejected rows), with their parents: the churn and purchase
# scores, activation, review-topic and fairness marts are left out (23 of 81 models, among them
# the customer_scores_fit Python model), six times.
MONITORED_NODES = (
    "--select",
    "+customer_segment_history",
    "+segment_migration",
    "+segment_monitoring",
    "+segment_models",
    "+segment_summary",
    "stg_shop__*_rejected",
)


def _read(path) -> pd.DataFrame:
    """A Parquet file as pandas with nullable integers, so ids keep their integer type."""
    return pq.read_table(path).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def _inject_window_shopper_surge(directory):
    """Three copies of every window shopper arrive between 2 and 30 March 2026."""
    labels = pq.read_table(directory / "_labels" / "planted_personas.parquet")
    shoppers = labels.filter(pc.equal(labels["persona"], "window_shopper"))["customer_id"]
    shift_days = {}
    orders = pq.read_table(directory / "orders.parquet")
    last_order = (
        orders.filter(pc.is_in(orders["customer_id"], shoppers))
        .group_by("customer_id")
        .aggregate([("ordered_at", "max")])
        .to_pandas()
    )
    for index, row in enumerate(last_order.itertuples(index=False)):
        target = pd.Timestamp("2026-03-05") + pd.Timedelta(days=index % 25)
        shift_days[row.customer_id] = (target - pd.Timestamp(row.ordered_at_max)).days
    original_orders = _read(directory / "orders.parquet")
    shifted_orders = original_orders[original_orders["customer_id"].isin(shift_days)].copy()
    shifted_orders["ordered_at"] = shifted_orders["ordered_at"] + pd.to_timedelta(
        shifted_orders["customer_id"].map(shift_days), unit="D"
    )
    orders_in_window = shifted_orders.loc[shifted_orders["ordered_at"] >= DRIFT_FROM, "order_id"]
    for table_name, id_columns in {
        "orders": ["order_id"],
        "order_items": ["order_id"],
        "customers": [],
        "events": ["session_id"],
        "reviews": [],
    }.items():
        path = directory / f"{table_name}.parquet"
        original = _read(path)
        if table_name == "order_items":
            owners = original_orders[["order_id", "customer_id"]]
            frame = original.merge(owners, on="order_id")
        else:
            frame = original
        frame = frame[frame["customer_id"].isin(shift_days)]
        time_column = {
            "orders": "ordered_at",
            "customers": "signup_at",
            "events": "event_at",
            "reviews": "reviewed_at",
            "order_items": None,
        }[table_name]
        copies = []
        for copy in range(1, CLONES + 1):
            clone = frame.copy()
            if time_column:
                clone[time_column] = clone[time_column] + pd.to_timedelta(
                    clone["customer_id"].map(shift_days), unit="D"
                )
            if table_name == "order_items":
                clone = clone[clone["order_id"].isin(orders_in_window)]
            elif time_column and table_name != "customers":
                clone = clone[clone[time_column] >= DRIFT_FROM]
            clone["customer_id"] = clone["customer_id"] + copy * ID_OFFSET
            for column in id_columns:
                clone[column] = clone[column] + copy * ID_OFFSET
            copies.append(clone[original.columns])
        combined = pd.concat([original, *copies], ignore_index=True)
        pq.write_table(pa.Table.from_pandas(combined, preserve_index=False), path)


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    work = tmp_path_factory.mktemp("replay")
    data = work / "shop"
    generate_shop(data, n_customers=1000, seed=3)
    _inject_window_shopper_surge(data)
    database = work / "warehouse.duckdb"
    environment = {
        **os.environ,
        "DBT_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "customer_segmentation.cli",
            "backfill",
            "--from",
            RUN_DATES[0],
            "--to",
            RUN_DATES[-1],
            "--every",
            "month",
            "--vars",
            f'{{"raw_data_path": "{data}"}}',
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            *MONITORED_NODES,
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
        ],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(completed.stdout[-5000:] + completed.stderr[-3000:])
    return database, completed.stdout


def _query(database, sql):
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.sql(sql).df()


def test_backfill_prints_one_progress_line_per_date(replay):
    _, output = replay
    for index, run_date in enumerate(RUN_DATES, start=1):
        assert f"[{index}/{len(RUN_DATES)}] as_of_date {run_date}: built in" in output


def test_history_has_every_customer_at_every_date(replay):
    database, _ = replay
    per_date = _query(
        database,
        "select as_of_date, count(*) as customers, count(distinct customer_id) as distinct_ids "
        "from marts.customer_segment_history group by 1 order by 1",
    )
    assert [str(d.date()) for d in per_date["as_of_date"]] == RUN_DATES
    assert (per_date["customers"] == per_date["distinct_ids"]).all()
    assert per_date["customers"].is_monotonic_increasing


def test_migration_accounts_for_every_customer(replay):
    database, _ = replay
    migration = _query(database, "select * from marts.segment_migration")
    history = _query(database, "select * from marts.customer_segment_history")
    sizes = history.groupby("as_of_date").size()
    for (from_date, to_date), rows in migration.groupby(["from_as_of_date", "to_as_of_date"]):
        earlier = rows[rows["movement"] != "new"]["customers"].sum()
        later = rows[rows["movement"] != "lost"]["customers"].sum()
        assert earlier == sizes[from_date]
        assert later == sizes[to_date]
        stayed_or_moved = rows[rows["movement"].isin(["stayed", "moved"])]
        shares = stayed_or_moved.groupby("from_segment_id")["share_of_from_segment"].sum()
        lost = rows[rows["movement"] == "lost"].set_index("from_segment_id")[
            "share_of_from_segment"
        ]
        assert ((shares.add(lost, fill_value=0) - 1).abs() < 1e-9).all()
    surge = migration[
        (migration["to_as_of_date"] == pd.Timestamp("2026-04-01"))
        & (migration["movement"] == "new")
    ]["customers"].sum()
    assert surge > 300, "the injected window shoppers arrive as new customers in April"


def test_monitoring_flags_the_drift_and_the_same_run_refits(replay):
    database, output = replay
    monitoring = _query(database, "select * from marts.segment_monitoring order by as_of_date")
    by_date = monitoring.set_index(monitoring["as_of_date"].dt.strftime("%Y-%m-%d"))
    for run_date in ("2026-02-01", "2026-03-01"):
        assert by_date.loc[run_date, "model_decision"] == "keep"
        assert by_date.loc[run_date, "status"] != "retrain"
    # The surge: the stored model is judged at April's own date, and April refits.
    april = by_date.loc["2026-04-01"]
    assert april["judged_model_status"] == "retrain", monitoring[["as_of_date", "reason"]]
    assert april["model_decision"] == "refit"
    assert april["decision_reason"].startswith("retraining policy: model ")
    assert april["status"] != "retrain", "the refitted model describes April's customers"
    assert "segment model for 2026-04-01: retraining policy:" in output
    registry = _query(database, "select * from marts.segment_models order by trained_at")
    first, second = registry.iloc[0], registry.iloc[1]
    assert str(first["training_as_of_date"].date()) == "2026-01-01"
    assert str(second["training_as_of_date"].date()) == "2026-04-01"
    assert second["fit_reason"].startswith("retraining policy:")
    # Later months may refit again (the surge cohort ages: its tenure and recency move a decile
    # a month); every refit is matched to the model it replaces, and never left at `retrain`.
    assert (
        registry["previous_model_id"].iloc[1:].tolist() == registry["model_id"].iloc[:-1].tolist()
    )
    refits = monitoring[monitoring["model_decision"] == "refit"]
    assert (refits["judged_model_status"] == "retrain").all()
    assert (refits["status"] != "retrain").all()


def test_segment_ids_survive_the_refit(replay):
    database, _ = replay
    history = _query(database, "select * from marts.customer_segment_history")
    names = history.groupby("segment_id")["segment_name"].nunique()
    assert (names == 1).all(), "a segment id kept its name across the refit"
    # March is scored with the first model, April with the refit.
    march = history[history["as_of_date"] == pd.Timestamp("2026-03-01")]
    april = history[history["as_of_date"] == pd.Timestamp("2026-04-01")]
    both = march.merge(april, on="customer_id", suffixes=("_march", "_april"))
    original = both[both["customer_id"].astype("int64") < ID_OFFSET]
    kept = (original["segment_id_march"] == original["segment_id_april"]).mean()
    assert kept >= 0.8, f"only {kept:.0%} of the original customers kept their segment id"
