"""Choosing the number of segments, fitting the chosen algorithm, and checking the result.

The algorithms themselves are in customer_segmentation.algorithms; every one ends with centroids
in scaled space, scored by the rule in customer_segmentation.scoring.

Candidates. Each k in [k_min, k_max] (capped at the number of distinct rows) is fitted and scored:

- silhouette: on a fixed random sample of silhouette_sample_size rows (it is quadratic);
- davies_bouldin and calinski_harabasz: on all rows;
- inertia: sum of squared distances of the rows to their own centroid;
- min_segment_share: the smallest segment's share of the rows;
- stability: mean adjusted Rand index (ARI) over stability_resamples bootstrap resamples. A fixed
  random sample S of at most stability_sample_size rows is drawn once; each resample draws |S|
  rows of S with replacement (hdbscan: the distinct rows drawn, since repeated rows fake density),
  refits the algorithm with the same k on them, assigns all of S with the scoring rule, and
  compares with the full fit's scoring-rule assignment of S. Both sides use the scoring rule, so
  the number measures the effect of resampling alone. Not measured (null) with fewer than 10
  rows or stability_resamples = 0. For autoencoder_kmeans the encoder is trained once and the
  resamples refit the K-means step in the bottleneck.

For hdbscan (and the silhouette, Davies-Bouldin and Calinski-Harabasz of any model with an outlier
segment) the outlier rows are left out of the three geometric scores; they count in inertia and
stability.

Choosing k (this is the rule; choose_k() implements steps 1-3):

1. A candidate is eligible when min_segment_share >= the min_segment_share setting.
2. Among eligible candidates that are stable (stability >= min_stability, or stability not
   measured), the best silhouette wins; ties go to the smaller k.
3. If eligible candidates exist but none is stable, the most stable one wins; ties: smaller k.
4. If no candidate is eligible, k_min - 1, k_min - 2, ..., 2 are fitted and scored in turn and
   the first (largest) eligible one wins; if none is, k = 1 (one segment, always eligible).
   These extra candidates are reported like the others.
5. A forced k (setting k) is the only candidate and is chosen whatever its scores. hdbscan finds
   the number of clusters itself: its single candidate is chosen, k counts the outlier segment.

Hold-out check: a seeded random holdout_share of the rows is set aside, the algorithm is refitted
with the chosen k on the rest, the held-out rows are assigned with that model's scoring rule and
compared (ARI) with the full fit's labels of those rows: holdout_ari.

Segments are numbered in a fixed order (relabel_in_fixed_order), the outlier segment last, so the
same data always gives the same numbering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)

from customer_segmentation.algorithms import (
    NOISE,
    AlgorithmOptions,
    Clusterer,
    Partition,
    build_clusterer,
    n_distinct_rows,
    partition_from_labels,
    sample_rows,
)
from customer_segmentation.scoring import assign_to_nearest

__all__ = [
    "CANDIDATE_COLUMNS",
    "LINKAGE_COLUMNS",
    "ClusteringOptions",
    "ClusteringResult",
    "assign_to_nearest",
    "choose_k",
    "fit_segments",
    "relabel_in_fixed_order",
]

CANDIDATE_COLUMNS = [
    "k",
    "silhouette",
    "davies_bouldin",
    "calinski_harabasz",
    "stability",
    "inertia",
    "min_segment_share",
    "is_eligible",
    "is_chosen",
]
LINKAGE_COLUMNS = [
    "step",
    "clusters_after",
    "left_node",
    "right_node",
    "height",
    "size",
    "left_size",
    "right_size",
    "segment",
]
# The top merges of the Ward tree kept for drawing a dendrogram.
LINKAGE_MERGES_KEPT = 50
# Fewer rows than this: stability is not measured.
MIN_ROWS_FOR_RESAMPLING = 10
# Rounding before comparing scores, so floating-point noise cannot decide a tie.
_TIE_DECIMALS = 10


@dataclass(frozen=True)
class ClusteringOptions(AlgorithmOptions):
    """Algorithm knobs plus the model-selection settings (see the module docstring)."""

    stability_resamples: int = 5
    stability_sample_size: int = 5_000
    min_stability: float = 0.8
    holdout_share: float = 0.2


@dataclass(frozen=True)
class ClusteringResult:
    """A fitted clustering in model space.

    labels: segment number (1..k) of each training row; centroids: (k, n_dimensions), row i is
    segment number i + 1; candidates: one row per k tried (CANDIDATE_COLUMNS); radius (k,): the
    radius of each segment (NaN for the outlier segment); is_outlier (k,): the outlier segment
    (hdbscan noise), always the last one; metrics: model metrics beyond silhouette and inertia
    (davies_bouldin, calinski_harabasz, stability, min_segment_share, holdout_ari,
    scoring_agreement, fit_sample_customers, and per algorithm: outlier_share, min_cluster_size,
    reconstruction_mse, ari_vs_kmeans, scaled_space_agreement); linkage: the top Ward merges
    (LINKAGE_COLUMNS) for hierarchical, else None.
    """

    k: int
    labels: np.ndarray
    centroids: np.ndarray
    candidates: pd.DataFrame
    silhouette: float | None
    inertia: float
    radius: np.ndarray = field(default_factory=lambda: np.zeros(0))
    is_outlier: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    metrics: Mapping[str, float | None] = field(default_factory=dict)
    linkage: pd.DataFrame | None = None


def _silhouette(x: np.ndarray, labels: np.ndarray, sample_size: int, seed: int) -> float | None:
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(x):
        return None
    # Always sampled: the silhouette is quadratic in the number of rows.
    return float(
        silhouette_score(x, labels, sample_size=min(sample_size, len(x)), random_state=seed)
    )


def _fixed_order(centroids: np.ndarray) -> np.ndarray:
    """New number (1..k) of each centroid: lexicographic, largest first coordinate first."""
    if centroids.shape[1] == 0:
        return np.arange(1, len(centroids) + 1)
    rounded = np.round(centroids, 6)
    order = np.lexsort(tuple(-rounded[:, j] for j in reversed(range(rounded.shape[1]))))
    new_id = np.empty(len(order), dtype="int64")
    new_id[order] = np.arange(1, len(order) + 1)
    return new_id


def relabel_in_fixed_order(
    labels: np.ndarray, centroids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Number clusters 1..k by their centroids, largest first coordinate first.

    K-means numbers clusters arbitrarily; sorting centroids lexicographically (rounded, so that
    floating-point noise cannot reorder them) makes the numbering a function of the clustering.
    Returns (labels in 1..k, centroids reordered to match).
    """
    if centroids.shape[1] == 0:
        return np.ones(len(labels), dtype="int64"), centroids
    new_id = _fixed_order(centroids)
    order = np.argsort(new_id)
    return new_id[labels], centroids[order]


