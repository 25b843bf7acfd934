"""The probabilistic purchase models (customer_segmentation.prediction.purchase_model), without dbt.

The likelihood code is checked three ways: against the likelihood integrated numerically over
the individual purchase rate and dropout probability (the model's definition), by recovering the
parameters of customers simulated with the model's own generative process (the published CDNOW
estimates of Fader, Hardie & Lee 2005: BG/NBD r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 in
weeks; Gamma-Gamma p = 6.25, q = 3.74, gamma = 15.44), and by predicting the simulated future.

Tolerances come from a Monte Carlo study of the estimator (the same code, seeds 0..199 at 2,357
customers, 20 seeds at 100,000): at the CDNOW sample size (2,357 customers, first purchases in
the first 12 weeks of a 39-week calibration period) the BG/NBD estimates spread with standard
deviations r 0.013, alpha 0.41, a 0.23, b 0.94 (a and b are weakly identified by 2,357 customers);
at 100,000 customers r 0.002, alpha 0.065, a 0.028, b 0.118, and Gamma-Gamma p 0.11, q 0.045,
gamma 0.43; MBG/NBD at 2,357 customers r 0.08, alpha 0.67, a 0.35, b 2.0 (about 0.154 of that at
100,000). The tests allow 3 standard deviations at 2,357 customers and 4 at 100,000: a correct
estimator fails them about once in ten thousand runs, and any error in a likelihood term moves
the estimates by far more.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from customer_segmentation.prediction import purchase_model
from customer_segmentation.prediction.purchase_model import (
    MIN_REPEAT_BUYERS,
    SUMMARY_COLUMNS,
    BetaGeoParameters,
    GammaGammaParameters,
    beta_geo_log_likelihood,
    expected_purchase_value,
    expected_purchases,
    fit_beta_geo,
    fit_gamma_gamma,
    fit_purchase_model,
    gamma_gamma_log_likelihood,
    probability_alive,
    probability_no_purchase,
    simulate_purchases,
)

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_SPEND = GammaGammaParameters(p=6.25, q=3.74, gamma=15.44)
CDNOW_CUSTOMERS = 2357
X, T_X, T = SUMMARY_COLUMNS["x"], SUMMARY_COLUMNS["t_x"], SUMMARY_COLUMNS["T"]


def cdnow_observation_times(customers: int, seed: int) -> np.ndarray:
    """Weeks from the first purchase to the end of CDNOW's 39-week calibration period, for
    customers whose first purchase fell in the first 12 weeks."""
    return 39.0 - 12.0 * np.random.default_rng(seed).random(customers)


def simulated(variant: str, customers: int, seed: int, **keywords) -> pd.DataFrame:
    parameters = BetaGeoParameters(**CDNOW, variant=variant)
    return simulate_purchases(
        parameters, cdnow_observation_times(customers, seed), seed=seed + 1, **keywords
    )


def fit(frame: pd.DataFrame, variant: str):
    return fit_beta_geo(frame[X], frame[T_X], frame[T], variant)


def estimates(result) -> np.ndarray:
    values = result.parameters.as_dict()
    return np.array([values[name] for name in ("r", "alpha", "a", "b")])


# --- the likelihood against its definition ----------------------------------------------------


def likelihood_by_integration(parameters: BetaGeoParameters, x: int, t_x: float, T: float):
    """The individual likelihood averaged over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) by
    numerical integration: alive at T, or dropped out after the last purchase (MBG/NBD: also
    at time 0)."""
    k = 1 if parameters.variant == "mbgnbd" else 0
    r, alpha, a, b = parameters.r, parameters.alpha, parameters.a, parameters.b
    log_rate_norm = r * math.log(alpha) - math.lgamma(r)
    log_beta_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)

    def individual(p: float, rate: float) -> float:
        if rate <= 0 or p <= 0 or p >= 1:
            return 0.0
        alive = (1 - p) ** (x + k) * rate**x * math.exp(-rate * T)
        dropped = 0.0
        if x > 0 or k:
            dropped = p * (1 - p) ** (x - 1 + k) * rate**x * math.exp(-rate * t_x)
        log_density = (
            log_rate_norm
            + (r - 1) * math.log(rate)
            - alpha * rate
            + log_beta_norm
            + (a - 1) * math.log(p)
            + (b - 1) * math.log(1 - p)
        )
        return (alive + dropped) * math.exp(log_density)

    # The rate density is negligible beyond 10 for the parameters below (alpha = 6, r = 1.5).
    value, _ = integrate.dblquad(individual, 0, 10, 0, 1, epsabs=1e-14, epsrel=1e-8)
    return value


@pytest.mark.parametrize("variant", ["bgnbd", "mbgnbd"])
@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 30.0), (1, 5.0, 30.0), (4, 20.5, 38.0)])
def test_the_closed_form_likelihood_is_the_integrated_one(variant, x, t_x, T):
    parameters = BetaGeoParameters(1.5, 6.0, 1.3, 2.5, variant=variant)
    closed_form = np.exp(beta_geo_log_likelihood(parameters, x, t_x, T))
    assert closed_form == pytest.approx(likelihood_by_integration(parameters, x, t_x, T), rel=1e-5)


def test_the_gamma_gamma_density_integrates_to_one():
    parameters = GammaGammaParameters(p=2.0, q=3.0, gamma=10.0)
    for x in (1, 4):
        total, _ = integrate.quad(
            lambda m, x=x: np.exp(gamma_gamma_log_likelihood(parameters, x, m)), 0, np.inf
        )
        assert total == pytest.approx(1.0, abs=1e-8)


# --- recovering the parameters of simulated customers -------------------------------------------


def test_bgnbd_recovers_the_published_cdnow_estimates_at_the_cdnow_sample_size():
    result = fit(simulated("bgnbd", CDNOW_CUSTOMERS, seed=0), "bgnbd")
    assert result.converged
    spread = np.array([0.013, 0.41, 0.23, 0.94])
    assert (np.abs(estimates(result) - np.array(list(CDNOW.values()))) < 3 * spread).all()


@pytest.mark.parametrize(
    ("variant", "spread"),
    [
        ("bgnbd", np.array([0.002, 0.065, 0.028, 0.118])),
        ("mbgnbd", 0.154 * np.array([0.08, 0.67, 0.35, 2.0])),
    ],
)
def test_the_fit_recovers_the_parameters_of_100k_simulated_customers(variant, spread):
    frame = simulated(variant, 100_000, seed=10)
    result = fit(frame, variant)
    assert result.converged
    assert (np.abs(estimates(result) - np.array(list(CDNOW.values()))) < 4 * spread).all()
    # The truth is no more likely than the estimate (it is the maximum).
    truth = beta_geo_log_likelihood(
        BetaGeoParameters(**CDNOW, variant=variant), frame[X], frame[T_X], frame[T]
    ).sum()
    assert result.log_likelihood >= truth


def test_gamma_gamma_recovers_the_published_cdnow_spend_estimates():
    frame = simulated("bgnbd", 100_000, seed=20, spend=CDNOW_SPEND)
    repeat = frame[frame[X] > 0]
    result = fit_gamma_gamma(repeat[X], repeat[SUMMARY_COLUMNS["m"]])
    assert result.converged
    values = result.parameters.as_dict()
    assert abs(values["p"] - 6.25) < 4 * 0.114
    assert abs(values["q"] - 3.74) < 4 * 0.045
    assert abs(values["gamma"] - 15.44) < 4 * 0.43


def test_the_model_that_generated_the_data_fits_it_better():
    for truth in ("bgnbd", "mbgnbd"):
        frame = simulated(truth, 50_000, seed=30)
        likelihoods = {
            variant: fit(frame, variant).log_likelihood for variant in ("bgnbd", "mbgnbd")
        }
        assert max(likelihoods, key=likelihoods.get) == truth


def test_the_fit_is_deterministic_and_ignores_row_order():
    frame = simulated("mbgnbd", 5_000, seed=40)
    first = fit(frame, "mbgnbd")
    shuffled = fit(frame.sample(frac=1.0, random_state=3), "mbgnbd")
    assert first.parameters == shuffled.parameters
    assert first.log_likelihood == shuffled.log_likelihood


def test_the_time_unit_only_scales_alpha():
    frame = simulated("bgnbd", 20_000, seed=50)
    in_weeks = fit(frame, "bgnbd").parameters
    in_days = fit_beta_geo(frame[X], frame[T_X] * 7, frame[T] * 7, "bgnbd").parameters
    assert in_days.alpha == pytest.approx(7 * in_weeks.alpha, rel=1e-4)
    for name in ("r", "a", "b"):
        assert getattr(in_days, name) == pytest.approx(getattr(in_weeks, name), rel=1e-4)


# --- predictions against the simulated future ---------------------------------------------------


@pytest.mark.parametrize("variant", ["bgnbd", "mbgnbd"])
def test_predictions_match_what_simulated_customers_do_next(variant):
    """With the true parameters, P(no purchase) and expected purchases in the next 39 weeks match
    what 200,000 customers simulated past T did, overall and for groups of different histories."""
    parameters = BetaGeoParameters(**CDNOW, variant=variant)
    frame = simulated(variant, 200_000, seed=60, horizon=39.0)
    x, t_x, T_ = frame[X], frame[T_X], frame[T]
    purchases = expected_purchases(parameters, x, t_x, T_, 39.0)
    no_purchase = probability_no_purchase(parameters, x, t_x, T_, 39.0)
    future = frame["future_purchases"].to_numpy()
    groups = {
        "everyone": np.ones(len(frame), dtype=bool),
        "one-time buyers": x == 0,
        "recent repeat buyers": (x >= 2) & (T_ - t_x < 10),
        "lapsed repeat buyers": (x >= 2) & (T_ - t_x >= 20),
    }
    for name, members in groups.items():
        assert members.sum() > 2_000, name
        # Binomial and count sampling error of the group, 4 standard errors.
        share = (future[members] == 0).mean()
        share_error = 4 * np.sqrt(share * (1 - share) / members.sum())
        assert no_purchase[members].mean() == pytest.approx(share, abs=share_error), name
        mean_error = 4 * future[members].std() / np.sqrt(members.sum())
        assert purchases[members].mean() == pytest.approx(future[members].mean(), abs=mean_error), (
            name
        )


@pytest.mark.parametrize("variant", ["bgnbd", "mbgnbd"])
def test_expected_purchases_equal_the_published_formula(variant):
    """The Euler-transformed form against the published one (FHL 2005 eq. 10; Batislam et al.
    2007), which scipy evaluates accurately for moderate x."""
    parameters = BetaGeoParameters(**CDNOW, variant=variant)
    k = 1 if variant == "mbgnbd" else 0
    r, alpha, a, b = CDNOW.values()
    x = np.array([0, 0, 1, 2, 5, 12, 30])
    t_x = np.array([0.0, 0.0, 3.0, 20.0, 30.0, 35.0, 38.5])
    T_ = np.array([30.0, 38.0, 30.0, 35.0, 38.0, 39.0, 39.0])
    horizon = 20.0
    z = horizon / (alpha + T_ + horizon)
    published = (
        (a + b + x - 1 + k)
        / (a - 1)
        * (
            1
            - ((alpha + T_) / (alpha + T_ + horizon)) ** (r + x)
            * special.hyp2f1(r + x, b + x + k, a + b + x - 1 + k, z)
        )
        * probability_alive(parameters, x, t_x, T_)
    )
    assert expected_purchases(parameters, x, t_x, T_, horizon) == pytest.approx(published, rel=1e-9)


@pytest.mark.parametrize("a", [0.5, 1.6, 2.5])
def test_the_quadrature_equals_the_closed_form_where_both_hold(monkeypatch, a):
    parameters = BetaGeoParameters(0.5, 4.0, a, 3.0, variant="mbgnbd")
    x, t_x, T_ = [0, 1, 10, 200], [0.0, 5.0, 30.0, 38.5], [30.0, 30.0, 39.0, 39.0]
    monkeypatch.setattr(purchase_model, "_HYPERGEOMETRIC_MAX_A", np.inf)
    closed_form = expected_purchases(parameters, x, t_x, T_, 20.0)
    monkeypatch.setattr(purchase_model, "_HYPERGEOMETRIC_MAX_A", 0.0)
    quadrature = expected_purchases(parameters, x, t_x, T_, 20.0)
    assert quadrature == pytest.approx(closed_form, rel=1e-10)


def test_predictions_hold_when_everyone_shares_one_dropout_probability():
    """a and b in the hundreds (p about 0.1 for everyone): 2F1 fails there, the quadrature
    predicts what 100,000 simulated customers do."""
    parameters = BetaGeoParameters(0.243, 4.414, 200.0, 1800.0, variant="mbgnbd")
    frame = simulate_purchases(parameters, cdnow_observation_times(100_000, 5), 6, horizon=39.0)
    predicted = expected_purchases(parameters, frame[X], frame[T_X], frame[T], 39.0)
    future = frame["future_purchases"].to_numpy()
    assert np.isfinite(predicted).all()
    for members in (frame[X] == 0, frame[X] >= 3):
        error = 4 * future[members].std() / np.sqrt(members.sum())
        assert predicted[members].mean() == pytest.approx(future[members].mean(), abs=error)


def test_expected_purchases_stay_finite_for_very_frequent_buyers():
    """The published form overflows in 2F1 for hundreds of repeat purchases; the transformed one
    keeps a customer who bought about every 39/x weeks, up to a few days ago, near that pace."""
    parameters = BetaGeoParameters(**CDNOW, variant="mbgnbd")
    x = np.array([50, 100, 300, 1000])
    values = expected_purchases(parameters, x, 38.99, 39.0, 10.0)
    assert np.isfinite(values).all()
    assert (np.diff(values) > 0).all()
    pace = x / 39.0 * 10.0
    assert (values < pace).all() and (values > 0.7 * pace).all()


def test_p_alive_of_one_time_buyers_depends_on_the_variant():
    bgnbd = BetaGeoParameters(**CDNOW, variant="bgnbd")
    mbgnbd = BetaGeoParameters(**CDNOW, variant="mbgnbd")
    T_ = np.array([1.0, 10.0, 50.0, 200.0])
    # BG/NBD: a customer can only drop out after a repeat purchase.
    assert (probability_alive(bgnbd, 0, 0.0, T_) == 1.0).all()
    alive = probability_alive(mbgnbd, 0, 0.0, T_)
    assert (alive < 1).all() and (np.diff(alive) < 0).all()
    assert alive[-1] < 0.6
    # A repeat buyer silent for longer is less likely alive under both.
    for parameters in (bgnbd, mbgnbd):
        assert np.diff(probability_alive(parameters, 3, [35.0, 20.0, 5.0], 39.0)).max() < 0


def test_churn_is_certain_only_in_the_limit_and_zero_horizon_means_no_churn():
    parameters = BetaGeoParameters(**CDNOW, variant="mbgnbd")
    assert probability_no_purchase(parameters, 2, 10.0, 39.0, 0.0) == pytest.approx(1.0)
    longer = [probability_no_purchase(parameters, 2, 10.0, 39.0, h) for h in (1.0, 10.0, 100.0)]
    assert (np.diff(longer) < 0).all() and (np.array(longer) > 0).all()


def test_expected_spend_shrinks_towards_the_population_mean():
    spend = CDNOW_SPEND
    population = spend.mean_purchase_value
    values = expected_purchase_value(spend, [0, 1, 10, 1000], [np.nan, 100.0, 100.0, 100.0])
    assert values[0] == pytest.approx(population)
    assert population < values[1] < values[2] < values[3] < 100.0
    assert values[3] == pytest.approx(100.0, rel=0.01)


# --- both models together and bad input ---------------------------------------------------------


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(customer_id=[f"c{i}" for i in range(len(frame))])


def test_fit_purchase_model_fits_both_models_and_predicts_every_row():
    frame = summary(simulated("mbgnbd", 5_000, seed=70, spend=CDNOW_SPEND))
    model, status, message = fit_purchase_model(frame, "mbgnbd")
    assert status == "ok" and model is not None
    assert "mbgnbd fitted on 5000 customers" in message
    predicted = model.predict(frame, 39.0)
    assert list(predicted.columns) == [
        "probability_alive",
        "churn_probability",
        "expected_purchases",
        "expected_value",
    ]
    assert predicted.notna().all().all()
    assert predicted["churn_probability"].between(0, 1).all()
    assert (predicted["expected_value"] >= 0).all()
    # Spend is expected purchases times expected spend per purchase.
    ratio = (predicted["expected_value"] / predicted["expected_purchases"])[frame[X] == 0]
    assert ratio.to_numpy() == pytest.approx(model.spend.parameters.mean_purchase_value)


def test_too_few_repeat_buyers_is_a_reason_not_an_error():
    frame = summary(simulated("bgnbd", 200, seed=80, spend=CDNOW_SPEND))
    few = frame[frame[X] == 0]
    few = pd.concat([few, frame[frame[X] > 0].head(MIN_REPEAT_BUYERS - 1)])
    model, status, message = fit_purchase_model(few, "bgnbd")
    assert model is None and status == "too_few_repeat_buyers"
    assert f"{MIN_REPEAT_BUYERS - 1} of {len(few)} customers bought again" in message
    assert fit_purchase_model(few.head(0), "bgnbd")[1] == "no_customers"


def test_a_population_that_never_drops_out_is_fitted_at_the_edge():
    """Every customer buys at his own rate and never leaves: the dropout probability goes to 0
    (a -> 0), the maximum lies at the edge of the parameter space and is accepted."""
    rng = np.random.default_rng(90)
    customers = 3_000
    rate = rng.gamma(2.0, 1 / 20.0, customers)
    T_ = rng.uniform(50, 100, customers)
    times = [np.sort(rng.uniform(0, T_[i], rng.poisson(rate[i] * T_[i]))) for i in range(customers)]
    frame = pd.DataFrame(
        {
            X: [max(len(t) - 1, 0) for t in times],
            T_X: [t[-1] - t[0] if len(t) > 1 else 0.0 for t in times],
            T: [T_[i] - (t[0] if len(t) else 0.0) for i, t in enumerate(times)],
        }
    )
    result = fit(frame, "mbgnbd")
    assert result.converged
    assert result.parameters.a < 0.01


@pytest.mark.parametrize(
    ("x", "t_x", "T", "message"),
    [
        ([1], [5.0], [4.0], "must lie in"),
        ([0], [2.0], [4.0], "without repeat purchases has t_x = 0"),
        ([1.5], [2.0], [4.0], "whole numbers"),
        ([1], [np.nan], [4.0], "missing"),
    ],
)
def test_an_impossible_summary_is_refused_with_a_clear_error(x, t_x, T, message):
    with pytest.raises(ValueError, match=message):
        fit_beta_geo(x, t_x, T, "bgnbd")


def test_an_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="unknown purchase model 'pareto'"):
        fit_beta_geo([1], [1.0], [2.0], "pareto")
