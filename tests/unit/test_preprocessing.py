import numpy as np
import pandas as pd
import pytest

from customer_segmentation.segmentation.preprocessing import (
    CLIP_LIMIT,
    REASON_NO_DATA,
    REASON_NO_SPREAD,
    REASON_NOT_IN_TABLE,
    apply_scaling,
    drop_correlated_features,
    fit_scaling,
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "monetary": [10.0, 20.0, 30.0, 40.0, 1000.0],
            "rating": [1.0, None, 3.0, 4.0, 5.0],
            "constant": [7.0] * 5,
            "empty": [None] * 5,
            "country": ["UK", "UK", "DE", "FR", None],
        }
    )


def test_log1p_then_median_and_the_larger_spread():
    scaling = fit_scaling(_frame(), ["monetary"], log1p_features=["monetary"])
    row = scaling.parameters.iloc[0]
    transformed = np.log1p([10.0, 20.0, 30.0, 40.0, 1000.0])
    assert row["transform"] == "log1p"
    assert row["center"] == pytest.approx(np.median(transformed))
    q75, q25 = np.percentile(transformed, [75, 25])
    assert row["scale"] == pytest.approx(max((q75 - q25) / 1.349, np.std(transformed)))
    x = apply_scaling(_frame(), scaling.parameters)
    expected = np.clip((transformed - row["center"]) / row["scale"], -CLIP_LIMIT, CLIP_LIMIT)
    assert x[:, 0] == pytest.approx(expected)


def test_missing_values_take_the_training_median():
    scaling = fit_scaling(_frame(), ["rating"])
    row = scaling.parameters.iloc[0]
    assert row["fill_value"] == pytest.approx(3.5)
    x = apply_scaling(_frame(), scaling.parameters)
    assert x[1, 0] == pytest.approx((3.5 - row["center"]) / row["scale"])


def test_features_without_data_or_spread_are_dropped_with_a_reason():
    scaling = fit_scaling(_frame(), ["monetary", "constant", "empty", "missing_column"])
    assert scaling.feature_names == ["monetary"]
    reasons = dict(zip(scaling.dropped["feature"], scaling.dropped["reason"], strict=True))
    assert reasons == {
        "constant": REASON_NO_SPREAD,
        "empty": REASON_NO_DATA,
        "missing_column": REASON_NOT_IN_TABLE,
    }


def test_a_feature_with_most_customers_on_one_value_cannot_dominate():
    """IQR 0: the standard deviation is the spread, and the few outliers are clipped."""
    frame = pd.DataFrame({"reviews": [0.0] * 97 + [3.0, 9.0, 400.0]})
    scaling = fit_scaling(frame, ["reviews"])
    assert scaling.parameters.iloc[0]["scale"] == pytest.approx(np.std(frame["reviews"]))
    x = apply_scaling(frame, scaling.parameters)
    assert np.abs(x).max() <= CLIP_LIMIT


def test_negative_values_are_clipped_before_log1p():
    frame = pd.DataFrame({"monetary": [-50.0, 0.0, 10.0, 100.0]})
    scaling = fit_scaling(frame, ["monetary"], log1p_features=["monetary"])
    x = apply_scaling(frame, scaling.parameters)
    assert x[0, 0] == x[1, 0]
    assert np.isfinite(x).all()


def test_one_hot_keeps_frequent_categories_and_maps_unknown_values_to_zero():
    scaling = fit_scaling(_frame(), [], categorical_features=["country"])
    assert scaling.feature_names == [
        "country=DE",
        "country=FR",
        "country=UK",
        "country=unknown",
    ]
    new = pd.DataFrame({"country": ["UK", "ES"]})
    x = apply_scaling(new, scaling.parameters)
    assert x.tolist() == [[0, 0, 1, 0], [0, 0, 0, 0]]


def test_one_hot_caps_the_number_of_categories_deterministically():
    frame = pd.DataFrame({"city": [f"c{i % 20}" for i in range(200)]})
    scaling = fit_scaling(frame, [], categorical_features=["city"], max_categories_per_feature=5)
    assert scaling.feature_names == [f"city=c{i}" for i in (0, 1, 10, 11, 12)]


def test_positions_follow_the_dimension_order():
    scaling = fit_scaling(_frame(), ["monetary", "rating"], categorical_features=["country"])
    assert list(scaling.parameters["position"]) == list(range(1, 7))


def _correlated_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    spend = rng.lognormal(4, 1, 500)
    return pd.DataFrame(
        {
            "spend": spend,
            "visits": rng.poisson(5, 500).astype(float),
            "spend_copy": spend * 2.0 + 3.0,
            "refunds": -spend + rng.normal(0, 0.01, 500),
        }
    )


def test_a_duplicated_feature_is_dropped_with_the_reason():
    frame = _correlated_frame()
    features = ["spend", "visits", "spend_copy", "refunds"]
    scaling = fit_scaling(frame, features)
    x = apply_scaling(frame, scaling.parameters)
    kept, x_kept = drop_correlated_features(scaling, x, max_correlation=0.9)
    assert kept.feature_names == ["spend", "visits"]
    assert list(kept.parameters["position"]) == [1, 2]
    reasons = dict(zip(kept.dropped["feature"], kept.dropped["reason"], strict=True))
    assert reasons == {
        "spend_copy": "correlated with spend (r=1.00)",
        "refunds": "correlated with spend (r=-1.00)",
    }
    assert np.array_equal(x_kept, x[:, [0, 1]])
    assert np.allclose(apply_scaling(frame, kept.parameters), x_kept)


def test_the_earlier_feature_in_the_configured_order_is_kept():
    frame = _correlated_frame()
    scaling = fit_scaling(frame, ["spend_copy", "spend"])
    kept, _ = drop_correlated_features(
        scaling, apply_scaling(frame, scaling.parameters), max_correlation=0.9
    )
    assert kept.feature_names == ["spend_copy"]
    assert kept.dropped["reason"].tolist() == ["correlated with spend_copy (r=1.00)"]


def test_a_threshold_of_one_keeps_everything():
    frame = _correlated_frame()
    scaling = fit_scaling(frame, ["spend", "spend_copy"])
    x = apply_scaling(frame, scaling.parameters)
    kept, x_kept = drop_correlated_features(scaling, x, max_correlation=1.0)
    assert kept.feature_names == ["spend", "spend_copy"]
    assert x_kept.shape == x.shape
