"""Churn risk and expected value over the next horizon, learnt without looking into the future.

Two methods score customers (docs/activation.md):

- ``supervised``: gradient boosting learnt from what customers did in the horizon after an earlier
  cutoff (below). It needs two horizons of history and enough customers of both outcomes.
- ``bgnbd``: the probabilistic purchase model of customer_segmentation.prediction.purchase_model
(BG/NBD or,
  by default, MBG/NBD for purchases and P(alive), Gamma-Gamma for spend per purchase), fitted on
  the purchase-day summary at the cutoff itself: it needs no outcome window, so it scores when the
  supervised model cannot (a young shop, a long horizon). Its outputs at each cutoff are also
  features of the supervised model and a baseline of the evaluation.

Every customer gets a score from the supervised model when its training window can be fitted,
else from the purchase model; only when neither can be fitted are the scores null, with the reason.

The dbt models prepare every input in SQL:

- ``examples`` (``int_customers_churn_training_sample``): one row per window and customer, the
  features at the window's cutoff and what happened in the horizon after it: ``is_churned`` (no
  completed purchase) and ``next_period_net_spend``. Window ``training`` (cutoff as_of_date -
  horizon, outcomes up to as_of_date) fits the models that score customers. Window ``evaluation``
  (cutoff as_of_date - 2 x horizon, outcomes up to the training cutoff) fits the same models once
  more, and they are scored on the training window: a hold-out one horizon later than anything
  they learnt from, which is how the scores are used.
- ``current`` (``int_customers_prediction_features``, role ``current``): the features at
  as_of_date of every eligible customer; they get the scores. The dbt model streams them in
  batches (customer_segmentation.dbt_io.iter_pandas_batches, prediction.score_batch_size):
  the models are fitted on the sampled examples first, then each batch is scored and only its
  three score columns are kept: the features held in memory do not grow with the number of
  customers.
- ``windows`` (``int_prediction_windows``): the cutoff of each window and whether the data reach
  one horizon before it.
- ``purchase_summaries`` (``int_customers_purchase_model_sample``): the purchase-day summary
  (repeat purchase days, first to last purchase, first purchase to cutoff, mean repeat spend) of
  a bounded sample of the customers at each cutoff: the purchase model of that cutoff is fitted on
  it. Examples and current customers carry the same summary columns and are scored with it.

Models: a ``HistGradientBoostingClassifier`` calibrated with ``CalibratedClassifierCV`` (sigmoid,
stratified folds) for churn, a ``HistGradientBoostingRegressor`` (Poisson loss: spend is
non-negative and skewed; the prediction is an expected value) for next-period net spend. Shallow
trees (depth 3) and a fixed number of iterations: on a few thousand customers (the demo shop,
Online Retail) deeper trees and early stopping did worse on the time hold-out, and sigmoid
calibration was steadier than isotonic. Both models handle missing values natively, so
``mean_days_between_orders`` (null for one purchase) needs no fill. Seeds are fixed and rows
sorted by customer_id: the same data give the same scores.

Baselines, fitted on the same windows and scored on the same hold-out:

- ``bgnbd``: the purchase model fitted at the hold-out's cutoff (on the summary before it, so
  without its outcomes): P(no purchase in the horizon) and expected purchases x expected spend,
  exactly what customers scored by it get.
- ``recency``: churn = a logistic curve of log(1 + recency_days) (monotone, so its AUC is the AUC
  of recency alone); value = net spend in the horizon before the cutoff.
- ``rfm``: the classic RFM score, quintiles (1-5) of recency (recent = 5), frequency and monetary
  summed (3-15), with quintile edges from the fitting window; churn = a logistic curve of the
  score, value = the mean next-period spend of the score in the fitting window.

A window is skipped, with the reason, when the horizon is 0, the data do not reach one horizon
before its cutoff, it has fewer than ``min_training_customers`` customers, or fewer than
MIN_CUSTOMERS_PER_CLASS churned or retained customers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, mean_absolute_error, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from customer_segmentation.prediction.model_store import fitted_model_record
from customer_segmentation.prediction.purchase_model import FittedPurchaseModel, fit_purchase_model
from customer_segmentation.settings import PredictionSettings

__all__ = [
    "ARTIFACT_COLUMNS",
    "CALIBRATION_BINS",
    "METHODS",
    "METRICS",
    "MIN_CUSTOMERS_PER_CLASS",
    "PURCHASE_MODEL_FEATURES",
    "SCORE_METHODS",
    "FittedPrediction",
    "PredictionSettings",
    "PurchaseModelCheck",
    "WindowCheck",
    "add_purchase_model_features",
    "calibration_by_decile",
    "check_window",
    "evaluate_methods",
    "filter_relation",
    "fit_prediction",
    "fit_purchase_models",
    "holdout_predictions",
    "predict",
    "predict_batches",
    "rfm_scores",
    "score_customers",
]

# What the purchase model fitted at a window's cutoff says about each of its customers; added to
# the examples and the current customers before the supervised model sees them.
PURCHASE_MODEL_FEATURES = {
    "probability_alive": "purchase_model_probability_alive",
    "churn_probability": "purchase_model_churn_probability",
    "expected_purchases": "purchase_model_expected_purchases",
    "expected_value": "purchase_model_expected_value",
}

# CalibratedClassifierCV needs each class in every fold; fewer than this and the probabilities of
# the rare class are noise.
MIN_CUSTOMERS_PER_CLASS = 25

# The methods that score customers, and the methods the evaluation compares (the supervised
# model first, then the baselines).
SCORE_METHODS = ("supervised", "bgnbd")
METHODS = ("supervised", "bgnbd", "recency", "rfm")
METRICS = ("auc", "brier", "mae", "spearman")
# The calibration curve: hold-out customers in this many equal groups by predicted probability.
CALIBRATION_BINS = 10
ROLES = ("current", "training", "evaluation")

ARTIFACT_COLUMNS = [
    "model_id",
    "record_type",
    "customer_id",
    "method",
    "metric",
    "value",
    "text_value",
    "churn_probability",
    "expected_value",
    "probability_alive",
    "expected_purchases",
    "decile",
]
SCORE_COLUMNS = [
    "customer_id",
    "method",
    "churn_probability",
    "expected_value",
    "probability_alive",
    "expected_purchases",
]

STATUS_SCORED = "scored"
STATUS_FITTED = "fitted"
STATUS_EVALUATED = "evaluated"


@dataclass(frozen=True)
class WindowCheck:
    """Whether a window can be fitted: status is 'ok' or the reason code, message says why."""

    status: str
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def check_window(
    examples: pd.DataFrame,
    window: Mapping[str, Any] | None,
    settings: PredictionSettings,
    role: str,
) -> WindowCheck:
    """Can the models be fitted on this window's examples? The first failing rule decides.

    window: the window's row of int_prediction_windows (None when there is none).
    """
    if settings.horizon_days <= 0:
        return WindowCheck(
            "no_horizon", "prediction.horizon_days is 0: there is no window to learn from"
        )
    if window is None:
        if role == "evaluation":
            return WindowCheck(
                "no_evaluation_cutoff",
                "int_feature_cutoffs has no 'evaluation' cutoff (as_of_date - 2 x "
                "prediction.horizon_days): the time hold-out cannot be computed",
            )
        return WindowCheck("no_horizon", f"int_feature_cutoffs has no '{role}' cutoff")
    cutoff = _date_text(window.get("cutoff_date"))
    first_purchase = _date_text(window.get("first_purchase_date"))
    if not bool(window.get("has_full_history")):
        return WindowCheck(
            "short_history",
            f"the data do not reach one horizon ({settings.horizon_days} days) before the "
            f"{role} cutoff {cutoff} (first purchase {first_purchase}):"
            f" {role} needs at least {2 if role == 'training' else 3} horizons of history",
        )
    customers = len(examples)
    if customers < settings.min_training_customers:
        return WindowCheck(
            "too_few_customers",
            f"{customers} customers bought before the {role} cutoff {cutoff}; at least "
            f"{settings.min_training_customers} are needed (prediction.min_training_customers)",
        )
    churned = int(examples["is_churned"].astype(bool).sum())
    retained = customers - churned
    if min(churned, retained) < MIN_CUSTOMERS_PER_CLASS:
        return WindowCheck(
            "one_class",
            f"{churned} of {customers} customers of the {role} window churned and {retained} "
            f"bought again: each needs at least {MIN_CUSTOMERS_PER_CLASS}",
        )
    return WindowCheck("ok", f"{customers} customers, {churned / customers:.1%} churned")


@dataclass
class FittedPrediction:
    """The fitted churn classifier (calibrated) and value regressor, and their features."""

    churn_model: CalibratedClassifierCV
    value_model: HistGradientBoostingRegressor
    features: list[str]
    dropped: dict[str, str]
    training_customers: int
    training_churn_rate: float


def fit_prediction(examples: pd.DataFrame, settings: PredictionSettings) -> FittedPrediction:
    """Fit both models on one window's examples (rows are sorted by customer_id first)."""
    examples = _sorted(examples)
    features, dropped = _usable_features(examples, settings.features)
    matrix = _matrix(examples, features)
    churned = examples["is_churned"].astype(bool).to_numpy().astype(int)
    classifier = HistGradientBoostingClassifier(**_boosting_parameters(settings))
    churn_model = CalibratedClassifierCV(
        classifier,
        method=settings.calibration,
        cv=StratifiedKFold(settings.calibration_folds, shuffle=True, random_state=settings.seed),
    )
    churn_model.fit(matrix, churned)
    value_model = HistGradientBoostingRegressor(loss="poisson", **_boosting_parameters(settings))
    value_model.fit(matrix, _value_target(examples))
    return FittedPrediction(
        churn_model=churn_model,
        value_model=value_model,
        features=features,
        dropped=dropped,
        training_customers=len(examples),
        training_churn_rate=float(churned.mean()),
    )


