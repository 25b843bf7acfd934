"""Fit a segmentation on the training sample and describe it as tables.

fit_segmentation() is what the dbt Python model calls: features in, a SegmentationModel out.
SegmentationModel.artifacts() is the single long table the model is stored as; SQL models split
it into centroids, scaling parameters, candidates, metrics and segment names, and the SQL scoring
applies it to every customer.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from customer_segmentation.clustering import ClusteringResult, fit_segments
from customer_segmentation.naming import name_segments, segment_profiles
from customer_segmentation.preprocessing import FittedScaling, apply_scaling, fit_scaling
from customer_segmentation.settings import SegmentationSettings

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


@dataclass(frozen=True)
class SegmentationModel:
    """A fitted segmentation: scaling, clustering, names, and where it came from."""

    model_id: str
    as_of_date: str
    settings: SegmentationSettings
    scaling: FittedScaling
    clustering: ClusteringResult
    segments: pd.DataFrame  # index segment_id; segment_name, description, training_customers
    n_training_customers: int
    fit_seconds: float

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
        for segment_index, centroid in enumerate(self.clustering.centroids):
            for position, (feature, value) in enumerate(zip(names, centroid, strict=True), 1):
                records.append(
                    {
                        "record_type": "centroid",
                        "segment_id": segment_index + 1,
                        "feature": feature,
                        "position": position,
                        "value": float(value),
                    }
                )
        for segment_id, row in self.segments.iterrows():
            for metric in ("segment_name", "description"):
                records.append(
                    {
                        "record_type": "segment",
                        "segment_id": int(segment_id),
                        "metric": metric,
                        "text_value": row[metric],
                    }
                )
            records.append(
                {
                    "record_type": "segment",
                    "segment_id": int(segment_id),
                    "metric": "training_customers",
                    "value": float(row["training_customers"]),
                }
            )
        for row in self.clustering.candidates.itertuples(index=False):
            for metric in ("silhouette", "inertia"):
                value = getattr(row, metric)
                records.append(
                    {
                        "record_type": "k_candidate",
                        "k": int(row.k),
                        "metric": metric,
                        "value": None if pd.isna(value) else float(value),
                    }
                )
            records.append(
                {
                    "record_type": "k_candidate",
                    "k": int(row.k),
                    "metric": "is_chosen",
                    "value": 1.0 if row.is_chosen else 0.0,
                }
            )
        metrics = {
            "k": float(self.clustering.k),
            "silhouette": self.clustering.silhouette,
            "inertia": self.clustering.inertia,
            "training_customers": float(self.n_training_customers),
            "dimensions": float(len(names)),
            "fit_seconds": self.fit_seconds,
        }
        for metric, value in metrics.items():
            records.append({"record_type": "metric", "metric": metric, "value": value})
        parameters = {
            **{k: json.dumps(v) for k, v in self.settings.as_parameters().items()},
            "as_of_date": self.as_of_date,
        }
        for metric, value in parameters.items():
            records.append({"record_type": "parameter", "metric": metric, "text_value": value})
        frame = pd.DataFrame.from_records(records, columns=ARTIFACT_COLUMNS)
        frame["model_id"] = self.model_id
        return _typed_artifacts(frame)


def _typed_artifacts(frame: pd.DataFrame) -> pd.DataFrame:
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
) -> str:
    """A content hash: the same data and settings give the same id, any change a new one."""
    digest = hashlib.sha256()
    digest.update(json.dumps(settings.as_parameters(), sort_keys=True).encode())
    digest.update(as_of_date.encode())
    digest.update(scaling.parameters.to_csv(index=False, float_format="%.10g").encode())
    digest.update(np.round(clustering.centroids, 8).tobytes())
    return f"{settings.algorithm}-{as_of_date}-{digest.hexdigest()[:10]}"


def fit_segmentation(
    features: pd.DataFrame, settings: SegmentationSettings, as_of_date: date | str
) -> SegmentationModel:
    """Fit the segmentation on a training frame (one row per customer, with customer_id).

    Rows are sorted by customer_id first, so the result does not depend on the order the
    warehouse returned them in.
    """
    started = time.perf_counter()
    if "customer_id" not in features.columns:
        raise ValueError("the feature table has no customer_id column")
    if features.empty:
        raise ValueError(
            "no customer has a completed order before as_of_date: nothing to segment. "
            "Check the input orders and var as_of_date."
        )
    ordered = features.sort_values("customer_id", kind="stable").reset_index(drop=True)
    scaling = fit_scaling(
        ordered,
        settings.numeric_features,
        settings.log1p_features,
        settings.categorical_features,
        max_categories_per_feature=settings.max_categories_per_feature,
    )
    x = apply_scaling(ordered, scaling.parameters)
    clustering = fit_segments(
        x,
        k_min=settings.k_min,
        k_max=settings.k_max,
        seed=settings.seed,
        n_init=settings.n_init,
        silhouette_sample_size=settings.silhouette_sample_size,
        forced_k=settings.k,
    )
    if x.shape[1]:
        profiles = segment_profiles(x, clustering.labels, scaling.feature_names)
    else:
        profiles = pd.DataFrame(index=np.unique(clustering.labels))
    segments = name_segments(profiles)
    sizes = pd.Series(clustering.labels).value_counts()
    segments["training_customers"] = [int(sizes.get(s, 0)) for s in segments.index]
    as_of_text = str(pd.Timestamp(as_of_date).date())
    return SegmentationModel(
        model_id=_model_id(settings, as_of_text, scaling, clustering),
        as_of_date=as_of_text,
        settings=settings,
        scaling=scaling,
        clustering=clustering,
        segments=segments,
        n_training_customers=len(ordered),
        fit_seconds=round(time.perf_counter() - started, 3),
    )
