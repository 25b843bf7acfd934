import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from customer_segmentation.segmentation.explain import (
    EXPLANATION_COLUMNS,
    FEATURE_REPORT_COLUMNS,
    explain_segments,
    feature_report,
    feature_weights,
)
from customer_segmentation.segmentation.model import fit_segmentation
from customer_segmentation.settings import SegmentationSettings


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):
        yield


def _groups_along_spend(n_per_group: int = 200) -> tuple[pd.DataFrame, np.ndarray]:
    """Three groups that differ only in spend; visits and rating are noise."""
    rng = np.random.default_rng(1)
    frames, labels = [], []
    for segment_id, spend in ((1, 20.0), (2, 120.0), (3, 400.0)):
        frames.append(
            pd.DataFrame(
                {
                    "spend": rng.normal(spend, spend * 0.1, n_per_group).round(2),
                    "visits": rng.poisson(6, n_per_group),
                    "rating": rng.uniform(1, 5, n_per_group),
                }
            )
        )
        labels += [segment_id] * n_per_group
    return pd.concat(frames, ignore_index=True), np.array(labels)


def test_rules_name_the_separating_feature_with_high_precision():
    frame, labels = _groups_along_spend()
    rules = explain_segments(frame, labels, ["spend", "visits", "rating"], max_depth=3, seed=0)
    assert list(rules.columns) == EXPLANATION_COLUMNS
    best = rules[rules["rank"] == 1].set_index("segment_id")
    assert best.index.tolist() == [1, 2, 3]
    for segment_id, row in best.iterrows():
        assert "spend" in row["rule"], row["rule"]
        assert "visits" not in row["rule"] and "rating" not in row["rule"]
        assert row["precision"] >= 0.9
        assert row["coverage"] >= 0.9
        assert row["support"] == pytest.approx(
            row["coverage"] * (labels == segment_id).sum() / row["precision"]
        )
    assert rules.groupby("segment_id").size().max() <= 3


def test_measures_are_those_of_the_printed_rule():
    frame, labels = _groups_along_spend()
    rules = explain_segments(frame, labels, ["spend"], max_depth=2)
    low = rules[(rules["segment_id"] == 1) & (rules["rank"] == 1)].iloc[0]
    # e.g. "spend <= 70.15": evaluate the printed threshold on the data.
    threshold = float(low["rule"].split("<=")[-1])
    covered = frame["spend"] <= threshold
    assert low["support"] == covered.sum()
    assert low["precision"] == pytest.approx((labels[covered] == 1).mean())


def test_whole_number_features_get_whole_number_thresholds():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"orders": np.r_[rng.integers(1, 4, 300), rng.integers(8, 20, 300)]})
    labels = np.r_[np.ones(300, dtype=int), np.full(300, 2)]
    rules = explain_segments(frame, labels, ["orders"], max_depth=1)
    text = dict(zip(rules["segment_id"], rules["rule"], strict=True))
    assert text[1] == "orders <= 5"  # the tree's threshold is 5.5
    assert text[2] == "orders >= 6"
    assert (rules["precision"] == 1.0).all() and (rules["coverage"] == 1.0).all()


def test_one_hot_dimensions_read_as_categories():
    frame = pd.DataFrame({"country": ["DE"] * 100 + ["UK"] * 100, "x": np.arange(200) % 7})
    labels = np.r_[np.ones(100, dtype=int), np.full(100, 2)]
    rules = explain_segments(frame, labels, ["country=DE", "x"], max_depth=1)
    assert dict(zip(rules["segment_id"], rules["rule"], strict=True)) == {
        1: "country = 'DE'",
        2: "country != 'DE'",
    }


def test_a_single_segment_is_all_customers():
    frame, _ = _groups_along_spend(10)
    rules = explain_segments(frame, np.ones(len(frame), dtype=int), ["spend"])
    assert rules["rule"].tolist() == ["all customers"]
    assert rules["coverage"].tolist() == [1.0]


def test_feature_report_lists_kept_weights_and_dropped_reasons():
    frame, _ = _groups_along_spend()
    frame["spend_again"] = frame["spend"] * 1.1
    frame["customer_id"] = [f"c{i:04d}" for i in range(len(frame))]
    settings = SegmentationSettings(
        numeric_features=("spend", "visits", "rating", "spend_again"),
        log1p_features=("spend", "spend_again"),
        k=3,
        stability_resamples=0,
        n_init=2,
    )
    model = fit_segmentation(frame, settings, "2026-01-01")
    report = feature_report(model)
    assert list(report.columns) == FEATURE_REPORT_COLUMNS
    kept = report[report["status"] == "kept"].set_index("feature")
    assert kept.index.tolist() == ["spend", "visits", "rating"]
    assert kept["weight"].sum() == pytest.approx(1.0)
    assert (kept["weight"] >= 0).all()
    dropped = report[report["status"] == "dropped"].set_index("feature")
    assert dropped.loc["spend_again", "reason"] == "correlated with spend (r=1.00)"
    assert dropped["weight"].isna().all()


def test_feature_weights_are_shares_of_the_between_segment_sum_of_squares():
    x = np.array([[-2.0, 1.0], [-2.0, -1.0], [2.0, 1.0], [2.0, -1.0], [2.0, 0.0], [-2.0, 0.0]])
    labels = np.array([5, 5, 9, 9, 9, 5])
    centroids = np.array([[-2.0, 0.0], [2.0, 0.0]])
    assert feature_weights(x, labels, centroids, [5, 9]).tolist() == [1.0, 0.0]
    one_segment = feature_weights(x, np.ones(6, dtype=int), x.mean(axis=0, keepdims=True), [1])
    assert one_segment.tolist() == [0.0, 0.0]