def _score_partition(
    x: np.ndarray, partition: Partition, silhouette_sample_size: int, seed: int
) -> dict[str, float | None]:
    labels = partition.labels
    real = labels != NOISE
    x_real, labels_real = x[real], labels[real]
    n_labels = len(np.unique(labels_real))
    geometric = 2 <= n_labels < len(x_real)
    own = np.empty_like(x)
    own[real] = partition.centroids[labels_real]
    if partition.outlier_centroid is not None:
        own[~real] = partition.outlier_centroid
    sizes = np.bincount(labels_real, minlength=partition.n_clusters)
    return {
        "k": partition.k,
        "silhouette": _silhouette(x_real, labels_real, silhouette_sample_size, seed),
        "davies_bouldin": float(davies_bouldin_score(x_real, labels_real)) if geometric else None,
        "calinski_harabasz": (
            float(calinski_harabasz_score(x_real, labels_real)) if geometric else None
        ),
        "inertia": float(((x - own) ** 2).sum()),
        "min_segment_share": float(sizes.min() / len(x)) if len(sizes) else 0.0,
    }


def _stability(
    x: np.ndarray,
    partitions: Mapping[int, Partition],
    clusterer: Clusterer,
    options: ClusteringOptions,
    seed: int,
) -> dict[int, float | None]:
    """Mean bootstrap ARI per requested k (see the module docstring)."""
    if options.stability_resamples == 0 or len(x) < MIN_ROWS_FOR_RESAMPLING:
        return dict.fromkeys(partitions)
    subset = x[sample_rows(len(x), options.stability_sample_size, seed, stream=4)]
    reference = {k: part.predict(subset) for k, part in partitions.items()}
    scores: dict[int, list[float]] = {k: [] for k in partitions}
    for resample in range(options.stability_resamples):
        rng = np.random.default_rng([seed, 2, resample])
        drawn = rng.integers(0, len(subset), len(subset))
        if clusterer.resample_without_duplicates:
            drawn = np.unique(drawn)
        refitted = clusterer.partitions(subset[drawn], list(partitions))
        for k, part in refitted.items():
            scores[k].append(float(adjusted_rand_score(reference[k], part.predict(subset))))
    return {k: float(np.mean(values)) for k, values in scores.items()}


