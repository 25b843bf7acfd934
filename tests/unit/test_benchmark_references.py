"""The benchmark's two reference pipelines (benchmarks/reference_pipeline.py in pandas,
benchmarks/reference_pipeline_polars.py in polars) must compute the same thing, or the benchmark
would compare unequal work."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from helpers import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

import reference_pipeline  # noqa: E402
import reference_pipeline_polars  # noqa: E402


@pytest.fixture(scope="module")
def both_feature_tables(demo_data):
    return (
        reference_pipeline.build_features(demo_data),
        reference_pipeline_polars.build_features(demo_data),
    )


def test_polars_and_pandas_references_compute_the_same_features(both_feature_tables):
    (pandas_features, pandas_as_of), (polars_features, polars_as_of) = both_feature_tables
    assert polars_as_of == pandas_as_of
    assert list(polars_features.columns) == list(pandas_features.columns)
    assert len(pandas_features) > 1000
    pd.testing.assert_frame_equal(
        polars_features, pandas_features, check_dtype=False, check_index_type=False
    )


def test_polars_reference_handles_a_shop_with_orders_only(demo_data, tmp_path):
    (tmp_path / "orders.parquet").write_bytes((demo_data / "orders.parquet").read_bytes())
    pandas_features, _ = reference_pipeline.build_features(tmp_path)
    polars_features, _ = reference_pipeline_polars.build_features(tmp_path)
    assert "discount_share" not in polars_features.columns
    assert "sessions" not in polars_features.columns
    pd.testing.assert_frame_equal(
        polars_features, pandas_features, check_dtype=False, check_index_type=False
    )