def predict(fitted: FittedPrediction, frame: pd.DataFrame) -> pd.DataFrame:
    """customer_id, churn_probability (0-1) and expected_value (>= 0) for every row of frame."""
    matrix = _matrix(frame, fitted.features)
    if len(frame) == 0:
        probabilities = np.empty(0)
        values = np.empty(0)
    else:
        probabilities = fitted.churn_model.predict_proba(matrix)[:, 1]
        values = np.clip(fitted.value_model.predict(matrix), 0.0, None)
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype(str).to_numpy(),
            "churn_probability": np.clip(probabilities, 0.0, 1.0),
            "expected_value": values,
        }
    )


def predict_batches(
    fitted: FittedPrediction | None,
    batches: Iterable[pd.DataFrame],
    purchase_model: FittedPurchaseModel | None = None,
    horizon_days: int = 0,
) -> pd.DataFrame:
    """Score batches of customers, one batch at a time: only the SCORE_COLUMNS of each batch are
    kept. Every row is scored on its own, so the scores do not depend on the batches.

    With a supervised model (fitted), method is supervised; without one, the purchase model's
    churn probability and expected value are the scores (method bgnbd). probability_alive and
    expected_purchases come from the purchase model either way (null without one). The purchase
    model's outputs are added to each batch as features first (add_purchase_model_features).
    """
    if fitted is None and purchase_model is None:
        raise ValueError("nothing to score with: neither a supervised nor a purchase model")
    scores = [_score_batch(fitted, batch, purchase_model, horizon_days) for batch in batches]
    if not scores:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    return pd.concat(scores, ignore_index=True)


