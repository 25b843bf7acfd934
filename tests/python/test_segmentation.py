import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from customer_segmentation.clustering import assign_to_nearest
from customer_segmentation.preprocessing import apply_scaling
from customer_segmentation.segmentation import ARTIFACT_COLUMNS, fit_segmentation
from customer_segmentation.settings import SegmentationSettings

SETTINGS = SegmentationSettings(
    numeric_features=("recency_days", "frequency", "monetary", "sessions"),
    log1p_features=("recency_days", "frequency", "monetary", "sessions"),
    k_min=2,
    k_max=6,
    n_init=4,
    seed=7,
)


def _customers(n_per_group: int = 150, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = {
        "champions": (10, 30, 3000, 40),
        "lapsed": (400, 1, 60, 1),
        "browsers": (60, 2, 80, 60),
    }
    frames, truth = [], []
    for index, (recency, frequency, monetary, sessions) in enumerate(groups.values()):
        frames.append(
            pd.DataFrame(
                {
                    "recency_days": rng.lognormal(np.log(recency), 0.2, n_per_group).round() + 1,
                    "frequency": rng.poisson(frequency, n_per_group) + 1,
                    "monetary": rng.lognormal(np.log(monetary), 0.2, n_per_group).round(2),
                    "sessions": rng.poisson(sessions, n_per_group),
                }
            )
        )
        truth += [index] * n_per_group
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(0, "customer_id", [f"c{i:05d}" for i in range(len(frame))])
    return frame, np.array(truth)


def test_planted_groups_are_recovered_with_names():
    frame, truth = _customers()
    model = fit_segmentation(frame, SETTINGS, "2026-07-01")
    assert model.clustering.k == 3
    assert adjusted_rand_score(truth, model.clustering.labels) == pytest.approx(1.0)
    assert set(model.segments["segment_name"]) >= {"Champions", "Lapsed one-time buyers"}


def test_row_order_does_not_change_the_model():
    frame, _ = _customers()
    first = fit_segmentation(frame, SETTINGS, "2026-07-01")
    shuffled = frame.sample(frac=1.0, random_state=3)
    second = fit_segmentation(shuffled, SETTINGS, "2026-07-01")
    assert first.model_id == second.model_id
    pd.testing.assert_frame_equal(
        first.artifacts().drop(columns="value").query("record_type != 'metric'"),
        second.artifacts().drop(columns="value").query("record_type != 'metric'"),
    )


def test_model_id_changes_with_settings_and_date():
    frame, _ = _customers()
    base = fit_segmentation(frame, SETTINGS, "2026-07-01").model_id
    assert fit_segmentation(frame, SETTINGS, "2026-08-01").model_id != base
    other = SegmentationSettings(**{**SETTINGS.__dict__, "seed": 8})
    assert fit_segmentation(frame, other, "2026-07-01").model_id != base


def test_artifacts_reproduce_the_training_assignment():
    frame, _ = _customers()
    model = fit_segmentation(frame, SETTINGS, "2026-07-01")
    artifacts = model.artifacts()
    assert list(artifacts.columns) == ARTIFACT_COLUMNS
    scaling = artifacts[artifacts.record_type == "scaling"].sort_values("position")
    centroids = (
        artifacts[artifacts.record_type == "centroid"]
        .pivot(index="segment_id", columns="position", values="value")
        .sort_index()
        .to_numpy()
    )
    x = apply_scaling(frame.sort_values("customer_id"), scaling)
    segments, _ = assign_to_nearest(x, centroids)
    assert (segments == model.clustering.labels).all()


def test_artifacts_hold_candidates_metrics_and_dropped_features():
    frame, _ = _customers()
    frame["sessions"] = 0
    model = fit_segmentation(frame, SETTINGS, "2026-07-01")
    artifacts = model.artifacts()
    dropped = artifacts[artifacts.record_type == "dropped_feature"]
    assert dropped["feature"].tolist() == ["sessions"]
    candidates = artifacts[artifacts.record_type == "k_candidate"]
    assert sorted(candidates["k"].unique()) == [2, 3, 4, 5, 6]
    metrics = artifacts[artifacts.record_type == "metric"].set_index("metric")["value"]
    assert metrics["k"] == model.clustering.k
    assert metrics["training_customers"] == len(frame)


def test_missing_values_are_handled():
    frame, _ = _customers()
    frame.loc[::7, "sessions"] = np.nan
    model = fit_segmentation(frame, SETTINGS, "2026-07-01")
    assert model.clustering.k >= 2


def test_one_customer():
    frame, _ = _customers()
    model = fit_segmentation(frame.head(1), SETTINGS, "2026-07-01")
    assert model.clustering.k == 1
    assert model.segments["segment_name"].tolist() == ["All customers"]


def test_fewer_customers_than_k():
    frame, _ = _customers()
    model = fit_segmentation(frame.iloc[[0, 200, 400]], SETTINGS, "2026-07-01")
    assert model.clustering.k <= 3


def test_no_customers_is_a_clear_error():
    frame, _ = _customers()
    with pytest.raises(ValueError, match="nothing to segment"):
        fit_segmentation(frame.head(0), SETTINGS, "2026-07-01")


def test_settings_are_validated():
    with pytest.raises(ValueError, match="segmentation_k_min"):
        SegmentationSettings(numeric_features=("a",), k_min=5, k_max=3)
    with pytest.raises(ValueError, match="log1p"):
        SegmentationSettings(numeric_features=("a",), log1p_features=("b",))
    with pytest.raises(ValueError, match="segmentation_algorithm"):
        SegmentationSettings(numeric_features=("a",), algorithm="magic")


def test_settings_from_json_accept_null_k():
    settings = SegmentationSettings.from_json(
        '{"numeric_features": ["a"], "k": null, "k_min": "2", "k_max": 4}'
    )
    assert settings.k is None
    assert settings.k_min == 2
