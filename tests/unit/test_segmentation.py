import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from customer_segmentation.segmentation.clustering import assign_to_nearest
from customer_segmentation.segmentation.model import fit_segmentation
from customer_segmentation.segmentation.model_store import ARTIFACT_COLUMNS
from customer_segmentation.segmentation.naming import OUTLIER_SEGMENT_NAME
from customer_segmentation.segmentation.preprocessing import apply_scaling
from customer_segmentation.settings import SegmentationSettings

SETTINGS = SegmentationSettings(
    numeric_features=("recency_days", "frequency", "monetary", "sessions"),
    log1p_features=("recency_days", "frequency", "monetary", "sessions"),
    k_min=2,
    k_max=6,
    n_init=4,
    seed=7,
    stability_resamples=2,
)


@pytest.fixture(autouse=True)
def _one_thread():
    # Many small fits: one OpenMP thread avoids spin-waiting on a busy 2-core machine.
    with threadpool_limits(limits=1):
        yield


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
    dropped = artifacts[artifacts.record_type == "dropped_feature"].set_index("feature")
    # sessions has no spread; monetary moves with frequency in these groups and is redundant.
    assert dropped.index.tolist() == ["sessions", "monetary"]
    assert dropped.loc["sessions", "text_value"].startswith("no spread")
    assert dropped.loc["monetary", "text_value"].startswith("correlated with frequency (r=0.")
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
    with pytest.raises(ValueError, match="segmentation.k_min"):
        SegmentationSettings(numeric_features=("a",), k_min=5, k_max=3)
    with pytest.raises(ValueError, match="log1p"):
        SegmentationSettings(numeric_features=("a",), log1p_features=("b",))
    with pytest.raises(ValueError, match="segmentation.algorithm"):
        SegmentationSettings(numeric_features=("a",), algorithm="magic")


def test_settings_from_json_accept_null_k():
    settings = SegmentationSettings.from_json(
        '{"numeric_features": ["a"], "log1p_features": [], "k": null, "k_min": "2", "k_max": 4}'
    )
    assert settings.k is None
    assert settings.k_min == 2


def _with_outliers(frame: pd.DataFrame) -> pd.DataFrame:
    far = pd.DataFrame(
        {
            "customer_id": [f"z{i}" for i in range(6)],
            "recency_days": [2.0, 700.0, 3.0, 650.0, 1.0, 720.0],
            "frequency": [300, 1, 250, 90, 1, 400],
            "monetary": [1.0, 90000.0, 5.0, 70000.0, 60000.0, 2.0],
            "sessions": [900, 0, 0, 700, 800, 0],
        }
    )
    return pd.concat([frame, far], ignore_index=True)


def _scored_from_artifacts(artifacts: pd.DataFrame, features: pd.DataFrame) -> np.ndarray:
    """What SQL does, from the artifact table alone."""
    scaling = artifacts[artifacts.record_type == "scaling"].sort_values("position")
    centroids = artifacts[artifacts.record_type == "centroid"].pivot(
        index="segment_id", columns="position", values="value"
    )
    segment = artifacts[artifacts.record_type == "segment"].pivot(
        index="segment_id", columns="metric", values="value"
    )
    segment = segment.reindex(centroids.index)
    positions, _ = assign_to_nearest(
        apply_scaling(features, scaling),
        centroids.to_numpy(),
        segment["radius"].to_numpy(dtype=float),
        segment["is_outlier_segment"].to_numpy(dtype=float) == 1,
    )
    return centroids.index.to_numpy()[positions - 1]


def test_hdbscan_model_names_its_outlier_segment_and_sql_scoring_can_repeat_it():
    frame, _ = _customers()
    frame = _with_outliers(frame)
    settings = SegmentationSettings(**{**SETTINGS.__dict__, "algorithm": "hdbscan"})
    model = fit_segmentation(frame, settings, "2026-07-01")
    outlier = model.segments[model.segments["is_outlier_segment"]]
    assert outlier["segment_name"].tolist() == [OUTLIER_SEGMENT_NAME]
    outlier_id = int(outlier.index[0])
    ordered = frame.sort_values("customer_id").reset_index(drop=True)
    far = ordered["customer_id"].str.startswith("z").to_numpy()
    assert (model.labels[far] == outlier_id).all()
    artifacts = model.artifacts()
    scored = _scored_from_artifacts(artifacts, ordered)
    assert (scored == model.assign(ordered)["segment_id"].to_numpy()).all()
    assert (scored[far] == outlier_id).all()
    assert (scored == model.labels).mean() > 0.95
    flags = artifacts[(artifacts.record_type == "segment") & (artifacts.metric == "radius")]
    assert outlier_id not in set(flags["segment_id"])


