"""The fitted segmentation model as it is stored: its one schema, its writer and its reader.

Whichever algorithm fitted it (the dbt Python model segment_model_fit; the SQL models
segment_model_fit_sql for kmeans_sql and segment_model_fit_rfm_grid for rfm_grid), a model is
stored as one long table of ARTIFACT_SCHEMA, one row per stored fact. Its record_type says which
kind of fact the row is, and the record class of that type (RECORD_CLASSES, below) says which
columns it uses and what they hold: the columns metric, position, k, value and text_value carry
different things for different record types (a bin, a rule rank or a merge step in position; a
drop reason, a rule, a method or a customer key in text_value).

ml.segment_model_artifacts holds the model of the run (whichever fitter wrote it) and
ml.segment_model_history every model of the warehouse; the other ml.* SQL models split them into
typed tables. Their dbt contracts, the Python writer and the SQL writers (macro
model_artifact_columns) are checked against ARTIFACT_SCHEMA (tests/end_to_end/test_model_store.py),
and what every fitter writes against the record classes (schema_violations).

Writer: artifact_table(model_id, records) is the only place artifact rows are made;
fitted_model_records(model) lists the records of a fit, new_model_table / kept_model_table the
rows a run stores. Reader: StoredModel (one model's rows, with typed views: parameters,
population sketch, drift reference, segment figures, the previous model of a refit) and
read_stored_models (every model of the registry and of the table in use); read_previous_model
(what a refit needs from a stored model).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from customer_segmentation.segmentation.clustering import CANDIDATE_COLUMNS
from customer_segmentation.segmentation.preprocessing import SCALING_COLUMNS
from customer_segmentation.segmentation.tracking import PreviousModel
from customer_segmentation.segmentation.validation import VALIDITY_METRICS

if TYPE_CHECKING:
    from customer_segmentation.segmentation.model import SegmentationModel
    from customer_segmentation.settings import SegmentationSettings

__all__ = [
    "ARTIFACT_COLUMNS",
    "ARTIFACT_SCHEMA",
    "RECORD_CLASSES",
    "RECORD_TYPES",
    "StoredModel",
    "artifact_table",
    "fitted_model_records",
    "kept_model_table",
    "new_model_table",
    "read_previous_model",
    "read_stored_models",
    "read_warehouse_model",
    "schema_violations",
]

# The columns of the artifact table and their types, in the names dbt contracts use (every engine
# the project runs on knows them: string, bigint, double).
ARTIFACT_SCHEMA: dict[str, str] = {
    "model_id": "string",
    "record_type": "string",
    "segment_id": "bigint",
    "feature": "string",
    "position": "bigint",
    "source_column": "string",
    "category_value": "string",
    "transform": "string",
    "fill_value": "double",
    "center": "double",
    "scale": "double",
    "clip_limit": "double",
    "k": "bigint",
    "metric": "string",
    "value": "double",
    "text_value": "string",
}
ARTIFACT_COLUMNS = list(ARTIFACT_SCHEMA)
# How pandas holds each type (nullable integers: most rows leave segment_id, position, k null).
PANDAS_TYPES = {"string": "string", "bigint": "Int64", "double": "float64"}

EPOCH = date(1970, 1, 1)
# Rows that describe one run rather than the model: a kept model drops the earlier runs' rows.
RUN_RECORD_TYPES = ("decision",)
# Parameters that describe the fit rather than set it (not compared when a stored model is
# judged valid for a run).
VALIDATION_PARAMETERS = (
    "weighting_status",
    "validation_status",
    "validation_cutoff_date",
    "validation_outcome_end_date",
)
# The numeric columns of a candidate k (its validity figures are stored as validation records).
CANDIDATE_MEASURES = tuple(
    column
    for column in CANDIDATE_COLUMNS
    if column not in ("k", "selection_reason", *VALIDITY_METRICS)
)
SEGMENT_TEXT_ATTRIBUTES = ("segment_name", "description", "match_status")
LINKAGE_MEASURES = ("left_node", "right_node", "height", "size", "left_size", "right_size")
EXPLANATION_MEASURES = ("coverage", "precision", "support")
WEIGHT_MEASURES = {
    "outcome_weight": "weight",
    "churn_correlation": "churn_correlation",
    "spend_correlation": "spend_correlation",
}
DRIFT_MEASURES = ("upper_edge", "reference_customers")


# --- the record types ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One row of the artifact table. A subclass declares its record_type, its fields (each an
    artifact column, or stored under another column's name: stored_as) and the columns that
    hold the same value for every row of the type (fixed)."""

    record_type: ClassVar[str]
    stored_as: ClassVar[Mapping[str, str]] = {}
    fixed: ClassVar[Mapping[str, Any]] = {}

    def row(self) -> dict[str, Any]:
        """The record as artifact columns (the others are null)."""
        row = {"record_type": self.record_type, **self.fixed}
        for spec in fields(self):
            row[self.stored_as.get(spec.name, spec.name)] = getattr(self, spec.name)
        return row

    @classmethod
    def column_of(cls, name: str) -> str:
        return cls.stored_as.get(name, name)

    @classmethod
    def frame(cls, artifacts: pd.DataFrame) -> pd.DataFrame:
        """The rows of this record type, with the record's field names as columns."""
        rows = artifacts[artifacts["record_type"] == cls.record_type]
        names = [spec.name for spec in fields(cls)]
        return (
            rows[[cls.column_of(name) for name in names]]
            .set_axis(names, axis=1)
            .reset_index(drop=True)
        )


