"""One customer assigned now (customer_segmentation.assign) and the SQL scoring macro.

The dbt-marked tests read the session's demo build (no build of their own): a customer of the
build, given their raw rows, must get exactly the build's rows of marts.customer_segments,
marts.customer_scores and intermediate.int_customer_features.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from helpers import REPO_ROOT

from customer_segmentation.assign import (
    Assigner,
    _text,
    _text_frame,
    assign_customer,
    main,
    read_customer_input,
)
from customer_segmentation.segmentation.preprocessing import apply_scaling
from customer_segmentation.segmentation.scoring import assign_to_nearest

SEGMENT_COLUMNS = ["segment_id", "segment_name", "model_id", "distance_to_centroid"]
SCORE_COLUMNS = [
    "churn_probability",
    "churn_risk_band",
    "expected_value_next_period",
    "probability_alive",
    "expected_purchases_next_period",
    "score_method",
    "prediction_horizon_days",
    "score_status",
]


def raw_rows(data_dir: Path, customer_id: str) -> dict[str, pd.DataFrame]:
    """A customer's rows of every input table, as the build read them (typed Parquet)."""

    def read(table: str, condition: str) -> pd.DataFrame:
        path = str(data_dir / f"{table}.parquet")
        with duckdb.connect() as connection:
            return connection.sql(f"select * from read_parquet('{path}') where {condition}").df()

    orders_path = str(data_dir / "orders.parquet")
    own = f"cast(customer_id as varchar) = '{customer_id}'"
    return {
        "orders": read("orders", own),
        "order_items": read(
            "order_items",
            f"order_id in (select order_id from read_parquet('{orders_path}') where {own})",
        ),
        "events": read("events", own),
        "reviews": read("reviews", own),
        "customers": read("customers", own),
    }


def plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def build_rejections(build, customer_id: str) -> list[dict]:
    """The build's rejected input rows of one customer, by table and reason."""
    rejected = build.query(
        f"""
        with own_orders as (
            select raw_order_id from staging.stg_shop__orders_rejected
            where raw_customer_id = '{customer_id}'
            union
            select order_id from staging.stg_shop__orders where customer_id = '{customer_id}'
        ),
        rows as (
            select 'customers' as input, rejection_reason from staging.stg_shop__customers_rejected
            where raw_customer_id = '{customer_id}'
            union all
            select 'events', rejection_reason from staging.stg_shop__events_rejected
            where raw_customer_id = '{customer_id}'
            union all
            select 'order_items', rejection_reason from staging.stg_shop__order_items_rejected
            where raw_order_id in (select raw_order_id from own_orders)
            union all
            select 'orders', rejection_reason from staging.stg_shop__orders_rejected
            where raw_customer_id = '{customer_id}'
            union all
            select 'reviews', rejection_reason from staging.stg_shop__reviews_rejected
            where raw_customer_id = '{customer_id}'
        )
        select input, rejection_reason, count(*) as n from rows group by all order by all
        """
    )
    return [
        {"table": row.input, "reason": row.rejection_reason, "rows": int(row.n)}
        for row in rejected.itertuples()
    ]


@pytest.fixture(scope="module")
def build_target(demo_build) -> Path:
    return demo_build.database.parent / "target"


@pytest.fixture(scope="module")
def assigner(demo_build, build_target):
    assigner = Assigner(demo_build.database, build_target)
    yield assigner
    assigner.close()


@pytest.fixture(scope="module")
def chosen_customers(demo_build) -> list[str]:
    """Customers of every segment, and of the cases the features treat apart."""
    picked = demo_build.query(
        """
        with ranked as (
            select
                customer_id,
                row_number() over (partition by segment_id order by md5(customer_id)) as rank
            from marts.customer_segments
        )
        select customer_id from ranked where rank <= 4
        union
        select min(customer_id) from intermediate.int_customer_features where sessions = 0
        union
        select min(customer_id) from intermediate.int_customer_features where review_count > 0
        union
        select min(customer_id) from intermediate.int_customer_features where return_rate > 0
        union
        select min(customer_id) from intermediate.int_customer_features where frequency = 1
        union
        select min(customer_id) from intermediate.int_customer_features
        where category_diversity = 0
        """
    )
    return sorted(picked["customer_id"].dropna())


