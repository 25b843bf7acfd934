import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from customer_segmentation.segmentation.clustering import (
    CANDIDATE_COLUMNS,
    assign_to_nearest,
    choose_k,
    fit_segments,
    relabel_in_fixed_order,
)
from customer_segmentation.settings import SegmentationSettings

# Two resamples keep the stability column filled while the tests stay fast.
FAST = SegmentationSettings(stability_resamples=2)


@pytest.fixture(autouse=True)
def _one_thread():
    # Many small fits: one OpenMP thread avoids spin-waiting on a busy 2-core machine.
    with threadpool_limits(limits=1):
        yield


def _blobs(k: int = 4, n: int = 1200, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    return make_blobs(n_samples=n, centers=k, n_features=5, cluster_std=0.6, random_state=seed)


@pytest.mark.parametrize("true_k", [3, 4, 6])
def test_planted_blobs_are_recovered_and_k_is_found(true_k):
    x, truth = _blobs(true_k)
    result = fit_segments(x, k_min=2, k_max=8, seed=0, n_init=5, options=FAST)
    assert result.k == true_k
    assert adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)
    assert set(result.labels) == set(range(1, true_k + 1))


def test_every_candidate_is_scored_and_one_is_chosen():
    x, _ = _blobs(4)
    result = fit_segments(x, k_min=2, k_max=6, seed=0, n_init=3, options=FAST)
    assert list(result.candidates["k"]) == [2, 3, 4, 5, 6]
    assert list(result.candidates.columns) == CANDIDATE_COLUMNS
    assert result.candidates["is_chosen"].sum() == 1
    for column in ("silhouette", "davies_bouldin", "calinski_harabasz", "stability"):
        assert result.candidates[column].notna().all(), column
    assert result.candidates["inertia"].is_monotonic_decreasing
    assert result.candidates["stability"].between(-1, 1).all()


def test_silhouette_sample_size_is_respected_and_deterministic():
    x, _ = _blobs(3, n=3000)
    first = fit_segments(
        x, k_min=3, k_max=3, seed=0, n_init=2, silhouette_sample_size=500, options=FAST
    )
    second = fit_segments(
        x, k_min=3, k_max=3, seed=0, n_init=2, silhouette_sample_size=500, options=FAST
    )
    assert first.silhouette == second.silhouette
    pd.testing.assert_frame_equal(first.candidates, second.candidates)
    assert first.metrics == second.metrics


def test_forced_k_skips_the_search():
    x, _ = _blobs(4)
    result = fit_segments(x, k_min=2, k_max=8, seed=0, forced_k=2, options=FAST)
    assert result.k == 2
    assert list(result.candidates["k"]) == [2]


def test_same_data_in_another_order_gives_the_same_centroids_and_ids():
    x, _ = _blobs(4)
    first = fit_segments(x, k_min=4, k_max=4, seed=0, n_init=5, options=FAST)
    permutation = np.random.default_rng(1).permutation(len(x))
    second = fit_segments(x[permutation], k_min=4, k_max=4, seed=0, n_init=5, options=FAST)
    assert np.allclose(first.centroids, second.centroids)
    assert (first.labels[permutation] == second.labels).all()


def test_one_customer_gets_one_segment():
    result = fit_segments(np.array([[1.0, 2.0]]), k_min=3, k_max=8, seed=0)
    assert result.k == 1
    assert result.labels.tolist() == [1]
    assert result.silhouette is None


def test_k_is_capped_at_the_number_of_distinct_customers():
    x = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [9.0, 0.0]])
    result = fit_segments(x, k_min=4, k_max=8, seed=0)
    assert result.k == 3
    assert len(set(result.labels)) == 3


def test_no_dimensions_means_one_segment():
    result = fit_segments(np.zeros((5, 0)), k_min=2, k_max=4, seed=0)
    assert result.k == 1
    assert result.labels.tolist() == [1] * 5


def test_empty_input_is_an_error():
    with pytest.raises(ValueError, match="no customers"):
        fit_segments(np.zeros((0, 3)), k_min=2, k_max=4, seed=0)


def test_relabel_orders_by_centroid_and_keeps_assignments():
    centroids = np.array([[0.0, 1.0], [2.0, 0.0], [2.0, 3.0]])
    labels = np.array([0, 1, 2, 2])
    new_labels, new_centroids = relabel_in_fixed_order(labels, centroids)
    assert new_centroids.tolist() == [[2.0, 3.0], [2.0, 0.0], [0.0, 1.0]]
    assert new_labels.tolist() == [3, 2, 1, 1]


