import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from customer_segmentation.clustering import (
    assign_to_nearest,
    fit_segments,
    relabel_in_fixed_order,
)


def _blobs(k: int = 4, n: int = 1200, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    return make_blobs(n_samples=n, centers=k, n_features=5, cluster_std=0.6, random_state=seed)


@pytest.mark.parametrize("true_k", [3, 4, 6])
def test_planted_blobs_are_recovered_and_k_is_found(true_k):
    x, truth = _blobs(true_k)
    result = fit_segments(x, k_min=2, k_max=8, seed=0, n_init=5)
    assert result.k == true_k
    assert adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)
    assert set(result.labels) == set(range(1, true_k + 1))


def test_every_candidate_is_scored_and_one_is_chosen():
    x, _ = _blobs(4)
    result = fit_segments(x, k_min=2, k_max=6, seed=0, n_init=3)
    assert list(result.candidates["k"]) == [2, 3, 4, 5, 6]
    assert result.candidates["is_chosen"].sum() == 1
    assert result.candidates["silhouette"].notna().all()
    assert result.candidates["inertia"].is_monotonic_decreasing


def test_silhouette_sample_size_is_respected_and_deterministic():
    x, _ = _blobs(3, n=3000)
    first = fit_segments(x, k_min=3, k_max=3, seed=0, n_init=2, silhouette_sample_size=500)
    second = fit_segments(x, k_min=3, k_max=3, seed=0, n_init=2, silhouette_sample_size=500)
    assert first.silhouette == second.silhouette


def test_forced_k_skips_the_search():
    x, _ = _blobs(4)
    result = fit_segments(x, k_min=2, k_max=8, seed=0, forced_k=2)
    assert result.k == 2
    assert list(result.candidates["k"]) == [2]


def test_same_data_in_another_order_gives_the_same_centroids_and_ids():
    x, _ = _blobs(4)
    first = fit_segments(x, k_min=4, k_max=4, seed=0, n_init=5)
    permutation = np.random.default_rng(1).permutation(len(x))
    second = fit_segments(x[permutation], k_min=4, k_max=4, seed=0, n_init=5)
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
