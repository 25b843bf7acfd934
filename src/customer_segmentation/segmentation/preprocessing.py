"""Turning the feature table into the numeric space the clustering works in.

The same transformation is applied in SQL when customers are scored, so every step here is one
that SQL can repeat exactly from the stored parameters:

    numeric feature x:      z = clip((t(coalesce(x, fill_value)) - center) / scale, -L, L)
                            t = log1p(max(x, 0)) for skewed features, else identity
    categorical value v:    z = ((1 if category == v else 0) - center) / scale
                            (one column per kept category; center 0 and scale 1 unless weighted)

fill_value is the training median and center the median of t (robust to outliers). scale is the
larger of two spreads of t: the interquartile range divided by 1.349 (the standard deviation of a
normal distribution with that IQR) and the standard deviation. A plain IQR blows up features on
which most customers share one value (return rate, reviews): their IQR is tiny or zero, and a
handful of customers would then sit dozens of units away and dominate every distance. Taking the
larger spread never amplifies a feature, and clipping at L = CLIP_LIMIT keeps single extreme
customers from pulling a centroid. A feature with no data or no spread is dropped, with its
reason recorded.

Weights (weight_scaling): a dimension multiplied by a weight w > 0 is stored, not as a new
parameter, but as scale / w and clip limit L * w: w * clip((t - c) / s, -L, L) equals
clip((t - c) / (s / w), -L * w, L * w), so the scoring rule above (and SQL) is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SCALING_COLUMNS = [
    "feature",
    "position",
    "source_column",
    "category_value",
    "transform",
    "fill_value",
    "center",
    "scale",
    "clip_limit",
]

CLIP_LIMIT = 5.0
IQR_PER_STANDARD_DEVIATION = 1.349

REASON_NO_DATA = "no data: the input it comes from is absent or empty"
REASON_NO_SPREAD = "no spread: the same value for every customer"
REASON_NOT_IN_TABLE = "not a column of the feature table"
# Correlations are rounded before the comparison so that floating-point noise in the sums (which
# depends on row order) cannot move a feature across the threshold.
_CORRELATION_DECIMALS = 6


@dataclass(frozen=True)
class FittedScaling:
    """Scaling parameters (one row per model dimension) and the features left out, with why."""

    parameters: pd.DataFrame
    dropped: pd.DataFrame

    @property
    def feature_names(self) -> list[str]:
        """Names of the model dimensions, in order."""
        return list(self.parameters["feature"])


def _transform(values: np.ndarray, apply_log1p: bool) -> np.ndarray:
    if apply_log1p:
        # Negative values (net refunds exceeding purchases) are clipped: log1p needs x > -1, and
        # SQL repeats exactly this with ln(1 + greatest(x, 0)).
        return np.log1p(np.clip(values, 0.0, None))
    return values


def fit_scaling(
    features: pd.DataFrame,
    numeric_features: list[str] | tuple[str, ...],
    log1p_features: list[str] | tuple[str, ...] = (),
    categorical_features: list[str] | tuple[str, ...] = (),
    max_categories_per_feature: int = 10,
    min_category_share: float = 0.01,
) -> FittedScaling:
    """Fit the scaling on a training frame.

    Inputs: the feature table (one row per customer) and the names of its numeric, log-scaled and
    categorical columns. Output: a FittedScaling with one parameter row per model dimension (see
    SCALING_COLUMNS) and a frame (feature, reason) of the requested features that were dropped.
    """
    rows: list[dict] = []
    dropped: list[dict] = []
    log1p_set = set(log1p_features)
    for name in numeric_features:
        if name not in features.columns:
            dropped.append({"feature": name, "reason": REASON_NOT_IN_TABLE})
            continue
        values = pd.to_numeric(features[name], errors="coerce").to_numpy(dtype=float)
        if len(values) == 0 or np.all(np.isnan(values)):
            dropped.append({"feature": name, "reason": REASON_NO_DATA})
            continue
        fill_value = float(np.nanmedian(values))
        transformed = _transform(np.where(np.isnan(values), fill_value, values), name in log1p_set)
        center = float(np.median(transformed))
        q75, q25 = np.percentile(transformed, [75, 25])
        scale = max(float(q75 - q25) / IQR_PER_STANDARD_DEVIATION, float(np.std(transformed)))
        if scale <= 1e-12:
            dropped.append({"feature": name, "reason": REASON_NO_SPREAD})
            continue
        rows.append(
            {
                "feature": name,
                "source_column": name,
                "category_value": None,
                "transform": "log1p" if name in log1p_set else "identity",
                "fill_value": fill_value,
                "center": center,
                "scale": scale,
                "clip_limit": CLIP_LIMIT,
            }
        )
    for name in categorical_features:
        if name not in features.columns:
            dropped.append({"feature": name, "reason": REASON_NOT_IN_TABLE})
            continue
        values = features[name].astype("string").fillna("unknown")
        shares = values.value_counts(normalize=True)
        # Most frequent first, ties by value, so the kept categories never depend on row order.
        ordered = sorted(shares.items(), key=lambda item: (-item[1], str(item[0])))
        kept = [str(value) for value, share in ordered if share >= min_category_share][
            :max_categories_per_feature
        ]
        if len(kept) < 2:
            dropped.append({"feature": name, "reason": REASON_NO_SPREAD})
            continue
        for value in sorted(kept):
            rows.append(
                {
                    "feature": f"{name}={value}",
                    "source_column": name,
                    "category_value": value,
                    "transform": "one_hot",
                    "fill_value": None,
                    "center": 0.0,
                    "scale": 1.0,
                    "clip_limit": CLIP_LIMIT,
                }
            )
    parameters = pd.DataFrame(rows, columns=[c for c in SCALING_COLUMNS if c != "position"])
    parameters.insert(1, "position", np.arange(1, len(parameters) + 1, dtype="int64"))
    return FittedScaling(
        parameters=parameters,
        dropped=pd.DataFrame(dropped, columns=["feature", "reason"]),
    )


def apply_scaling(features: pd.DataFrame, parameters: pd.DataFrame) -> np.ndarray:
    """Map a feature frame into model space: an (n_customers, n_dimensions) float array."""
    columns: list[np.ndarray] = []
    for row in parameters.sort_values("position").itertuples(index=False):
        if row.transform == "one_hot":
            values = features[row.source_column].astype("string").fillna("unknown")
            indicator = (values == row.category_value).to_numpy(dtype=float)
            columns.append((indicator - row.center) / row.scale)
            continue
        values = pd.to_numeric(features[row.source_column], errors="coerce").to_numpy(dtype=float)
        values = np.where(np.isnan(values), row.fill_value, values)
        transformed = _transform(values, row.transform == "log1p")
        limit = row.clip_limit
        columns.append(np.clip((transformed - row.center) / row.scale, -limit, limit))
    if not columns:
        return np.zeros((len(features), 0))
    return np.column_stack(columns)


def weight_scaling(scaling: FittedScaling, weights: np.ndarray) -> FittedScaling:
    """The scaling with dimension j (position order) multiplied by weights[j] > 0 (module
    docstring): scale / w and, for numeric dimensions, clip_limit * w."""
    weights = np.asarray(weights, dtype=float)
    parameters = scaling.parameters.sort_values("position").reset_index(drop=True).copy()
    if len(weights) != len(parameters) or (weights <= 0).any():
        raise ValueError("need one positive weight per model dimension")
    parameters["scale"] = parameters["scale"].astype(float) / weights
    numeric = (parameters["transform"] != "one_hot").to_numpy()
    clip = parameters["clip_limit"].astype(float).to_numpy()
    parameters["clip_limit"] = np.where(numeric, clip * weights, clip)
    return FittedScaling(parameters=parameters, dropped=scaling.dropped)


def drop_correlated_features(
    scaling: FittedScaling, x: np.ndarray, max_correlation: float
) -> tuple[FittedScaling, np.ndarray]:
    """Drop the later dimension of each pair correlated above max_correlation (see above).

    Inputs: the fitted scaling, the scaled training matrix x (columns in position order) and the
    threshold on |Pearson r|. Output: the scaling without the dropped dimensions (positions
    renumbered 1..d, dropped ones appended to `dropped` with their reason) and x without them.
    """
    n_dimensions = x.shape[1]
    if n_dimensions < 2 or len(x) < 3 or max_correlation >= 1.0:
        return scaling, x
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.corrcoef(x, rowvar=False)
    correlation = np.round(np.nan_to_num(correlation, nan=0.0), _CORRELATION_DECIMALS)
    names = scaling.feature_names
    kept: list[int] = []
    dropped: list[dict] = []
    for j in range(n_dimensions):
        partners = [i for i in kept if abs(correlation[i, j]) > max_correlation]
        if not partners:
            kept.append(j)
            continue
        partner = max(partners, key=lambda i: (abs(correlation[i, j]), -i))
        dropped.append(
            {
                "feature": names[j],
                "reason": f"correlated with {names[partner]} (r={correlation[partner, j]:.2f})",
            }
        )
    if not dropped:
        return scaling, x
    parameters = scaling.parameters.sort_values("position").iloc[kept].reset_index(drop=True)
    parameters["position"] = np.arange(1, len(parameters) + 1, dtype="int64")
    all_dropped = pd.concat(
        [scaling.dropped, pd.DataFrame(dropped, columns=["feature", "reason"])],
        ignore_index=True,
    )
    return FittedScaling(parameters=parameters, dropped=all_dropped), x[:, kept]
