"""Choosing the number of segments, fitting the chosen algorithm, and checking the result.

The algorithms themselves are in customer_segmentation.segmentation.algorithms; every one ends with
centroids in scaled space, scored by the rule in customer_segmentation.segmentation.scoring.

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

Predictive validity (when fit_segments is given a `validity` function, see
customer_segmentation.segmentation.model): for each candidate k, the same method is fitted on the
customers' features one horizon back and judged on what they did in the horizon after it:
churn_eta_squared and spend_eta_squared (customer_segmentation.segmentation.validation). The
usefulness of candidate k is the mean of its two eta_squared, each divided by the best among the
eligible, stable candidates (1 = the most useful on both).

Choosing k (this is the rule; rank_candidates() implements steps 1-3 and says, for every
candidate, why it won or lost in selection_reason):

1. A candidate is eligible when min_segment_share >= the min_segment_share setting.
2. Among eligible candidates that are stable (stability >= min_stability, or stability not
   measured):
   - k_selection = usefulness (default), when the candidates' validity is measured: the
     candidates within usefulness_tolerance of the most useful one are equally useful, and of
     those the best silhouette (separation) wins; ties go to the smaller k;
   - k_selection = silhouette, or no validity (no labelled window): the best silhouette wins;
     ties go to the smaller k.
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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)

from customer_segmentation.segmentation.algorithms import (
    NOISE,
    Clusterer,
    Partition,
    build_clusterer,
    n_distinct_rows,
    partition_from_labels,
    sample_rows,
)
from customer_segmentation.segmentation.scoring import assign_to_nearest
from customer_segmentation.segmentation.validation import VALIDITY_METRICS
from customer_segmentation.settings import K_SELECTION, SegmentationSettings

__all__ = [
    "CANDIDATE_COLUMNS",
    "LINKAGE_COLUMNS",
    "ClusteringResult",
    "ValidityFunction",
    "assign_to_nearest",
    "choose_k",
    "fit_segments",
    "rank_candidates",
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
    *VALIDITY_METRICS,
    "usefulness",
    "is_eligible",
    "is_chosen",
    "selection_reason",
]
# Given the requested ks, a frame with columns k (the requested k) and VALIDITY_METRICS: the
# hold-out validity of the method with that k (module docstring).
ValidityFunction = Callable[[Sequence[int]], pd.DataFrame]
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
    options: SegmentationSettings,
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
    options: SegmentationSettings,
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


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _figure(value: object) -> str:
    return "not measured" if value is None or pd.isna(value) else f"{float(value):.3f}"


def rank_candidates(
    candidates: pd.DataFrame,
    min_segment_share: float,
    min_stability: float,
    k_selection: str = "silhouette",
    usefulness_tolerance: float = 0.05,
) -> pd.DataFrame:
    """Steps 1-3 of the rule in the module docstring.

    Input: a frame with columns k, silhouette, stability, min_segment_share and, for
    k_selection = usefulness, churn_eta_squared and spend_eta_squared (nulls allowed in all but
    k and min_segment_share). Output: the frame with usefulness, is_eligible, is_chosen (no
    candidate is chosen when none is eligible) and selection_reason: one sentence per
    candidate saying why it won or lost.
    """
    if k_selection not in K_SELECTION:
        raise ValueError(f"k_selection must be one of {', '.join(K_SELECTION)}")
    frame = candidates.copy().reset_index(drop=True)
    for column in VALIDITY_METRICS:
        if column not in frame.columns:
            frame[column] = np.nan
    rounded = {
        column: frame[column].astype(float).round(_TIE_DECIMALS)
        for column in ("silhouette", "stability", "churn_eta_squared", "spend_eta_squared")
    }
    eligible = frame["min_segment_share"].astype(float) >= min_segment_share
    stable = rounded["stability"].isna() | (rounded["stability"] >= min_stability)
    qualified = eligible & stable
    measured = (
        qualified & rounded["churn_eta_squared"].notna() & rounded["spend_eta_squared"].notna()
    )
    by_validity = k_selection == "usefulness" and bool(measured.any())
    frame["is_eligible"] = eligible
    frame["usefulness"] = np.nan
    if by_validity:
        shares = [
            rounded[column] / rounded[column][measured].max()
            for column in ("churn_eta_squared", "spend_eta_squared")
            if rounded[column][measured].max() > 0
        ]
        usefulness = sum(shares) / len(shares) if shares else pd.Series(1.0, index=frame.index)
        frame["usefulness"] = usefulness.where(measured).round(_TIE_DECIMALS)

    if by_validity:
        pool = measured & (frame["usefulness"] >= frame["usefulness"].max() - usefulness_tolerance)
        order, ascending = rounded["silhouette"], False
    elif qualified.any():
        pool, order, ascending = qualified, rounded["silhouette"], False
    else:
        pool, order, ascending = eligible, rounded["stability"], False
    frame["is_chosen"] = False
    if pool.any():
        ranked = frame[pool].assign(_order=order[pool])
        ranked = ranked.sort_values(
            ["_order", "k"], ascending=[ascending, True], na_position="last"
        )
        frame.loc[ranked.index[0], "is_chosen"] = True

    chosen = frame[frame["is_chosen"]].iloc[0] if frame["is_chosen"].any() else None

    def validity(row: pd.Series) -> str:
        return (
            f"usefulness {_figure(row['usefulness'])} (churn eta² "
            f"{_figure(row['churn_eta_squared'])}, spend eta² "
            f"{_figure(row['spend_eta_squared'])})"
        )

    def reason(index: int, row: pd.Series) -> str:
        if not eligible[index]:
            return (
                f"not eligible: its smallest segment holds {_percent(row['min_segment_share'])}"
                f" of the customers (at least {_percent(min_segment_share)} needed)"
            )
        if not qualified.any():
            if row["is_chosen"]:
                return (
                    f"chosen: no candidate reaches stability {min_stability}; this one is the "
                    f"most stable ({_figure(row['stability'])})"
                )
            return f"less stable ({_figure(row['stability'])}) than k = {int(chosen['k'])}"
        if not stable[index]:
            return (
                f"not stable: stability {_figure(row['stability'])} "
                f"(at least {min_stability} needed)"
            )
        if row["is_chosen"] and by_validity:
            return (
                f"chosen: {validity(row)}, stability {_figure(row['stability'])}; the best "
                f"silhouette ({_figure(row['silhouette'])}) of "
                + (
                    f"the {int(pool.sum())} stable candidates"
                    if pool.sum() > 1
                    else "the one stable candidate"
                )
                + f" within {usefulness_tolerance} of the most useful"
            )
        if row["is_chosen"]:
            basis = (
                "k_selection = silhouette"
                if k_selection == "silhouette"
                else "no hold-out validity was measured"
            )
            return (
                f"chosen: the best silhouette ({_figure(row['silhouette'])}) of the stable "
                f"candidates, stability {_figure(row['stability'])} ({basis})"
            )
        if by_validity and not pool[index]:
            return (
                f"less useful: {validity(row)}, more than {usefulness_tolerance} below the "
                f"most useful ({_figure(frame['usefulness'].max())})"
            )
        prefix = f"as useful, {validity(row)}, but " if by_validity else ""
        return (
            f"{prefix}silhouette {_figure(row['silhouette'])} against "
            f"{_figure(chosen['silhouette'])} for k = {int(chosen['k'])}"
        )

    frame["selection_reason"] = [reason(index, row) for index, row in frame.iterrows()]
    return frame


def choose_k(
    candidates: pd.DataFrame,
    min_segment_share: float,
    min_stability: float,
    k_selection: str = "silhouette",
    usefulness_tolerance: float = 0.05,
) -> int | None:
    """Steps 1-3 of the rule in the module docstring; None when no candidate is eligible.

    Input: as rank_candidates (nulls allowed in silhouette, stability and the validity columns).
    """
    ranked = rank_candidates(
        candidates, min_segment_share, min_stability, k_selection, usefulness_tolerance
    )
    chosen = ranked[ranked["is_chosen"]]
    return None if chosen.empty else int(chosen["k"].iloc[0])


def _single_segment(x: np.ndarray, options: SegmentationSettings) -> ClusteringResult:
    partition = partition_from_labels(
        x, np.zeros(len(x), dtype="int64"), options.outlier_radius_quantile
    )
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
                "selection_reason": (
                    "chosen: every customer has the same features (or there are none), "
                    "so there is one segment"
                ),
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


def _measure(validity: ValidityFunction | None, ks: Sequence[int]) -> dict[int, dict]:
    """Hold-out validity of the requested ks, as {requested k: {column: value}}."""
    if validity is None:
        return {}
    measured = validity(list(ks))
    return {
        int(row["k"]): {metric: _none_if_nan(row[metric]) for metric in VALIDITY_METRICS}
        for _, row in measured.iterrows()
    }


def _ranked(frame: pd.DataFrame, options: SegmentationSettings) -> pd.DataFrame:
    return rank_candidates(
        frame,
        options.min_segment_share,
        options.min_stability,
        options.k_selection,
        options.usefulness_tolerance,
    )


def fit_segments(
    x: np.ndarray,
    k_min: int,
    k_max: int,
    seed: int,
    n_init: int = 10,
    silhouette_sample_size: int = 10_000,
    forced_k: int | None = None,
    options: SegmentationSettings | None = None,
    validity: ValidityFunction | None = None,
) -> ClusteringResult:
    """Choose k and fit options.algorithm (default kmeans) on the rows of x.

    x is already scaled and sorted by customer. k is capped at the number of distinct rows: a
    shop with three customers gets at most three segments. With one distinct row (or no
    dimensions) there is exactly one segment. validity, when given, measures each requested k
    on a time hold-out (module docstring); without it k is chosen by silhouette.
    """
    options = options or SegmentationSettings()
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
    measured = _measure(validity, requested)
    rows: list[dict] = []
    by_k: dict[int, tuple[int, Partition]] = {}
    for requested_k, partition in partitions.items():
        row = _score_partition(x, partition, silhouette_sample_size, seed)
        if row["k"] in by_k:
            continue
        row["stability"] = stability[requested_k]
        row.update(measured.get(requested_k, {}))
        rows.append(row)
        by_k[int(row["k"])] = (requested_k, partition)

    if clusterer.finds_k or forced_k is not None:
        candidates = rank_candidates(
            pd.DataFrame(rows), options.min_segment_share, options.min_stability
        )
        candidates["is_chosen"] = True
        candidates["selection_reason"] = (
            "chosen: hdbscan finds the number of segments itself"
            if clusterer.finds_k
            else "chosen: k is forced by the setting k (segmentation.k)"
        )
    else:
        candidates = _ranked(pd.DataFrame(rows), options)
        if not candidates["is_chosen"].any():
            # Step 4: fewer segments until the smallest is big enough; one segment at worst.
            for smaller in range(min(requested) - 1, 0, -1):
                partition = clusterer.partitions(x, [smaller])[smaller]
                row = _score_partition(x, partition, silhouette_sample_size, seed)
                row["stability"] = _stability(x, {smaller: partition}, clusterer, options, seed)[
                    smaller
                ]
                row.update(_measure(validity, [smaller]).get(smaller, {}))
                if row["k"] not in by_k:
                    rows.append(row)
                    by_k[int(row["k"])] = (smaller, partition)
                if row["min_segment_share"] >= options.min_segment_share or smaller == 1:
                    chosen_k = int(row["k"])
                    break
            candidates = _ranked(pd.DataFrame(rows), options)
            candidates["is_chosen"] = candidates["k"] == chosen_k
            candidates.loc[candidates["is_chosen"], "selection_reason"] = (
                f"chosen: no k from {min(requested)} to {max(requested)} keeps every segment at "
                f"{_percent(options.min_segment_share)} of the customers; this is the largest "
                "smaller k that does (or one segment)"
            )
    candidates = candidates.sort_values("k").reset_index(drop=True)[CANDIDATE_COLUMNS]
    chosen_k = int(candidates.loc[candidates["is_chosen"], "k"].iloc[0])

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
