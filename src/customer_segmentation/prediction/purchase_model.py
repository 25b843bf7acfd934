"""Buy-till-you-die purchase models: BG/NBD and MBG/NBD for purchase counts and P(alive),
Gamma-Gamma for spend per purchase, fitted by maximum likelihood on an RFM summary.

The summary (SQL computes it: ``int_customers_purchase_days_summarised``) has one row per
customer, with the time unit of the caller (days in the project):

- ``x``   repeat purchases: purchase days after the first one (lifetimes' ``frequency``);
- ``t_x`` time from the first to the last purchase (lifetimes' ``recency``);
- ``T``   time from the first purchase to the end of the observation (the cutoff);
- ``m``   mean spend of the repeat purchase days (lifetimes' ``monetary_value``; used when
  ``x > 0``).

Models (Fader, Hardie & Lee 2005, "Counting your customers the easy way"; Batislam, Denizel &
Filiztekin 2007 for the modified model; Fader, Hardie & Lee 2005, "RFM and CLV" for
Gamma-Gamma):

- while alive, a customer buys at Poisson rate lambda ~ Gamma(r, alpha);
- BG/NBD: after each repeat purchase, the customer drops out with probability p ~ Beta(a, b);
  a customer with no repeat purchase is alive for sure (P(alive) = 1);
- MBG/NBD: the customer may also drop out right after the first purchase, so a one-time buyer
  from long ago gets P(alive) < 1;
- Gamma-Gamma: the spend of a purchase is Gamma(p, nu) with nu ~ Gamma(q, gamma), independent of
  the purchase process.

The likelihoods are closed-form; the fit maximises them with L-BFGS-B and analytic gradients on
log parameters, from fixed starting values, so the same summary always gives the same estimates.
Customers with the same (x, t_x, T) share one likelihood term (weighted by their count), which
keeps the fit fast when times are whole days. Time is rescaled by the mean T while fitting
(r, a, b do not depend on the time unit; alpha is returned in the caller's unit).

Predictions for the ``horizon`` after T, all closed-form:

- ``probability_alive``;
- ``probability_no_purchase``: P(no purchase in (T, T + horizon]) = L(x, t_x, T + horizon) /
  L(x, t_x, T): the history followed by ``horizon`` more days without a purchase;
- ``expected_purchases`` (FHL 2005 eq. 10; Batislam et al. 2007), with the Gauss
  hypergeometric function transformed (Euler) so that its parameters do not grow with x;
- ``expected_purchase_value`` (Gamma-Gamma): the customer's mean spend shrunk towards the
  population mean; the population mean p * gamma / (q - 1) for customers without repeat purchases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import eigh_tridiagonal
from scipy.optimize import minimize
from scipy.special import expit, gammaln, hyp2f1, psi

__all__ = [
    "MIN_REPEAT_BUYERS",
    "SUMMARY_COLUMNS",
    "VARIANTS",
    "BetaGeoParameters",
    "FittedPurchaseModel",
    "GammaGammaParameters",
    "PurchaseModelFit",
    "beta_geo_log_likelihood",
    "expected_purchase_value",
    "expected_purchases",
    "fit_beta_geo",
    "fit_gamma_gamma",
    "fit_purchase_model",
    "gamma_gamma_log_likelihood",
    "probability_alive",
    "probability_no_purchase",
    "simulate_purchases",
]

VARIANTS = ("bgnbd", "mbgnbd")

# The summary columns the models read, as SQL names them (int_customers_purchase_days_summarised).
SUMMARY_COLUMNS = {
    "x": "repeat_purchase_days",
    "t_x": "first_to_last_purchase_days",
    "T": "first_purchase_to_cutoff_days",
    "m": "mean_repeat_purchase_value",
}

# Fewer customers with a repeat purchase than this and the dropout and spend processes are not
# identified: the fit would put the four parameters wherever the optimiser stops.
MIN_REPEAT_BUYERS = 20

# The fitted coordinates stay in [-LOG_BOUND, LOG_BOUND] (parameters from 1e-6 to 1e6): the
# likelihood of degenerate data (nobody drops out, everybody shares one rate) increases without end
# towards a boundary, and beyond 1e6 the log-gamma differences lose the precision the line search
# needs. A Beta or Gamma distribution that concentrated is a point mass for every prediction.
LOG_BOUND = float(np.log(1e6))
_MAX_ITERATIONS = 500
_RESTARTS = 3
# The objective is the mean log-likelihood per customer. Where the maximum lies at the edge of the
# parameter space (a population in which every customer either leaves at once or never: a and b
# go to 0), the likelihood flattens out and the line search may end without a "converged" flag;
# a gradient this small there is a maximum all the same (the predictions no longer move).
_GRADIENT_TOLERANCE = 1e-4
# expected_purchases: scipy's Gauss hypergeometric function is accurate below this a (checked
# against quadrature to 1e-4 at a = 1.5 over x up to 1000 and horizons up to 30 times alpha + T);
# at and above it a Gauss quadrature over the dropout probability takes over.
_HYPERGEOMETRIC_MAX_A = 2.0


@dataclass(frozen=True)
class BetaGeoParameters:
    """BG/NBD or MBG/NBD parameters: purchase rate Gamma(r, alpha) (alpha in the caller's time
    unit), dropout probability Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    variant: str = "bgnbd"

    def as_dict(self) -> dict[str, float]:
        """The four parameters by name."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class GammaGammaParameters:
    """Gamma-Gamma parameters: spend per purchase Gamma(p, nu), nu ~ Gamma(q, gamma). q > 1, so
    that the mean spend p * gamma / (q - 1) exists."""

    p: float
    q: float
    gamma: float

    @property
    def mean_purchase_value(self) -> float:
        """The population's mean spend per purchase."""
        return self.p * self.gamma / (self.q - 1.0)

    def as_dict(self) -> dict[str, float]:
        """The three parameters by name."""
        return {"p": self.p, "q": self.q, "gamma": self.gamma}


