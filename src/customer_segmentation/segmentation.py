"""Fit a segmentation on the training sample and describe it as tables.

fit_segmentation() is what the dbt Python model calls: features in, a SegmentationModel out.
SegmentationModel.artifacts() is the single long table the model is stored as; SQL models split
it into centroids, scaling parameters, candidates, metrics and segment names, and the SQL scoring
applies it to every customer (rule: customer_segmentation.scoring).

The artifact table (ARTIFACT_COLUMNS; unused columns are null). Per record_type:

| record_type        | columns used                                                          |
| ------------------ | --------------------------------------------------------------------- |
| scaling            | feature, position, source_column, category_value, transform,          |
|                    | fill_value, center, scale, clip_limit                                 |
| dropped_feature    | feature, text_value = reason ("no spread: ...", "correlated with      |
|                    | monetary (r=0.94)")                                                   |
| centroid           | segment_id, feature, position, value (scaled space)                   |
| segment            | segment_id, metric, value or text_value. metric: segment_name (text), |
|                    | description (text), training_customers, radius (real segments only),  |
|                    | is_outlier_segment (1/0), match_status (text: matched | new),         |
|                    | match_distance (to the previous centroid; null if none)               |
| k_candidate        | k, metric, value. metric: silhouette, davies_bouldin,                 |
|                    | calinski_harabasz, stability, inertia, min_segment_share, usefulness, |
|                    | is_eligible (1/0), is_chosen (1/0); selection_reason (text_value: why |
|                    | the candidate won or lost)                                            |
| metric             | metric, value: k, silhouette, inertia, training_customers,            |
|                    | dimensions, fit_seconds, davies_bouldin, calinski_harabasz,           |
|                    | stability, min_segment_share, holdout_ari, scoring_agreement,         |
|                    | fit_sample_customers, max_segment_id_issued, validation_customers;   |
|                    | hdbscan: outlier_share,                                               |
|                    | min_cluster_size; autoencoder_kmeans: reconstruction_mse,             |
|                    | ari_vs_kmeans, scaled_space_agreement; with a previous model:         |
|                    | segments_matched, segments_new, segments_vanished                     |
| parameter          | metric, text_value: every setting (JSON), as_of_date, the             |
|                    | VALIDATION_PARAMETERS (how features were weighted, where validity was |
|                    | measured), and previous_model_id when fitted against a previous model |
| feature_selection  | feature, position (model position; null if dropped),                  |
|                    | metric = status (kept | dropped), text_value = reason (dropped only), |
|                    | value = weight (kept only; see customer_segmentation.explain)         |
| explanation_rule   | segment_id, position = rule rank (1 = best), text_value = rule,       |
|                    | metric in (coverage, precision, support), value. One row per rule and |
|                    | measure; pivot on (segment_id, position).                             |
| linkage            | hierarchical only: the last 50 merges of the Ward tree on the fitted  |
|                    | sample. position = step (merge number, 1..n-1, scipy order), k =      |
|                    | clusters after the merge, segment_id = segment the merge lies in      |
|                    | (null above the chosen cut), metric in (left_node, right_node, height,|
|                    | size, left_size, right_size), value. Node ids follow scipy: below n   |
|                    | (metric fit_sample_customers) a sample row, n + i the node of step   |
|                    | i + 1.                                                                |
| vanished_segment   | segment_id, text_value = its name in the previous model,              |
|                    | metric = distance_to_nearest_new_segment, value                       |
| validation         | text_value = method (segments | rfm_grid | recency_quartiles), k      |
|                    | (segments: the candidate k; others: their number of groups), metric   |
|                    | in VALIDITY_METRICS (customer_segmentation.validation), value (null   |
|                    | when not measured; parameter validation_status says why)             |
| feature_weight     | feature, position, metric in (outcome_weight, churn_correlation,      |
|                    | spend_correlation), value: how the dimension was weighted (its scale  |
|                    | already includes the weight); none when unweighted                    |

Segment ids are 1..k in a fixed order for a first model; fitted against a previous model
(fit_segmentation(..., previous=PreviousModel...)), matched segments keep their previous id and
name and new ones get ids never used before (customer_segmentation.tracking).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from customer_segmentation.algorithms import build_clusterer
from customer_segmentation.clustering import ClusteringResult, fit_segments
from customer_segmentation.explain import (
    EXPLANATION_COLUMNS,
    FEATURE_REPORT_COLUMNS,
    explain_segments,
    feature_weights,
)
from customer_segmentation.naming import (
    OUTLIER_SEGMENT_NAME,
    claimed_features,
    describe_segment,
    name_segments,
    segment_profiles,
)
from customer_segmentation.preprocessing import (
    FittedScaling,
    apply_scaling,
    drop_correlated_features,
    fit_scaling,
    weight_scaling,
)
from customer_segmentation.scoring import assign_to_nearest
from customer_segmentation.settings import SQL_ALGORITHMS, SegmentationSettings
from customer_segmentation.tracking import (
    VANISHED_COLUMNS,
    PreviousModel,
    SegmentMatch,
    match_to_previous,
)
from customer_segmentation.validation import (
    BASELINE_METHODS,
    VALIDITY_METRICS,
    LabelledWindow,
    outcome_weights,
    validity_metrics,
)

__all__ = [
    "ARTIFACT_COLUMNS",
    "PreviousModel",
    "SegmentationModel",
    "fit_segmentation",
    "typed_artifacts",
]

ARTIFACT_COLUMNS = [
    "model_id",
    "record_type",
    "segment_id",
    "feature",
    "position",
    "source_column",
    "category_value",
    "transform",
    "fill_value",
    "center",
    "scale",
    "clip_limit",
    "k",
    "metric",
    "value",
    "text_value",
]
CANDIDATE_METRICS = (
    "silhouette",
    "davies_bouldin",
    "calinski_harabasz",
    "stability",
    "inertia",
    "min_segment_share",
    "usefulness",
    "is_eligible",
    "is_chosen",
)
WEIGHT_COLUMNS = ["feature", "weight", "churn_correlation", "spend_correlation"]
WEIGHT_MEASURES = {
    "outcome_weight": "weight",
    "churn_correlation": "churn_correlation",
    "spend_correlation": "spend_correlation",
}
# Registry parameters that describe the fit rather than set it (not compared by refit_policy).
VALIDATION_PARAMETERS = (
    "weighting_status",
    "validation_status",
    "validation_cutoff_date",
    "validation_outcome_end_date",
)
LINKAGE_METRICS = ("left_node", "right_node", "height", "size", "left_size", "right_size")
EXPLANATION_MEASURES = ("coverage", "precision", "support")


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
        """Score customers as SQL does: scaling, then the rule in customer_segmentation.scoring.

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
        """The model as one long table (ARTIFACT_COLUMNS), one row per stored fact."""
        records: list[dict] = []
        for row in self.scaling.parameters.itertuples(index=False):
            records.append({"record_type": "scaling", **row._asdict()})
        for row in self.scaling.dropped.itertuples(index=False):
            records.append(
                {"record_type": "dropped_feature", "feature": row.feature, "text_value": row.reason}
            )
        names = self.scaling.feature_names
        ids, centroids, _, _ = self._centroids_by_id()
        for segment_id, centroid in zip(ids, centroids, strict=True):
            for position, (feature, value) in enumerate(zip(names, centroid, strict=True), 1):
                records.append(
                    {
                        "record_type": "centroid",
                        "segment_id": int(segment_id),
                        "feature": feature,
                        "position": position,
                        "value": float(value),
                    }
                )
        records += self._segment_records()
        for row in self.clustering.candidates.itertuples(index=False):
            for metric in CANDIDATE_METRICS:
                records.append(
                    {
                        "record_type": "k_candidate",
                        "k": int(row.k),
                        "metric": metric,
                        "value": _number(getattr(row, metric)),
                    }
                )
            records.append(
                {
                    "record_type": "k_candidate",
                    "k": int(row.k),
                    "metric": "selection_reason",
                    "text_value": row.selection_reason,
                }
            )
        records += self._validation_records()
        metrics = {
            "k": float(self.clustering.k),
            "silhouette": self.clustering.silhouette,
            "inertia": self.clustering.inertia,
            "training_customers": float(self.n_training_customers),
            "dimensions": float(len(names)),
            "fit_seconds": self.fit_seconds,
            "validation_customers": self.validation.get("validation_customers"),
            **self.clustering.metrics,
            "max_segment_id_issued": float(self.max_segment_id_issued),
        }
        if self.previous_model_id is not None:
            statuses = self.segments["match_status"]
            metrics["segments_matched"] = float((statuses == "matched").sum())
            metrics["segments_new"] = float((statuses == "new").sum())
            metrics["segments_vanished"] = float(len(self.vanished))
        for metric, value in metrics.items():
            records.append({"record_type": "metric", "metric": metric, "value": _number(value)})
        parameters = {
            **{k: json.dumps(v) for k, v in self.settings.as_parameters().items()},
            "as_of_date": self.as_of_date,
            "weighting_status": self.weighting_status,
            **{
                name: self.validation.get(name)
                for name in VALIDATION_PARAMETERS
                if name != "weighting_status"
            },
        }
        if self.previous_model_id is not None:
            parameters["previous_model_id"] = self.previous_model_id
        for metric, value in parameters.items():
            records.append({"record_type": "parameter", "metric": metric, "text_value": value})
        for row in self.feature_selection.itertuples(index=False):
            position = names.index(row.feature) + 1 if row.status == "kept" else None
            records.append(
                {
                    "record_type": "feature_selection",
                    "feature": row.feature,
                    "position": position,
                    "metric": row.status,
                    "text_value": row.reason,
                    "value": _number(row.weight),
                }
            )
        for row in self.explanations.itertuples(index=False):
            for measure in EXPLANATION_MEASURES:
                records.append(
                    {
                        "record_type": "explanation_rule",
                        "segment_id": int(row.segment_id),
                        "position": int(row.rank),
                        "metric": measure,
                        "value": float(getattr(row, measure)),
                        "text_value": row.rule,
                    }
                )
        records += self._linkage_records()
        for row in self.vanished.itertuples(index=False):
            records.append(
                {
                    "record_type": "vanished_segment",
                    "segment_id": int(row.segment_id),
                    "metric": "distance_to_nearest_new_segment",
                    "value": _number(row.distance_to_nearest_new_segment),
                    "text_value": row.segment_name,
                }
            )
        frame = pd.DataFrame.from_records(records, columns=ARTIFACT_COLUMNS)
        frame["model_id"] = self.model_id
        return typed_artifacts(frame)

    def _validation_records(self) -> list[dict]:
        """validation rows (every candidate k of the segments, the RFM grid and recency
        quartiles) and feature_weight rows."""
        records: list[dict] = []
        methods = [("segments", self.clustering.candidates)]
        if not self.baselines.empty:
            methods += [
                (method, self.baselines[self.baselines["method"] == method])
                for method in self.baselines["method"]
            ]
        for method, frame in methods:
            for row in frame.itertuples(index=False):
                for metric in VALIDITY_METRICS:
                    records.append(
                        {
                            "record_type": "validation",
                            "k": None if pd.isna(row.k) else int(row.k),
                            "metric": metric,
                            "value": _number(getattr(row, metric)),
                            "text_value": method,
                        }
                    )
        positions = {name: i for i, name in enumerate(self.scaling.feature_names, 1)}
        for row in self.feature_weights.itertuples(index=False):
            for metric, column in WEIGHT_MEASURES.items():
                records.append(
                    {
                        "record_type": "feature_weight",
                        "feature": row.feature,
                        "position": positions[row.feature],
                        "metric": metric,
                        "value": _number(getattr(row, column)),
                    }
                )
        return records

    def _segment_records(self) -> list[dict]:
        records: list[dict] = []
        for segment_id, row in self.segments.iterrows():
            base = {"record_type": "segment", "segment_id": int(segment_id)}
            for metric in ("segment_name", "description", "match_status"):
                records.append({**base, "metric": metric, "text_value": row[metric]})
            numbers = {
                "training_customers": float(row["training_customers"]),
                "is_outlier_segment": 1.0 if row["is_outlier_segment"] else 0.0,
                "match_distance": _number(row["match_distance"]),
            }
            if not row["is_outlier_segment"]:
                numbers["radius"] = _number(row["radius"])
            for metric, value in numbers.items():
                records.append({**base, "metric": metric, "value": value})
        return records

    def _linkage_records(self) -> list[dict]:
        linkage = self.clustering.linkage
        if linkage is None:
            return []
        records: list[dict] = []
        for row in linkage.itertuples(index=False):
            segment_id = None if pd.isna(row.segment) else self.segment_ids[int(row.segment) - 1]
            for metric in LINKAGE_METRICS:
                records.append(
                    {
                        "record_type": "linkage",
                        "segment_id": segment_id,
                        "position": int(row.step),
                        "k": int(row.clusters_after),
                        "metric": metric,
                        "value": float(getattr(row, metric)),
                    }
                )
        return records