def _score_batch(
    fitted: FittedPrediction | None,
    batch: pd.DataFrame,
    purchase_model: FittedPurchaseModel | None,
    horizon_days: int,
) -> pd.DataFrame:
    batch = add_purchase_model_features(batch, purchase_model, horizon_days)
    probability_alive = batch[PURCHASE_MODEL_FEATURES["probability_alive"]].to_numpy(dtype=float)
    expected_purchases = batch[PURCHASE_MODEL_FEATURES["expected_purchases"]].to_numpy(dtype=float)
    if fitted is not None:
        scores = predict(fitted, batch)
        method = "supervised"
    else:
        scores = pd.DataFrame(
            {
                "customer_id": batch["customer_id"].astype(str).to_numpy(),
                "churn_probability": batch[PURCHASE_MODEL_FEATURES["churn_probability"]].to_numpy(
                    dtype=float
                ),
                "expected_value": batch[PURCHASE_MODEL_FEATURES["expected_value"]].to_numpy(
                    dtype=float
                ),
            }
        )
        method = "bgnbd"
    return scores.assign(
        method=method,
        probability_alive=probability_alive,
        expected_purchases=expected_purchases,
    )[SCORE_COLUMNS]


@dataclass(frozen=True)
class PurchaseModelCheck:
    """The purchase model of one cutoff: the fitted model (None when it could not be fitted),
    status (ok or the reason code) and the sentence saying what was fitted or why not."""

    model: FittedPurchaseModel | None
    status: str
    message: str

    @property
    def ok(self) -> bool:
        return self.model is not None