def test_artifacts_hold_the_new_record_types_and_metrics():
    frame, _ = _customers()
    settings = SegmentationSettings(**{**SETTINGS.__dict__, "algorithm": "hierarchical"})
    artifacts = fit_segmentation(frame, settings, "2026-07-01").artifacts()
    record_types = set(artifacts["record_type"])
    assert {
        "scaling",
        "dropped_feature",
        "centroid",
        "segment",
        "k_candidate",
        "metric",
        "parameter",
        "feature_selection",
        "explanation_rule",
        "linkage",
        "validation",
    } <= record_types
    candidates = artifacts[artifacts.record_type == "k_candidate"]
    assert set(candidates["metric"]) == {
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "stability",
        "inertia",
        "min_segment_share",
        "usefulness",
        "is_eligible",
        "is_chosen",
        "selection_reason",
    }
    metrics = artifacts[artifacts.record_type == "metric"].set_index("metric")["value"]
    for name in ("holdout_ari", "stability", "davies_bouldin", "scoring_agreement"):
        assert 0 < metrics[name] <= 10, name
    assert metrics["holdout_ari"] > 0.9
    segment_metrics = set(artifacts.loc[artifacts.record_type == "segment", "metric"])
    assert {"radius", "is_outlier_segment", "match_status", "match_distance"} <= segment_metrics
    rules = artifacts[artifacts.record_type == "explanation_rule"]
    assert set(rules["metric"]) == {"coverage", "precision", "support"}
    assert rules["text_value"].notna().all() and rules["position"].min() == 1
    selection = artifacts[artifacts.record_type == "feature_selection"]
    assert set(selection["metric"]) == {"kept", "dropped"}
    assert selection.loc[selection.metric == "kept", "value"].sum() == pytest.approx(1.0)
    linkage = artifacts[artifacts.record_type == "linkage"]
    assert linkage["position"].nunique() == 50
    assert set(linkage["metric"]) == {
        "left_node",
        "right_node",
        "height",
        "size",
        "left_size",
        "right_size",
    }


@pytest.mark.parametrize("algorithm", ["hierarchical", "autoencoder_kmeans"])
def test_other_algorithms_recover_the_planted_groups(algorithm):
    frame, truth = _customers()
    settings = SegmentationSettings(
        **{**SETTINGS.__dict__, "algorithm": algorithm, "autoencoder_max_iter": 100}
    )
    model = fit_segmentation(frame, settings, "2026-07-01")
    assert model.clustering.k == 3
    assert adjusted_rand_score(truth, model.labels) >= 0.9


def test_new_settings_are_validated_and_read_from_json():
    with pytest.raises(ValueError, match="hierarchical_sample_size"):
        SegmentationSettings(numeric_features=("a",), hierarchical_sample_size=50_000)
    with pytest.raises(ValueError, match="min_segment_share"):
        SegmentationSettings(numeric_features=("a",), min_segment_share=0.9)
    with pytest.raises(ValueError, match="max_feature_correlation"):
        SegmentationSettings(numeric_features=("a",), max_feature_correlation=0.0)
    with pytest.raises(ValueError, match="max_match_distance"):
        SegmentationSettings(numeric_features=("a",), max_match_distance=0)
    settings = SegmentationSettings.from_json(
        '{"numeric_features": ["a"], "log1p_features": [], "algorithm": "hdbscan",'
        ' "stability_resamples": "3",'
        ' "min_segment_share": "0.05", "max_feature_correlation": 0.8}'
    )
    assert settings.stability_resamples == 3
    assert settings.min_segment_share == 0.05
    parameters = settings.as_parameters()
    assert parameters["algorithm"] == "hdbscan"
    assert parameters["max_feature_correlation"] == 0.8
    assert {"hierarchical_sample_size", "max_match_distance", "holdout_share"} <= set(parameters)
