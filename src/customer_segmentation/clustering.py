"""Fitting K-means and choosing the number of segments.

Candidates k in [k_min, k_max] are each fitted with several k-means++ starts and a fixed seed and
scored by the silhouette on a fixed sample; the k with the best silhouette wins (a forced k skips
the search but is still scored). Clusters are then numbered in a fixed order so that the same data
always gives the same segment ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

CANDIDATE_COLUMNS = ["k", "silhouette", "inertia", "is_chosen"]


@dataclass(frozen=True)
class ClusteringResult:
    """A fitted clustering in model space.

    labels: segment id (1..k) of each training row; centroids: (k, n_dimensions), row i is segment
    i + 1; candidates: one row per k tried (CANDIDATE_COLUMNS).
    """

    k: int
    labels: np.ndarray
    centroids: np.ndarray
    candidates: pd.DataFrame
    silhouette: float | None
    inertia: float


def _fit_kmeans(x: np.ndarray, k: int, seed: int, n_init: int) -> KMeans:
    return KMeans(n_clusters=k, init="k-means++", n_init=n_init, random_state=seed).fit(x)


def _silhouette(x: np.ndarray, labels: np.ndarray, sample_size: int, seed: int) -> float | None:
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(x):
        return None
    # Always sampled: the silhouette is quadratic in the number of rows.
    return float(
        silhouette_score(x, labels, sample_size=min(sample_size, len(x)), random_state=seed)
    )


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
    rounded = np.round(centroids, 6)
    order = np.lexsort(tuple(-rounded[:, j] for j in reversed(range(rounded.shape[1]))))
    new_id = np.empty(len(order), dtype="int64")
    new_id[order] = np.arange(1, len(order) + 1)
    return new_id[labels], centroids[order]


def fit_segments(
    x: np.ndarray,
    k_min: int,
    k_max: int,
    seed: int,
    n_init: int = 10,
    silhouette_sample_size: int = 10_000,
    forced_k: int | None = None,
) -> ClusteringResult:
    """Choose k and fit K-means on the rows of x (already scaled, sorted by customer).

    k is capped at the number of distinct rows: a shop with three customers gets at most three
    segments. With one distinct row (or no dimensions) there is exactly one segment.
    """
    n_rows = len(x)
    if n_rows == 0:
        raise ValueError("no customers to segment: the feature table is empty")
    n_distinct = len(np.unique(x, axis=0)) if x.shape[1] else 1
    if forced_k is not None:
        candidate_ks = [min(forced_k, n_distinct)]
    else:
        candidate_ks = sorted({min(k, n_distinct) for k in range(k_min, k_max + 1)})

    fits: dict[int, KMeans] = {}
    rows = []
    for k in candidate_ks:
        if k == 1 or x.shape[1] == 0:
            labels = np.zeros(n_rows, dtype="int64")
            centroids = x.mean(axis=0, keepdims=True) if x.shape[1] else np.zeros((1, 0))
            inertia = float(((x - centroids) ** 2).sum())
            fits[1] = None  # type: ignore[assignment]
            rows.append({"k": 1, "silhouette": None, "inertia": inertia})
            continue
        fitted = _fit_kmeans(x, k, seed, n_init)
        fits[k] = fitted
        rows.append(
            {
                "k": k,
                "silhouette": _silhouette(x, fitted.labels_, silhouette_sample_size, seed),
                "inertia": float(fitted.inertia_),
            }
        )
    candidates = pd.DataFrame(rows, columns=["k", "silhouette", "inertia"])
    scored = candidates.dropna(subset=["silhouette"])
    if scored.empty:
        chosen_k = int(candidates["k"].iloc[0])
    else:
        # Best silhouette; on a tie the smaller k (fewer segments are easier to act on).
        best = scored.sort_values(["silhouette", "k"], ascending=[False, True]).iloc[0]
        chosen_k = int(best["k"])
    candidates["is_chosen"] = candidates["k"] == chosen_k

    chosen = fits.get(chosen_k)
    if chosen is None:
        raw_labels = np.zeros(n_rows, dtype="int64")
        raw_centroids = x.mean(axis=0, keepdims=True) if x.shape[1] else np.zeros((1, 0))
        inertia = float(((x - raw_centroids) ** 2).sum())
    else:
        raw_labels, raw_centroids, inertia = (
            chosen.labels_,
            chosen.cluster_centers_,
            chosen.inertia_,
        )
    labels, centroids = relabel_in_fixed_order(raw_labels, raw_centroids)
    silhouette = candidates.loc[candidates["is_chosen"], "silhouette"].iloc[0]
    return ClusteringResult(
        k=chosen_k,
        labels=labels,
        centroids=centroids,
        candidates=candidates,
        silhouette=None if pd.isna(silhouette) else float(silhouette),
        inertia=float(inertia),
    )


def assign_to_nearest(x: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segment id (1..k) of the nearest centroid for each row, and the distance to it.

    Ties go to the lower segment id, as in the SQL scoring.
    """
    if centroids.shape[1] == 0:
        return np.ones(len(x), dtype="int64"), np.zeros(len(x))
    squared = ((x[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    nearest = squared.argmin(axis=1)
    return nearest + 1, np.sqrt(squared[np.arange(len(x)), nearest])
