"""Predictive validity on a time hold-out, outcome weights, and k chosen for usefulness."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from customer_segmentation.segmentation.clustering import rank_candidates
from customer_segmentation.segmentation.model import fit_segmentation
from customer_segmentation.segmentation.preprocessing import (
    apply_scaling,
    fit_scaling,
    weight_scaling,
)
from customer_segmentation.segmentation.validation import (
    MIN_FEATURE_WEIGHT,
    LabelledWindow,
    eta_squared,
    outcome_weights,
    validity_metrics,
)
from customer_segmentation.settings import SegmentationSettings


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):
        yield


# --- eta² and lifts -----------------------------------------------------------------------------


def test_eta_squared_known_answers():
    # Two groups of two: means 1 and 3 around 2; between = 4 * 1, total = 0^2+2^2+2^2+4^2 - 4*2^2.
    assert eta_squared([1, 1, 2, 2], [0.0, 2.0, 2.0, 4.0]) == pytest.approx(0.5)
    assert eta_squared(["a", "b", "c"], [1.0, 5.0, 9.0]) == pytest.approx(1.0)
    assert eta_squared([1, 1, 1], [1.0, 5.0, 9.0]) == pytest.approx(0.0)
    assert eta_squared([1, 2], [3.0, 3.0]) is None
    assert eta_squared([], []) is None


def test_lifts_compare_the_extreme_groups_with_everyone():
    groups = np.array([1, 1, 2, 2, 3, 3, 3, 3])
    churned = np.array([1, 1, 0, 1, 0, 0, 0, 0], dtype=float)  # rates 1, 0.5, 0; overall 3/8
    spend = np.array([0, 0, 10, 30, 40, 40, 40, 0], dtype=float)  # means 0, 20, 30; overall 20
    figures = validity_metrics(groups, churned, spend)
    assert figures["churn_lift_worst_segment"] == pytest.approx(1 / (3 / 8))
    assert figures["churn_lift_best_segment"] == pytest.approx(0.0)
    assert figures["spend_lift_best_segment"] == pytest.approx(30 / 20)
    assert figures["spend_lift_worst_segment"] == pytest.approx(0.0)
    # No positive overall spend: a lift has no meaning.
    assert validity_metrics(groups, churned, -spend)["spend_lift_best_segment"] is None


# --- outcome weights ----------------------------------------------------------------------------


def test_the_feature_that_tracks_the_outcomes_gets_the_largest_weight():
    rng = np.random.default_rng(3)
    n = 2000
    driver = rng.normal(size=n)
    noise = rng.normal(size=n)
    churned = (driver + rng.normal(0, 0.5, n) < 0).astype(float)
    spend = np.maximum(0, 50 + 40 * driver + rng.normal(0, 10, n))
    weights, churn_r, spend_r = outcome_weights(np.column_stack([driver, noise]), churned, spend)
    assert weights[0] == pytest.approx(1.0)
    assert MIN_FEATURE_WEIGHT <= weights[1] < 0.1
    assert churn_r[0] > 0.7 and spend_r[0] > 0.9


def test_no_outcome_variance_leaves_every_weight_at_one():
    x = np.random.default_rng(0).normal(size=(50, 3))
    weights, _, _ = outcome_weights(x, np.zeros(50), np.full(50, 7.0))
    assert weights.tolist() == [1.0, 1.0, 1.0]


def test_a_weight_is_stored_in_the_scaling_and_scales_the_dimension():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "customer_id": range(300),
            "monetary": rng.lognormal(4, 2, 300),
            "frequency": rng.poisson(3, 300),
            "country": rng.choice(["DE", "FR", "UK"], 300),
        }
    )
    frame.loc[0, "monetary"] = 1e9  # clipped at 5 before weighting, at 5 * w after
    scaling = fit_scaling(frame, ["monetary", "frequency"], ["monetary"], ["country"])
    weights = np.array([0.3, 1.0, 0.5, 0.5, 0.5])
    weighted = weight_scaling(scaling, weights)
    before = apply_scaling(frame, scaling.parameters)
    after = apply_scaling(frame, weighted.parameters)
    np.testing.assert_allclose(after, before * weights)
    assert after[0, 0] == pytest.approx(5 * 0.3)
    with pytest.raises(ValueError, match="positive weight"):
        weight_scaling(scaling, np.array([1.0, 0.0, 1.0, 1.0, 1.0]))


# --- choosing k ---------------------------------------------------------------------------------


def _candidates(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "k",
            "silhouette",
            "stability",
            "min_segment_share",
            "churn_eta_squared",
            "spend_eta_squared",
        ],
    )


def test_the_best_silhouette_wins_among_the_stable_candidates_as_useful_as_the_best():
    candidates = _candidates(
        [
            (4, 0.50, 0.95, 0.10, 0.10, 0.20),  # usefulness (0.5 + 0.5) / 2 = 0.5
            (5, 0.40, 0.90, 0.08, 0.19, 0.39),  # (0.95 + 0.975) / 2: within 0.05 of the best
            (6, 0.35, 0.85, 0.05, 0.20, 0.40),  # 1.0: the most useful
            (7, 0.45, 0.60, 0.05, 0.21, 0.41),  # unstable
            (8, 0.60, 0.90, 0.01, 0.30, 0.50),  # a segment below 2%: not eligible
        ]
    )
    ranked = rank_candidates(candidates, 0.02, 0.8, "usefulness", 0.05).set_index("k")
    assert ranked.index[ranked["is_chosen"]].tolist() == [5]
    assert ranked.loc[6, "usefulness"] == pytest.approx(1.0)
    assert ranked.loc[4, "usefulness"] == pytest.approx(0.5)
    assert np.isnan(ranked.loc[7, "usefulness"]) and np.isnan(ranked.loc[8, "usefulness"])
    reasons = ranked["selection_reason"]
    assert reasons[5].startswith("chosen: usefulness 0.963")
    assert "of the 2 stable candidates within 0.05 of the most useful" in reasons[5]
    assert reasons[6].startswith("as useful, usefulness 1.000")
    assert "silhouette 0.350 against 0.400 for k = 5" in reasons[6]
    assert reasons[4].startswith("less useful: usefulness 0.500")
    assert reasons[7] == "not stable: stability 0.600 (at least 0.8 needed)"
    assert reasons[8].startswith("not eligible: its smallest segment holds 1.0%")


def test_without_validity_the_silhouette_rule_applies_and_says_so():
    candidates = _candidates([(4, 0.50, 0.95, 0.10, None, None), (5, 0.55, 0.90, 0.08, None, None)])
    ranked = rank_candidates(candidates, 0.02, 0.8, "usefulness", 0.05).set_index("k")
    assert ranked.index[ranked["is_chosen"]].tolist() == [5]
    assert "no hold-out validity was measured" in ranked.loc[5, "selection_reason"]
    by_silhouette = _candidates([(4, 0.50, 0.95, 0.10, 0.3, 0.3), (5, 0.55, 0.90, 0.08, 0.1, 0.1)])
    ranked = rank_candidates(by_silhouette, 0.02, 0.8, "silhouette").set_index("k")
    assert ranked.index[ranked["is_chosen"]].tolist() == [5]
    assert ranked["usefulness"].isna().all()


def test_the_most_stable_wins_when_none_is_stable():
    candidates = _candidates([(4, 0.5, 0.70, 0.1, 0.3, 0.3), (5, 0.6, 0.75, 0.1, 0.1, 0.1)])
    ranked = rank_candidates(candidates, 0.02, 0.8, "usefulness").set_index("k")
    assert ranked.index[ranked["is_chosen"]].tolist() == [5]
    assert ranked.loc[5, "selection_reason"].startswith("chosen: no candidate reaches stability")


# --- the fit with labelled windows --------------------------------------------------------------

FEATURES = ("recency_days", "frequency", "monetary", "sessions")
SETTINGS = SegmentationSettings(
    numeric_features=FEATURES,
    log1p_features=FEATURES,
    k_min=2,
    k_max=5,
    n_init=4,
    seed=7,
    stability_resamples=2,
)


def _window(role: str, cutoff: str, end: str, n: int, seed: int) -> pd.DataFrame:
    """Customers of three behaviours. Who churns and spends depends on recency and frequency;
    sessions splits the customers in two halves that behave alike (noise for the outcomes)."""
    rng = np.random.default_rng(seed)
    kind = np.repeat([0, 1, 2], n)  # loyal, lapsing, lapsed
    recency = np.array([10, 90, 400])[kind] * rng.lognormal(0, 0.2, 3 * n)
    frequency = np.array([20, 4, 1])[kind] + rng.poisson(1, 3 * n)
    churn_rate = np.array([0.05, 0.5, 0.95])[kind]
    churned = rng.random(3 * n) < churn_rate
    spend = np.where(churned, 0.0, np.array([300, 80, 40])[kind] * rng.lognormal(0, 0.3, 3 * n))
    sessions = np.where(rng.random(3 * n) < 0.5, 2, 60) + rng.poisson(2, 3 * n)
    return pd.DataFrame(
        {
            "cutoff_role": role,
            "cutoff_date": pd.Timestamp(cutoff),
            "outcome_end_date": pd.Timestamp(end),
            "customer_id": [f"{role[0]}{i:05d}" for i in range(3 * n)],
            "recency_days": recency.round(),
            "frequency": frequency,
            "monetary": (frequency * rng.lognormal(4, 0.3, 3 * n)).round(2),
            "sessions": sessions,
            "is_churned": churned,
            "next_period_net_spend": spend.round(2),
            "rfm_segment_id": np.where(recency < 50, 1, np.where(recency < 200, 8, 11)),
            "recency_quartile": pd.qcut(recency, 4, labels=False) + 1,
        }
    )


def _labelled() -> pd.DataFrame:
    return pd.concat(
        [
            _window("training", "2026-04-02", "2026-07-01", 150, 1),
            _window("evaluation", "2026-01-02", "2026-04-02", 150, 2),
        ],
        ignore_index=True,
    )


def _current() -> pd.DataFrame:
    return _window("current", "2026-07-01", "2026-07-01", 150, 3).drop(
        columns=["cutoff_role", "is_churned", "next_period_net_spend"]
    )


def test_features_are_weighted_by_the_outcomes_and_every_k_is_judged_on_the_hold_out():
    model = fit_segmentation(_current(), SETTINGS, "2026-07-01", labelled=_labelled())
    weights = model.feature_weights.set_index("feature")["weight"]
    # frequency and monetary move with recency here and are dropped as redundant; sessions says
    # nothing about churn or spend in these windows: it counts for little.
    assert weights.index.tolist() == ["recency_days", "sessions"]
    assert weights["sessions"] < 0.2 and weights["recency_days"] == pytest.approx(1.0)
    assert "weighted by the outcomes of the 450 customers labelled at 2026-04-02" in (
        model.weighting_status
    )
    candidates = model.clustering.candidates.set_index("k")
    assert candidates.index.tolist() == [2, 3, 4, 5]
    assert candidates["churn_eta_squared"].notna().all()
    # Three behaviours with churn rates 5%, 50% and 95%: three segments that follow them explain
    # (0.45^2 + 0 + 0.45^2) / 3 / 0.25 = 0.54 of the churn variance, give or take sampling.
    assert candidates.loc[3, "churn_eta_squared"] == pytest.approx(0.54, abs=0.05)
    assert candidates.loc[2, "churn_eta_squared"] < candidates.loc[3, "churn_eta_squared"]
    assert model.clustering.k == 3
    truth = np.repeat([0, 1, 2], 150)
    assert adjusted_rand_score(truth, model.labels) > 0.9
    baselines = model.baselines.set_index("method")
    assert baselines.loc["rfm_grid", "k"] == 3
    assert baselines.loc["recency_quartiles", "k"] == 4
    assert model.validation["validation_customers"] == 450
    assert model.validation["validation_status"].startswith("measured on 450 customers")


def test_validation_rows_and_weights_are_stored_in_the_artifacts():
    artifacts = fit_segmentation(
        _current(), SETTINGS, "2026-07-01", labelled=_labelled()
    ).artifacts()
    validation = artifacts[artifacts.record_type == "validation"]
    assert set(validation["text_value"]) == {"segments", "rfm_grid", "recency_quartiles"}
    per_method = validation.groupby("text_value")["k"].nunique()
    assert per_method["segments"] == 4 and per_method["rfm_grid"] == 1
    assert validation.groupby(["text_value", "k"]).size().eq(6).all()
    weights = artifacts[artifacts.record_type == "feature_weight"]
    assert set(weights["metric"]) == {"outcome_weight", "churn_correlation", "spend_correlation"}
    parameters = artifacts[artifacts.record_type == "parameter"].set_index("metric")["text_value"]
    assert parameters["validation_cutoff_date"] == "2026-04-02"
    assert parameters["validation_outcome_end_date"] == "2026-07-01"
    reasons = artifacts[
        (artifacts.record_type == "k_candidate") & (artifacts.metric == "selection_reason")
    ]
    assert reasons["text_value"].notna().all() and len(reasons) == 4


def test_the_fit_does_not_depend_on_the_row_order_of_the_windows():
    labelled = _labelled()
    first = fit_segmentation(_current(), SETTINGS, "2026-07-01", labelled=labelled)
    shuffled = labelled.sample(frac=1.0, random_state=5)
    second = fit_segmentation(
        _current().sample(frac=1.0, random_state=6), SETTINGS, "2026-07-01", labelled=shuffled
    )
    assert first.model_id == second.model_id
    pd.testing.assert_frame_equal(
        first.artifacts().query("record_type != 'metric'"),
        second.artifacts().query("record_type != 'metric'"),
    )


def test_without_labelled_windows_the_model_is_unweighted_and_says_why():
    model = fit_segmentation(_current(), SETTINGS, "2026-07-01")
    assert model.feature_weights.empty
    assert model.weighting_status.startswith("unweighted: no usable labelled window")
    assert model.validation["validation_status"].startswith("not measured")
    assert model.clustering.candidates["churn_eta_squared"].isna().all()
    chosen = model.clustering.candidates[model.clustering.candidates["is_chosen"]]
    assert "no hold-out validity was measured" in chosen["selection_reason"].iloc[0]


def test_a_hold_out_too_small_to_judge_is_not_used():
    labelled = _labelled()
    tiny = labelled[labelled["cutoff_role"] == "evaluation"].head(10)
    window = LabelledWindow.from_sample(tiny.assign(cutoff_role="training"), "training")
    assert not window.usable and "at least 50 needed" in window.status
    empty = LabelledWindow.from_sample(labelled.head(0), "training")
    assert not empty.usable


def test_unweighted_on_request():
    settings = SegmentationSettings(**{**SETTINGS.__dict__, "feature_weighting": "none"})
    model = fit_segmentation(_current(), settings, "2026-07-01", labelled=_labelled())
    assert model.feature_weights.empty
    assert model.weighting_status == "unweighted: feature_weighting is none"
    # The hold-out still judges every k.
    assert model.clustering.candidates["churn_eta_squared"].notna().all()