def _holdout_ari(
    x: np.ndarray,
    labels: np.ndarray,
    requested_k: int,
    options: ClusteringOptions,
    seed: int,
    n_init: int,
) -> float | None:
    """ARI between the full fit and a refit without the held-out rows, on the held-out rows."""
    n_rows = len(x)
    n_test = int(round(options.holdout_share * n_rows))
    if n_test < 2 or n_rows - n_test < 2:
        return None
    permutation = np.random.default_rng([seed, 1]).permutation(n_rows)
    test, train = np.sort(permutation[:n_test]), np.sort(permutation[n_test:])
    clusterer = build_clusterer(options, x[train], seed, n_init)
    refitted = clusterer.partitions(x[train], [requested_k])[requested_k]
    return float(adjusted_rand_score(labels[test], refitted.predict(x[test])))


def choose_k(
    candidates: pd.DataFrame, min_segment_share: float, min_stability: float
) -> int | None:
    """Steps 1-3 of the rule in the module docstring; None when no candidate is eligible.

    Input: a frame with columns k, silhouette, stability, min_segment_share (nulls allowed in
    silhouette and stability).
    """
    rounded = candidates.assign(
        silhouette=candidates["silhouette"].astype(float).round(_TIE_DECIMALS),
        stability=candidates["stability"].astype(float).round(_TIE_DECIMALS),
    )
    eligible = rounded[rounded["min_segment_share"] >= min_segment_share]
    if eligible.empty:
        return None
    stable = eligible[eligible["stability"].isna() | (eligible["stability"] >= min_stability)]
    if not stable.empty:
        best = stable.sort_values(
            ["silhouette", "k"], ascending=[False, True], na_position="last"
        ).iloc[0]
    else:
        best = eligible.sort_values(["stability", "k"], ascending=[False, True]).iloc[0]
    return int(best["k"])


def _single_segment(x: np.ndarray, options: ClusteringOptions) -> ClusteringResult:
    partition = partition_from_labels(x, np.zeros(len(x), dtype="int64"), options.radius_quantile)
    inertia = float(((x - partition.centroids[0]) ** 2).sum())
    candidates = pd.DataFrame(
        [
            {
                "k": 1,
                "silhouette": None,
                "davies_bouldin": None,
                "calinski_harabasz": None,
                "stability": None,
                "inertia": inertia,
                "min_segment_share": 1.0,
                "is_eligible": True,
                "is_chosen": True,
            }
        ],
        columns=CANDIDATE_COLUMNS,
    )
    return ClusteringResult(
        k=1,
        labels=np.ones(len(x), dtype="int64"),
        centroids=partition.centroids,
        candidates=candidates,
        silhouette=None,
        inertia=inertia,
        radius=partition.radius,
        is_outlier=np.zeros(1, dtype=bool),
        metrics={
            "davies_bouldin": None,
            "calinski_harabasz": None,
            "stability": None,
            "min_segment_share": 1.0,
            "holdout_ari": None,
            "scoring_agreement": 1.0,
            "fit_sample_customers": float(len(x)),
        },
    )


def _linkage_frame(partition: Partition, new_number: np.ndarray) -> pd.DataFrame:
    """The last LINKAGE_MERGES_KEPT merges of the Ward tree, with the segment of each merge
    that happens inside one segment (null above the chosen cut)."""
    tree = partition.tree
    assert tree is not None
    n = tree.n_leaves
    leaf_cluster = tree.cut(partition.n_clusters)
    inside_merges = n - partition.n_clusters  # merges 0..inside_merges-1 stay within a segment

    def node_size(node: int) -> int:
        return 1 if node < n else int(tree.sizes[node - n])

    rows = []
    for merge in range(max(0, n - 1 - LINKAGE_MERGES_KEPT), n - 1):
        left, right = (int(node) for node in tree.children[merge])
        segment = (
            int(new_number[leaf_cluster[tree.any_leaf(n + merge)]])
            if merge < inside_merges
            else None
        )
        rows.append(
            {
                "step": merge + 1,
                "clusters_after": n - 1 - merge,
                "left_node": left,
                "right_node": right,
                "height": float(tree.heights[merge]),
                "size": int(tree.sizes[merge]),
                "left_size": node_size(left),
                "right_size": node_size(right),
                "segment": segment,
            }
        )
    return pd.DataFrame(rows, columns=LINKAGE_COLUMNS)


