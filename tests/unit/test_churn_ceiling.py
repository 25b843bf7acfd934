"""The churn ceiling estimator of benchmarks/churn_ceiling.py (issue 16): the best churn eta² of
at most k groups, from the customers' features.

Known answers: the dynamic programme is checked against every partition of small inputs, and the
estimator against synthetic customers whose true churn probability, and so the optimal 11-group
eta², are known."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

from customer_segmentation.segmentation.validation import eta_squared

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from churn_ceiling import PROBABILITY_DECIMALS, churn_ceiling, optimal_groups  # noqa: E402


def _between(groups: np.ndarray, targets: np.ndarray) -> float:
    return sum(
        targets[groups == g].sum() ** 2 / (groups == g).sum() for g in np.unique(groups)
    ) - targets.sum() ** 2 / len(targets)


def _all_labellings(n: int, k: int):
    """Every assignment of n items to at most k groups (labels need not be contiguous)."""
    yield from (np.array(labels) for labels in itertools.product(range(k), repeat=n))


@pytest.mark.parametrize("seed", range(5))
def test_optimal_groups_beats_every_partition_of_a_small_input(seed):
    # The 1-D k-means optimum is made of intervals: no partition at all, contiguous or not, has
    # a larger between-group sum of squares.
    rng = np.random.default_rng(seed)
    values = rng.normal(size=7).round(1)
    groups = optimal_groups(values, 3)
    best = max(_between(labels, values) for labels in _all_labellings(len(values), 3))
    assert _between(groups, values) == pytest.approx(best)
    assert len(np.unique(groups)) <= 3


@pytest.mark.parametrize("seed", range(5))
def test_optimal_groups_on_targets_is_the_best_interval_partition(seed):
    # With targets, the best partition into intervals of the values' order (ties together).
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 6, size=9).astype(float)
    targets = rng.integers(0, 2, size=9).astype(float)
    distinct = np.unique(values)
    best = -np.inf
    for cuts in itertools.combinations(range(1, len(distinct)), min(2, len(distinct) - 1)):
        interval = np.searchsorted(distinct[list(cuts)], values, side="right")
        best = max(best, _between(interval, targets))
    groups = optimal_groups(values, 3, targets=targets)
    assert _between(groups, targets) == pytest.approx(best)
    for value in distinct:
        assert len(np.unique(groups[values == value])) == 1


def test_optimal_groups_edge_cases():
    assert optimal_groups(np.array([]), 3).size == 0
    assert list(optimal_groups(np.array([2.0, 2.0, 2.0]), 11)) == [0, 0, 0]
    assert list(optimal_groups(np.array([3.0, 1.0, 2.0]), 11)) == [2, 0, 1]
    assert list(optimal_groups(np.array([0.0, 0.1, 5.0, 5.1]), 2)) == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="k must be"):
        optimal_groups(np.array([1.0]), 0)


def test_grouping_rounded_probabilities_loses_almost_nothing():
    # churn_ceiling groups probabilities on a 0.001 grid (a fast programme): against the exact
    # optimum on 2,000 distinct probabilities, the churn eta² moves by less than 0.001.
    rng = np.random.default_rng(3)
    p = rng.beta(0.8, 1.2, size=2_000)
    churned = (rng.uniform(size=len(p)) < p).astype(float)
    exact = eta_squared(optimal_groups(p, 11), churned)
    rounded = eta_squared(optimal_groups(p.round(PROBABILITY_DECIMALS), 11), churned)
    assert rounded == pytest.approx(exact, abs=0.001)


def _probability(x: np.ndarray) -> np.ndarray:
    """A non-linear churn probability of three features (the third is noise)."""
    logit = 2.5 * x[:, 0] - 2.0 * x[:, 1] ** 2 + 1.5 * x[:, 0] * x[:, 1] - 0.3
    return 1.0 / (1.0 + np.exp(-logit))


def _true_ceiling(groups: int) -> float:
    """Var(E[p | G*]) / Var(y) for the optimal 1-D k-means G* of p, on 400,000 draws (p rounded
    to 3 decimals so that the programme runs on about 1,000 distinct values)."""
    rng = np.random.default_rng(123)
    p = _probability(rng.uniform(-1.5, 1.5, size=(400_000, 3)))
    best = optimal_groups(p.round(3), groups)
    means = np.bincount(best, weights=p) / np.bincount(best)
    between = np.var(means[best])
    return float(between / (between + np.var(p - means[best]) + np.mean(p * (1 - p))))


def test_churn_ceiling_recovers_the_known_optimum_on_synthetic_customers():
    truth = _true_ceiling(11)
    # The target is a substantial share (not a trivial 0 or 1): the test can fail both ways.
    assert 0.2 < truth < 0.6
    rng = np.random.default_rng(7)
    x = rng.uniform(-1.5, 1.5, size=(6_000, 3))
    p = _probability(x)
    churned = (rng.uniform(size=len(p)) < p).astype(float)
    # The same 6,000 customers grouped by their TRUE probability: what the estimator aims at
    # (differs from the population figure by sampling noise only).
    oracle = eta_squared(optimal_groups(p.round(PROBABILITY_DECIMALS), 11), churned)
    assert oracle == pytest.approx(truth, abs=0.03)
    estimate = churn_ceiling(x, churned, groups=11)
    # Cross-fitted: honest, so close to and not far above the oracle; a worse estimate of p only
    # lowers it (the 0.04 is the model's error on 6,000 customers, three features).
    assert oracle - 0.04 <= estimate.cross_fitted <= oracle + 0.01
    # In-sample has seen the outcomes: at least the honest figure; cutting on the outcomes too
    # is more optimistic still.
    assert estimate.in_sample >= estimate.cross_fitted - 0.005
    assert estimate.in_sample_outcome_cuts >= estimate.in_sample - 1e-9


def test_churn_ceiling_of_features_unrelated_to_churn_is_near_zero():
    # Features that say nothing: the honest estimate finds (almost) nothing.
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3_000, 4))
    churned = (rng.uniform(size=3_000) < 0.4).astype(float)
    estimate = churn_ceiling(x, churned, groups=11)
    assert estimate.cross_fitted < 0.01