@dataclass(frozen=True)
class ScalingRecord(Record):
    """How a model dimension is computed from the features
    (customer_segmentation.segmentation.preprocessing): fill_value for a missing input, transform
    (identity | log1p | one_hot), then (x - center) / scale clipped to +-clip_limit."""

    record_type: ClassVar[str] = "scaling"
    feature: str
    position: int
    source_column: str
    category_value: str | None
    transform: str
    fill_value: float | None
    center: float
    scale: float
    clip_limit: float


@dataclass(frozen=True)
class DroppedFeatureRecord(Record):
    """A requested feature left out of the model, and why."""

    record_type: ClassVar[str] = "dropped_feature"
    stored_as: ClassVar[Mapping[str, str]] = {"reason": "text_value"}
    feature: str
    reason: str


@dataclass(frozen=True)
class CentroidRecord(Record):
    """A segment centre's coordinate on one dimension, in scaled space."""

    record_type: ClassVar[str] = "centroid"
    segment_id: int
    feature: str
    position: int
    value: float


@dataclass(frozen=True)
class SegmentRecord(Record):
    """One attribute of a segment: text (SEGMENT_TEXT_ATTRIBUTES) or a number
    (training_customers, is_outlier_segment 1/0, match_distance, radius)."""

    record_type: ClassVar[str] = "segment"
    stored_as: ClassVar[Mapping[str, str]] = {"attribute": "metric", "text": "text_value"}
    segment_id: int
    attribute: str
    value: float | None = None
    text: str | None = None


@dataclass(frozen=True)
class KCandidateRecord(Record):
    """One measure of a candidate k (CANDIDATE_MEASURES), or why it won or lost
    (measure selection_reason, in reason)."""

    record_type: ClassVar[str] = "k_candidate"
    stored_as: ClassVar[Mapping[str, str]] = {"measure": "metric", "reason": "text_value"}
    k: int
    measure: str
    value: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class MetricRecord(Record):
    """A figure of the fit (k, silhouette, training_customers, fit_seconds, ...)."""

    record_type: ClassVar[str] = "metric"
    stored_as: ClassVar[Mapping[str, str]] = {"name": "metric"}
    name: str
    value: float | None


@dataclass(frozen=True)
class ParameterRecord(Record):
    """A setting of the fit (its value as JSON), as_of_date, input_source, previous_model_id or a
    VALIDATION_PARAMETERS text."""

    record_type: ClassVar[str] = "parameter"
    stored_as: ClassVar[Mapping[str, str]] = {"name": "metric", "text": "text_value"}
    name: str
    text: str | None