def fit_segments(
    x: np.ndarray,
    k_min: int,
    k_max: int,
    seed: int,
    n_init: int = 10,
    silhouette_sample_size: int = 10_000,
    forced_k: int | None = None,
    options: ClusteringOptions | None = None,
) -> ClusteringResult:
    """Choose k and fit options.algorithm (default kmeans) on the rows of x.

    x is already scaled and sorted by customer. k is capped at the number of distinct rows: a
    shop with three customers gets at most three segments. With one distinct row (or no
    dimensions) there is exactly one segment.
    """
    options = options or ClusteringOptions()
    n_rows = len(x)
    if n_rows == 0:
        raise ValueError("no customers to segment: the feature table is empty")
    n_distinct = n_distinct_rows(x)
    if x.shape[1] == 0 or n_distinct == 1:
        return _single_segment(x, options)

    clusterer = build_clusterer(options, x, seed, n_init)
    if clusterer.finds_k:
        requested = [0]
    elif forced_k is not None:
        requested = [min(forced_k, n_distinct)]
    else:
        requested = sorted({min(k, n_distinct) for k in range(k_min, k_max + 1)})

    partitions = clusterer.partitions(x, requested)
    stability = _stability(x, partitions, clusterer, options, seed)
    rows: list[dict] = []
    by_k: dict[int, tuple[int, Partition]] = {}
    for requested_k, partition in partitions.items():
        row = _score_partition(x, partition, silhouette_sample_size, seed)
        if row["k"] in by_k:
            continue
        row["stability"] = stability[requested_k]
        rows.append(row)
        by_k[int(row["k"])] = (requested_k, partition)

    def eligible(row: dict) -> bool:
        return row["min_segment_share"] >= options.min_segment_share

    if clusterer.finds_k or forced_k is not None:
        chosen_k = int(rows[0]["k"])
    else:
        frame = pd.DataFrame(rows)
        chosen = choose_k(frame, options.min_segment_share, options.min_stability)
        if chosen is None:
            # Step 4: fewer segments until the smallest is big enough; one segment at worst.
            for smaller in range(min(requested) - 1, 0, -1):
                partition = clusterer.partitions(x, [smaller])[smaller]
                row = _score_partition(x, partition, silhouette_sample_size, seed)
                row["stability"] = _stability(x, {smaller: partition}, clusterer, options, seed)[
                    smaller
                ]
                if row["k"] not in by_k:
                    rows.append(row)
                    by_k[int(row["k"])] = (smaller, partition)
                if eligible(row) or smaller == 1:
                    chosen = int(row["k"])
                    break
        chosen_k = int(chosen)  # type: ignore[arg-type]

    candidates = pd.DataFrame(rows)
    candidates["is_eligible"] = candidates["min_segment_share"] >= options.min_segment_share
    candidates["is_chosen"] = candidates["k"] == chosen_k
    candidates = candidates.sort_values("k").reset_index(drop=True)[CANDIDATE_COLUMNS]

    requested_k, partition = by_k[chosen_k]
    chosen_row = candidates[candidates["is_chosen"]].iloc[0]
    new_number = _fixed_order(partition.centroids)
    order = np.argsort(new_number)
    n_real = partition.n_clusters
    labels = np.where(
        partition.labels == NOISE, n_real + 1, new_number[np.maximum(partition.labels, 0)]
    ).astype("int64")
    centroids = partition.centroids[order]
    radius = partition.radius[order]
    is_outlier = np.zeros(n_real, dtype=bool)
    if partition.outlier_centroid is not None:
        centroids = np.vstack([centroids, partition.outlier_centroid])
        radius = np.append(radius, np.nan)
        is_outlier = np.append(is_outlier, True)

    metrics: dict[str, float | None] = {
        "davies_bouldin": _none_if_nan(chosen_row["davies_bouldin"]),
        "calinski_harabasz": _none_if_nan(chosen_row["calinski_harabasz"]),
        "stability": _none_if_nan(chosen_row["stability"]),
        "min_segment_share": float(chosen_row["min_segment_share"]),
        "holdout_ari": _holdout_ari(x, partition.labels, requested_k, options, seed, n_init),
        "scoring_agreement": float((partition.predict(x) == partition.labels).mean()),
        "fit_sample_customers": float(partition.fit_rows),
        **clusterer.diagnostics(x, partition),
    }
    return ClusteringResult(
        k=chosen_k,
        labels=labels,
        centroids=centroids,
        candidates=candidates,
        silhouette=_none_if_nan(chosen_row["silhouette"]),
        inertia=float(chosen_row["inertia"]),
        radius=radius,
        is_outlier=is_outlier,
        metrics=metrics,
        linkage=None if partition.tree is None else _linkage_frame(partition, new_number),
    )


def _none_if_nan(value: object) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)  # type: ignore[arg-type]
