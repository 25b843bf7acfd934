import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from customer_segmentation.segmentation.algorithms import HierarchicalClusterer, WardTree
from customer_segmentation.segmentation.clustering import LINKAGE_MERGES_KEPT, fit_segments
from customer_segmentation.segmentation.scoring import assign_to_nearest
from customer_segmentation.settings import SegmentationSettings


@pytest.fixture(autouse=True)
def _one_thread():
    # Many small fits: one OpenMP thread avoids spin-waiting on a busy 2-core machine.
    with threadpool_limits(limits=1):
        yield


def _options(algorithm: str, **overrides) -> SegmentationSettings:
    values = {
        "algorithm": algorithm,
        "stability_resamples": 2,
        "hierarchical_sample_size": 400,
        "hdbscan_sample_size": 400,
        "autoencoder_sample_size": 400,
        "autoencoder_max_iter": 150,
        **overrides,
    }
    return SegmentationSettings(**values)


def _blobs(k: int = 4, n: int = 600, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    return make_blobs(n_samples=n, centers=k, n_features=5, cluster_std=0.6, random_state=seed)


@pytest.mark.parametrize("algorithm", ["kmeans", "hierarchical", "autoencoder_kmeans"])
def test_planted_blobs_are_recovered(algorithm):
    x, truth = _blobs()
    result = fit_segments(x, k_min=2, k_max=6, seed=0, n_init=3, options=_options(algorithm))
    assert result.k == 4
    assert adjusted_rand_score(truth, result.labels) >= 0.9
    assert result.metrics["holdout_ari"] >= 0.9
    assert result.metrics["stability"] >= 0.9
    # Centroids are member means in scaled space, whatever the algorithm.
    for number, centroid in enumerate(result.centroids, 1):
        members = x[result.labels == number]
        assert np.abs(members.mean(axis=0) - centroid).max() < 0.1


@pytest.mark.parametrize("algorithm", ["kmeans", "hierarchical", "hdbscan", "autoencoder_kmeans"])
def test_every_algorithm_is_deterministic(algorithm):
    x, _ = _blobs(3, n=300)
    options = _options(algorithm, holdout_share=0.0, autoencoder_max_iter=50)
    first = fit_segments(x, 2, 4, seed=5, n_init=2, options=options)
    second = fit_segments(x, 2, 4, seed=5, n_init=2, options=options)
    assert (first.labels == second.labels).all()
    assert np.array_equal(first.centroids, second.centroids)
    assert first.metrics == second.metrics


def test_hierarchical_fits_a_bounded_sample_and_stores_the_top_of_the_tree():
    x, truth = _blobs(n=900)
    result = fit_segments(x, 2, 6, seed=0, n_init=2, options=_options("hierarchical"))
    assert result.metrics["fit_sample_customers"] == 400
    assert adjusted_rand_score(truth, result.labels) >= 0.9
    linkage = result.linkage
    assert len(linkage) == LINKAGE_MERGES_KEPT
    assert linkage["height"].is_monotonic_increasing
    last = linkage.iloc[-1]
    assert last["step"] == 399 and last["clusters_after"] == 1 and last["size"] == 400
    assert (linkage["size"] == linkage["left_size"] + linkage["right_size"]).all()
    # Merges below the cut lie inside one segment; the top k - 1 merges join segments.
    above_cut = linkage[linkage["clusters_after"] < result.k]
    assert above_cut["segment"].isna().all() and len(above_cut) == result.k - 1
    assert linkage.loc[linkage["clusters_after"] >= result.k, "segment"].notna().all()


def test_ward_tree_cuts_match_sklearn():
    x, _ = _blobs(5, n=200, seed=1)
    partitions = HierarchicalClusterer(0, 0.99, sample_size=200).partitions(x, [2, 3, 5])
    tree = partitions[2].tree
    assert isinstance(tree, WardTree)
    for k in (2, 3, 5):
        expected = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(x).labels_
        assert adjusted_rand_score(expected, tree.cut(k)) == pytest.approx(1.0)


def _blobs_with_outliers() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, truth = _blobs(3, n=600)
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(8, 5))
    outliers = 40 * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    return np.vstack([x, outliers]), truth, np.arange(len(x), len(x) + len(outliers))