@dataclass(frozen=True)
class FeatureSelectionRecord(Record):
    """Whether a feature was kept (its model position and weight) or dropped (and why)."""

    record_type: ClassVar[str] = "feature_selection"
    stored_as: ClassVar[Mapping[str, str]] = {
        "status": "metric",
        "reason": "text_value",
        "weight": "value",
    }
    feature: str
    position: int | None
    status: str
    reason: str | None
    weight: float | None


@dataclass(frozen=True)
class ExplanationRuleRecord(Record):
    """One measure (EXPLANATION_MEASURES) of a rule that explains a segment (rank 1 = best)."""

    record_type: ClassVar[str] = "explanation_rule"
    stored_as: ClassVar[Mapping[str, str]] = {
        "rank": "position",
        "measure": "metric",
        "rule": "text_value",
    }
    segment_id: int
    rank: int
    measure: str
    value: float
    rule: str


@dataclass(frozen=True)
class LinkageRecord(Record):
    """One measure (LINKAGE_MEASURES) of a Ward merge (hierarchical only): step (scipy order),
    clusters after the merge, the segment it lies in (null above the chosen cut)."""

    record_type: ClassVar[str] = "linkage"
    stored_as: ClassVar[Mapping[str, str]] = {
        "step": "position",
        "clusters_after": "k",
        "measure": "metric",
    }
    segment_id: int | None
    step: int
    clusters_after: int
    measure: str
    value: float


@dataclass(frozen=True)
class VanishedSegmentRecord(Record):
    """A previous segment no new segment matched, and how far the nearest new one is."""

    record_type: ClassVar[str] = "vanished_segment"
    stored_as: ClassVar[Mapping[str, str]] = {
        "segment_name": "text_value",
        "distance_to_nearest_new_segment": "value",
    }
    fixed: ClassVar[Mapping[str, Any]] = {"metric": "distance_to_nearest_new_segment"}
    segment_id: int
    segment_name: str
    distance_to_nearest_new_segment: float | None


@dataclass(frozen=True)
class PopulationSketchRecord(Record):
    """A member of the training population's sketch: md5 of a customer id and the first order
    date as days since 1970-01-01 (customer_segmentation.segmentation.model_choice)."""

    record_type: ClassVar[str] = "population_sketch"
    stored_as: ClassVar[Mapping[str, str]] = {
        "rank": "position",
        "population_key": "text_value",
        "first_order_day": "value",
    }
    fixed: ClassVar[Mapping[str, Any]] = {"metric": "first_order_day"}
    rank: int
    population_key: str
    first_order_day: float


@dataclass(frozen=True)
class DriftReferenceRecord(Record):
    """The training population's distribution of a feature, per bin: upper_edge and
    reference_customers (DRIFT_MEASURES)."""

    record_type: ClassVar[str] = "drift_reference"
    stored_as: ClassVar[Mapping[str, str]] = {"bin": "position", "measure": "metric"}
    feature: str
    bin: int
    measure: str
    value: float


@dataclass(frozen=True)
class DecisionRecord(Record):
    """A fact of the run's choice of model: action, reason, the stored model judged and the
    retraining policy's verdict (customer_segmentation.segmentation.model_choice)."""

    record_type: ClassVar[str] = "decision"
    stored_as: ClassVar[Mapping[str, str]] = {"name": "metric", "text": "text_value"}
    name: str
    value: float | None = None
    text: str | None = None


@dataclass(frozen=True)
class ValidationRecord(Record):
    """A validity figure (VALIDITY_METRICS) on the time hold-out of a method (segments, rfm_grid,
    recency_quartiles) with k groups (customer_segmentation.segmentation.validation)."""

    record_type: ClassVar[str] = "validation"
    stored_as: ClassVar[Mapping[str, str]] = {"method": "text_value", "measure": "metric"}
    method: str
    k: int | None
    measure: str
    value: float | None


