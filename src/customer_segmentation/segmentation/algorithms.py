"""The clustering algorithms, each reduced to what the stored model needs: centroids.

Every algorithm turns rows of the scaled matrix into a Partition: a cluster label per row and, per
cluster, the mean of its members in scaled space (the centroid SQL scores against) and a radius.
What differs is how the labels are found:

- kmeans: k-means++ with n_init starts and a fixed seed, on all rows.
- hierarchical: Ward linkage on a random sample of at most hierarchical_sample_size rows (Ward
  needs about 8 * n^2 bytes); the tree is built once and cut at every candidate k; rows outside
  the sample go to the nearest cluster mean of the sample.
- hdbscan: sklearn's HDBSCAN on a sample of at most hdbscan_sample_size rows, with
  min_cluster_size = ceil(min_segment_share * sample rows) (at least 2). Noise points form an
  outlier cluster (label -1) whose centroid is the mean of the noise points; rows outside the
  sample are assigned with the radius rule of customer_segmentation.segmentation.scoring. The number
  of clusters is HDBSCAN's own: candidate k values do not apply.
- autoencoder_kmeans: an MLP autoencoder (input -> hidden -> bottleneck -> hidden -> input, tanh,
  fixed seed, at most autoencoder_max_iter epochs) is trained to reconstruct the scaled features
  on a sample of at most autoencoder_sample_size rows; K-means then runs on the bottleneck codes
  of all rows. Centroids are the cluster means in *scaled* space, so SQL scoring (nearest mean in
  scaled space) needs no network; how often that agrees with the embedding labels is reported.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score
from sklearn.neural_network import MLPRegressor

from customer_segmentation.segmentation.scoring import assign_to_nearest
from customer_segmentation.settings import SegmentationSettings

NOISE = -1


@dataclass(frozen=True)
class WardTree:
    """A full Ward merge tree on `n_leaves` sample rows (sklearn/scipy node numbering).

    Merge i (0-based) joins nodes children[i, 0] and children[i, 1] at height heights[i] into
    node n_leaves + i; nodes below n_leaves are sample rows. sizes[i] is the merged node's size.
    """

    children: np.ndarray
    heights: np.ndarray
    sizes: np.ndarray
    n_leaves: int

    def cut(self, k: int) -> np.ndarray:
        """Cluster (0..k-1) of each leaf after the first n_leaves - k merges."""
        n = self.n_leaves
        k = max(1, min(k, n))
        if n == 1:
            return np.zeros(1, dtype="int64")
        # Undo the last k - 1 merges: with Ward's monotone heights this is the cut at a height.
        roots = {2 * n - 2}
        while len(roots) < k:
            node = max(roots)
            roots.remove(node)
            roots.update(int(child) for child in self.children[node - n])
        node_label = np.full(2 * n - 1, -1, dtype="int64")
        for label, root in enumerate(sorted(roots)):
            node_label[root] = label
        for node in range(2 * n - 2, n - 1, -1):
            if node_label[node] >= 0:
                node_label[self.children[node - n]] = node_label[node]
        return node_label[:n]

    def any_leaf(self, node: int) -> int:
        """One sample row under a node."""
        while node >= self.n_leaves:
            node = int(self.children[node - self.n_leaves, 0])
        return node


@dataclass(frozen=True)
class Partition:
    """Clusters of some rows: labels 0..m-1 (NOISE for hdbscan outliers) and their centroids.

    centroids (m, d) and radius (m,) are for the real clusters; outlier_centroid is the mean of
    the noise rows (None when there are none). fit_rows is how many rows the algorithm itself
    was fitted on; tree is the Ward tree for hierarchical.
    """

    labels: np.ndarray
    centroids: np.ndarray
    radius: np.ndarray
    outlier_centroid: np.ndarray | None = None
    fit_rows: int = 0
    tree: WardTree | None = None

    @property
    def n_clusters(self) -> int:
        return len(self.centroids)

    @property
    def k(self) -> int:
        """Number of segments, counting the outlier segment."""
        return self.n_clusters + (self.outlier_centroid is not None)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Labels of new rows by the scoring rule (NOISE for the outlier segment)."""
        if self.outlier_centroid is None:
            positions, _ = assign_to_nearest(x, self.centroids)
            return positions - 1
        centroids = np.vstack([self.centroids, self.outlier_centroid])
        radius = np.append(self.radius, np.nan)
        is_outlier = np.append(np.zeros(self.n_clusters, dtype=bool), True)
        positions, _ = assign_to_nearest(x, centroids, radius, is_outlier)
        labels = positions - 1
        labels[labels == self.n_clusters] = NOISE
        return labels


