"""Stable segment ids and names across retraining.

A new model's segments are matched one to one to the previous model's segments:

1. Common space. Only dimensions present in both models count. The previous centroids are
   re-expressed in the new model's scaled space through raw units: for a numeric dimension,
   z_new = clip((t_new(x) - center_new) / scale_new, -L, L) with x = t_prev^-1(z_prev * scale_prev
   + center_prev), where t is identity or log1p (inverse expm1). One-hot dimensions (0/1 in both
   models) are copied. A dimension whose kind differs between the models (one-hot in one, numeric
   in the other) is left out. Without scaling parameters the coordinates are taken as they are.
2. Optimal assignment. scipy's linear_sum_assignment on the Euclidean distances between new and
   previous real centroids in that space (the outlier segments are matched to each other,
   whatever their distance). A pair farther apart than max_match_distance (scaled units) is not
   a match.
3. Ids. A matched segment keeps the previous segment_id and name. Unmatched new segments get new
   ids max_issued + 1, max_issued + 2, ... in the new model's fixed order, where max_issued is the
   largest id the previous model or any model before it issued (stored as the metric
   max_segment_id_issued), so an id is never reused. Previous segments that no new segment
   matched are reported as vanished, with the distance to the nearest new segment.

Rerunning on identical data with the previous model = itself gives distance 0 for every pair, so
the same ids, names and assignments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

VANISHED_COLUMNS = ["segment_id", "segment_name", "distance_to_nearest_new_segment"]


@dataclass(frozen=True)
class PreviousModel:
    """What a new fit needs from the previous model: scaling, centroids, ids and names (read from
    the stored model by customer_segmentation.segmentation.model_store.read_previous_model).

    centroids (k, d) are in the previous model's scaled space, rows in segment_ids order,
    columns in feature_names order (scaling position order).
    """

    model_id: str
    scaling: pd.DataFrame
    feature_names: tuple[str, ...]
    centroids: np.ndarray
    segment_ids: tuple[int, ...]
    segment_names: tuple[str, ...]
    is_outlier: tuple[bool, ...] = ()
    max_segment_id_issued: int = 0


@dataclass(frozen=True)
class SegmentMatch:
    """Result of matching new segments to previous ones.

    Per new segment (in the order of new_centroids): segment_ids, names (previous name, or None
    for a new segment), statuses ('matched' or 'new'), distances (to the matched previous
    centroid; for a new segment to the nearest previous one, None if there is none). vanished:
    VANISHED_COLUMNS, one row per previous segment without a match. max_segment_id_issued: the
    largest id issued so far, including the new ones.
    """

    segment_ids: tuple[int, ...]
    names: tuple[str | None, ...]
    statuses: tuple[str, ...]
    distances: tuple[float | None, ...]
    vanished: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VANISHED_COLUMNS))
    max_segment_id_issued: int = 0

    @property
    def mapping(self) -> dict[int, int]:
        """New segment position (1-based, fixed order) -> segment id."""
        return {position: sid for position, sid in enumerate(self.segment_ids, 1)}


def _inverse_transform(values: np.ndarray, transform: str) -> np.ndarray:
    return np.expm1(values) if transform == "log1p" else values


def _forward_transform(values: np.ndarray, transform: str) -> np.ndarray:
    return np.log1p(np.clip(values, 0.0, None)) if transform == "log1p" else values


def reexpress_centroids(
    previous_centroids: np.ndarray,
    previous_feature_names: Sequence[str],
    new_feature_names: Sequence[str],
    previous_scaling: pd.DataFrame | None = None,
    new_scaling: pd.DataFrame | None = None,
) -> tuple[np.ndarray, list[int], list[int]]:
    """Previous centroids in the new scaled space, on the dimensions both models have.

    Output: (centroids (k_prev, c), the common dimensions' positions (0-based) in the new
    model, and in the previous model), following step 1 of the module docstring.
    """
    previous_index = {name: i for i, name in enumerate(previous_feature_names)}
    previous_rows = (
        None if previous_scaling is None else previous_scaling.set_index("feature", drop=False)
    )
    new_rows = None if new_scaling is None else new_scaling.set_index("feature", drop=False)
    new_positions, previous_positions, columns = [], [], []
    for j, name in enumerate(new_feature_names):
        if name not in previous_index:
            continue
        i = previous_index[name]
        values = previous_centroids[:, i].astype(float)
        if previous_rows is not None and new_rows is not None:
            before, after = previous_rows.loc[name], new_rows.loc[name]
            one_hot_before = before["transform"] == "one_hot"
            one_hot_after = after["transform"] == "one_hot"
            if one_hot_before != one_hot_after:
                continue
            if not one_hot_after:
                raw = _inverse_transform(
                    values * float(before["scale"]) + float(before["center"]),
                    str(before["transform"]),
                )
                limit = float(after["clip_limit"])
                values = np.clip(
                    (_forward_transform(raw, str(after["transform"])) - float(after["center"]))
                    / float(after["scale"]),
                    -limit,
                    limit,
                )
        new_positions.append(j)
        previous_positions.append(i)
        columns.append(values)
    matrix = np.column_stack(columns) if columns else np.zeros((len(previous_centroids), 0))
    return matrix, new_positions, previous_positions


def match_to_previous(
    new_centroids: np.ndarray,
    new_feature_names: Sequence[str],
    previous_centroids: np.ndarray,
    previous_feature_names: Sequence[str],
    previous_segment_ids: Sequence[int],
    previous_names: Sequence[str],
    *,
    max_distance: float = 1.5,
    new_scaling: pd.DataFrame | None = None,
    previous_scaling: pd.DataFrame | None = None,
    new_is_outlier: Sequence[bool] | None = None,
    previous_is_outlier: Sequence[bool] | None = None,
    max_segment_id_issued: int | None = None,
) -> SegmentMatch:
    """Match new segments (rows of new_centroids, in fixed order) to the previous model's.

    See the module docstring for the rule. Scaling frames (SCALING_COLUMNS) re-express the
    previous centroids when the two models were scaled differently.
    """
    n_new, n_previous = len(new_centroids), len(previous_centroids)
    new_outlier = np.asarray(new_is_outlier if new_is_outlier is not None else [False] * n_new)
    previous_outlier = np.asarray(
        previous_is_outlier if previous_is_outlier is not None else [False] * n_previous
    )
    previous_in_new, new_positions, _ = reexpress_centroids(
        previous_centroids, previous_feature_names, new_feature_names, previous_scaling, new_scaling
    )
    common_new = new_centroids[:, new_positions]
    if new_positions:
        distance = np.sqrt(
            ((common_new[:, None, :] - previous_in_new[None, :, :]) ** 2).sum(axis=2)
        )
    else:  # nothing in common: no distance, no match (except outlier segment to outlier)
        distance = np.full((n_new, n_previous), np.nan)

    matched: dict[int, int] = {}  # new row -> previous row
    real_new = np.flatnonzero(~new_outlier)
    real_previous = np.flatnonzero(~previous_outlier)
    if len(real_new) and len(real_previous) and new_positions:
        rows, cols = linear_sum_assignment(distance[np.ix_(real_new, real_previous)])
        for row, col in zip(rows, cols, strict=True):
            if distance[real_new[row], real_previous[col]] <= max_distance:
                matched[int(real_new[row])] = int(real_previous[col])
    if new_outlier.any() and previous_outlier.any():
        matched[int(np.flatnonzero(new_outlier)[0])] = int(np.flatnonzero(previous_outlier)[0])

    issued = max([int(s) for s in previous_segment_ids] + [max_segment_id_issued or 0, 0])
    segment_ids, names, statuses, distances = [], [], [], []
    for row in range(n_new):
        if row in matched:
            col = matched[row]
            segment_ids.append(int(previous_segment_ids[col]))
            names.append(str(previous_names[col]))
            statuses.append("matched")
            distances.append(_finite_or_none(distance[row, col]))
        else:
            issued += 1
            segment_ids.append(issued)
            names.append(None)
            statuses.append("new")
            distances.append(_finite_or_none(distance[row].min()) if n_previous else None)
    matched_previous = set(matched.values())
    vanished = pd.DataFrame(
        [
            {
                "segment_id": int(previous_segment_ids[col]),
                "segment_name": str(previous_names[col]),
                "distance_to_nearest_new_segment": (
                    _finite_or_none(distance[:, col].min()) if n_new else None
                ),
            }
            for col in range(n_previous)
            if col not in matched_previous
        ],
        columns=VANISHED_COLUMNS,
    )
    return SegmentMatch(
        segment_ids=tuple(segment_ids),
        names=tuple(names),
        statuses=tuple(statuses),
        distances=tuple(distances),
        vanished=vanished,
        max_segment_id_issued=issued,
    )


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