def fit_purchase_models(
    purchase_summaries: pd.DataFrame, settings: PredictionSettings
) -> dict[str, PurchaseModelCheck]:
    """The purchase model (settings.purchase_model) of each cutoff role, fitted on that role's
    rows of purchase_summaries (int_customers_purchase_model_sample; sorted by customer_id first,
    though the fit does not depend on the order)."""
    checks: dict[str, PurchaseModelCheck] = {}
    for role in ROLES:
        if settings.horizon_days <= 0:
            checks[role] = PurchaseModelCheck(
                None, "no_horizon", "prediction.horizon_days is 0: nothing to predict"
            )
            continue
        rows = purchase_summaries[purchase_summaries["cutoff_role"].astype(str) == role]
        model, status, message = fit_purchase_model(_sorted(rows), settings.purchase_model)
        checks[role] = PurchaseModelCheck(model, status, message)
    return checks


def add_purchase_model_features(
    frame: pd.DataFrame, model: FittedPurchaseModel | None, horizon_days: int
) -> pd.DataFrame:
    """frame with the PURCHASE_MODEL_FEATURES columns: what the purchase model of the frame's
    cutoff predicts for the next horizon_days (null for every row without a model)."""
    frame = frame.copy()
    if model is None or len(frame) == 0:
        for column in PURCHASE_MODEL_FEATURES.values():
            frame[column] = np.nan
        return frame
    predicted = model.predict(frame, float(horizon_days))
    for name, column in PURCHASE_MODEL_FEATURES.items():
        frame[column] = predicted[name].to_numpy(dtype=float)
    return frame