@pytest.mark.dbt
def test_a_customer_of_the_build_gets_the_builds_answer_exactly(
    demo_build, demo_data, assigner, chosen_customers
):
    segments = demo_build.query("select * from marts.customer_segments").set_index("customer_id")
    scores = demo_build.query("select * from marts.customer_scores").set_index("customer_id")
    features = demo_build.query("select * from intermediate.int_customer_features").set_index(
        "customer_id"
    )
    assert len(chosen_customers) >= 12
    assert set(segments.loc[chosen_customers, "segment_id"]) == set(segments["segment_id"])
    for customer_id in chosen_customers:
        result = assigner.assign(**raw_rows(demo_data, customer_id))
        assert result.customer_id == customer_id
        assert result.message == ""
        assert result.rejected_rows == build_rejections(demo_build, customer_id)
        for column in SEGMENT_COLUMNS:
            assert getattr(result, column) == plain(segments.loc[customer_id, column]), column
        for column in SCORE_COLUMNS:
            assert getattr(result, column) == plain(scores.loc[customer_id, column]), column
        assert result.score_model_id == scores.loc[customer_id, "model_id"]
        assert result.score_status == "scored"
        assert result.score_method == "supervised"
        expected = {key: plain(value) for key, value in features.loc[customer_id].items()}
        assert {k: v for k, v in result.features.items() if k != "customer_id"} == expected
        assert result.as_of_date == str(segments.loc[customer_id, "as_of_date"])[:10]


def json_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as the JSON input of the command reads them (ISO dates)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def json_tables(rows: dict[str, pd.DataFrame]) -> dict[str, list[dict]]:
    """A customer's raw rows, except the customer row, as the command's JSON object."""
    return {table: json_records(frame) for table, frame in rows.items() if table != "customers"}


@pytest.mark.dbt
def test_the_command_reads_json_and_csv_and_says_what_it_used(
    demo_build, demo_data, build_target, chosen_customers, tmp_path, capsys
):
    customer_id = chosen_customers[0]
    rows = raw_rows(demo_data, customer_id)
    bundle = json_tables(rows)
    bundle["customer"] = json_records(rows["customers"])[0]
    (tmp_path / "customer.json").write_text(json.dumps(bundle))
    arguments = ["--warehouse", str(demo_build.database), "--target-path", str(build_target)]
    assert main([str(tmp_path / "customer.json"), *arguments]) == 0
    from_json = json.loads(capsys.readouterr().out)
    expected = demo_build.query(
        f"select * from marts.customer_segments where customer_id = '{customer_id}'"
    ).iloc[0]
    assert from_json["segment_id"] == expected["segment_id"]
    assert from_json["distance_to_centroid"] == expected["distance_to_centroid"]
    assert from_json["inputs"]["events"] == f"given: {len(rows['events'])} rows"

    # Orders only, as CSV: browsing and reviews are unknown, so their features are null.
    rows["orders"].to_csv(tmp_path / "orders.csv", index=False)
    assert main([str(tmp_path / "orders.csv"), *arguments]) == 0
    orders_only = json.loads(capsys.readouterr().out)
    assert orders_only["features"]["frequency"] == from_json["features"]["frequency"]
    assert orders_only["features"]["sessions"] is None
    assert orders_only["features"]["review_count"] is None
    assert orders_only["inputs"]["events"].startswith("not given")
    assert orders_only["segment_id"] is not None

    # The same file given twice is refused, with a message on stderr.
    assert main([str(tmp_path / "customer.json"), "--events", str(tmp_path / "orders.csv")]) == 2
    assert "events are given twice" in capsys.readouterr().err


@pytest.mark.dbt
def test_the_streaming_command_answers_a_line_per_customer(
    demo_build, demo_data, build_target, chosen_customers
):
    """`assign --stream` loads the model once and answers one JSON line per input line; a line
    it cannot assign gets an error line and the next line is still answered."""
    lines = []
    for customer_id in chosen_customers[:2]:
        rows = raw_rows(demo_data, customer_id)
        lines.append(json.dumps(json_tables(rows)))
    lines.insert(1, json.dumps({"orders": [], "basket": []}))
    command = [
        str(Path(sys.executable).with_name("customer-segmentation")),
        "assign",
        "--stream",
        "--warehouse",
        str(demo_build.database),
        "--target-path",
        str(build_target),
    ]
    finished = subprocess.run(
        command,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
        timeout=300,
    )
    assert finished.returncode == 1, finished.stderr[-2000:]
    answers = [json.loads(line) for line in finished.stdout.splitlines()]
    assert len(answers) == 3
    assert answers[1] == {
        "line": 2,
        "error": "line 2: unknown keys ['basket']; expected some of "
        "['customer', 'customers', 'events', 'order_items', 'orders', 'reviews']",
    }
    expected = demo_build.query(
        "select customer_id, segment_id, distance_to_centroid from marts.customer_segments "
        f"where customer_id in ('{chosen_customers[0]}', '{chosen_customers[1]}')"
    ).set_index("customer_id")
    for answer, customer_id in zip((answers[0], answers[2]), chosen_customers[:2], strict=True):
        assert answer["customer_id"] == customer_id
        assert answer["segment_id"] == expected.loc[customer_id, "segment_id"]
        assert answer["distance_to_centroid"] == expected.loc[customer_id, "distance_to_centroid"]