def _number(value: object) -> float | None:
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return None
    return float(value)  # type: ignore[arg-type]


def typed_artifacts(frame: pd.DataFrame) -> pd.DataFrame:
    """Artifact rows with the column types every writer uses (Int64, float64, string)."""
    integer_columns = ["segment_id", "position", "k"]
    float_columns = ["fill_value", "center", "scale", "clip_limit", "value"]
    text_columns = [c for c in ARTIFACT_COLUMNS if c not in integer_columns + float_columns]
    for column in integer_columns:
        frame[column] = pd.array(frame[column], dtype="Int64")
    for column in float_columns:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in text_columns:
        frame[column] = frame[column].astype("string")
    return frame


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
    `weight_window`, whose features are scaled the same way (customer_segmentation.validation).
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
    warehouse returned them in. With `previous` (PreviousModel.from_artifacts of the last
    model's artifact table), segments that match a previous segment keep its id and name.
    Without it, segment ids are ids_issued + 1, ids_issued + 2, ... (ids_issued: the largest id
    a model of this warehouse issued, so that no id is issued twice).
    `labelled` (int_segment_validation_sample: features and outcomes at as_of_date - horizon,
    cutoff_role training, and one horizon earlier, evaluation, with the RFM grid and recency
    quartile of each customer) weights the features and measures every candidate k, the RFM
    grid and recency quartiles on the time hold-out (customer_segmentation.validation); without
    it the features are unweighted and k is chosen by silhouette.
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