@dataclass(frozen=True)
class PurchaseModelFit:
    """One maximum likelihood fit: the parameters, the log-likelihood at them, and how the
    optimiser ended."""

    parameters: BetaGeoParameters | GammaGammaParameters
    log_likelihood: float
    customers: int
    converged: bool
    iterations: int
    message: str


def _check_variant(variant: str) -> int:
    if variant not in VARIANTS:
        raise ValueError(f"unknown purchase model {variant!r}; expected one of {list(VARIANTS)}")
    # k = 1: MBG/NBD, where a customer may also drop out right after the first purchase.
    return VARIANTS.index(variant)


def _arrays(*values: Any) -> tuple[np.ndarray, ...]:
    arrays = tuple(np.asarray(value, dtype=float) for value in values)
    return tuple(np.broadcast_arrays(*arrays))


def _check_summary(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ValueError("the purchase summary has missing or infinite values")
    if (x < 0).any() or (np.floor(x) != x).any():
        raise ValueError("repeat purchases (x) must be whole numbers >= 0")
    if (t_x < 0).any() or (t_x > T).any():
        raise ValueError("the time of the last purchase (t_x) must lie in [0, T]")
    if ((x == 0) & (t_x != 0)).any():
        raise ValueError("a customer without repeat purchases has t_x = 0")


# --- BG/NBD and MBG/NBD ------------------------------------------------------------------------


def _beta_geo_terms(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pieces of the individual log-likelihood: log L = A1 + A2 + log(e^A3 + d e^A4).

    A3 is the customer alive at T, A4 dropped out after the last purchase; d (the mask) is 0
    where that cannot happen (BG/NBD without repeat purchases)."""
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x + k) - gammaln(b) - gammaln(a + b + x + k)
    a3 = -(r + x) * np.log(alpha + T)
    can_drop = (x > 0) | (k == 1)
    # b + x - 1 + k > 0 wherever the customer can drop out; the maximum keeps the rest finite.
    a4 = np.log(a) - np.log(np.maximum(b + x - 1 + k, 1e-300)) - (r + x) * np.log(alpha + t_x)
    return a1 + a2, a3, np.where(can_drop, a4, -np.inf), can_drop


def beta_geo_log_likelihood(parameters: BetaGeoParameters, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """The log-likelihood of each customer's (x, t_x, T) under the model."""
    k = _check_variant(parameters.variant)
    x, t_x, T = _arrays(x, t_x, T)
    base, a3, a4, _ = _beta_geo_terms(
        parameters.r, parameters.alpha, parameters.a, parameters.b, x, t_x, T, k
    )
    return base + np.logaddexp(a3, a4)


def _beta_geo_parameters(theta: np.ndarray) -> tuple[float, float, float, float]:
    """r, alpha, a, b from the fitted coordinates: log r, log of the mean rate r / alpha, logit
    of the mean dropout probability a / (a + b), log of the concentration a + b. Each way the
    likelihood may run off to infinity (every customer with the same rate, or the same dropout
    probability) is then one coordinate going to a bound, with the others free to settle."""
    log_r, log_mean_rate, logit_mean_dropout, log_concentration = theta
    r = np.exp(log_r)
    mean_dropout = expit(logit_mean_dropout)
    concentration = np.exp(log_concentration)
    return (
        float(r),
        float(r / np.exp(log_mean_rate)),
        float(mean_dropout * concentration),
        float((1.0 - mean_dropout) * concentration),
    )


# r = alpha = a = b = 1: mean rate 1 (in time rescaled by the mean T), mean dropout 1/2.
_BETA_GEO_START = np.array([0.0, 0.0, 0.0, np.log(2.0)])


def _beta_geo_objective(
    theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray, k: int
) -> tuple[float, np.ndarray]:
    """Minus the weighted mean log-likelihood and its gradient in the fitted coordinates."""
    r, alpha, a, b = _beta_geo_parameters(theta)
    base, a3, a4, can_drop = _beta_geo_terms(r, alpha, a, b, x, t_x, T, k)
    total = np.logaddexp(a3, a4)
    alive = np.exp(a3 - total)  # the posterior weight of "alive at T"
    dropped = 1.0 - alive
    c = np.where(can_drop, b + x - 1 + k, 1.0)
    d_r = psi(r + x) - psi(r) + np.log(alpha) - alive * np.log(alpha + T)
    d_r -= np.where(can_drop, dropped * np.log(alpha + t_x), 0.0)
    d_alpha = r / alpha - alive * (r + x) / (alpha + T) - dropped * (r + x) / (alpha + t_x)
    d_a = psi(a + b) - psi(a + b + x + k) + dropped / a
    d_b = psi(a + b) + psi(b + x + k) - psi(b) - psi(a + b + x + k) - dropped / c
    weight = w / w.sum()
    value = -float(np.dot(weight, base + total))
    g_r, g_alpha, g_a, g_b = (np.dot(weight, d) for d in (d_r, d_alpha, d_a, d_b))
    mean_dropout = a / (a + b)
    gradient = -np.array(
        [
            r * g_r + alpha * g_alpha,
            -alpha * g_alpha,
            (a + b) * mean_dropout * (1.0 - mean_dropout) * (g_a - g_b),
            a * g_a + b * g_b,
        ]
    )
    return value, gradient


def _compress(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The distinct rows of the columns and how often each occurs (rows sorted, so the result
    does not depend on the input order)."""
    stacked = np.column_stack(columns)
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return tuple(unique[:, i] for i in range(unique.shape[1])), counts.astype(float)


def _minimise(objective, start: np.ndarray, arguments: tuple) -> Any:
    """L-BFGS-B within the bounds; restarted from where it stopped (with a fresh curvature
    estimate) while it ends without converging, at most _RESTARTS times. Deterministic."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    options = {"maxiter": _MAX_ITERATIONS, "ftol": 1e-10, "gtol": 1e-6}
    result = minimize(
        objective,
        start,
        args=arguments,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options=options,
    )
    iterations = int(result.nit)
    for _ in range(_RESTARTS):
        if result.success:
            break
        result = minimize(
            objective,
            result.x,
            args=arguments,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options=options,
        )
        iterations += int(result.nit)
    result.nit = iterations
    return result


def _converged(result: Any) -> bool:
    return bool(result.success) or bool(
        np.all(np.isfinite(result.jac)) and np.max(np.abs(result.jac)) < _GRADIENT_TOLERANCE
    )


def fit_beta_geo(x: Any, t_x: Any, T: Any, variant: str = "bgnbd") -> PurchaseModelFit:
    """Maximum likelihood BG/NBD (or MBG/NBD) parameters of a purchase summary.

    x, t_x, T: one value per customer (see the module docstring). Starts at r = alpha = a = b = 1
    in time rescaled by the mean T; deterministic. Fitted in the coordinates of
    _beta_geo_parameters, each bounded to [-LOG_BOUND, LOG_BOUND].
    """
    k = _check_variant(variant)
    x, t_x, T = _arrays(x, t_x, T)
    if x.size == 0:
        raise ValueError("no customers to fit the purchase model on")
    _check_summary(x, t_x, T)
    scale = float(T.mean()) or 1.0
    (x_u, t_u, T_u), weight = _compress(x, t_x / scale, T / scale)
    result = _minimise(_beta_geo_objective, _BETA_GEO_START, (x_u, t_u, T_u, weight, k))
    r, alpha, a, b = _beta_geo_parameters(result.x)
    parameters = BetaGeoParameters(r, alpha * scale, a, b, variant=variant)
    log_likelihood = float(beta_geo_log_likelihood(parameters, x, t_x, T).sum())
    return PurchaseModelFit(
        parameters=parameters,
        log_likelihood=log_likelihood,
        customers=int(x.size),
        converged=_converged(result) and bool(np.isfinite(log_likelihood)),
        iterations=int(result.nit),
        message=str(result.message),
    )


def _dropout_odds_log(parameters: BetaGeoParameters, x, t_x, T) -> np.ndarray:
    """log of the odds "dropped out after the last purchase" : "alive at T" (-inf where the
    customer cannot have dropped out)."""
    k = _check_variant(parameters.variant)
    r, alpha, a, b = parameters.r, parameters.alpha, parameters.a, parameters.b
    can_drop = (x > 0) | (k == 1)
    c = np.maximum(b + x - 1 + k, 1e-300)
    odds = np.log(a) - np.log(c) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(can_drop, odds, -np.inf)


def probability_alive(parameters: BetaGeoParameters, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """P(the customer is still alive at T | x, t_x, T)."""
    x, t_x, T = _arrays(x, t_x, T)
    return expit(-_dropout_odds_log(parameters, x, t_x, T))


def probability_no_purchase(
    parameters: BetaGeoParameters, x: Any, t_x: Any, T: Any, horizon: float
) -> np.ndarray:
    """P(no purchase in (T, T + horizon] | x, t_x, T) = L(x, t_x, T + horizon) / L(x, t_x, T)."""
    if horizon < 0:
        raise ValueError(f"horizon must be >= 0, got {horizon}")
    x, t_x, T = _arrays(x, t_x, T)
    later = beta_geo_log_likelihood(parameters, x, t_x, T + horizon)
    now = beta_geo_log_likelihood(parameters, x, t_x, T)
    return np.clip(np.exp(later - now), 0.0, 1.0)


def expected_purchases(
    parameters: BetaGeoParameters, x: Any, t_x: Any, T: Any, horizon: float
) -> np.ndarray:
    """E[number of purchases in (T, T + horizon] | x, t_x, T].

    Alive at T, the customer's rate and dropout probability follow the posteriors
    lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x + k) (k = 1 for MBG/NBD), and an
    alive customer makes (1 - exp(-lambda p h)) / p purchases in h on average; so

        E = P(alive) * E_p[(1 - (1 + p h / (alpha + T))^-(r + x)) / p].

    For a < 2 the expectation over p is the published closed form (FHL 2005 eq. 10; Batislam et
    al. 2007), (a + b + x - 1 + k) / (a - 1) * [1 - ((alpha + T) / (alpha + T + h))^(r + x)
    * 2F1(r + x, b + x + k; a + b + x - 1 + k; z)], z = h / (alpha + T + h), written with
    Euler's transformation as (1 - z)^(a - 1) * 2F1(a + b - 1 + k - r, a - 1; a + b + x - 1 + k;
    z) so that its parameters do not grow with x (the plain form overflows for frequent
    buyers). For larger a (a nearly common dropout probability) scipy's 2F1 loses all accuracy,
    and the expectation is taken by Gauss quadrature over the Beta posterior instead (exact to
    about 1e-7 there).
    """
    if horizon < 0:
        raise ValueError(f"horizon must be >= 0, got {horizon}")
    k = _check_variant(parameters.variant)
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = parameters.r, parameters.alpha, parameters.a, parameters.b
    if a < _HYPERGEOMETRIC_MAX_A:
        z = horizon / (alpha + T + horizon)
        c = a + b + x - 1 + k
        transformed = (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1 + k - r, a - 1.0, c, z)
        alive_part = c / (a - 1.0) * (1.0 - transformed)
    else:
        alive_part = np.empty(x.shape)
        shift = horizon / (alpha + T)
        for repeats in np.unique(x):
            members = x == repeats
            nodes, weights = _beta_quadrature(a, b + repeats + k)
            rate_part = -np.expm1(
                -(r + repeats) * np.log1p(np.multiply.outer(shift[members], nodes))
            )
            # A row-wise sum, not a matrix product: BLAS may round differently with the number
            # of rows, and a customer's score must not depend on its batch.
            alive_part[members] = (rate_part * (weights / nodes)).sum(axis=1)
    return np.maximum(alive_part * probability_alive(parameters, x, t_x, T), 0.0)


def _beta_quadrature(a: float, b: float, points: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Gauss quadrature nodes in (0, 1) and weights (summing to 1) for p ~ Beta(a, b): the
    Golub-Welsch eigenvalues of the Jacobi recurrence with weight (1 - y)^(b - 1) (1 + y)^(a - 1),
    y = 2p - 1. Needs no normalising constant, so it holds for any a, b > 0."""
    beta_exponent, alpha_exponent = b - 1.0, a - 1.0
    n = np.arange(1, points, dtype=float)
    total = 2 * n + beta_exponent + alpha_exponent
    diagonal = np.empty(points)
    diagonal[0] = (alpha_exponent - beta_exponent) / (beta_exponent + alpha_exponent + 2)
    diagonal[1:] = (alpha_exponent**2 - beta_exponent**2) / (total * (total + 2))
    off_diagonal = (
        4
        * n
        * (n + beta_exponent)
        * (n + alpha_exponent)
        * (n + beta_exponent + alpha_exponent)
        / (total**2 * (total + 1) * (total - 1))
    )
    y, vectors = eigh_tridiagonal(diagonal, np.sqrt(np.maximum(off_diagonal, 0.0)))
    weights = vectors[0] ** 2
    return (1.0 + y) / 2.0, weights / weights.sum()


# --- Gamma-Gamma ------------------------------------------------------------------------------


def gamma_gamma_log_likelihood(parameters: GammaGammaParameters, x: Any, m: Any) -> np.ndarray:
    """The log density of each customer's mean spend m over x repeat purchases (x > 0, m > 0)."""
    x, m = _arrays(x, m)
    p, q, v = parameters.p, parameters.q, parameters.gamma
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )


def _gamma_gamma_objective(
    theta: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    p, q_excess, v = np.exp(theta)
    q = 1.0 + q_excess
    total = x * m + v
    log_likelihood = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(total)
    )
    d_p = x * (psi(p * x + q) - psi(p * x) + np.log(m) + np.log(x) - np.log(total))
    d_q = psi(p * x + q) - psi(q) + np.log(v) - np.log(total)
    d_v = q / v - (p * x + q) / total
    weight = w / w.sum()
    value = -float(np.dot(weight, log_likelihood))
    gradient = -np.array(
        [p * np.dot(weight, d_p), q_excess * np.dot(weight, d_q), v * np.dot(weight, d_v)]
    )
    return value, gradient


def fit_gamma_gamma(x: Any, m: Any) -> PurchaseModelFit:
    """Maximum likelihood Gamma-Gamma parameters from repeat buyers' (x > 0) mean spend m > 0.

    q is fitted as 1 + e^theta, so the mean spend exists (a heavier tail than that would make the
    expected value infinite). Spend is rescaled by its mean while fitting; starts at p = 1,
    q = 2, gamma = 1 (rescaled); deterministic.
    """
    x, m = _arrays(x, m)
    if x.size == 0:
        raise ValueError("no repeat buyers to fit the spend model on")
    if (x <= 0).any() or (m <= 0).any() or not np.isfinite(m).all():
        raise ValueError("the spend model needs x > 0 and a positive, finite mean spend m")
    scale = float(m.mean())
    (x_u, m_u), weight = _compress(x, m / scale)
    result = _minimise(_gamma_gamma_objective, np.zeros(3), (x_u, m_u, weight))
    p, q_excess, v = np.exp(result.x)
    parameters = GammaGammaParameters(float(p), float(1.0 + q_excess), float(v * scale))
    log_likelihood = float(gamma_gamma_log_likelihood(parameters, x, m).sum())
    return PurchaseModelFit(
        parameters=parameters,
        log_likelihood=log_likelihood,
        customers=int(x.size),
        converged=_converged(result) and bool(np.isfinite(log_likelihood)),
        iterations=int(result.nit),
        message=str(result.message),
    )


def expected_purchase_value(parameters: GammaGammaParameters, x: Any, m: Any) -> np.ndarray:
    """E[spend of a purchase | x repeat purchases with mean spend m]: a weighted mean of the
    population mean and m, the more repeat purchases the closer to m; the population mean where
    x = 0 or m is missing or not positive."""
    x, m = _arrays(x, m)
    p, q, v = parameters.p, parameters.q, parameters.gamma
    known = (x > 0) & np.isfinite(m) & (m > 0)
    own = np.where(known, m, 0.0)
    weighted = p * (v + x * own) / (p * x + q - 1.0)
    return np.where(known, weighted, parameters.mean_purchase_value)


# --- both together ------------------------------------------------------------------------


@dataclass(frozen=True)
class FittedPurchaseModel:
    """A fitted purchase model (BG/NBD family) and spend model (Gamma-Gamma)."""

    purchases: PurchaseModelFit
    spend: PurchaseModelFit
    repeat_buyers: int

    @property
    def variant(self) -> str:
        """bgnbd | mbgnbd."""
        return self.purchases.parameters.variant  # type: ignore[union-attr]

    def parameters(self) -> dict[str, float]:
        """Every parameter and fit figure by name (what the artifact table stores)."""
        values: dict[str, float] = {}
        values.update(self.purchases.parameters.as_dict())
        values.update(self.spend.parameters.as_dict())
        values["purchases_log_likelihood"] = self.purchases.log_likelihood
        values["spend_log_likelihood"] = self.spend.log_likelihood
        values["customers"] = float(self.purchases.customers)
        values["repeat_buyers"] = float(self.repeat_buyers)
        return values

    @classmethod
    def from_parameters(cls, values: dict[str, float], variant: str) -> FittedPurchaseModel:
        """The model back from parameters() and its variant (as stored with the scores: see
        customer_segmentation.prediction.model_store); it predicts exactly as the one stored. Only
        converged fits are ever kept, so both fits are marked converged; the optimiser's
        iteration count and message are not stored (0 and "stored parameters")."""
        _check_variant(variant)
        missing = sorted(
            {"r", "alpha", "a", "b", "p", "q", "gamma", "customers", "repeat_buyers"} - set(values)
        )
        if missing:
            raise ValueError(f"the stored purchase model lacks the parameters {missing}")
        purchases = BetaGeoParameters(
            *(float(values[name]) for name in ("r", "alpha", "a", "b")), variant=variant
        )
        spend = GammaGammaParameters(*(float(values[name]) for name in ("p", "q", "gamma")))
        repeat_buyers = int(values["repeat_buyers"])

        def stored_fit(parameters, log_likelihood: str, customers: int) -> PurchaseModelFit:
            return PurchaseModelFit(
                parameters=parameters,
                log_likelihood=float(values.get(log_likelihood, np.nan)),
                customers=customers,
                converged=True,
                iterations=0,
                message="stored parameters",
            )

        return cls(
            purchases=stored_fit(purchases, "purchases_log_likelihood", int(values["customers"])),
            spend=stored_fit(spend, "spend_log_likelihood", repeat_buyers),
            repeat_buyers=repeat_buyers,
        )

    def predict(self, summary: pd.DataFrame, horizon: float) -> pd.DataFrame:
        """probability_alive, churn_probability (no purchase in the horizon), expected_purchases
        and expected_value (expected purchases x expected spend per purchase) for each row of a
        summary with the SUMMARY_COLUMNS (index kept)."""
        x, t_x, T, m = _summary_arrays(summary)
        parameters = self.purchases.parameters
        purchases = expected_purchases(parameters, x, t_x, T, horizon)  # type: ignore[arg-type]
        spend = expected_purchase_value(self.spend.parameters, x, m)  # type: ignore[arg-type]
        return pd.DataFrame(
            {
                "probability_alive": probability_alive(parameters, x, t_x, T),  # type: ignore[arg-type]
                "churn_probability": probability_no_purchase(
                    parameters,  # type: ignore[arg-type]
                    x,
                    t_x,
                    T,
                    horizon,
                ),
                "expected_purchases": purchases,
                "expected_value": purchases * spend,
            },
            index=summary.index,
        )


def _summary_arrays(summary: pd.DataFrame) -> tuple[np.ndarray, ...]:
    missing = [column for column in SUMMARY_COLUMNS.values() if column not in summary.columns]
    if missing:
        raise ValueError(f"the purchase summary has no column {missing[0]!r}")

    def column(key: str) -> np.ndarray:
        return pd.to_numeric(summary[SUMMARY_COLUMNS[key]], errors="coerce").to_numpy(dtype=float)

    return column("x"), column("t_x"), column("T"), column("m")


def fit_purchase_model(
    summary: pd.DataFrame, variant: str = "mbgnbd"
) -> tuple[FittedPurchaseModel | None, str, str]:
    """Fit both models on a purchase summary (one row per customer, SUMMARY_COLUMNS).

    Returns (model or None, status, message): status ok, or no_customers,
    too_few_repeat_buyers (fewer than MIN_REPEAT_BUYERS customers bought again with a positive
    spend), not_converged (the optimiser stopped without converging or at a bound).
    """
    _check_variant(variant)
    if len(summary) == 0:
        return None, "no_customers", "no customer bought before the cutoff"
    x, t_x, T, m = _summary_arrays(summary)
    with_spend = (x > 0) & np.isfinite(m) & (m > 0)
    repeat_buyers = int(with_spend.sum())
    if repeat_buyers < MIN_REPEAT_BUYERS:
        return (
            None,
            "too_few_repeat_buyers",
            f"{repeat_buyers} of {len(summary)} customers bought again (with a positive spend); "
            f"the purchase model needs at least {MIN_REPEAT_BUYERS}",
        )
    purchases = fit_beta_geo(x, t_x, T, variant)
    spend = fit_gamma_gamma(x[with_spend], m[with_spend])
    for name, fit in (("purchase", purchases), ("spend", spend)):
        if not fit.converged:
            return (
                None,
                "not_converged",
                f"the {name} model did not converge after {fit.iterations} iterations "
                f"({fit.message})",
            )
    model = FittedPurchaseModel(purchases, spend, repeat_buyers)
    values = ", ".join(
        f"{name}={value:.3g}"
        for name, value in {
            **purchases.parameters.as_dict(),
            **spend.parameters.as_dict(),
        }.items()
    )
    return (
        model,
        "ok",
        f"{variant} fitted on {len(summary)} customers ({repeat_buyers} bought again): {values}",
    )


# --- the generative process -----------------------------------------------------------------


def simulate_purchases(
    parameters: BetaGeoParameters,
    T: Any,
    seed: int,
    horizon: float = 0.0,
    spend: GammaGammaParameters | None = None,
) -> pd.DataFrame:
    """Customers drawn from the model itself: each has its own purchase rate and dropout
    probability from the population distributions, buys as a Poisson process while alive and
    drops out after purchases (MBG/NBD: also right after the first purchase, at time 0).

    T: each customer's observation time after the first purchase. Returns one row per customer:
    the summary columns (x, t_x, T as SUMMARY_COLUMNS; m when spend is given, null without
    repeat purchases), and future_purchases in (T, T + horizon]. Vectorised over customers, one
    purchase at a time; deterministic for a seed.
    """
    k = _check_variant(parameters.variant)
    rng = np.random.default_rng(seed)
    T = np.asarray(T, dtype=float)
    n = T.size
    rate = rng.gamma(parameters.r, 1.0 / parameters.alpha, n)
    dropout = rng.beta(parameters.a, parameters.b, n)
    alive = np.ones(n, dtype=bool)
    if k == 1:
        alive &= rng.random(n) >= dropout
    end = T + horizon
    clock = np.zeros(n)
    x = np.zeros(n, dtype=int)
    t_x = np.zeros(n)
    future = np.zeros(n, dtype=int)
    spend_scale = None
    spend_total = np.zeros(n)
    if spend is not None:
        spend_scale = rng.gamma(spend.q, 1.0 / spend.gamma, n)  # nu per customer
    active = alive.copy()
    while active.any():
        index = np.flatnonzero(active)
        with np.errstate(divide="ignore"):
            gaps = rng.exponential(1.0 / np.maximum(rate[index], 1e-300))
        clock[index] += gaps
        bought = clock[index] <= end[index]
        buyers = index[bought]
        in_calibration = clock[buyers] <= T[buyers]
        calibration_buyers = buyers[in_calibration]
        x[calibration_buyers] += 1
        t_x[calibration_buyers] = clock[calibration_buyers]
        future[buyers[~in_calibration]] += 1
        if spend_scale is not None:
            amounts = rng.gamma(spend.p, 1.0 / spend_scale[calibration_buyers])  # type: ignore[union-attr]
            spend_total[calibration_buyers] += amounts
        drops = rng.random(buyers.size) < dropout[buyers]
        active[index[~bought]] = False
        active[buyers[drops]] = False
    frame = pd.DataFrame(
        {
            SUMMARY_COLUMNS["x"]: x,
            SUMMARY_COLUMNS["t_x"]: t_x,
            SUMMARY_COLUMNS["T"]: T,
            "future_purchases": future,
        }
    )
    if spend is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            frame[SUMMARY_COLUMNS["m"]] = np.where(x > 0, spend_total / np.maximum(x, 1), np.nan)
    return frame