def test_assign_to_nearest_breaks_ties_to_the_lower_segment():
    centroids = np.array([[0.0], [2.0]])
    segments, distances = assign_to_nearest(np.array([[1.0], [1.9], [-3.0]]), centroids)
    assert segments.tolist() == [1, 2, 1]
    assert distances == pytest.approx([1.0, 0.1, 3.0])


def _candidates(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["k", "silhouette", "stability", "min_segment_share"])


def test_choose_k_takes_the_best_silhouette_among_stable_candidates():
    candidates = _candidates(
        [(3, 0.60, 0.50, 0.2), (4, 0.50, 0.90, 0.2), (5, 0.55, 0.85, 0.1), (6, 0.70, 0.95, 0.01)]
    )
    # k=3 is unstable and k=6 has a segment below 2 %: k=5 has the best silhouette left.
    assert choose_k(candidates, min_segment_share=0.02, min_stability=0.8) == 5


def test_choose_k_takes_the_most_stable_when_none_is_stable_and_ties_go_to_smaller_k():
    candidates = _candidates([(3, 0.60, 0.70, 0.2), (4, 0.50, 0.75, 0.2), (5, 0.90, 0.75, 0.2)])
    assert choose_k(candidates, min_segment_share=0.02, min_stability=0.8) == 4
    tied = _candidates([(3, 0.5, 0.9, 0.2), (4, 0.5, 0.9, 0.2)])
    assert choose_k(tied, min_segment_share=0.02, min_stability=0.8) == 3


def test_choose_k_treats_unmeasured_stability_as_stable_and_needs_an_eligible_k():
    unmeasured = _candidates([(3, 0.4, None, 0.2), (4, 0.6, None, 0.2)])
    assert choose_k(unmeasured, min_segment_share=0.02, min_stability=0.8) == 4
    tiny = _candidates([(3, 0.4, 1.0, 0.01), (4, 0.6, 1.0, 0.005)])
    assert choose_k(tiny, min_segment_share=0.02, min_stability=0.8) is None


def test_a_tiny_segment_makes_k_ineligible_and_a_smaller_k_is_fitted():
    rng = np.random.default_rng(0)
    big = [rng.normal(center, 0.5, size=(300, 2)) for center in ([0, 0], [10, 0], [0, 10])]
    tiny = rng.normal([25, 25], 0.3, size=(5, 2))
    x = np.vstack([*big, tiny])
    options = SegmentationSettings(min_segment_share=0.02, stability_resamples=2)
    result = fit_segments(x, k_min=4, k_max=4, seed=0, n_init=3, options=options)
    candidates = result.candidates.set_index("k")
    assert not candidates.loc[4, "is_eligible"]
    assert candidates.loc[4, "min_segment_share"] == pytest.approx(5 / len(x))
    # Nothing in [k_min, k_max] was eligible: the largest eligible smaller k wins.
    assert result.k == 3
    assert bool(candidates.loc[3, "is_chosen"])
    assert result.metrics["min_segment_share"] >= 0.02


def test_without_the_size_gate_the_tiny_segment_is_kept():
    rng = np.random.default_rng(0)
    big = [rng.normal(center, 0.5, size=(300, 2)) for center in ([0, 0], [10, 0], [0, 10])]
    x = np.vstack([*big, rng.normal([25, 25], 0.3, size=(5, 2))])
    options = SegmentationSettings(min_segment_share=0.0, stability_resamples=2)
    assert fit_segments(x, k_min=4, k_max=4, seed=0, n_init=3, options=options).k == 4


def test_stability_and_holdout_are_high_on_well_separated_blobs():
    x, truth = _blobs(4, n=800)
    result = fit_segments(x, k_min=4, k_max=4, seed=0, n_init=3, options=FAST)
    assert result.metrics["stability"] > 0.95
    assert result.metrics["holdout_ari"] > 0.95
    assert result.metrics["scoring_agreement"] == 1.0
    assert adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)


def test_stability_can_be_switched_off():
    x, _ = _blobs(3, n=300)
    options = SegmentationSettings(stability_resamples=0, holdout_share=0.0)
    result = fit_segments(x, k_min=2, k_max=4, seed=0, n_init=2, options=options)
    assert result.candidates["stability"].isna().all()
    assert result.metrics["holdout_ari"] is None
    assert result.k == 3