def sample_rows(n_rows: int, size: int, seed: int, stream: int = 0) -> np.ndarray:
    """Sorted indices of a seeded random sample of at most `size` rows (all rows if fewer).

    `stream` separates independent samples drawn with the same seed.
    """
    if n_rows <= size:
        return np.arange(n_rows)
    rng = np.random.default_rng([seed, stream])
    return np.sort(rng.choice(n_rows, size=size, replace=False))


def n_distinct_rows(x: np.ndarray) -> int:
    """How many different rows x has (1 when it has no columns)."""
    if x.shape[1] == 0 or len(x) == 0:
        return min(len(x), 1)
    return len(np.unique(x, axis=0))


def partition_from_labels(
    x: np.ndarray,
    labels: np.ndarray,
    radius_quantile: float,
    centroids: np.ndarray | None = None,
    fit_rows: int | None = None,
    tree: WardTree | None = None,
) -> Partition:
    """Centroids (member means unless given), radii and the outlier centroid from labels."""
    labels = np.asarray(labels, dtype="int64")
    n_clusters = int(labels.max()) + 1 if (labels >= 0).any() else 0
    if centroids is None:
        centroids = np.vstack(
            [x[labels == c].mean(axis=0) for c in range(n_clusters)]
            if n_clusters
            else np.zeros((0, x.shape[1]))
        )
    radius = np.zeros(n_clusters)
    for c in range(n_clusters):
        members = x[labels == c]
        if len(members):
            distances = np.sqrt(((members - centroids[c]) ** 2).sum(axis=1))
            radius[c] = float(np.quantile(distances, radius_quantile))
    noise = labels == NOISE
    outlier_centroid = x[noise].mean(axis=0) if noise.any() else None
    return Partition(
        labels=labels,
        centroids=centroids,
        radius=radius,
        outlier_centroid=outlier_centroid,
        fit_rows=len(x) if fit_rows is None else fit_rows,
        tree=tree,
    )


def _one_cluster(x: np.ndarray, radius_quantile: float) -> Partition:
    return partition_from_labels(x, np.zeros(len(x), dtype="int64"), radius_quantile)


def _extend_to_all_rows(
    x: np.ndarray, sample: np.ndarray, fitted: Partition, radius_quantile: float
) -> Partition:
    """Labels for every row of x from a partition fitted on x[sample]."""
    if len(sample) == len(x):
        return fitted
    labels = fitted.predict(x)
    labels[sample] = fitted.labels
    return Partition(
        labels=labels,
        centroids=fitted.centroids,
        radius=fitted.radius,
        outlier_centroid=fitted.outlier_centroid,
        fit_rows=fitted.fit_rows,
        tree=fitted.tree,
    )


class Clusterer:
    """Base class: turns rows into one Partition per requested k."""

    name = "base"
    #: Whether the number of clusters is chosen by the algorithm (k values are ignored).
    finds_k = False
    #: Whether bootstrap resamples should drop repeated rows (density-based algorithms).
    resample_without_duplicates = False

    def __init__(self, seed: int, radius_quantile: float) -> None:
        self.seed = seed
        self.radius_quantile = radius_quantile

    def partitions(self, x: np.ndarray, ks: Sequence[int]) -> dict[int, Partition]:
        """One Partition of all rows of x per requested k (keys are the requested ks)."""
        raise NotImplementedError

    def diagnostics(self, x: np.ndarray, partition: Partition) -> dict[str, float | None]:
        """Algorithm-specific metrics of the chosen partition."""
        return {}