@dataclass(frozen=True)
class FeatureWeightRecord(Record):
    """How a dimension was weighted by the outcomes (WEIGHT_MEASURES)."""

    record_type: ClassVar[str] = "feature_weight"
    stored_as: ClassVar[Mapping[str, str]] = {"measure": "metric"}
    feature: str
    position: int
    measure: str
    value: float | None


RECORD_CLASSES: tuple[type[Record], ...] = (
    ScalingRecord,
    DroppedFeatureRecord,
    CentroidRecord,
    SegmentRecord,
    KCandidateRecord,
    MetricRecord,
    ParameterRecord,
    FeatureSelectionRecord,
    ExplanationRuleRecord,
    LinkageRecord,
    VanishedSegmentRecord,
    PopulationSketchRecord,
    DriftReferenceRecord,
    DecisionRecord,
    ValidationRecord,
    FeatureWeightRecord,
)
RECORD_TYPES = tuple(cls.record_type for cls in RECORD_CLASSES)


def schema_violations(artifacts: pd.DataFrame) -> list[str]:
    """What in an artifact table (as any fitter wrote it, or read from the warehouse) breaks the
    declared schema: a missing column, a record type with no record class, a column filled that
    the row's record class does not use, or a fixed column with another value. Empty when the
    table keeps to it. Columns beyond ARTIFACT_COLUMNS (the registry's) are not judged."""
    missing = [column for column in ARTIFACT_COLUMNS if column not in artifacts.columns]
    if missing:
        return [f"missing columns: {', '.join(missing)}"]
    problems = []
    classes = {cls.record_type: cls for cls in RECORD_CLASSES}
    for record_type, rows in artifacts.groupby(artifacts["record_type"].astype(str), sort=True):
        cls = classes.get(record_type)
        if cls is None:
            problems.append(f"record type {record_type!r} has no record class")
            continue
        used = {cls.column_of(spec.name) for spec in fields(cls)}
        for column in ARTIFACT_COLUMNS:
            if column in ("model_id", "record_type") or column in used:
                continue
            values = rows[column]
            if column in cls.fixed:
                unexpected = values.notna() & (values.astype(object) != cls.fixed[column])
            else:
                unexpected = values.notna()
            if unexpected.any():
                problems.append(
                    f"{record_type} rows fill {column} ({int(unexpected.sum())} rows), "
                    f"which {cls.__name__} does not hold there"
                )
    return problems


# --- the writer ---------------------------------------------------------------------------------


def artifact_table(model_id: str, records: Iterable[Record]) -> pd.DataFrame:
    """The artifact rows of one model: ARTIFACT_COLUMNS typed as ARTIFACT_SCHEMA."""
    frame = pd.DataFrame.from_records([r.row() for r in records], columns=ARTIFACT_COLUMNS)
    frame["model_id"] = model_id
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=ARTIFACT_COLUMNS)
    for column, kind in ARTIFACT_SCHEMA.items():
        if kind == "bigint":
            frame[column] = pd.array(frame[column], dtype="Int64")
        elif kind == "double":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        else:
            frame[column] = frame[column].astype("string")
    return frame


def _number(value: object) -> float | None:
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return None
    return float(value)  # type: ignore[arg-type]