@pytest.mark.dbt
def test_a_new_customer_is_assigned_and_bad_rows_are_reported(assigner):
    orders = [
        {"order_id": "N-1", "customer_id": "NEW-1", "ordered_at": "2026-05-01 10:00", "amount": 80},
        {"order_id": "N-2", "customer_id": "NEW-1", "ordered_at": "2026-06-01", "amount": "80,5"},
        {"order_id": "N-3", "customer_id": "NEW-1", "ordered_at": "2026-06-02", "amount": 20.5},
    ]
    result = assigner.assign(orders=orders, events=[], reviews=[])
    assert result.segment_id is not None and result.segment_name
    assert result.distance_to_centroid >= 0
    assert 0 <= result.churn_probability <= 1 and result.expected_value_next_period >= 0
    assert result.features["frequency"] == 2
    assert result.features["sessions"] == 0  # events given, none: no browsing
    assert result.features["review_count"] == 0
    assert result.features["category_diversity"] is None  # order_items not given: unknown
    assert result.rejected_rows == [{"table": "orders", "reason": "unparseable_amount", "rows": 1}]

    # Only a cancelled order: not eligible, as in the build.
    cancelled = [{**orders[0], "status": "cancelled"}]
    result = assigner.assign(orders=cancelled)
    assert result.segment_id is None and result.churn_probability is None
    assert result.message.startswith("not segmented: no completed purchase before as_of_date")


@pytest.mark.dbt
def test_another_date_moves_recency_and_the_builds_date_comes_back(
    demo_data, assigner, chosen_customers
):
    rows = raw_rows(demo_data, chosen_customers[1])
    at_build = assigner.assign(**rows)
    later_date = date.fromisoformat(at_build.as_of_date).replace(day=1)
    later_date = later_date.replace(year=later_date.year + 1)
    later = assigner.assign(**rows, as_of_date=later_date)
    gap = (later_date - date.fromisoformat(at_build.as_of_date)).days
    assert later.features["recency_days"] == at_build.features["recency_days"] + gap
    assert later.as_of_date == later_date.isoformat()
    assert later.churn_probability is not None
    again = assigner.assign(**rows)
    assert again.to_dict() | {"seconds": 0} == at_build.to_dict() | {"seconds": 0}
    with pytest.raises(ValueError, match="before the training date of the current model"):
        assigner.assign(**rows, as_of_date="2001-01-01")


@pytest.mark.dbt
def test_input_that_is_not_one_customers_is_refused(assigner):
    order = {"order_id": "1", "customer_id": "A", "ordered_at": "2026-05-01", "amount": 10}
    with pytest.raises(ValueError, match="found 2 customer ids"):
        assigner.assign(orders=[order, {**order, "order_id": "2", "customer_id": "B"}])
    with pytest.raises(ValueError, match="events hold rows of other customers"):
        assigner.assign(orders=[order], events=[{"customer_id": "B", "session_id": "1"}])
    with pytest.raises(ValueError, match="at least one row"):
        assigner.assign(orders=[])


@pytest.mark.dbt
def test_compiled_sql_of_another_model_is_refused(demo_build, build_target, tmp_path):
    changed = tmp_path / demo_build.database.name
    shutil.copyfile(demo_build.database, changed)
    # The scoring SQL holds a slot for every dimension the settings can give a model: a stored
    # model with a dimension outside them was fitted with other settings than the compiled SQL.
    with duckdb.connect(str(changed)) as connection:
        connection.execute(
            "update ml.segment_model_scaling set source_column = 'not_a_setting_feature' "
            "where position = (select max(position) from ml.segment_model_scaling)"
        )
    with pytest.raises(RuntimeError, match="scores another model"):
        Assigner(changed, build_target)
    with pytest.raises(FileNotFoundError, match="no dbt manifest"):
        assign_customer([], warehouse=demo_build.database, target_path=tmp_path)


def dbt_show(
    database: Path, target: Path, inline: str, data_dir: Path
) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DBT_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "--quiet",
        "show",
        "--inline",
        inline,
        "--limit",
        "-1",
        "--output",
        "json",
        "--vars",
        json.dumps({"raw_data_path": str(data_dir)}),
        "--target-path",
        str(target),
        "--log-path",
        str(target.parent / "logs"),
    ]
    return subprocess.run(
        command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False
    )