class KMeansClusterer(Clusterer):
    name = "kmeans"

    def __init__(self, seed: int, radius_quantile: float, n_init: int) -> None:
        super().__init__(seed, radius_quantile)
        self.n_init = n_init

    def partitions(self, x: np.ndarray, ks: Sequence[int]) -> dict[int, Partition]:
        distinct = n_distinct_rows(x)
        result = {}
        for k in ks:
            k_eff = min(k, distinct)
            if k_eff <= 1:
                result[k] = _one_cluster(x, self.radius_quantile)
                continue
            fitted = KMeans(
                n_clusters=k_eff, init="k-means++", n_init=self.n_init, random_state=self.seed
            ).fit(x)
            result[k] = partition_from_labels(
                x, fitted.labels_, self.radius_quantile, centroids=fitted.cluster_centers_
            )
        return result


class HierarchicalClusterer(Clusterer):
    name = "hierarchical"

    def __init__(self, seed: int, radius_quantile: float, sample_size: int) -> None:
        super().__init__(seed, radius_quantile)
        self.sample_size = sample_size

    def partitions(self, x: np.ndarray, ks: Sequence[int]) -> dict[int, Partition]:
        sample = sample_rows(len(x), self.sample_size, self.seed)
        xs = x[sample]
        if len(xs) < 2 or max(ks) <= 1:
            return {k: _one_cluster(x, self.radius_quantile) for k in ks}
        fitted = AgglomerativeClustering(
            n_clusters=None, distance_threshold=0.0, linkage="ward", compute_full_tree=True
        ).fit(xs)
        children = fitted.children_.astype("int64")
        n = len(xs)
        sizes = np.ones(2 * n - 1, dtype="int64")
        for i, (left, right) in enumerate(children):
            sizes[n + i] = sizes[left] + sizes[right]
        tree = WardTree(children, np.asarray(fitted.distances_, dtype=float), sizes[n:], n)
        distinct = n_distinct_rows(xs)
        result = {}
        for k in ks:
            sample_labels = tree.cut(min(k, distinct))
            part = partition_from_labels(xs, sample_labels, self.radius_quantile, tree=tree)
            result[k] = _extend_to_all_rows(x, sample, part, self.radius_quantile)
        return result


class HdbscanClusterer(Clusterer):
    name = "hdbscan"
    finds_k = True
    resample_without_duplicates = True

    def __init__(
        self, seed: int, radius_quantile: float, sample_size: int, min_segment_share: float
    ) -> None:
        super().__init__(seed, radius_quantile)
        self.sample_size = sample_size
        self.min_segment_share = min_segment_share

    def min_cluster_size(self, n_rows: int) -> int:
        return max(2, math.ceil(self.min_segment_share * n_rows))

    def partitions(self, x: np.ndarray, ks: Sequence[int]) -> dict[int, Partition]:
        sample = sample_rows(len(x), self.sample_size, self.seed)
        xs = x[sample]
        size = self.min_cluster_size(len(xs))
        if len(xs) < 2 * size or n_distinct_rows(xs) < 2:
            return {k: _one_cluster(x, self.radius_quantile) for k in ks}
        labels = HDBSCAN(min_cluster_size=size, copy=True).fit(xs).labels_
        if (labels == NOISE).all():
            labels = np.zeros(len(xs), dtype="int64")
        part = partition_from_labels(xs, labels, self.radius_quantile)
        part = _extend_to_all_rows(x, sample, part, self.radius_quantile)
        return dict.fromkeys(ks, part)

    def diagnostics(self, x: np.ndarray, partition: Partition) -> dict[str, float | None]:
        sample_rows_used = min(len(x), self.sample_size)
        return {
            "min_cluster_size": float(self.min_cluster_size(sample_rows_used)),
            "outlier_share": float((partition.labels == NOISE).mean()),
        }


