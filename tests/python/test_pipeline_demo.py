"""End to end on the demo shop: dbt build, then assertions on the marts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import DbtRun, run_dbt
from sklearn.metrics import adjusted_rand_score

from customer_segmentation.clustering import assign_to_nearest
from customer_segmentation.demo_data import generate_shop
from customer_segmentation.preprocessing import apply_scaling

pytestmark = pytest.mark.dbt

DEMO_CUSTOMERS = 3000
PERSONAL_COLUMNS = {"email", "full_name", "birth_date", "city"}
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> tuple:
    directory = tmp_path_factory.mktemp("demo_shop")
    generate_shop(directory, n_customers=DEMO_CUSTOMERS, seed=11)
    return directory


@pytest.fixture(scope="module")
def demo_build(demo_data, tmp_path_factory) -> DbtRun:
    return run_dbt(tmp_path_factory.mktemp("demo_build"), {"raw_data_path": str(demo_data)})


def test_planted_personas_are_recovered(demo_build, demo_data):
    segments = demo_build.query("select customer_id, segment_id from marts.customer_segments")
    labels = pd.read_parquet(demo_data / "_labels" / "planted_personas.parquet")
    labels["customer_id"] = labels["customer_id"].astype(str)
    joined = segments.merge(labels, on="customer_id", how="inner")
    assert len(joined) == len(segments)
    ari = adjusted_rand_score(joined["persona"], joined["segment_id"])
    assert ari >= 0.7, f"adjusted Rand index {ari:.3f} against the planted personas"


def test_every_eligible_customer_has_exactly_one_segment(demo_build):
    counts = demo_build.query(
        """
        select
            (select count(*) from intermediate.int_customer_features) as eligible,
            (select count(*) from marts.customer_segments) as segmented,
            (select count(distinct customer_id) from marts.customer_segments) as distinct_ids
        """
    ).iloc[0]
    assert counts["eligible"] == counts["segmented"] == counts["distinct_ids"] > 0.9 * 3000


def test_marts_have_the_documented_columns(demo_build):
    segments = demo_build.query("select * from marts.customer_segments limit 1")
    assert list(segments.columns) == [
        "customer_id",
        "segment_id",
        "segment_name",
        "as_of_date",
        "model_id",
        "recency_days",
        "frequency",
        "monetary",
        "distance_to_centroid",
    ]
    summary = demo_build.query("select * from marts.segment_summary")
    for column in [
        "segment_id",
        "segment_name",
        "description",
        "customers",
        "share_of_customers",
        "share_of_revenue",
        "avg_recency_days",
        "median_recency_days",
        "avg_frequency",
        "median_frequency",
        "avg_monetary",
        "median_monetary",
        "distinguishing_features",
    ]:
        assert column in summary.columns
    assert summary["segment_name"].is_unique
    assert summary["share_of_customers"].sum() == pytest.approx(1.0)
    assert summary["share_of_revenue"].sum() == pytest.approx(1.0)


def test_k_is_chosen_by_silhouette_among_every_candidate(demo_build):
    candidates = demo_build.query("select * from ml.segment_model_candidates order by k")
    assert candidates["k"].tolist() == list(range(3, 9))
    chosen = candidates[candidates["is_chosen"]]
    assert len(chosen) == 1
    assert chosen["silhouette"].iloc[0] == candidates["silhouette"].max()
    metrics = demo_build.query("select * from ml.segment_model_metrics")
    assert metrics["k"].iloc[0] == chosen["k"].iloc[0]


def test_sql_scoring_matches_the_python_model(demo_build):
    """The SQL nearest-centroid scoring reproduces the Python assignment of the training rows."""
    scaling = demo_build.query("select * from ml.segment_model_scaling order by position")
    centroids = (
        demo_build.query("select * from ml.segment_model_centroids")
        .pivot(index="segment_id", columns="position", values="centroid_value")
        .sort_index()
    )
    features = demo_build.query(
        "select * from intermediate.int_customer_features order by customer_id"
    )
    segments, distances = assign_to_nearest(apply_scaling(features, scaling), centroids.to_numpy())
    scored = demo_build.query(
        "select customer_id, segment_id, distance_to_centroid "
        "from intermediate.int_customers_segmented order by customer_id"
    )
    assert scored["customer_id"].tolist() == features["customer_id"].tolist()
    assert (scored["segment_id"].to_numpy() == segments).all()
    assert np.allclose(scored["distance_to_centroid"], distances)


def test_cleaning_rules_reject_the_planted_mess_with_reasons(demo_build):
    reasons = demo_build.query(
        "select rejection_reason, count(*) as n from staging.stg_shop__orders_rejected group by 1"
    ).set_index("rejection_reason")["n"]
    assert reasons.get("duplicate_row", 0) > 0
    assert reasons.get("missing_customer_id", 0) > 0
    statuses = demo_build.query("select distinct status from staging.stg_shop__orders")
    assert set(statuses["status"]) == {"completed", "cancelled", "returned", "refunded"}


def test_no_personal_data_after_staging(demo_build):
    columns = demo_build.query(
        """
        select table_schema, table_name, column_name, data_type
        from information_schema.columns
        where table_schema not in ('staging', 'reference')
        """
    )
    leaked = columns[columns["column_name"].isin(PERSONAL_COLUMNS)]
    assert leaked.empty, leaked.to_string()
    text_columns = columns[columns["data_type"] == "VARCHAR"]
    for row in text_columns.itertuples(index=False):
        values = demo_build.query(
            f'select distinct "{row.column_name}" as v from "{row.table_schema}"."{row.table_name}"'
            " limit 5000"
        )["v"].dropna()
        hits = [v for v in values if EMAIL_PATTERN.search(str(v))]
        assert not hits, f"{row.table_schema}.{row.table_name}.{row.column_name}: {hits[:3]}"


def test_orders_after_as_of_date_are_ignored(demo_build):
    dates = demo_build.query(
        """
        select
            (select max(last_order_date) from intermediate.int_customer_features) as last_used,
            (select as_of_date from intermediate.int_as_of_date) as as_of_date,
            (select max(ordered_date) from staging.stg_shop__orders) as latest_staged
        """
    ).iloc[0]
    assert dates["last_used"] < dates["as_of_date"]
    assert dates["as_of_date"] == dates["latest_staged"] + pd.Timedelta(days=1)


def test_rebuilding_the_same_data_gives_identical_segments(demo_build, demo_data, tmp_path):
    rebuilt = run_dbt(tmp_path, {"raw_data_path": str(demo_data)})
    query = "select * from marts.customer_segments order by customer_id"
    pd.testing.assert_frame_equal(demo_build.query(query), rebuilt.query(query))
    summary = "select * from marts.segment_summary order by segment_id"
    pd.testing.assert_frame_equal(demo_build.query(summary), rebuilt.query(summary))


def test_docs_generate_describes_every_model(demo_build, demo_data, tmp_path):
    run_dbt(
        tmp_path,
        {"raw_data_path": str(demo_data)},
        command="docs",
        extra_arguments=("generate",),
        database=demo_build.database,
    )
    import json

    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    undocumented = [m["name"] for m in models if not m["description"].strip()]
    assert not undocumented
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert "model.customer_segmentation.segment_summary" in catalog["nodes"]
