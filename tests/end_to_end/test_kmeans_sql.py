"""kmeans_sql, the K-means written in SQL for engines without dbt Python models: its scaling
equals the Python preprocessing, its clusters equal scikit-learn's Lloyd K-means started from the
same centres, and every ml table and mart builds from it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import assert_sql_fit_run_records, copy_warehouse, planted_personas, run_dbt
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from customer_segmentation.segmentation.model_store import (
    read_previous_model,
    read_stored_models,
    schema_violations,
)
from customer_segmentation.segmentation.preprocessing import (
    apply_scaling,
    drop_correlated_features,
    fit_scaling,
)

pytestmark = pytest.mark.dbt

ITERATIONS = 25
K = 5


@pytest.fixture(scope="module")
def kmeans_sql_build(demo_build, demo_data, tmp_path_factory):
    """The demo warehouse, refitted with kmeans_sql (every model from the SQL fit onwards)."""
    work_dir = tmp_path_factory.mktemp("kmeans_sql")
    database = copy_warehouse(demo_build, work_dir)
    return run_dbt(
        work_dir,
        {
            "raw_data_path": str(demo_data),
            "segmentation": {
                "algorithm": "kmeans_sql",
                "kmeans_sql_k": K,
                "kmeans_sql_iterations": ITERATIONS,
            },
            "export_path": None,
        },
        extra_arguments=("--select", "kmeans_sql_feature_stats+"),
        database=database,
    )


def _settings(run) -> tuple[list[str], list[str], float]:
    parameters = run.query(
        "select metric, text_value from ml.segment_model_fit_sql where record_type = 'parameter'"
    ).set_index("metric")["text_value"]
    return (
        json.loads(parameters["numeric_features"]),
        json.loads(parameters["log1p_features"]),
        float(parameters["max_feature_correlation"]),
    )


def test_sql_scaling_equals_the_python_preprocessing(kmeans_sql_build):
    run = kmeans_sql_build
    training = run.query("select * from intermediate.int_customer_features_training_sample")
    training = training.sort_values("customer_id").reset_index(drop=True)
    numeric, log1p, max_correlation = _settings(run)
    python_scaling = fit_scaling(training, numeric, log1p)
    scaling, x = drop_correlated_features(
        python_scaling, apply_scaling(training, python_scaling.parameters), max_correlation
    )

    sql_scaling = run.query("select * from ml.segment_model_scaling order by position")
    assert sql_scaling["feature"].tolist() == scaling.feature_names
    merged = scaling.parameters.merge(sql_scaling, on="feature", suffixes=("_python", "_sql"))
    for column in ("position", "fill_value", "center", "scale", "clip_limit"):
        np.testing.assert_allclose(
            merged[f"{column}_sql"].astype(float),
            merged[f"{column}_python"].astype(float),
            rtol=1e-12,
            atol=1e-12,
            err_msg=column,
        )
    assert (merged["transform_sql"] == merged["transform_python"]).all()

    sql_dropped = run.query(
        "select feature, text_value as reason from ml.segment_model_fit_sql "
        "where record_type = 'dropped_feature' order by feature"
    )
    python_dropped = scaling.dropped.sort_values("feature").reset_index(drop=True)
    pd.testing.assert_frame_equal(sql_dropped, python_dropped, check_dtype=False)

    points = run.query("select * from ml.kmeans_sql_points order by customer_id")
    kept = run.query("select feature_index from ml.kmeans_sql_scaling where is_kept order by 1")
    sql_x = points[[f"z_{i}" for i in kept["feature_index"]]].to_numpy()
    assert (points["customer_id"].to_numpy() == training["customer_id"].to_numpy()).all()
    np.testing.assert_allclose(sql_x, x, rtol=0, atol=1e-12)


def test_kmeans_sql_finds_the_clusters_of_scikit_learn_from_the_same_start(kmeans_sql_build):
    run = kmeans_sql_build
    points = run.query("select * from ml.kmeans_sql_points order by customer_id")
    kept = run.query("select feature_index from ml.kmeans_sql_scaling where is_kept order by 1")
    columns = [f"z_{i}" for i in kept["feature_index"]]
    x = points[columns].to_numpy()
    start = run.query("select * from ml.kmeans_sql_initial_centroids order by cluster_index")
    assert len(start) == K
    assert start["picked_customer_id"].is_unique

    reference = KMeans(
        n_clusters=K,
        init=start[[c.replace("z_", "c_") for c in columns]].to_numpy(),
        n_init=1,
        max_iter=ITERATIONS,
        tol=0.0,
        algorithm="lloyd",
    ).fit(x)

    # The scoring SQL (int_customers_segmented) assigns every customer to the stored centres.
    scored = points[["customer_id"]].merge(
        run.query("select customer_id, segment_id from intermediate.int_customers_segmented"),
        on="customer_id",
    )
    assert len(scored) == len(points)
    ari = adjusted_rand_score(reference.labels_, scored["segment_id"])
    assert ari == 1.0, f"ARI {ari} between kmeans_sql and scikit-learn"

    # Centres: the same after the same number of iterations (sklearn keeps the start's order).
    centres = run.query("select * from ml.kmeans_sql_centroids order by cluster_index")
    np.testing.assert_allclose(
        centres[[c.replace("z_", "c_") for c in columns]].to_numpy(),
        reference.cluster_centers_,
        rtol=0,
        atol=1e-9,
    )
    if reference.n_iter_ < ITERATIONS:  # converged: the last SQL iterations moved nothing
        assert (centres["centroid_shift"] == 0).all()


def test_kmeans_sql_feeds_every_ml_table_and_mart(kmeans_sql_build, demo_data):
    run = kmeans_sql_build
    metrics = run.query("select * from ml.segment_model_metrics")
    assert len(metrics) == 1
    current = metrics.iloc[0]
    assert current["algorithm"] == "kmeans_sql"
    assert current["model_id"].startswith("kmeans_sql-")
    assert current["k"] == K
    assert current["training_customers"] > 0

    segments = run.query("select * from ml.segment_model_segments order by segment_id")
    assert segments["segment_id"].tolist() == list(range(1, K + 1))
    assert segments["segment_name"].str.match(r"Segment \d+ \((high|low) [a-z_]+\)$").all()
    assert segments["description"].str.startswith("Compared with all customers: ").all()

    summary = run.query("select * from marts.segment_summary")
    assert (
        summary["customers"].sum()
        == run.query("select count(*) as n from intermediate.int_customer_features")["n"].iloc[0]
    )
    registry = run.query("select algorithm, is_current from marts.segment_models")
    assert registry[registry["is_current"]]["algorithm"].tolist() == ["kmeans_sql"]
    as_of_date = run.query("select as_of_date from intermediate.int_as_of_date").iloc[0, 0]
    assert_sql_fit_run_records(run, current["model_id"], as_of_date)

    # One start and no k search: weaker than the Python kmeans, still finds the personas.
    joined = run.query("select customer_id, segment_id from marts.customer_segments").merge(
        planted_personas(demo_data), on="customer_id"
    )
    assert adjusted_rand_score(joined["persona"], joined["segment_id"]) > 0.4


def test_the_sql_fit_is_stored_and_read_back_as_the_python_fit_is(kmeans_sql_build):
    artifacts = kmeans_sql_build.query("select * from ml.segment_model_fit_sql")
    assert schema_violations(artifacts) == []
    (stored,) = read_stored_models(None, artifacts)
    assert stored.parameters["algorithm"] == "kmeans_sql"
    previous = read_previous_model(artifacts)
    assert previous.segment_ids == tuple(range(1, K + 1))
    assert previous.centroids.shape == (K, len(previous.feature_names))
    assert np.isfinite(previous.centroids).all()
