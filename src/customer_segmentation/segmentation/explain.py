"""Explaining segments: readable rules from a surrogate decision tree, and feature weights.

explain_segments() fits, for each segment, a shallow one-vs-rest DecisionTreeClassifier (depth
max_depth, balanced class weights, at least 1% of the rows per leaf) on the *raw* feature values
(unscaled; missing values filled with the column median; a one-hot dimension "col=value" becomes
the indicator of that category). Every leaf the tree assigns to the segment, and every subtree
whose leaves all do, is a candidate rule: the conditions on its path, merged per feature into one
range ("30 <= recency_days <= 45"). Thresholds are rounded for reading: to
whole numbers for features whose values are all whole numbers (counts, days; x <= 45.5 is written
x <= 45 and x > 45.5 as x >= 46, which is the same rule), to 2 decimals otherwise (3 significant
digits when that would print 0). The measures are computed for the rounded rule as printed:

    support   = customers the rule covers (any segment)
    coverage  = share of the segment's customers the rule covers
    precision = share of the covered customers who are in the segment

Candidates are ranked by coverage x precision (ties: higher precision, then the text) and taken
in that order, skipping any that lies inside or around one already taken, up to
MAX_RULES_PER_SEGMENT; rules after the first must cover at least MIN_EXTRA_RULE_COVERAGE of the
segment and have a precision of at least MIN_EXTRA_RULE_PRECISION.

feature_report() lists each requested feature as kept (with its weight) or dropped (with why). The
weight of a kept dimension j is its share of the between-segment sum of squares in scaled space:
B_j = sum over segments s of n_s * (c_sj - m_j)^2, with n_s the segment's training customers, c_s
its centroid and m the training mean; weight_j = B_j / sum_j B_j (all 0 for a one-segment model).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

if TYPE_CHECKING:
    from customer_segmentation.segmentation.model import SegmentationModel

EXPLANATION_COLUMNS = ["segment_id", "rank", "rule", "coverage", "precision", "support"]
FEATURE_REPORT_COLUMNS = ["feature", "status", "reason", "weight"]
MAX_RULES_PER_SEGMENT = 3
MIN_EXTRA_RULE_COVERAGE = 0.05
MIN_EXTRA_RULE_PRECISION = 0.5
MIN_LEAF_SHARE = 0.01


@dataclass(frozen=True)
class _Bound:
    """Range of one feature in a rule: lower < x <= upper (None: unbounded)."""

    lower: float | None = None
    upper: float | None = None


def _raw_matrix(
    features: pd.DataFrame, feature_names: Sequence[str]
) -> tuple[np.ndarray, list[bool]]:
    """Raw values (median-filled) of each model dimension, and whether each is whole-numbered."""
    columns, integral = [], []
    for name in feature_names:
        if name not in features.columns and "=" in name:
            source, value = name.split("=", 1)
            values = features[source].astype("string").fillna("unknown")
            columns.append((values == value).to_numpy(dtype=float))
            integral.append(True)
            continue
        values = pd.to_numeric(features[name], errors="coerce").to_numpy(dtype=float)
        if np.isnan(values).all():
            values = np.zeros(len(values))
        else:
            values = np.where(np.isnan(values), np.nanmedian(values), values)
        columns.append(values)
        integral.append(bool(np.all(np.mod(values, 1.0) == 0.0)))
    if not columns:
        return np.zeros((len(features), 0)), []
    return np.column_stack(columns), integral


def _round_threshold(value: float, integral: bool) -> float:
    if integral:
        return float(math.floor(value))
    rounded = round(value, 2)
    if rounded == 0.0 and value != 0.0:
        rounded = float(f"{value:.3g}")
    return float(rounded)


def _format_number(value: float, integral: bool) -> str:
    if integral:
        return str(int(value))
    text = f"{value:.2f}"
    if float(text) != value:  # a small value kept to 3 significant digits
        text = f"{value:.3g}"
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _positive_regions(
    tree: DecisionTreeClassifier, positive_leaves: set[int]
) -> list[tuple[frozenset[int], list[tuple]]]:
    """Candidate rules: every node whose leaves all predict the segment.

    For each: the nodes on its path (itself included) and the path conditions (feature index,
    '<=' or '>', threshold). A split whose two sides both predict the segment may say nothing
    about it, so the subtree above it is a candidate as well as its leaves.
    """
    structure = tree.tree_
    all_positive = np.zeros(structure.node_count, dtype=bool)
    for node in reversed(range(structure.node_count)):  # children come after their parent
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:
            all_positive[node] = node in positive_leaves
        else:
            all_positive[node] = all_positive[left] and all_positive[right]
    regions: list[tuple[frozenset[int], list[tuple]]] = []
    stack: list[tuple[int, frozenset[int], list[tuple]]] = [(0, frozenset({0}), [])]
    while stack:
        node, path, conditions = stack.pop()
        if all_positive[node]:
            regions.append((path, conditions))
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:
            continue
        feature, threshold = int(structure.feature[node]), float(structure.threshold[node])
        stack.append((right, path | {right}, [*conditions, (feature, ">", threshold)]))
        stack.append((left, path | {left}, [*conditions, (feature, "<=", threshold)]))
    return regions


def _rule(
    conditions: list[tuple], names: Sequence[str], integral: list[bool]
) -> tuple[str, dict[int, _Bound]]:
    """Readable text and per-feature bounds (in rounded form) of one path."""
    bounds: dict[int, _Bound] = {}
    for feature, operator, threshold in conditions:
        bound = bounds.get(feature, _Bound())
        value = _round_threshold(threshold, integral[feature])
        if operator == "<=":
            upper = value if bound.upper is None else min(bound.upper, value)
            bound = _Bound(bound.lower, upper)
        else:
            lower = value if bound.lower is None else max(bound.lower, value)
            bound = _Bound(lower, bound.upper)
        bounds[feature] = bound
    parts = []
    for feature in sorted(bounds):
        parts.append(_condition_text(names[feature], bounds[feature], integral[feature]))
    return " and ".join(parts) if parts else "all customers", bounds


def _condition_text(name: str, bound: _Bound, integral: bool) -> str:
    if "=" in name:
        source, value = name.split("=", 1)
        # An indicator: x > 0 means the category, x <= 0 any other one.
        if bound.lower is not None:
            return f"{source} = '{value}'"
        return f"{source} != '{value}'"
    if integral:
        # On whole numbers x > t (t already rounded down) is x >= t + 1.
        low = None if bound.lower is None else int(bound.lower) + 1
        high = None if bound.upper is None else int(bound.upper)
        if low is not None and high is not None:
            return f"{name} = {low}" if low == high else f"{low} <= {name} <= {high}"
        return f"{name} >= {low}" if low is not None else f"{name} <= {high}"
    low_text = None if bound.lower is None else _format_number(bound.lower, False)
    high_text = None if bound.upper is None else _format_number(bound.upper, False)
    if low_text is not None and high_text is not None:
        return f"{low_text} < {name} <= {high_text}"
    return f"{name} > {low_text}" if low_text is not None else f"{name} <= {high_text}"


def _covered(raw: np.ndarray, bounds: dict[int, _Bound]) -> np.ndarray:
    mask = np.ones(len(raw), dtype=bool)
    for feature, bound in bounds.items():
        if bound.lower is not None:
            mask &= raw[:, feature] > bound.lower
        if bound.upper is not None:
            mask &= raw[:, feature] <= bound.upper
    return mask


def explain_segments(
    features_frame: pd.DataFrame,
    labels: np.ndarray,
    feature_names: Sequence[str],
    max_depth: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Readable rules per segment (see the module docstring).

    Inputs: the training feature frame (raw values, rows aligned with labels), the segment id of
    each row, the model's dimension names, tree depth and seed. Output: EXPLANATION_COLUMNS, one
    row per kept rule, rank 1 = best rule of the segment.
    """
    labels = np.asarray(labels)
    raw, integral = _raw_matrix(features_frame, feature_names)
    segment_ids = sorted(int(s) for s in np.unique(labels))
    n_rows = len(labels)
    rows: list[dict] = []
    for segment_id in segment_ids:
        target = labels == segment_id
        n_segment = int(target.sum())
        if target.all() or raw.shape[1] == 0:
            rows.append(
                {
                    "segment_id": segment_id,
                    "rank": 1,
                    "rule": "all customers",
                    "coverage": 1.0,
                    "precision": n_segment / n_rows,
                    "support": n_rows,
                }
            )
            continue
        tree = DecisionTreeClassifier(
            max_depth=max_depth,
            class_weight="balanced",
            min_samples_leaf=max(1, math.ceil(MIN_LEAF_SHARE * n_rows)),
            random_state=seed,
        ).fit(raw, target)
        leaf_of_row = tree.apply(raw)
        positive_class = list(tree.classes_).index(True)
        positive_leaves = {
            int(leaf)
            for leaf in np.unique(leaf_of_row)
            if tree.tree_.value[leaf][0].argmax() == positive_class
        }
        if not positive_leaves:
            # No leaf predicts the segment: take the leaf where it is most concentrated.
            shares = {
                int(leaf): target[leaf_of_row == leaf].mean() for leaf in np.unique(leaf_of_row)
            }
            positive_leaves = {max(shares, key=lambda leaf: (shares[leaf], -leaf))}
        candidates = []
        for path, conditions in _positive_regions(tree, positive_leaves):
            text, bounds = _rule(conditions, feature_names, integral)
            covered = _covered(raw, bounds)
            support = int(covered.sum())
            hits = int((covered & target).sum())
            coverage = hits / n_segment
            precision = hits / support if support else 0.0
            candidates.append((coverage * precision, precision, text, coverage, support, path))
        candidates.sort(key=lambda c: (-c[0], -c[1], c[2]))
        chosen_paths: list[frozenset[int]] = []
        for _, precision, text, coverage, support, path in candidates:
            if len(chosen_paths) >= MAX_RULES_PER_SEGMENT:
                break
            if chosen_paths and (
                coverage < MIN_EXTRA_RULE_COVERAGE or precision < MIN_EXTRA_RULE_PRECISION
            ):
                continue
            # Rules do not nest: a region inside (or around) a chosen one adds nothing.
            if any(path <= other or other <= path for other in chosen_paths):
                continue
            chosen_paths.append(path)
            rows.append(
                {
                    "segment_id": segment_id,
                    "rank": len(chosen_paths),
                    "rule": text,
                    "coverage": float(coverage),
                    "precision": float(precision),
                    "support": support,
                }
            )
    return pd.DataFrame(rows, columns=EXPLANATION_COLUMNS)


def feature_weights(
    x: np.ndarray, labels: np.ndarray, centroids: np.ndarray, segment_ids: Sequence[int]
) -> np.ndarray:
    """Share of the between-segment sum of squares per dimension (see the module docstring)."""
    if x.shape[1] == 0:
        return np.zeros(0)
    overall = x.mean(axis=0)
    between = np.zeros(x.shape[1])
    for centroid, segment_id in zip(centroids, segment_ids, strict=True):
        between += int((labels == segment_id).sum()) * (centroid - overall) ** 2
    total = between.sum()
    return between / total if total > 0 else np.zeros(x.shape[1])


def feature_report(model: SegmentationModel) -> pd.DataFrame:
    """Every requested feature: kept (with its weight) or dropped (with the reason).

    Output: FEATURE_REPORT_COLUMNS; kept dimensions first in model order, then dropped features
    in the order they were dropped. weight is null for dropped features.
    """
    return model.feature_selection.copy()