def rfm_scores(fit_frame: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """The classic RFM score (3-15) of frame's rows, with quintile edges from fit_frame.

    R is 5 for the most recent fifth (lowest recency_days), F and M are 5 for the highest fifth.
    A value equal to an edge falls in the lower quintile, so ties at a common value (one order)
    share the lowest quintile they reach.
    """
    total = np.zeros(len(frame), dtype=int)
    for column, higher_is_better in (
        ("recency_days", False),
        ("frequency", True),
        ("monetary", True),
    ):
        reference = _numeric(fit_frame[column]).fillna(0.0).to_numpy()
        values = _numeric(frame[column]).fillna(0.0).to_numpy()
        edges = np.quantile(reference, [0.2, 0.4, 0.6, 0.8]) if len(reference) else np.zeros(4)
        quintile = np.searchsorted(edges, values, side="left") + 1
        total += quintile if higher_is_better else 6 - quintile
    return total


def holdout_predictions(
    fit_examples: pd.DataFrame, test_examples: pd.DataFrame, settings: PredictionSettings
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Churn probability and expected value of every test example, by method (METHODS).

    The supervised model and the recency and RFM baselines are fitted on fit_examples (the earlier
    window) and scored on test_examples (the later window). The bgnbd baseline reads the purchase
    model's columns of test_examples (PURCHASE_MODEL_FEATURES, from the purchase model fitted at
    the test window's cutoff, so without its outcomes); null when that model could not be fitted.
    Rows of test_examples in customer_id order.
    """
    fit_examples = _sorted(fit_examples)
    test_examples = _sorted(test_examples)
    fit_churned = fit_examples["is_churned"].astype(bool).to_numpy().astype(int)
    predictions: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    fitted = fit_prediction(fit_examples, settings)
    scored = predict(fitted, test_examples)
    predictions["supervised"] = (
        scored["churn_probability"].to_numpy(),
        scored["expected_value"].to_numpy(),
    )

    def purchase_model_column(name: str) -> np.ndarray:
        column = PURCHASE_MODEL_FEATURES[name]
        if column not in test_examples.columns:
            return np.full(len(test_examples), np.nan)
        return _numeric(test_examples[column]).to_numpy()

    predictions["bgnbd"] = (
        purchase_model_column("churn_probability"),
        purchase_model_column("expected_value"),
    )

    def log_recency(frame: pd.DataFrame) -> np.ndarray:
        return np.log1p(_numeric(frame["recency_days"]).fillna(0.0).clip(lower=0).to_numpy())

    recency_curve = _logistic_curve(log_recency(fit_examples), fit_churned, settings.seed)
    predictions["recency"] = (
        recency_curve(log_recency(test_examples)),
        _numeric(test_examples["net_spend_last_horizon"]).fillna(0.0).to_numpy(),
    )

    fit_rfm = rfm_scores(fit_examples, fit_examples)
    test_rfm = rfm_scores(fit_examples, test_examples)
    rfm_curve = _logistic_curve(fit_rfm.astype(float), fit_churned, settings.seed)
    fit_spend = _numeric(fit_examples["next_period_net_spend"]).fillna(0.0)
    mean_by_score = fit_spend.groupby(fit_rfm).mean()
    rfm_value = (
        pd.Series(test_rfm).map(mean_by_score).fillna(fit_spend.mean()).to_numpy(dtype=float)
    )
    predictions["rfm"] = (rfm_curve(test_rfm.astype(float)), rfm_value)
    return predictions


def evaluate_methods(
    fit_examples: pd.DataFrame,
    test_examples: pd.DataFrame,
    settings: PredictionSettings,
    predictions: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """AUC and Brier score (churn), MAE and Spearman (value) of every method (METHODS) on the
    test examples (see holdout_predictions, which computes predictions when they are not given).

    Returns method, metric, value (NaN where undefined: AUC with one class, a method that could
    not be fitted).
    """
    if predictions is None:
        predictions = holdout_predictions(fit_examples, test_examples, settings)
    test_examples = _sorted(test_examples)
    churned = test_examples["is_churned"].astype(bool).to_numpy().astype(int)
    spend = _numeric(test_examples["next_period_net_spend"]).fillna(0.0).to_numpy()
    rows = []
    for method in METHODS:
        probability, value = predictions[method]
        has_churn = len(churned) > 0 and bool(np.isfinite(probability).all())
        has_value = len(spend) > 0 and bool(np.isfinite(value).all())
        metrics = {
            "auc": _auc(churned, probability) if has_churn else np.nan,
            "brier": float(brier_score_loss(churned, probability)) if has_churn else np.nan,
            "mae": float(mean_absolute_error(spend, value)) if has_value else np.nan,
            "spearman": _spearman(spend, value) if has_value else np.nan,
        }
        rows += [{"method": method, "metric": m, "value": metrics[m]} for m in METRICS]
    return pd.DataFrame(rows, columns=["method", "metric", "value"])


def calibration_by_decile(
    churned: np.ndarray, probability: np.ndarray, bins: int = CALIBRATION_BINS
) -> pd.DataFrame:
    """The calibration curve: customers in `bins` groups of (nearly) equal size by predicted
    probability (ties in the given row order), each with its mean predicted probability and the
    share that churned. Returns decile (1 = lowest predictions), customers, mean_predicted,
    observed_rate; empty when any probability is missing."""
    columns = ["decile", "customers", "mean_predicted", "observed_rate"]
    probability = np.asarray(probability, dtype=float)
    churned = np.asarray(churned, dtype=float)
    if len(probability) == 0 or not np.isfinite(probability).all():
        return pd.DataFrame(columns=columns)
    order = np.argsort(probability, kind="stable")
    rows = []
    for decile, members in enumerate(np.array_split(order, bins), start=1):
        if len(members) == 0:
            continue
        rows.append(
            {
                "decile": decile,
                "customers": len(members),
                "mean_predicted": float(probability[members].mean()),
                "observed_rate": float(churned[members].mean()),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def score_customers(
    examples: pd.DataFrame,
    current: pd.DataFrame | Iterable[pd.DataFrame],
    windows: pd.DataFrame,
    settings: PredictionSettings,
    as_of_date: str,
    purchase_summaries: pd.DataFrame,
    score_threads: int | None = None,
) -> tuple[pd.DataFrame, str]:
    """Fit, evaluate and score: the artifact table (ARTIFACT_COLUMNS) and a one-line summary.

    purchase_summaries: the purchase model's fitting sample of each cutoff role
    (int_customers_purchase_model_sample). examples and current carry the same summary columns.
    current: the customers to score, as one DataFrame or as batches of them (any iterable of
    DataFrames, read once and only after the models are fitted; not read at all when neither the
    supervised nor the purchase model can be fitted). Batches give the same scores as one
    DataFrame.
    score_threads: threads that score current (None: the caller's thread limits, as the fit).
    Every row is scored on its own, so the scores do not depend on it.

    record_type:
      score           customer_id, method (supervised | bgnbd), churn_probability,
                      expected_value, probability_alive, expected_purchases (only when scored)
      status          metric scoring | scoring_method | scoring_message | supervised |
                      supervised_message | evaluation | evaluation_message |
                      purchase_model_<role> | purchase_model_<role>_message: text_value is the
                      status (scored, evaluated, ok or the reason code), the method, or the
                      sentence saying why
      evaluation      method (METHODS), metric (auc | brier | mae | spearman), value (null for
                      every row when the evaluation was skipped)
      calibration     method, decile (1-10), metric customers | mean_predicted | observed_rate,
                      value (the hold-out's calibration curve; no rows when not evaluated)
      evaluation_data metric fit_customers | test_customers | test_churn_rate, value
      purchase_model  method = cutoff role, metric = parameter (r, alpha, a, b, p, q, gamma,
                      purchases_log_likelihood, spend_log_likelihood, customers, repeat_buyers),
                      value; text_value = the variant (bgnbd | mbgnbd)
      parameter       training_customers, training_churn_rate (value); settings, as_of_date,
                      features (text_value)
      dropped_feature metric = the feature, text_value = why it was left out
      fitted_model    the models that scored (customer_segmentation.prediction.model_store): the
                      supervised models when fitted, the current purchase model when fitted;
                      only when customers were scored
    """
    if score_threads is not None and score_threads < 1:
        raise ValueError(f"score_threads must be at least 1, got {score_threads}")
    windows_by_role = {str(row["cutoff_role"]): row for row in windows.to_dict(orient="records")}
    purchase_models = fit_purchase_models(purchase_summaries, settings)
    by_role = {
        role: add_purchase_model_features(
            examples[examples["cutoff_role"] == role],
            purchase_models[role].model,
            settings.horizon_days,
        )
        for role in ("training", "evaluation")
    }
    records: list[dict[str, Any]] = []
    check = check_window(by_role["training"], windows_by_role.get("training"), settings, "training")
    fitted: FittedPrediction | None = None
    if check.ok:
        fitted = fit_prediction(by_role["training"], settings)
        supervised_status = STATUS_FITTED
        supervised_message = (
            f"fitted on {fitted.training_customers} customers of the training window "
            f"({fitted.training_churn_rate:.1%} churned)"
        )
    else:
        supervised_status, supervised_message = check.status, check.message
    current_purchase_model = purchase_models["current"]
    method = None
    if fitted is not None:
        method = "supervised"
        reason = f"supervised model: {supervised_message}"
    elif current_purchase_model.ok:
        method = "bgnbd"
        reason = (
            f"purchase model ({settings.purchase_model}), as the supervised model cannot be "
            f"fitted: {supervised_message}"
        )
    if method is not None:
        batches = [current] if isinstance(current, pd.DataFrame) else current
        with threadpool_limits(limits=score_threads):
            scores = predict_batches(
                fitted, batches, current_purchase_model.model, settings.horizon_days
            )
        scoring_status = STATUS_SCORED
        scoring_message = f"{len(scores)} customers scored by the {reason}"
    else:
        scores = pd.DataFrame(columns=SCORE_COLUMNS)
        # The purchase model is the fallback: its reason is why nobody is scored (and the
        # horizon, when it is 0, stops both).
        scoring_status = (
            supervised_status
            if supervised_status == "no_horizon"
            else current_purchase_model.status
        )
        scoring_message = (
            f"not scored: the supervised model cannot be fitted ({supervised_message}) and "
            f"neither can the purchase model ({current_purchase_model.message})"
        )
    records += [
        {"record_type": "status", "metric": "scoring", "text_value": scoring_status},
        {"record_type": "status", "metric": "scoring_method", "text_value": method},
        {"record_type": "status", "metric": "scoring_message", "text_value": scoring_message},
        {"record_type": "status", "metric": "supervised", "text_value": supervised_status},
        {"record_type": "status", "metric": "supervised_message", "text_value": supervised_message},
    ]
    for role, purchase_model in purchase_models.items():
        records += [
            {
                "record_type": "status",
                "metric": f"purchase_model_{role}",
                "text_value": purchase_model.status,
            },
            {
                "record_type": "status",
                "metric": f"purchase_model_{role}_message",
                "text_value": purchase_model.message,
            },
        ]
        if purchase_model.model is not None:
            records += [
                {
                    "record_type": "purchase_model",
                    "method": role,
                    "metric": name,
                    "value": value,
                    "text_value": purchase_model.model.variant,
                }
                for name, value in purchase_model.model.parameters().items()
            ]

    records += _evaluation_records(by_role, windows_by_role, settings, check)

    records += [
        {"record_type": "parameter", "metric": "as_of_date", "text_value": as_of_date},
        {
            "record_type": "parameter",
            "metric": "settings",
            "text_value": json.dumps(settings.as_parameters(), sort_keys=True),
        },
    ]
    if fitted is not None:
        records += [
            {
                "record_type": "parameter",
                "metric": "training_customers",
                "value": float(fitted.training_customers),
            },
            {
                "record_type": "parameter",
                "metric": "training_churn_rate",
                "value": fitted.training_churn_rate,
            },
            {
                "record_type": "parameter",
                "metric": "features",
                "text_value": ", ".join(fitted.features),
            },
        ]
        records += [
            {"record_type": "dropped_feature", "metric": feature, "text_value": why}
            for feature, why in fitted.dropped.items()
        ]
    if method is not None:
        # The models that scored, so that one customer can be scored later without a refit.
        records.append(
            fitted_model_record(fitted, current_purchase_model.model, settings.horizon_days)
        )

    model_id = _model_id(settings, as_of_date, by_role["training"], scores, scoring_status)
    frame = pd.DataFrame.from_records(records, columns=ARTIFACT_COLUMNS)
    score_rows = scores.assign(record_type="score")
    frame = pd.concat(
        [frame, score_rows.reindex(columns=ARTIFACT_COLUMNS)] if len(score_rows) else [frame],
        ignore_index=True,
    )
    frame["model_id"] = model_id
    evaluation_message = next(
        record["text_value"]
        for record in records
        if record["record_type"] == "status" and record["metric"] == "evaluation_message"
    )
    summary = f"{scoring_message}; {evaluation_message} (model {model_id})"
    return _typed_artifacts(frame), summary


def _evaluation_records(
    by_role: Mapping[str, pd.DataFrame],
    windows_by_role: Mapping[str, Any],
    settings: PredictionSettings,
    training_check: WindowCheck,
) -> list[dict[str, Any]]:
    """The hold-out: every method fitted on the evaluation window and scored on the training
    window (status, metrics, calibration curves, data figures), or the reason it was skipped."""
    records: list[dict[str, Any]] = []
    evaluation_check = check_window(
        by_role["evaluation"], windows_by_role.get("evaluation"), settings, "evaluation"
    )
    if evaluation_check.ok and not training_check.ok:
        evaluation_check = WindowCheck(
            training_check.status,
            f"the training window is the hold-out and cannot be used: {training_check.message}",
        )
    if not evaluation_check.ok:
        # Every method and metric keeps its row, without a value: the mart says why.
        records += [
            {"record_type": "evaluation", "method": method, "metric": metric, "value": None}
            for method in METHODS
            for metric in METRICS
        ]
        return records + [
            {
                "record_type": "status",
                "metric": "evaluation",
                "text_value": evaluation_check.status,
            },
            {
                "record_type": "status",
                "metric": "evaluation_message",
                "text_value": f"not evaluated: {evaluation_check.message}",
            },
        ]
    fit, test = by_role["evaluation"], _sorted(by_role["training"])
    predictions = holdout_predictions(fit, test, settings)
    evaluation = evaluate_methods(fit, test, settings, predictions)
    records += [
        {
            "record_type": "evaluation",
            "method": row.method,
            "metric": row.metric,
            "value": _number(row.value),
        }
        for row in evaluation.itertuples(index=False)
    ]
    churned = test["is_churned"].astype(bool).to_numpy().astype(int)
    for method in METHODS:
        curve = calibration_by_decile(churned, predictions[method][0])
        for row in curve.itertuples(index=False):
            for metric in ("customers", "mean_predicted", "observed_rate"):
                records.append(
                    {
                        "record_type": "calibration",
                        "method": method,
                        "decile": float(row.decile),
                        "metric": metric,
                        "value": float(getattr(row, metric)),
                    }
                )
    for metric, value in (
        ("fit_customers", float(len(fit))),
        ("test_customers", float(len(test))),
        ("test_churn_rate", float(churned.mean())),
    ):
        records.append({"record_type": "evaluation_data", "metric": metric, "value": value})
    return records + [
        {"record_type": "status", "metric": "evaluation", "text_value": STATUS_EVALUATED},
        {
            "record_type": "status",
            "metric": "evaluation_message",
            "text_value": (
                f"fitted on {len(fit)} customers of the evaluation window, "
                f"scored on {len(test)} customers of the training window"
            ),
        },
    ]


def filter_relation(relation: Any, column: str, value: str) -> Any:
    """The rows of a relation whose column equals value, filtered by the engine (in SQL) before
    anything is pulled into memory. DuckDB relations, PySpark and Snowpark DataFrames all accept
    a SQL condition in filter(); a pandas DataFrame is filtered in pandas.

    column must be a plain identifier and value a plain word: both come from code, not input.
    """
    if not column.isidentifier() or not value.replace("_", "").isalnum():
        raise ValueError(
            f"filter_relation takes an identifier and a word, got {column!r}, {value!r}"
        )
    if isinstance(relation, pd.DataFrame):
        return relation[relation[column].astype(str) == value]
    return relation.filter(f"{column} = '{value}'")


def _boosting_parameters(settings: PredictionSettings) -> dict[str, Any]:
    return {
        "max_iter": settings.max_iter,
        "learning_rate": settings.learning_rate,
        "max_depth": settings.max_depth,
        "min_samples_leaf": settings.min_samples_leaf,
        "l2_regularization": settings.l2_regularization,
        "early_stopping": False,
        "random_state": settings.seed,
    }


def _usable_features(
    examples: pd.DataFrame, candidates: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    features: list[str] = []
    dropped: dict[str, str] = {}
    for feature in candidates:
        if feature not in examples.columns:
            dropped[feature] = "not a column of the examples"
        elif _numeric(examples[feature]).isna().all():
            dropped[feature] = "no values (its input is absent or empty)"
        else:
            features.append(feature)
    if not features:
        raise ValueError("none of the prediction features has any value")
    return features, dropped


def _matrix(frame: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    columns = [_numeric(frame[feature]).to_numpy(dtype=float) for feature in features]
    if not columns:
        return np.empty((len(frame), 0))
    return np.column_stack(columns)


def _value_target(examples: pd.DataFrame) -> np.ndarray:
    # Refunds of earlier purchases can make a window's net spend negative; the expected value of
    # future spend is not, and the Poisson loss needs y >= 0.
    return _numeric(examples["next_period_net_spend"]).fillna(0.0).clip(lower=0.0).to_numpy()


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = frame["customer_id"].astype(str)
    # The scores arrive sorted (streamed in customer_id order): a stable sort would not move a row.
    if keys.is_monotonic_increasing:
        return frame.reset_index(drop=True)
    return (
        frame.assign(_key=keys)
        .sort_values("_key", kind="stable")
        .drop(columns="_key")
        .reset_index(drop=True)
    )


def _logistic_curve(x: np.ndarray, y: np.ndarray, seed: int):
    """A monotone map of one score to a probability, fitted by logistic regression."""
    if len(np.unique(y)) < 2:
        rate = float(np.mean(y)) if len(y) else 0.5
        return lambda values: np.full(len(values), rate)
    center = float(np.mean(x))
    scale = float(np.std(x)) or 1.0
    model = LogisticRegression(random_state=seed)
    model.fit(((x - center) / scale).reshape(-1, 1), y)
    return lambda values: model.predict_proba(((values - center) / scale).reshape(-1, 1))[:, 1]


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    if len(np.unique(labels)) < 2:
        return np.nan
    return float(roc_auc_score(labels, scores))


def _spearman(actual: np.ndarray, predicted: np.ndarray) -> float:
    if len(actual) < 3 or np.ptp(predicted) == 0 or np.ptp(actual) == 0:
        return np.nan
    return float(spearmanr(actual, predicted).statistic)


def _number(value: object) -> float | None:
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return None
    return float(value)  # type: ignore[arg-type]


def _date_text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return "unknown"
    return str(pd.Timestamp(value).date())  # type: ignore[arg-type]


def _model_id(
    settings: PredictionSettings,
    as_of_date: str,
    training: pd.DataFrame,
    scores: pd.DataFrame,
    status: str,
) -> str:
    """A content hash of settings, as_of_date, the training examples and the scores."""
    digest = hashlib.sha256()
    digest.update(json.dumps(settings.as_parameters(), sort_keys=True).encode())
    digest.update(as_of_date.encode())
    digest.update(status.encode())
    digest.update(str(len(training)).encode())
    ordered = _sorted(scores)
    digest.update("\n".join(ordered["customer_id"].astype(str)).encode())
    digest.update("\n".join(ordered["method"].astype(str)).encode())
    for column in ("churn_probability", "expected_value", "probability_alive"):
        digest.update(np.round(ordered[column].to_numpy(dtype=float), 8).tobytes())
    return f"churn-value-{as_of_date}-{digest.hexdigest()[:10]}"


def _typed_artifacts(frame: pd.DataFrame) -> pd.DataFrame:
    float_columns = [
        "value",
        "churn_probability",
        "expected_value",
        "probability_alive",
        "expected_purchases",
        "decile",
    ]
    for column in ARTIFACT_COLUMNS:
        if column in float_columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        else:
            frame[column] = frame[column].astype("string")
    return frame[ARTIFACT_COLUMNS]
