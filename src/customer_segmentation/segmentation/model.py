"""Fit a segmentation on the training sample and describe it as tables.

fit_segmentation() is what the dbt Python model calls: features in, a SegmentationModel out.
SegmentationModel.artifacts() is the model as stored
(customer_segmentation.segmentation.model_store); SQL models split it into centroids, scaling
parameters, candidates, metrics and segment names, and the SQL scoring applies it to every customer
(rule: customer_segmentation.segmentation.scoring).

How the model is stored (one long table, a row per fact, its record types and columns):
customer_segmentation.segmentation.model_store.

Segment ids are 1..k in a fixed order for a first model; fitted against a previous model
(fit_segmentation(..., previous=PreviousModel...)), matched segments keep their previous id and
name and new ones get ids never used before (customer_segmentation.segmentation.tracking).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from customer_segmentation.segmentation.algorithms import build_clusterer
from customer_segmentation.segmentation.clustering import ClusteringResult, fit_segments
from customer_segmentation.segmentation.explain import (
    EXPLANATION_COLUMNS,
    FEATURE_REPORT_COLUMNS,
    explain_segments,
    feature_weights,
)
from customer_segmentation.segmentation.model_store import artifact_table, fitted_model_records
from customer_segmentation.segmentation.naming import (
    OUTLIER_SEGMENT_NAME,
    claimed_features,
    describe_segment,
    name_segments,
    segment_profiles,
)
from customer_segmentation.segmentation.preprocessing import (
    FittedScaling,
    apply_scaling,
    drop_correlated_features,
    fit_scaling,
    weight_scaling,
)
from customer_segmentation.segmentation.scoring import assign_to_nearest
from customer_segmentation.segmentation.tracking import (
    VANISHED_COLUMNS,
    PreviousModel,
    SegmentMatch,
    match_to_previous,
)
from customer_segmentation.segmentation.validation import (
    BASELINE_METHODS,
    VALIDITY_METRICS,
    LabelledWindow,
    outcome_weights,
    validity_metrics,
)
from customer_segmentation.settings import SQL_ALGORITHMS, SegmentationSettings

__all__ = [
    "SegmentationModel",
    "fit_segmentation",
]

WEIGHT_COLUMNS = ["feature", "weight", "churn_correlation", "spend_correlation"]


@dataclass(frozen=True)
class SegmentationModel:
    """A fitted segmentation: scaling, clustering, names, and where it came from.

    clustering numbers segments 1..k in a fixed order; segment_ids[i] is the id of number i + 1
    (1..k for a first model, inherited ids when fitted against a previous model). segments is
    indexed by segment id: segment_name, description, training_customers, radius,
    is_outlier_segment, match_status, match_distance.
    """

    model_id: str
    as_of_date: str
    settings: SegmentationSettings
    scaling: FittedScaling
    clustering: ClusteringResult
    segments: pd.DataFrame
    n_training_customers: int
    fit_seconds: float
    segment_ids: tuple[int, ...] = ()
    explanations: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=EXPLANATION_COLUMNS)
    )
    feature_selection: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=FEATURE_REPORT_COLUMNS)
    )
    vanished: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VANISHED_COLUMNS))
    previous_model_id: str | None = None
    max_segment_id_issued: int = 0
    feature_weights: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=WEIGHT_COLUMNS)
    )
    weighting_status: str = ""
    validation: dict = field(default_factory=dict)
    baselines: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def labels(self) -> np.ndarray:
        """Segment id of each training customer (rows sorted by customer_id)."""
        return np.asarray(self.segment_ids, dtype="int64")[self.clustering.labels - 1]

    def _centroids_by_id(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        order = np.argsort(self.segment_ids)
        return (
            np.asarray(self.segment_ids, dtype="int64")[order],
            self.clustering.centroids[order],
            self.clustering.radius[order],
            self.clustering.is_outlier[order],
        )

    def assign(self, features: pd.DataFrame) -> pd.DataFrame:
        """Score customers as SQL does: scaling, then the rule in
        customer_segmentation.segmentation.scoring.

        Output: customer_id, segment_id, distance_to_centroid, in the input's row order.
        """
        x = apply_scaling(features, self.scaling.parameters)
        ids, centroids, radius, is_outlier = self._centroids_by_id()
        positions, distances = assign_to_nearest(x, centroids, radius, is_outlier)
        return pd.DataFrame(
            {
                "customer_id": features["customer_id"].to_numpy(),
                "segment_id": ids[positions - 1],
                "distance_to_centroid": distances,
            }
        )

    def artifacts(self) -> pd.DataFrame:
        """The model as stored: its artifact rows
        (customer_segmentation.segmentation.model_store)."""
        return artifact_table(self.model_id, fitted_model_records(self))


def _model_id(
    settings: SegmentationSettings,
    as_of_date: str,
    scaling: FittedScaling,
    clustering: ClusteringResult,
    segments: pd.DataFrame,
) -> str:
    """A content hash: the same data and settings give the same id, any change a new one."""
    digest = hashlib.sha256()
    digest.update(json.dumps(settings.as_parameters(), sort_keys=True).encode())
    digest.update(as_of_date.encode())
    digest.update(scaling.parameters.to_csv(index=False, float_format="%.10g").encode())
    digest.update(np.round(clustering.centroids, 8).tobytes())
    digest.update(segments["segment_name"].to_csv().encode())
    return f"{settings.algorithm}-{as_of_date}-{digest.hexdigest()[:10]}"


@dataclass(frozen=True)
class ModelSpace:
    """The space a method clusters in: scaling (weighted, without the correlated features), the
    unweighted scaling of every informative feature (for names), and the weights with how they
    were found (WEIGHT_COLUMNS; empty when unweighted) and why not (weighting_status)."""

    scaling: FittedScaling
    full_scaling: FittedScaling
    weights: pd.DataFrame
    weighting_status: str


def model_space(
    features: pd.DataFrame, settings: SegmentationSettings, weight_window: LabelledWindow
) -> ModelSpace:
    """Scaling fitted on `features`, correlated features dropped, and (feature_weighting =
    outcomes, with a usable window) every dimension weighted by its relation to the outcomes of
    `weight_window`, whose features are scaled the same way
    (customer_segmentation.segmentation.validation).
    """
    full_scaling = fit_scaling(
        features,
        settings.numeric_features,
        settings.log1p_features,
        settings.categorical_features,
        max_categories_per_feature=settings.max_categories_per_feature,
    )
    x_full = apply_scaling(features, full_scaling.parameters)
    scaling, _ = drop_correlated_features(full_scaling, x_full, settings.max_feature_correlation)
    empty = pd.DataFrame(columns=WEIGHT_COLUMNS)
    if settings.feature_weighting == "none":
        return ModelSpace(scaling, full_scaling, empty, "unweighted: feature_weighting is none")
    if not weight_window.usable:
        status = f"unweighted: no usable labelled window ({weight_window.status})"
        return ModelSpace(scaling, full_scaling, empty, status)
    if not scaling.feature_names:
        return ModelSpace(scaling, full_scaling, empty, "unweighted: no dimensions")
    x_window = apply_scaling(weight_window.frame, scaling.parameters)
    weights, churn_r, spend_r = outcome_weights(
        x_window, weight_window.churned, weight_window.spend
    )
    frame = pd.DataFrame(
        {
            "feature": scaling.feature_names,
            "weight": weights,
            "churn_correlation": churn_r,
            "spend_correlation": spend_r,
        }
    )
    status = (
        f"weighted by the outcomes of the {len(weight_window.frame)} customers labelled at "
        f"{weight_window.cutoff_date} (outcomes to {weight_window.outcome_end_date})"
    )
    return ModelSpace(weight_scaling(scaling, weights), full_scaling, frame, status)


def holdout_validity(
    holdout: LabelledWindow,
    earlier: LabelledWindow,
    settings: SegmentationSettings,
    ks: list[int],
) -> pd.DataFrame:
    """The method refitted one horizon back and judged on the horizon after it.

    The segmentation is fitted on the features of `holdout` (its cutoff is as_of_date -
    horizon), weighted by the outcomes of `earlier` (one horizon before that), exactly as a
    model is fitted at as_of_date; the customers' groups are then compared with what they did
    after the cutoff. Output: one row per requested k with VALIDITY_METRICS (an hdbscan fit
    finds its own number of groups; its outlier group counts as a group).
    """
    space = model_space(holdout.frame, settings, earlier)
    x = apply_scaling(holdout.frame, space.scaling.parameters)
    rows = []
    if x.shape[1] == 0:
        partitions = {}
    else:
        clusterer = build_clusterer(settings, x, settings.seed, settings.n_init)
        partitions = clusterer.partitions(x, ks)
    for k in ks:
        # hdbscan's noise rows (label -1) are a group of their own, as the outlier segment is.
        labels = partitions[k].labels if k in partitions else np.zeros(len(x), dtype="int64")
        rows.append({"k": k, **validity_metrics(labels, holdout.churned, holdout.spend)})
    return pd.DataFrame(rows, columns=["k", *VALIDITY_METRICS])


def _match(
    clustering: ClusteringResult,
    scaling: FittedScaling,
    settings: SegmentationSettings,
    previous: PreviousModel | None,
    ids_issued: int = 0,
) -> SegmentMatch:
    if previous is None:
        ids = tuple(range(ids_issued + 1, ids_issued + clustering.k + 1))
        return SegmentMatch(
            segment_ids=ids,
            names=(None,) * clustering.k,
            statuses=("new",) * clustering.k,
            distances=(None,) * clustering.k,
            max_segment_id_issued=ids_issued + clustering.k,
        )
    return match_to_previous(
        clustering.centroids,
        scaling.feature_names,
        previous.centroids,
        previous.feature_names,
        previous.segment_ids,
        previous.segment_names,
        max_distance=settings.max_match_distance,
        new_scaling=scaling.parameters,
        previous_scaling=previous.scaling,
        new_is_outlier=clustering.is_outlier,
        previous_is_outlier=previous.is_outlier or None,
        max_segment_id_issued=previous.max_segment_id_issued,
    )


def _name_segments(
    x_profiles: np.ndarray,
    profile_names: list[str],
    labels: np.ndarray,
    match: SegmentMatch,
    is_outlier: np.ndarray,
) -> pd.DataFrame:
    """Names: inherited for matched segments, the outlier name for the outlier segment, and
    name_segments() for the rest (never reusing an inherited name). A matched segment keeps its
    id but not a name that speaks of a feature this fit has no data for (claimed_features)."""
    segment_ids = list(match.segment_ids)
    if x_profiles.shape[1]:
        profiles = segment_profiles(x_profiles, labels, profile_names)
    else:
        profiles = pd.DataFrame(index=segment_ids)
    names: dict[int, str] = {}
    descriptions: dict[int, str] = {}
    available = set(profile_names)
    for segment_id, inherited, outlier in zip(segment_ids, match.names, is_outlier, strict=True):
        if inherited is not None and not claimed_features(inherited) <= available:
            inherited = None
        name = inherited if inherited is not None else (OUTLIER_SEGMENT_NAME if outlier else None)
        if name is not None:
            names[segment_id] = name
            descriptions[segment_id] = describe_segment(profiles.loc[segment_id].to_dict(), name)
    to_name = [s for s in segment_ids if s not in names]
    if to_name:
        # Inherited names and the outlier name are taken. (With none taken and one segment to
        # name, that segment is the whole model: "All customers".)
        named = name_segments(profiles.loc[to_name], reserved_names=set(names.values()))
        names.update(named["segment_name"].to_dict())
        descriptions.update(named["description"].to_dict())
    ordered = sorted(segment_ids)
    return pd.DataFrame(
        {
            "segment_name": [names[s] for s in ordered],
            "description": [descriptions[s] for s in ordered],
        },
        index=pd.Index(ordered, name="segment_id"),
    )


def fit_segmentation(
    features: pd.DataFrame,
    settings: SegmentationSettings,
    as_of_date: date | str,
    previous: PreviousModel | None = None,
    ids_issued: int = 0,
    labelled: pd.DataFrame | None = None,
) -> SegmentationModel:
    """Fit the segmentation on a training frame (one row per customer, with customer_id).

    Rows are sorted by customer_id first, so the result does not depend on the order the
    warehouse returned them in. With `previous` (the last model, as
    customer_segmentation.segmentation.model_store reads it back), segments that match a previous
    segment keep its id and name.
    Without it, segment ids are ids_issued + 1, ids_issued + 2, ... (ids_issued: the largest id
    a model of this warehouse issued, so that no id is issued twice).
    `labelled` (int_segment_validation_sample: features and outcomes at as_of_date - horizon,
    cutoff_role training, and one horizon earlier, evaluation, with the RFM grid and recency
    quartile of each customer) weights the features and measures every candidate k, the RFM
    grid and recency quartiles on the time hold-out (customer_segmentation.segmentation.validation);
    without it the features are unweighted and k is chosen by silhouette.
    """
    started = time.perf_counter()
    if settings.algorithm in SQL_ALGORITHMS:
        raise ValueError(
            f"segmentation.algorithm {settings.algorithm} is fitted in SQL by dbt "
            "(models/ml/kmeans_sql, models/ml/rfm_grid), not by fit_segmentation"
        )
    if "customer_id" not in features.columns:
        raise ValueError("the feature table has no customer_id column")
    if features.empty:
        raise ValueError(
            "no customer has a completed order before as_of_date: nothing to segment. "
            "Check the input orders and var as_of_date."
        )
    ordered = features.sort_values("customer_id", kind="stable").reset_index(drop=True)
    holdout = LabelledWindow.from_sample(labelled, "training")
    earlier = LabelledWindow.from_sample(labelled, "evaluation")
    # The model's features are weighted by the latest outcomes known: those of the hold-out
    # window (the validation refits one horizon back, weighted by the window before it).
    space = model_space(ordered, settings, holdout)
    full_scaling, scaling = space.full_scaling, space.scaling
    x_full = apply_scaling(ordered, full_scaling.parameters)
    x = apply_scaling(ordered, scaling.parameters)

    def validity(ks: list[int]) -> pd.DataFrame:
        return holdout_validity(holdout, earlier, settings, ks)

    clustering = fit_segments(
        x,
        k_min=settings.k_min,
        k_max=settings.k_max,
        seed=settings.seed,
        n_init=settings.n_init,
        silhouette_sample_size=settings.silhouette_sample_size,
        forced_k=settings.k,
        options=settings,
        validity=validity if holdout.usable else None,
    )
    match = _match(clustering, scaling, settings, previous, ids_issued)
    ids = np.asarray(match.segment_ids, dtype="int64")
    labels = ids[clustering.labels - 1]

    # Names and descriptions use every informative feature, also those left out of the
    # clustering as redundant: a segment high on frequency is also high on spend.
    segments = _name_segments(
        x_full, full_scaling.feature_names, labels, match, clustering.is_outlier
    )
    by_id = {int(s): i for i, s in enumerate(ids)}
    sizes = pd.Series(labels).value_counts()
    segments["training_customers"] = [int(sizes.get(s, 0)) for s in segments.index]
    segments["radius"] = [float(clustering.radius[by_id[s]]) for s in segments.index]
    segments["is_outlier_segment"] = [bool(clustering.is_outlier[by_id[s]]) for s in segments.index]
    segments["match_status"] = [match.statuses[by_id[s]] for s in segments.index]
    segments["match_distance"] = [match.distances[by_id[s]] for s in segments.index]

    explanations = explain_segments(
        ordered, labels, scaling.feature_names, settings.explanation_max_depth, settings.seed
    )
    weights = feature_weights(x, labels, clustering.centroids, list(ids))
    feature_selection = pd.DataFrame(
        [
            {"feature": name, "status": "kept", "reason": None, "weight": float(weight)}
            for name, weight in zip(scaling.feature_names, weights, strict=True)
        ]
        + [
            {"feature": row.feature, "status": "dropped", "reason": row.reason, "weight": None}
            for row in scaling.dropped.itertuples(index=False)
        ],
        columns=FEATURE_REPORT_COLUMNS,
    )
    as_of_text = str(pd.Timestamp(as_of_date).date())
    return SegmentationModel(
        model_id=_model_id(settings, as_of_text, scaling, clustering, segments),
        as_of_date=as_of_text,
        settings=settings,
        scaling=scaling,
        clustering=clustering,
        segments=segments,
        n_training_customers=len(ordered),
        fit_seconds=round(time.perf_counter() - started, 3),
        segment_ids=tuple(int(s) for s in ids),
        explanations=explanations,
        feature_selection=feature_selection,
        vanished=match.vanished,
        previous_model_id=None if previous is None else previous.model_id,
        max_segment_id_issued=match.max_segment_id_issued,
        feature_weights=space.weights,
        weighting_status=space.weighting_status,
        validation=_validation_summary(holdout),
        baselines=_baseline_validity(holdout),
    )


def _validation_summary(holdout: LabelledWindow) -> dict[str, str | float | None]:
    """Where the validity figures come from, for the registry."""
    return {
        "validation_status": (
            f"measured on {len(holdout.frame)} customers: features at {holdout.cutoff_date}, "
            f"outcomes up to {holdout.outcome_end_date}"
            if holdout.usable
            else f"not measured: {holdout.status}"
        ),
        "validation_cutoff_date": holdout.cutoff_date,
        "validation_outcome_end_date": holdout.outcome_end_date,
        "validation_customers": float(len(holdout.frame)) if holdout.usable else None,
    }


def _baseline_validity(holdout: LabelledWindow) -> pd.DataFrame:
    """VALIDITY_METRICS of the RFM grid and recency quartiles (scored in SQL) on the hold-out:
    one row per method, with k = the number of groups; nulls when not measured."""
    rows = []
    for column, method in BASELINE_METHODS.items():
        if holdout.usable and column in holdout.frame.columns:
            groups = holdout.frame[column].to_numpy()
            figures = validity_metrics(groups, holdout.churned, holdout.spend)
            rows.append({"method": method, "k": int(pd.Series(groups).nunique()), **figures})
        else:
            rows.append({"method": method, "k": None, **dict.fromkeys(VALIDITY_METRICS)})
    return pd.DataFrame(rows, columns=["method", "k", *VALIDITY_METRICS])