def fitted_model_records(model: SegmentationModel) -> list[Record]:
    """Every record of a fit (customer_segmentation.segmentation.model.SegmentationModel)."""
    names = model.scaling.feature_names
    records: list[Record] = [
        ScalingRecord(**row._asdict()) for row in model.scaling.parameters.itertuples(index=False)
    ]
    records += [
        DroppedFeatureRecord(row.feature, row.reason)
        for row in model.scaling.dropped.itertuples(index=False)
    ]
    order = np.argsort(model.segment_ids)
    segment_ids = np.asarray(model.segment_ids, dtype="int64")[order]
    for segment_id, centroid in zip(segment_ids, model.clustering.centroids[order], strict=True):
        records += [
            CentroidRecord(int(segment_id), feature, position, float(value))
            for position, (feature, value) in enumerate(zip(names, centroid, strict=True), 1)
        ]
    records += _segment_records(model.segments)
    for row in model.clustering.candidates.itertuples(index=False):
        records += [
            KCandidateRecord(int(row.k), measure, value=_number(getattr(row, measure)))
            for measure in CANDIDATE_MEASURES
        ]
        records.append(
            KCandidateRecord(int(row.k), "selection_reason", reason=row.selection_reason)
        )
    records += _validation_records(model)
    metrics = {
        "k": float(model.clustering.k),
        "silhouette": model.clustering.silhouette,
        "inertia": model.clustering.inertia,
        "training_customers": float(model.n_training_customers),
        "dimensions": float(len(names)),
        "fit_seconds": model.fit_seconds,
        "validation_customers": model.validation.get("validation_customers"),
        **model.clustering.metrics,
        "max_segment_id_issued": float(model.max_segment_id_issued),
    }
    if model.previous_model_id is not None:
        statuses = model.segments["match_status"]
        metrics["segments_matched"] = float((statuses == "matched").sum())
        metrics["segments_new"] = float((statuses == "new").sum())
        metrics["segments_vanished"] = float(len(model.vanished))
    records += [MetricRecord(name, _number(value)) for name, value in metrics.items()]
    parameters = {
        **{name: json.dumps(value) for name, value in model.settings.as_parameters().items()},
        "as_of_date": model.as_of_date,
        "weighting_status": model.weighting_status,
        **{
            name: model.validation.get(name)
            for name in VALIDATION_PARAMETERS
            if name != "weighting_status"
        },
    }
    if model.previous_model_id is not None:
        parameters["previous_model_id"] = model.previous_model_id
    records += [ParameterRecord(name, text) for name, text in parameters.items()]
    records += [
        FeatureSelectionRecord(
            row.feature,
            names.index(row.feature) + 1 if row.status == "kept" else None,
            row.status,
            row.reason,
            _number(row.weight),
        )
        for row in model.feature_selection.itertuples(index=False)
    ]
    for row in model.explanations.itertuples(index=False):
        records += [
            ExplanationRuleRecord(
                int(row.segment_id), int(row.rank), measure, float(getattr(row, measure)), row.rule
            )
            for measure in EXPLANATION_MEASURES
        ]
    records += _linkage_records(model)
    records += [
        VanishedSegmentRecord(
            int(row.segment_id), row.segment_name, _number(row.distance_to_nearest_new_segment)
        )
        for row in model.vanished.itertuples(index=False)
    ]
    return records


def _segment_records(segments: pd.DataFrame) -> list[Record]:
    records: list[Record] = []
    for segment_id, row in segments.iterrows():
        records += [
            SegmentRecord(int(segment_id), name, text=row[name]) for name in SEGMENT_TEXT_ATTRIBUTES
        ]
        numbers = {
            "training_customers": float(row["training_customers"]),
            "is_outlier_segment": 1.0 if row["is_outlier_segment"] else 0.0,
            "match_distance": _number(row["match_distance"]),
        }
        # The outlier segment has no radius: whoever is outside every real segment's is in it.
        if not row["is_outlier_segment"]:
            numbers["radius"] = _number(row["radius"])
        records += [
            SegmentRecord(int(segment_id), name, value=value) for name, value in numbers.items()
        ]
    return records


def _validation_records(model: SegmentationModel) -> list[Record]:
    """validation rows (every candidate k of the segments, the RFM grid and recency quartiles)
    and feature_weight rows."""
    records: list[Record] = []
    methods = [("segments", model.clustering.candidates)]
    if not model.baselines.empty:
        methods += [
            (method, model.baselines[model.baselines["method"] == method])
            for method in model.baselines["method"]
        ]
    for method, frame in methods:
        for row in frame.itertuples(index=False):
            k = None if pd.isna(row.k) else int(row.k)
            records += [
                ValidationRecord(method, k, measure, _number(getattr(row, measure)))
                for measure in VALIDITY_METRICS
            ]
    positions = {name: i for i, name in enumerate(model.scaling.feature_names, 1)}
    for row in model.feature_weights.itertuples(index=False):
        records += [
            FeatureWeightRecord(
                row.feature, positions[row.feature], measure, _number(getattr(row, column))
            )
            for measure, column in WEIGHT_MEASURES.items()
        ]
    return records


