"""How much of next-period churn can ANY grouping of customers into at most k groups explain?

The question behind issue 16's target: the segments must beat the RFM grid's churn eta² by 15%.
If no partition of the hold-out customers into 11 groups, built from what is known about them at
the cutoff, can reach that, the target is out of reach there, whatever the segmentation method.

Why the best partition groups customers by their churn probability. For a grouping G that is a
function of the features x, and churn y with p(x) = P(y = 1 | x):

    between-group variance of y = Var(E[y | G]) = Var(E[p(x) | G])

(E[y | G] = E[p(x) | G] because G is known from x). So the best k groups for the between-group
variance, hence for eta² = Var(E[y | G]) / Var(y), are the best k groups for the between-group
variance of p(x) alone: the optimal 1-D k-means partition of the values p(x), which is made of
contiguous intervals of p (optimal_groups). Nothing that sees only x can do better, and its eta²
is at most Var(p(x)) / Var(y) with any number of groups.

p(x) is unknown, so it is estimated (conditional_churn_probability):

- cross-fitted: 5 folds, each customer's probability from a model that did not see them; of
  three models (gradient boosting with shallow or larger trees, logistic regression on splines),
  the one with the best out-of-fold log loss (a proper score of probabilities, not the eta² it
  is then judged on). Grouping by this estimate is itself an honest segmentation of the features
  (it never sees the outcomes it is judged on), so its eta² is ACHIEVABLE: a low estimate of the
  ceiling, low by what the model gets wrong about p(x) (0.511 against the true 0.516 on the
  synthetic customers of the tests, 6,000 customers and three features; more with 3,000
  customers and 40 features). The model does learn from other customers' outcomes in the same
  window, which a segmentation made at the cutoff cannot see: a segmentation that learns from an
  earlier window should expect less.
- in-sample: the chosen model fitted on all customers and applied to them, and the same with the
  group boundaries also placed on the outcomes. These groups have seen the outcomes, so their
  eta² is OPTIMISTIC (0.535 and 0.545 against the true 0.516 in the tests).

Neither is a proof, and the truth is expected between them, nearer the cross-fitted figure the
better the model. Where the cross-fitted figure is below 1.15 times the grid, no segmentation we
know how to build from these features beats the grid by 15% on churn; where even the optimistic
figures are below it, none can.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer, SplineTransformer
from threadpoolctl import threadpool_limits

from customer_segmentation.segmentation.validation import eta_squared

__all__ = [
    "CeilingEstimate",
    "churn_ceiling",
    "conditional_churn_probability",
    "optimal_groups",
]


# Estimated probabilities are grouped on this grid (churn_ceiling).
PROBABILITY_DECIMALS = 3
# Ends of groups computed together in the dynamic programme (rows of a chunk x m matrix).
_CHUNK = 256


def optimal_groups(values: np.ndarray, k: int, targets: np.ndarray | None = None) -> np.ndarray:
    """Group labels (0..k-1, in increasing order of values) of the partition of the customers into
    at most k intervals of `values` with the largest between-group sum of squares of `targets`
    (by default the values themselves: the optimal 1-D k-means). Customers with equal values
    always share a group. Exact dynamic programme over the distinct values, O(k m²) for m
    distinct values.
    """
    values = np.asarray(values, dtype=float)
    targets = values if targets is None else np.asarray(targets, dtype=float)
    if values.shape != targets.shape or values.ndim != 1:
        raise ValueError("values and targets must be 1-D arrays of the same length")
    if k < 1:
        raise ValueError("k must be at least 1")
    if len(values) == 0:
        return np.zeros(0, dtype=int)
    distinct, block = np.unique(values, return_inverse=True)
    m = len(distinct)
    counts = np.bincount(block, minlength=m).astype(float)
    sums = np.bincount(block, weights=targets, minlength=m)
    count_prefix = np.concatenate([[0.0], np.cumsum(counts)])
    sum_prefix = np.concatenate([[0.0], np.cumsum(sums)])
    groups = min(k, m)
    # score[c, j]: best sum over groups of (group sum)² / (group size) for the first j blocks in
    # c groups; maximising it maximises the between-group sum of squares.
    score = np.full((groups + 1, m + 1), -np.inf)
    start = np.zeros((groups + 1, m + 1), dtype=int)
    score[0, 0] = 0.0
    previous = np.arange(m + 1)
    for c in range(1, groups + 1):
        # All ends j at once, a slice of them at a time (memory): the last group is blocks i..j-1.
        for first in range(c, m + 1, _CHUNK):
            j = np.arange(first, min(first + _CHUNK, m + 1))[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                candidate = score[c - 1][None, :] + (sum_prefix[j] - sum_prefix[None, :]) ** 2 / (
                    count_prefix[j] - count_prefix[None, :]
                )
            candidate[previous[None, :] >= j] = -np.inf
            best = np.argmax(candidate, axis=1)
            score[c, j[:, 0]] = candidate[np.arange(len(j)), best]
            start[c, j[:, 0]] = best
    block_group = np.zeros(m, dtype=int)
    end = m
    for c in range(groups, 0, -1):
        begin = start[c, end]
        block_group[begin:end] = c - 1
        end = begin
    return block_group[block]


def _candidates(seed: int) -> dict[str, object]:
    """Probability models of different flexibility; the one with the best cross-fitted log loss
    (a proper score of probabilities, not the eta² it is judged on) estimates P(churn | x). On
    Online Retail the flexible booster overfits 3,000 customers and the shallow ones win; on the
    demo shop they agree."""
    return {
        "gradient boosting, trees of depth 2": HistGradientBoostingClassifier(
            learning_rate=0.02, max_iter=600, max_depth=2, min_samples_leaf=40, random_state=seed
        ),
        "gradient boosting, 31 leaves, early stopping": HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=500,
            min_samples_leaf=20,
            l2_regularization=1.0,
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=20,
            random_state=seed,
        ),
        "logistic regression on quantile splines": make_pipeline(
            SimpleImputer(strategy="median"),
            QuantileTransformer(n_quantiles=200, random_state=seed),
            SplineTransformer(n_knots=5, degree=2),
            LogisticRegression(C=0.3, max_iter=3000),
        ),
    }


def conditional_churn_probability(
    x: np.ndarray, churned: np.ndarray, folds: int = 5, seed: int = 0, threads: int = 1
) -> tuple[np.ndarray, np.ndarray, str]:
    """Estimated P(churn | x) for every row: (cross-fitted out-of-fold, in-sample, the model).
    The model is the candidate with the lowest out-of-fold log loss. One thread: on a shared
    machine, OpenMP threads that wait for each other made a fit 40 times slower."""
    y = np.asarray(churned, dtype=int)
    x = np.asarray(x, dtype=float)
    folds_of = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y))
    best: tuple[float, str, np.ndarray] | None = None
    with threadpool_limits(threads):
        for name, model in _candidates(seed).items():
            out_of_fold = np.zeros(len(y))
            for fit_rows, test_rows in folds_of:
                fitted = clone(model).fit(x[fit_rows], y[fit_rows])
                out_of_fold[test_rows] = fitted.predict_proba(x[test_rows])[:, 1]
            loss = log_loss(y, np.clip(out_of_fold, 1e-6, 1 - 1e-6), labels=[0, 1])
            if best is None or loss < best[0]:
                best = (loss, name, out_of_fold)
        _, name, out_of_fold = best
        in_sample = clone(_candidates(seed)[name]).fit(x, y).predict_proba(x)[:, 1]
    return out_of_fold, in_sample, name


@dataclass(frozen=True)
class CeilingEstimate:
    """Churn eta² of the best k groups by estimated churn probability (module docstring).

    cross_fitted: groups of the out-of-fold probability (an honest estimate of the ceiling).
    in_sample: groups of the in-sample probability (optimistic).
    in_sample_outcome_cuts: customers in the order of the in-sample probability, the interval
    boundaries placed to maximise the churn eta² itself (the most optimistic: both the order and
    the cuts have seen the outcomes).
    model: the probability model chosen (conditional_churn_probability).
    """

    cross_fitted: float
    in_sample: float
    in_sample_outcome_cuts: float
    groups: int
    model: str


def churn_ceiling(
    x: np.ndarray, churned: np.ndarray, groups: int = 11, folds: int = 5, seed: int = 0
) -> CeilingEstimate:
    """Estimated best churn eta² of at most `groups` groups built from the features x.

    The probabilities are rounded to PROBABILITY_DECIMALS decimals before grouping, so the dynamic
    programme runs on at most 1,001 distinct values: group boundaries on a 0.001 grid lose a
    negligible share of the between-group variance (tested against the exact optimum).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(churned, dtype=float)
    out_of_fold, in_sample, model = conditional_churn_probability(x, y, folds, seed)
    out_of_fold = np.round(out_of_fold, PROBABILITY_DECIMALS)
    in_sample = np.round(in_sample, PROBABILITY_DECIMALS)
    return CeilingEstimate(
        cross_fitted=float(eta_squared(optimal_groups(out_of_fold, groups), y) or 0.0),
        in_sample=float(eta_squared(optimal_groups(in_sample, groups), y) or 0.0),
        in_sample_outcome_cuts=float(
            eta_squared(optimal_groups(in_sample, groups, targets=y), y) or 0.0
        ),
        groups=groups,
        model=model,
    )
