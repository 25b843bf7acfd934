"""The SQL scoring (int_customers_segmented) is generated from the settings alone, so dbt compiles
it on an empty warehouse, and it scores any model stored under those settings exactly as the
Python scoring does: dropped features, weighted dimensions, one-hot categories (up to the fit's
segmentation.max_categories_per_feature per feature), models with and without an outlier
segment. A stored dimension the settings cannot give is caught by the test
assert_sql_scoring_covers_every_model_dimension."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from helpers import run_dbt

from customer_segmentation.segmentation.preprocessing import (
    apply_scaling,
    fit_scaling,
    weight_scaling,
)
from customer_segmentation.segmentation.scoring import assign_to_nearest

pytestmark = pytest.mark.dbt

NUMERIC = ["recency_days", "frequency", "monetary", "sessions", "return_rate"]
LOG1P = ["recency_days", "frequency", "monetary", "sessions"]
CATEGORICAL = ["gender", "country"]
COMPILED = Path("target/compiled/customer_segmentation")
SCORING = COMPILED / "models/intermediate/int_customers_segmented.sql"
COVERAGE = COMPILED / "tests/dbt/assert_sql_scoring_covers_every_model_dimension.sql"


def compile_scoring(work_dir: Path, **settings) -> dict[str, str]:
    """The scoring model and its coverage test, compiled on an empty warehouse without input,
    with these segmentation settings over the features of the test."""
    run_dbt(
        work_dir,
        {
            "raw_data_path": str(work_dir / "no_input_here"),
            "segmentation": {
                "numeric_features": NUMERIC,
                "log1p_features": LOG1P,
                "categorical_features": CATEGORICAL,
                **settings,
            },
        },
        command="compile",
        extra_arguments=(
            "--select",
            "int_customers_segmented",
            "assert_sql_scoring_covers_every_model_dimension",
        ),
    )
    # Nothing was built, and no input was there to read.
    with duckdb.connect(str(work_dir / "warehouse.duckdb"), read_only=True) as connection:
        assert connection.sql("select count(*) from duckdb_tables()").fetchall() == [(0,)]
    return {
        "scoring": (work_dir / SCORING).read_text(),
        "coverage": (work_dir / COVERAGE).read_text(),
    }


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, str]:
    return compile_scoring(tmp_path_factory.mktemp("scoring_sql"))


@pytest.fixture(scope="module")
def compiled_with_three_categories(tmp_path_factory) -> dict[str, str]:
    return compile_scoring(
        tmp_path_factory.mktemp("scoring_sql_three"), max_categories_per_feature=3
    )


def stored_model(seed: int, with_outliers: bool, max_categories_per_feature: int = 10):
    """Features of 400 customers and a model stored the way the fit stores it: scaled with a
    dropped feature and weights, k centroids, radii and maybe an outlier segment; at most
    max_categories_per_feature one-hot categories per categorical feature."""
    rng = np.random.default_rng(seed)
    n = 400
    features = pd.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in range(n)],
            "recency_days": rng.integers(0, 700, n).astype(float),
            "frequency": rng.poisson(3, n).astype(float),
            "monetary": rng.lognormal(4, 1, n),
            "sessions": rng.poisson(5, n).astype(float),
            "return_rate": rng.uniform(0, 1, n),
            "gender": rng.choice(
                ["female", "male", "non_binary", None], n, p=[0.45, 0.45, 0.05, 0.05]
            ),
            # 14 countries: the fit keeps the 10 most frequent.
            "country": rng.choice([f"C{i:02d}" for i in range(14)], n),
        }
    )
    features.loc[rng.choice(n, 40, replace=False), "monetary"] = np.nan
    features.loc[rng.choice(n, 30, replace=False), "sessions"] = np.nan
    scaling = fit_scaling(
        features,
        NUMERIC,
        LOG1P,
        CATEGORICAL,
        max_categories_per_feature=max_categories_per_feature,
    )
    parameters = scaling.parameters
    # A feature dropped (as for a correlation): the others keep their order, renumbered.
    parameters = parameters[parameters["feature"] != "frequency"].reset_index(drop=True)
    parameters["position"] = np.arange(1, len(parameters) + 1)
    weights = rng.uniform(0.5, 2.0, len(parameters))
    parameters = weight_scaling(
        type(scaling)(parameters=parameters, dropped=scaling.dropped), weights
    ).parameters
    x = apply_scaling(features, parameters)
    k = 5
    centroids = x[rng.choice(n, k, replace=False)] + rng.normal(0, 0.1, (k, x.shape[1]))
    distances = np.sqrt(((x[:, None, :] - centroids[None]) ** 2).sum(axis=2))
    radius = np.quantile(distances, 0.3, axis=0)
    is_outlier = np.zeros(k, dtype=bool)
    if with_outliers:
        is_outlier[-1] = True
    return features, parameters, centroids, radius, is_outlier


def warehouse_with(
    features, parameters, centroids, radius, is_outlier
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB named like the warehouse the SQL was compiled for, holding the model."""
    connection = duckdb.connect()
    connection.execute("attach ':memory:' as warehouse")
    connection.execute("use warehouse")
    connection.execute("create schema intermediate")
    connection.execute("create schema ml")
    model_id = "kmeans-test"
    scaling = parameters.assign(model_id=model_id)
    centroid_rows = pd.DataFrame(
        [
            {
                "model_id": model_id,
                "segment_id": segment + 1,
                "feature": parameters["feature"].iloc[dimension],
                "position": dimension + 1,
                "centroid_value": float(centroids[segment, dimension]),
            }
            for segment in range(len(centroids))
            for dimension in range(centroids.shape[1])
        ]
    )
    segments = pd.DataFrame(
        {
            "model_id": model_id,
            "segment_id": np.arange(1, len(centroids) + 1),
            "radius": radius,
            "is_outlier_segment": is_outlier,
        }
    )
    for name, frame in [
        ("intermediate.int_customer_features", features),
        ("ml.segment_model_scaling", scaling),
        ("ml.segment_model_centroids", centroid_rows),
        ("ml.segment_model_segments", segments),
    ]:
        connection.register("frame", frame)
        connection.execute(f"create table {name} as select * from frame")
        connection.unregister("frame")
    return connection