def _linkage_records(model: SegmentationModel) -> list[Record]:
    linkage = model.clustering.linkage
    if linkage is None:
        return []
    records: list[Record] = []
    for row in linkage.itertuples(index=False):
        segment_id = None if pd.isna(row.segment) else model.segment_ids[int(row.segment) - 1]
        records += [
            LinkageRecord(
                segment_id,
                int(row.step),
                int(row.clusters_after),
                measure,
                float(getattr(row, measure)),
            )
            for measure in LINKAGE_MEASURES
        ]
    return records


def population_records(sketch: pd.DataFrame) -> list[Record]:
    """The population sketch (population_key, first_order_date) as records."""
    return [
        PopulationSketchRecord(rank, key, float((pd.Timestamp(first_order).date() - EPOCH).days))
        for rank, (key, first_order) in enumerate(
            zip(sketch["population_key"], sketch["first_order_date"], strict=True), start=1
        )
    ]


def drift_reference_records(drift_reference: pd.DataFrame) -> list[Record]:
    """The drift reference (feature, bin, upper_edge, reference_customers) as records; a missing
    figure is not stored."""
    return [
        DriftReferenceRecord(row.feature, int(row.bin), measure, float(getattr(row, measure)))
        for row in drift_reference.itertuples(index=False)
        for measure in DRIFT_MEASURES
        if getattr(row, measure) is not None and not pd.isna(getattr(row, measure))
    ]


def new_model_table(
    fitted: SegmentationModel,
    sketch: pd.DataFrame,
    drift_reference: pd.DataFrame,
    input_source: str,
    decision: Sequence[DecisionRecord],
) -> pd.DataFrame:
    """The rows a run that fits stores: the fit, its population sketch, drift reference and
    input source, and the run's decision."""
    return artifact_table(
        fitted.model_id,
        [
            *fitted_model_records(fitted),
            *population_records(sketch),
            *drift_reference_records(drift_reference),
            ParameterRecord("input_source", input_source),
            *decision,
        ],
    )


def kept_model_table(kept: StoredModel, decision: Sequence[DecisionRecord]) -> pd.DataFrame:
    """The rows a run that keeps a stored model stores: its rows and the run's decision."""
    return _typed(
        pd.concat([kept.artifacts, artifact_table(kept.model_id, decision)], ignore_index=True)
    )


# --- the reader ---------------------------------------------------------------------------------