@pytest.mark.dbt
def test_the_scoring_macro_scores_any_relation_with_the_feature_columns(
    demo_build, demo_data, tmp_path
):
    """score_segments on another relation (features at the evaluation cutoff, under another key
    column) gives the Python scoring rule's segments and distances."""
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_build.database, database)
    inline = (
        "with shoppers as (select customer_id as shopper_key, * "
        "from {{ ref('int_customer_features_by_cutoff') }} "
        "where cutoff_date = (select min(cutoff_date) from {{ ref('int_feature_cutoffs') }})), "
        "scored as ({{ score_segments('shoppers', id_column='shopper_key') }}) "
        "select * from scored"
    )
    shown = dbt_show(database, tmp_path / "target", inline, demo_data)
    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr[-3000:]
    scored = pd.DataFrame(json.loads(shown.stdout)["show"]).sort_values("shopper_key")
    assert list(scored.columns) == [
        "shopper_key",
        "model_id",
        "segment_id",
        "segment_name",
        "distance_to_centroid",
    ]
    with duckdb.connect(str(database), read_only=True) as connection:
        features = connection.sql(
            "select * from intermediate.int_customer_features_by_cutoff "
            "where cutoff_date = (select min(cutoff_date) from intermediate.int_feature_cutoffs) "
            "order by customer_id"
        ).df()
        scaling = connection.sql("select * from ml.segment_model_scaling order by position").df()
        centroids = (
            connection.sql("select * from ml.segment_model_centroids")
            .df()
            .pivot(index="segment_id", columns="position", values="centroid_value")
            .sort_index()
        )
        names = connection.sql("select segment_id, segment_name from ml.segment_model_segments")
        names = dict(names.fetchall())
    positions, distances = assign_to_nearest(apply_scaling(features, scaling), centroids.to_numpy())
    assert len(features) > 1000
    assert scored["shopper_key"].tolist() == features["customer_id"].tolist()
    expected_ids = centroids.index.to_numpy()[positions - 1]
    assert (scored["segment_id"].to_numpy() == expected_ids).all()
    assert np.allclose(scored["distance_to_centroid"], distances, rtol=0, atol=1e-9)
    assert scored["segment_name"].tolist() == [names[i] for i in expected_ids]

    # A relation without the feature columns stops with their names.
    refused = dbt_show(
        database, tmp_path / "target", "{{ score_segments(ref('int_as_of_date')) }}", demo_data
    )
    assert refused.returncode != 0
    assert "score_segments" in refused.stdout + refused.stderr
    assert "has no column customer_id, recency_days" in refused.stdout + refused.stderr


# --- without dbt --------------------------------------------------------------------------------


def test_values_are_read_as_the_build_reads_text():
    assert _text(100002.0, is_id=True) == "100002"
    assert _text(84.5, is_id=False) == "84.5"
    assert _text(float("nan"), is_id=False) is None
    assert _text(pd.NaT, is_id=False) is None
    assert _text(pd.Timestamp("2026-03-01 10:15:00"), is_id=False) == "2026-03-01 10:15:00"
    assert _text(date(2026, 3, 1), is_id=False) == "2026-03-01"
    assert _text(np.int64(7), is_id=True) == "7"
    assert _text(True, is_id=False) == "true"
    assert _text(Decimal("84.50"), is_id=False) == "84.50"
    frame = _text_frame("orders", [{"Order_ID": 1, "customer_id": "C-1", "extra": "x"}])
    assert list(frame.columns) == ["order_id", "customer_id", "ordered_at", "amount", "status"]
    assert frame.iloc[0].tolist() == ["1", "C-1", None, None, None]
    with pytest.raises(ValueError, match="every row must be an object"):
        _text_frame("orders", [["1", "C-1"]])


def test_customer_files_are_read_as_bundles_or_orders(tmp_path):
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"orders": [{"order_id": 1}], "customer": {"customer_id": 1}}))
    assert read_customer_input(bundle) == {
        "orders": [{"order_id": 1}],
        "customers": [{"customer_id": 1}],
    }
    listed = tmp_path / "orders.json"
    listed.write_text(json.dumps([{"order_id": 1}]))
    assert read_customer_input(listed) == {"orders": [{"order_id": 1}]}
    csv = tmp_path / "orders.csv"
    csv.write_text("order_id,customer_id,amount\n0017,C-1,84.50\n")
    orders = read_customer_input(csv)["orders"]
    assert orders.iloc[0].tolist() == ["0017", "C-1", "84.50"]  # text, as the build reads CSV
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"order": []}))
    with pytest.raises(ValueError, match="unknown keys"):
        read_customer_input(wrong)
