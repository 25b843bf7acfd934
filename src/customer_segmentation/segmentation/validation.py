"""Do the segments predict? Validity on a time hold-out, and feature weights from outcomes.

A segmentation is useful when customers in different segments go on to behave differently. The
hold-out: the segmentation is fitted (or, for the RFM grid and recency quartiles, assigned) on
the features at a cutoff (as_of_date - horizon), and judged on what customers did in the horizon
after it, [cutoff, as_of_date) (int_segment_validation_sample):

    churned  1 when the customer placed no completed purchase in the horizon, else 0
    spend    net spend in the horizon (refunds netted; 0 for churned customers)

For a grouping g of the customers and an outcome y:

    eta_squared = sum over groups of n_g * (mean_g(y) - mean(y))^2 / sum over customers of
                  (y - mean(y))^2

the share of the outcome's variance that the groups explain (0: the groups tell nothing; 1: every
group is uniform). Null when the outcome does not vary. The lifts say how far apart the extremes
are, each a group's mean over the overall mean:

    churn_lift_worst_segment   highest churn rate of a segment / overall churn rate (>= 1)
    churn_lift_best_segment    lowest churn rate of a segment / overall churn rate (<= 1)
    spend_lift_best_segment    highest mean spend of a segment / overall mean spend
    spend_lift_worst_segment   lowest mean spend of a segment / overall mean spend
    (null when the overall rate or mean is not positive)

The same figures are computed, on the same customers, for the segments (every candidate k), the
11-label RFM grid and recency quartiles (both scored in SQL: int_customers_rfm_scored).

Feature weights (setting feature_weighting = outcomes): K-means treats every scaled dimension as
equally important, so features that say little about what customers do next (tenure, returns)
pull segments apart as much as recency and spend. Each dimension j gets a weight from a labelled
window (features at a cutoff and the outcomes after it), in scaled space:

    w_j = max(MIN_FEATURE_WEIGHT, (|r(x_j, churned)| / max_i |r(x_i, churned)|
                                   + |r(x_j, spend)| / max_i |r(x_i, spend)|) / 2)

with r the Pearson correlation: the feature most related to each outcome gets 1 on that half (an
outcome that does not vary is left out of the mean; with neither, every weight is 1).
The dimension is multiplied by w_j before clustering (stored by dividing its scale by w_j, so
scoring in SQL needs nothing new; see preprocessing.weight_scaling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "BASELINE_METHODS",
    "MIN_FEATURE_WEIGHT",
    "MIN_VALIDATION_CUSTOMERS",
    "VALIDITY_METRICS",
    "LabelledWindow",
    "eta_squared",
    "outcome_weights",
    "validity_metrics",
]

VALIDITY_METRICS = (
    "churn_eta_squared",
    "spend_eta_squared",
    "churn_lift_worst_segment",
    "churn_lift_best_segment",
    "spend_lift_best_segment",
    "spend_lift_worst_segment",
)
# Groupings scored in SQL and judged beside the segments: column of the validation sample ->
# method name in marts.segment_validation.
BASELINE_METHODS = {"rfm_segment_id": "rfm_grid", "recency_quartile": "recency_quartiles"}
# A labelled window with fewer customers neither weights features nor judges candidates.
MIN_VALIDATION_CUSTOMERS = 50
# No dimension is switched off entirely: one with no relation to either outcome still counts a
# little, so segments keep some of the behaviour it describes.
MIN_FEATURE_WEIGHT = 0.05
# Rounding before comparing or storing, so floating-point noise in sums (which depends on row
# order) cannot change a figure's last digits between runs.
_DECIMALS = 12


@dataclass(frozen=True)
class LabelledWindow:
    """Customers' features at a cutoff and what they did in the horizon after it.

    frame: one row per customer with customer_id, the feature columns, is_churned (bool) and
    next_period_net_spend, sorted by customer_id; cutoff_date and outcome_end_date bound the
    horizon. status says why the window cannot be used (None when it can).
    """

    frame: pd.DataFrame
    cutoff_date: str | None
    outcome_end_date: str | None
    status: str | None = None

    @property
    def usable(self) -> bool:
        return self.status is None

    @property
    def churned(self) -> np.ndarray:
        return self.frame["is_churned"].astype(float).to_numpy()

    @property
    def spend(self) -> np.ndarray:
        return pd.to_numeric(self.frame["next_period_net_spend"]).astype(float).to_numpy()

    @classmethod
    def from_sample(cls, sample: pd.DataFrame | None, role: str) -> LabelledWindow:
        """The window `role` (training: the hold-out; evaluation: one horizon earlier) of
        int_segment_validation_sample, or an unusable window saying why."""
        empty = pd.DataFrame(columns=["customer_id", "is_churned", "next_period_net_spend"])
        if sample is None:
            return cls(empty, None, None, "no labelled windows (prediction.horizon_days is 0)")
        rows = sample[sample["cutoff_role"] == role]
        if rows.empty:
            return cls(
                empty, None, None, f"no customer has a purchase before the {role} window's cutoff"
            )
        frame = rows.sort_values("customer_id", kind="stable").reset_index(drop=True)
        cutoff = str(pd.Timestamp(frame["cutoff_date"].iloc[0]).date())
        end = str(pd.Timestamp(frame["outcome_end_date"].iloc[0]).date())
        status = None
        if len(frame) < MIN_VALIDATION_CUSTOMERS:
            status = (
                f"{len(frame)} customers before the cutoff {cutoff} "
                f"(at least {MIN_VALIDATION_CUSTOMERS} needed)"
            )
        return cls(frame, cutoff, end, status)


def eta_squared(groups: Sequence | np.ndarray, outcome: Sequence | np.ndarray) -> float | None:
    """Share of the outcome's variance explained by the groups (module docstring); None when the
    outcome does not vary."""
    y = np.asarray(outcome, dtype=float)
    if len(y) == 0:
        return None
    total = float(((y - y.mean()) ** 2).sum())
    if total <= 0:
        return None
    stats = pd.DataFrame({"group": np.asarray(groups), "y": y}).groupby("group")["y"]
    means, sizes = stats.mean().to_numpy(), stats.size().to_numpy()
    between = float((sizes * (means - y.mean()) ** 2).sum())
    return round(min(max(between / total, 0.0), 1.0), _DECIMALS)


def _lifts(groups: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    overall = float(y.mean())
    if overall <= 0:
        return None, None
    means = pd.Series(y).groupby(groups).mean()
    return round(float(means.max()) / overall, _DECIMALS), round(
        float(means.min()) / overall, _DECIMALS
    )


def validity_metrics(
    groups: Sequence | np.ndarray, churned: np.ndarray, spend: np.ndarray
) -> dict[str, float | None]:
    """VALIDITY_METRICS of one grouping of the hold-out customers (module docstring)."""
    groups = np.asarray(groups)
    churn_highest, churn_lowest = _lifts(groups, np.asarray(churned, dtype=float))
    spend_highest, spend_lowest = _lifts(groups, np.asarray(spend, dtype=float))
    return {
        "churn_eta_squared": eta_squared(groups, churned),
        "spend_eta_squared": eta_squared(groups, spend),
        "churn_lift_worst_segment": churn_highest,
        "churn_lift_best_segment": churn_lowest,
        "spend_lift_best_segment": spend_highest,
        "spend_lift_worst_segment": spend_lowest,
    }


def _abs_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|Pearson r| of each column of x with y (0 where either does not vary)."""
    xc = x - x.mean(axis=0)
    yc = y - y.mean()
    denominator = np.sqrt((xc**2).sum(axis=0) * (yc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(denominator > 0, (xc * yc[:, None]).sum(axis=0) / denominator, 0.0)
    return np.round(np.abs(np.nan_to_num(r)), _DECIMALS)


def outcome_weights(
    x: np.ndarray, churned: np.ndarray, spend: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weight of each dimension of x (scaled features of a labelled window) from its relation to
    the two outcomes (module docstring). Output: (weights, |r| with churn, |r| with spend)."""
    churn_r = _abs_correlations(x, np.asarray(churned, dtype=float))
    spend_r = _abs_correlations(x, np.asarray(spend, dtype=float))
    halves = [r / r.max() for r in (churn_r, spend_r) if r.size and r.max() > 0]
    if not halves:
        return np.ones(x.shape[1]), churn_r, spend_r
    combined = np.mean(halves, axis=0)
    return np.round(np.maximum(combined, MIN_FEATURE_WEIGHT), _DECIMALS), churn_r, spend_r