def read_previous_model(artifacts: pd.DataFrame, model_id: str | None = None) -> PreviousModel:
    """What a refit needs from a stored model: scaling, centroids, ids and names.

    The frame may hold several models when model_id says which; otherwise it must hold exactly
    one. Rows of other record types are ignored, so the table can be read from the warehouse as
    it is.
    """
    model_ids = sorted(artifacts["model_id"].dropna().astype(str).unique())
    if model_id is None:
        if len(model_ids) != 1:
            raise ValueError(
                "the artifact table holds "
                f"{len(model_ids)} models ({', '.join(model_ids[:5])}); pass model_id"
            )
        model_id = model_ids[0]
    frame = artifacts[artifacts["model_id"].astype(str) == model_id]
    if frame.empty:
        raise ValueError(f"no artifacts for model {model_id!r}")

    scaling = ScalingRecord.frame(frame)[SCALING_COLUMNS].sort_values("position")
    scaling = scaling.reset_index(drop=True)
    scaling["position"] = scaling["position"].astype("int64")
    for column in ("fill_value", "center", "scale", "clip_limit"):
        scaling[column] = pd.to_numeric(scaling[column], errors="coerce").astype(float)
    for column in ("feature", "source_column", "category_value", "transform"):
        scaling[column] = scaling[column].astype(object).where(scaling[column].notna(), None)
    feature_names = tuple(str(name) for name in scaling["feature"])

    segments = SegmentRecord.frame(frame)
    segment_ids = sorted(int(s) for s in segments["segment_id"].dropna().unique())
    names = (
        segments[segments["attribute"] == "segment_name"]
        .assign(segment_id=lambda f: f["segment_id"].astype(int))
        .set_index("segment_id")["text"]
    )
    outlier_rows = segments[segments["attribute"] == "is_outlier_segment"]
    outlier = {
        int(row.segment_id): bool(float(row.value) == 1.0)
        for row in outlier_rows.itertuples(index=False)
    }

    centroid_rows = CentroidRecord.frame(frame)
    centroids = np.zeros((len(segment_ids), len(feature_names)))
    if len(feature_names):
        wide = (
            centroid_rows.assign(
                segment_id=centroid_rows["segment_id"].astype(int),
                position=centroid_rows["position"].astype(int),
                value=pd.to_numeric(centroid_rows["value"]).astype(float),
            )
            .pivot(index="segment_id", columns="position", values="value")
            .reindex(index=segment_ids, columns=range(1, len(feature_names) + 1))
        )
        centroids = wide.to_numpy(dtype=float)

    metrics = MetricRecord.frame(frame)
    issued = metrics.loc[metrics["name"] == "max_segment_id_issued", "value"]
    max_issued = max(
        [int(float(issued.iloc[0]))] if len(issued) else [],
        default=max(segment_ids, default=0),
    )
    return PreviousModel(
        model_id=model_id,
        scaling=scaling,
        feature_names=feature_names,
        centroids=centroids,
        segment_ids=tuple(segment_ids),
        segment_names=tuple(str(names.get(s, f"Segment {s}")) for s in segment_ids),
        is_outlier=tuple(outlier.get(s, False) for s in segment_ids),
        max_segment_id_issued=max(max_issued, max(segment_ids, default=0)),
    )


@dataclass(frozen=True)
class StoredModel:
    """A model of the registry: its artifact rows (without earlier runs' decision rows)."""

    model_id: str
    training_as_of_date: date
    artifacts: pd.DataFrame
    recorded_at: pd.Timestamp | None = None
    is_in_use: bool = False

    @property
    def parameters(self) -> dict[str, object]:
        """The settings the model was fitted with (JSON-decoded), and as_of_date."""
        rows = ParameterRecord.frame(self.artifacts)
        parameters: dict[str, object] = {}
        for name, text in zip(rows["name"], rows["text"], strict=True):
            try:
                parameters[str(name)] = json.loads(text)
            except (TypeError, ValueError):
                parameters[str(name)] = text
        return parameters

    def settings_changed(self, settings: SegmentationSettings) -> list[str]:
        """Names of the settings that differ from (or were not stored with) this model."""
        stored = self.parameters
        return sorted(
            name
            for name, value in settings.as_parameters().items()
            if name not in stored or json.loads(json.dumps(value)) != stored[name]
        )

    @property
    def sketch(self) -> pd.DataFrame:
        """population_key, first_order_date of the stored population sketch (may be empty)."""
        rows = PopulationSketchRecord.frame(self.artifacts).sort_values("rank")
        days = pd.to_numeric(rows["first_order_day"]).astype("int64")
        return pd.DataFrame(
            {
                "population_key": rows["population_key"].astype(str).to_numpy(),
                "first_order_date": [date.fromordinal(EPOCH.toordinal() + int(d)) for d in days],
            }
        )

    @property
    def drift_reference(self) -> pd.DataFrame:
        """feature, bin, upper_edge, reference_customers (the training population's deciles)."""
        rows = DriftReferenceRecord.frame(self.artifacts)
        if rows.empty:
            return pd.DataFrame(columns=["feature", "bin", *DRIFT_MEASURES])
        wide = rows.pivot_table(
            index=["feature", "bin"], columns="measure", values="value", aggfunc="first"
        ).reset_index()
        for column in DRIFT_MEASURES:
            if column not in wide.columns:
                wide[column] = np.nan
        wide["bin"] = wide["bin"].astype("int64")
        return wide[["feature", "bin", *DRIFT_MEASURES]]

    def segment_values(self, attribute: str, segment_ids: Sequence[int]) -> np.ndarray:
        """A numeric segment attribute (radius, training_customers, ...) in segment_ids order;
        NaN where not stored."""
        rows = SegmentRecord.frame(self.artifacts)
        rows = rows[rows["attribute"] == attribute]
        by_id = {
            int(s): float(v)
            for s, v in zip(rows["segment_id"], rows["value"], strict=True)
            if pd.notna(v)
        }
        return np.array([by_id.get(int(s), np.nan) for s in segment_ids], dtype=float)

    @property
    def max_segment_id_issued(self) -> int:
        metrics = MetricRecord.frame(self.artifacts)
        issued = metrics.loc[metrics["name"] == "max_segment_id_issued", "value"]
        segment_ids = SegmentRecord.frame(self.artifacts)["segment_id"].dropna().astype(int)
        return max([int(float(v)) for v in issued] + [int(s) for s in segment_ids] + [0])

    def previous_model(self, max_segment_id_issued: int = 0) -> PreviousModel:
        """This model as the previous model of a refit, issuing ids after the given one."""
        previous = read_previous_model(self.artifacts, self.model_id)
        return replace(
            previous,
            max_segment_id_issued=max(previous.max_segment_id_issued, max_segment_id_issued),
        )