@pytest.mark.parametrize(("seed", "with_outliers"), [(1, False), (2, False), (3, True), (4, True)])
def test_sql_scoring_equals_the_python_scoring_for_any_stored_model(compiled, seed, with_outliers):
    features, parameters, centroids, radius, is_outlier = stored_model(seed, with_outliers)
    # gender: female, male, non_binary, unknown (null); the 10 most frequent countries.
    assert (parameters["transform"] == "one_hot").sum() == 4 + 10
    expected_segments, expected_distances = assign_to_nearest(
        apply_scaling(features, parameters), centroids, radius, is_outlier
    )
    with warehouse_with(features, parameters, centroids, radius, is_outlier) as connection:
        scored = connection.sql(compiled["scoring"]).df().sort_values("customer_id").reset_index()
        assert connection.sql(compiled["coverage"]).fetchall() == []
    assert scored["customer_id"].tolist() == features["customer_id"].tolist()
    assert (scored["segment_id"].to_numpy() == expected_segments).all()
    assert np.allclose(scored["distance_to_centroid"], expected_distances)
    if with_outliers:
        assert 0 < (expected_segments == len(centroids)).sum() < len(features)


def test_the_scoring_slots_follow_max_categories_per_feature(compiled_with_three_categories):
    """With segmentation.max_categories_per_feature 3 the fit keeps 3 categories a feature and
    the SQL has 3 slots each: it scores exactly as the Python scoring."""
    features, parameters, centroids, radius, is_outlier = stored_model(
        6, True, max_categories_per_feature=3
    )
    assert (parameters["transform"] == "one_hot").sum() == 3 + 3
    expected_segments, expected_distances = assign_to_nearest(
        apply_scaling(features, parameters), centroids, radius, is_outlier
    )
    with warehouse_with(features, parameters, centroids, radius, is_outlier) as connection:
        scored = (
            connection.sql(compiled_with_three_categories["scoring"])
            .df()
            .sort_values("customer_id")
            .reset_index()
        )
        assert connection.sql(compiled_with_three_categories["coverage"]).fetchall() == []
    assert scored["customer_id"].tolist() == features["customer_id"].tolist()
    assert (scored["segment_id"].to_numpy() == expected_segments).all()
    assert np.allclose(scored["distance_to_centroid"], expected_distances)
    # A model stored with 10 categories a feature has dimensions these settings cannot give.
    with warehouse_with(*stored_model(6, True)) as connection:
        uncovered = connection.sql(compiled_with_three_categories["coverage"]).df()
    assert len(uncovered) > 0 and uncovered["feature"].str.contains("=").all()


def test_a_stored_dimension_the_settings_cannot_give_stops_the_build(compiled):
    """A model stored under other settings (another feature, another transform, an 11th
    category) has dimensions without a slot: the coverage test names them."""
    features, parameters, centroids, radius, is_outlier = stored_model(5, False)
    foreign = parameters.copy()
    foreign.loc[foreign["feature"] == "return_rate", "transform"] = "log1p"
    extra = foreign.iloc[[-1]].assign(
        feature="country=C99", category_value="C99", position=len(foreign) + 1
    )
    other = foreign.iloc[[0]].assign(
        feature="tenure_days", source_column="tenure_days", position=len(foreign) + 2
    )
    foreign = pd.concat([foreign, extra, other], ignore_index=True)
    centroids = np.hstack([centroids, np.zeros((len(centroids), 2))])
    with warehouse_with(features, foreign, centroids, radius, is_outlier) as connection:
        uncovered = connection.sql(compiled["coverage"]).df()
    assert sorted(uncovered["feature"]) == ["country=C99", "return_rate", "tenure_days"]