class AutoencoderKMeansClusterer(Clusterer):
    """K-means on the bottleneck codes of an autoencoder trained once, on `training_x`."""

    name = "autoencoder_kmeans"

    def __init__(
        self,
        seed: int,
        radius_quantile: float,
        n_init: int,
        training_x: np.ndarray,
        sample_size: int,
        hidden_size: int,
        bottleneck_size: int,
        max_iter: int,
    ) -> None:
        super().__init__(seed, radius_quantile)
        self.n_init = n_init
        sample = sample_rows(len(training_x), sample_size, seed)
        self.training_rows = len(sample)
        self.network = MLPRegressor(
            hidden_layer_sizes=(hidden_size, bottleneck_size, hidden_size),
            activation="tanh",
            solver="adam",
            alpha=1e-4,
            batch_size=min(200, len(sample)),
            learning_rate_init=0.005,
            max_iter=max_iter,
            random_state=seed,
        )
        with warnings.catch_warnings():
            # A bounded number of epochs is the point: not converging is expected, not an error.
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            self.network.fit(training_x[sample], training_x[sample])

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Bottleneck codes: the first two layers of the trained network."""
        hidden = np.tanh(x @ self.network.coefs_[0] + self.network.intercepts_[0])
        return np.tanh(hidden @ self.network.coefs_[1] + self.network.intercepts_[1])

    def partitions(self, x: np.ndarray, ks: Sequence[int]) -> dict[int, Partition]:
        codes = self.encode(x)
        distinct = n_distinct_rows(codes)
        result = {}
        for k in ks:
            k_eff = min(k, distinct)
            if k_eff <= 1:
                result[k] = _one_cluster(x, self.radius_quantile)
                continue
            labels = (
                KMeans(n_clusters=k_eff, n_init=self.n_init, random_state=self.seed)
                .fit(codes)
                .labels_
            )
            result[k] = partition_from_labels(
                x, labels, self.radius_quantile, fit_rows=self.training_rows
            )
        return result

    def diagnostics(self, x: np.ndarray, partition: Partition) -> dict[str, float | None]:
        reconstruction = self.network.predict(x)
        if partition.n_clusters > 1:
            plain = (
                KMeans(n_clusters=partition.n_clusters, n_init=self.n_init, random_state=self.seed)
                .fit(x)
                .labels_
            )
            ari = float(adjusted_rand_score(plain, partition.labels))
        else:
            ari = 1.0
        return {
            "reconstruction_mse": float(((x - reconstruction) ** 2).mean()),
            "ari_vs_kmeans": ari,
            "scaled_space_agreement": float((partition.predict(x) == partition.labels).mean()),
        }


def build_clusterer(
    options: SegmentationSettings, x: np.ndarray, seed: int, n_init: int = 10
) -> Clusterer:
    """The clusterer for options.algorithm (its knobs: the segmentation settings); the
    autoencoder is trained here, on x.

    n_init is the number of k-means++ starts (kmeans and autoencoder_kmeans).
    """
    if options.algorithm == "kmeans":
        return KMeansClusterer(seed, options.outlier_radius_quantile, n_init)
    if options.algorithm == "hierarchical":
        return HierarchicalClusterer(
            seed, options.outlier_radius_quantile, options.hierarchical_sample_size
        )
    if options.algorithm == "hdbscan":
        return HdbscanClusterer(
            seed,
            options.outlier_radius_quantile,
            options.hdbscan_sample_size,
            options.min_segment_share,
        )
    if options.algorithm == "autoencoder_kmeans":
        return AutoencoderKMeansClusterer(
            seed,
            options.outlier_radius_quantile,
            n_init,
            training_x=x,
            sample_size=options.autoencoder_sample_size,
            hidden_size=options.autoencoder_hidden_size,
            bottleneck_size=options.autoencoder_bottleneck_size,
            max_iter=options.autoencoder_max_iter,
        )
    raise ValueError(f"unknown algorithm {options.algorithm!r}")