def test_hdbscan_puts_far_outliers_in_the_outlier_segment():
    x, truth, outlier_rows = _blobs_with_outliers()
    result = fit_segments(x, 3, 8, seed=0, options=_options("hdbscan", hdbscan_sample_size=1000))
    assert result.is_outlier.tolist() == [False, False, False, True]
    assert result.k == 4
    outlier_id = result.k
    assert (result.labels[outlier_rows] == outlier_id).all()
    clustered = result.labels[: len(truth)]
    assert (clustered != outlier_id).mean() > 0.95
    keep = clustered != outlier_id
    assert adjusted_rand_score(truth[keep], clustered[keep]) >= 0.9
    assert result.metrics["outlier_share"] == pytest.approx((result.labels == outlier_id).mean())
    assert result.metrics["min_cluster_size"] == 13  # ceil(0.02 * 608)
    assert np.isnan(result.radius[-1]) and (result.radius[:-1] > 0).all()


def test_the_scoring_rule_sends_a_far_new_customer_to_the_outlier_segment():
    x, _, _ = _blobs_with_outliers()
    result = fit_segments(x, 3, 8, seed=0, options=_options("hdbscan", hdbscan_sample_size=1000))
    far = np.full((1, 5), 60.0)
    near = result.centroids[:1] + 0.1
    positions, distances = assign_to_nearest(
        np.vstack([far, near]), result.centroids, result.radius, result.is_outlier
    )
    assert positions.tolist() == [result.k, 1]
    assert distances[0] == pytest.approx(np.linalg.norm(far[0] - result.centroids[-1]))
    # The rule reproduces the training assignment (rows outside the HDBSCAN sample are
    # assigned by it; sample rows mostly agree).
    assert result.metrics["scoring_agreement"] > 0.95


def test_hdbscan_on_a_bounded_sample_assigns_the_rest_by_the_rule():
    x, truth, _ = _blobs_with_outliers()
    result = fit_segments(x, 3, 8, seed=0, options=_options("hdbscan", hdbscan_sample_size=300))
    assert result.metrics["fit_sample_customers"] == 300
    assert len(result.labels) == len(x)
    clustered = result.labels[: len(truth)]
    keep = clustered != result.k
    assert adjusted_rand_score(truth[keep], clustered[keep]) >= 0.9


def test_autoencoder_reports_its_diagnostics():
    x, _ = _blobs(3, n=400)
    result = fit_segments(x, 3, 3, seed=0, n_init=2, options=_options("autoencoder_kmeans"))
    metrics = result.metrics
    assert 0 <= metrics["reconstruction_mse"] < np.var(x)
    assert metrics["ari_vs_kmeans"] == pytest.approx(1.0)
    assert metrics["scaled_space_agreement"] == pytest.approx(1.0)
    assert metrics["fit_sample_customers"] == 400


def test_rule_prefers_a_segment_whose_radius_contains_the_customer():
    centroids = np.array([[0.0], [10.0], [4.0]])
    radius = np.array([1.0, 8.0, np.nan])
    is_outlier = np.array([False, False, True])
    x = np.array([[0.5], [3.0], [9.0], [-5.0], [30.0]])
    positions, distances = assign_to_nearest(x, centroids, radius, is_outlier)
    # 3.0 is nearer segment 1 but outside its radius, and inside segment 2's.
    assert positions.tolist() == [1, 2, 2, 3, 3]
    assert distances.tolist() == pytest.approx([0.5, 7.0, 1.0, 9.0, 26.0])


def test_rule_without_an_outlier_segment_is_nearest_centroid():
    centroids = np.array([[0.0], [10.0]])
    positions, _ = assign_to_nearest(
        np.array([[4.0], [6.0]]), centroids, np.array([0.1, 0.1]), np.array([False, False])
    )
    assert positions.tolist() == [1, 2]