def read_stored_models(
    registry: pd.DataFrame | None, in_use: pd.DataFrame | None
) -> list[StoredModel]:
    """Every stored model, from the registry (ml.segment_model_history, with recorded_at) and the
    table the last run wrote (the model in use), oldest training date first."""
    # The table in use first: a model the registry holds from an earlier version may lack the
    # record types this version adds.
    frames = [frame for frame in (in_use, registry) if frame is not None and not frame.empty]
    if not frames:
        return []
    in_use_ids = set() if in_use is None else set(in_use["model_id"].dropna().astype(str))
    recorded: dict[str, pd.Timestamp] = {}
    if registry is not None and "recorded_at" in registry.columns and not registry.empty:
        recorded = {
            str(model_id): pd.Timestamp(value)
            for model_id, value in registry.groupby(registry["model_id"].astype(str))["recorded_at"]
            .min()
            .items()
        }
    models: dict[str, StoredModel] = {}
    for frame in frames:
        for model_id, rows in frame.groupby(frame["model_id"].astype(str), sort=True):
            if model_id in models:
                continue
            rows = rows[~rows["record_type"].isin(RUN_RECORD_TYPES)]
            artifacts = rows.reindex(columns=ARTIFACT_COLUMNS).reset_index(drop=True)
            parameters = ParameterRecord.frame(artifacts)
            trained = parameters.loc[parameters["name"] == "as_of_date", "text"]
            if trained.empty:
                continue
            models[model_id] = StoredModel(
                model_id=model_id,
                training_as_of_date=date.fromisoformat(str(trained.iloc[0])[:10]),
                artifacts=artifacts,
                recorded_at=recorded.get(model_id),
                is_in_use=model_id in in_use_ids,
            )
    return sorted(models.values(), key=_age_order)


def read_warehouse_model(connection: Any) -> StoredModel | None:
    """The model in use of a built warehouse (ml.segment_model_artifacts, read through a DuckDB
    connection), or None when the warehouse has none."""
    import duckdb

    try:
        artifacts = connection.sql("select * from ml.segment_model_artifacts").df()
    except duckdb.CatalogException:
        return None
    stored = read_stored_models(None, artifacts)
    return stored[-1] if stored else None


def _age_order(model: StoredModel) -> tuple:
    recorded = model.recorded_at if model.recorded_at is not None else pd.Timestamp.max
    return (model.training_as_of_date, model.is_in_use, recorded, model.model_id)
