"""The churn and value models (customer_segmentation.prediction.churn_value), without dbt."""

from __future__ import annotations

import gc
import json
import weakref

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from customer_segmentation.dbt_io import iter_pandas_batches
from customer_segmentation.prediction.churn_value import (
    ARTIFACT_COLUMNS,
    CALIBRATION_BINS,
    METHODS,
    METRICS,
    MIN_CUSTOMERS_PER_CLASS,
    PURCHASE_MODEL_FEATURES,
    SCORE_COLUMNS,
    PredictionSettings,
    add_purchase_model_features,
    calibration_by_decile,
    check_window,
    evaluate_methods,
    filter_relation,
    fit_prediction,
    fit_purchase_models,
    predict,
    predict_batches,
    rfm_scores,
    score_customers,
)
from customer_segmentation.prediction.purchase_model import SUMMARY_COLUMNS

SETTINGS = PredictionSettings(min_training_customers=200)


@pytest.fixture(autouse=True)
def one_thread():
    """As the dbt model does (prediction.threads): on a shared machine, scikit-learn's
    OpenMP threads competing with other processes make a one-second fit take a minute."""
    with threadpool_limits(limits=1):
        yield


def synthetic_customers(n: int, seed: int, role: str = "training") -> pd.DataFrame:
    """Customers whose churn depends on recency and frequency, and value on frequency.

    Columns as int_customers_churn_labelled has them (behaviour features absent: null), with the
    purchase-day summary the purchase model reads (one purchase a day).
    """
    rng = np.random.default_rng(seed)
    frequency = rng.integers(1, 15, n)
    recency = rng.integers(1, 500, n)
    tenure = recency + np.where(frequency > 1, rng.integers(30, 400, n), 0)
    order_value = rng.gamma(4.0, 20.0, n)
    churn_logit = -1.0 + 0.012 * recency - 0.35 * frequency
    churned = rng.random(n) < 1.0 / (1.0 + np.exp(-churn_logit))
    next_spend = np.where(churned, 0.0, order_value * rng.poisson(1 + frequency / 4))
    recent_spend = np.where(recency <= 90, order_value * np.maximum(1, frequency // 4), 0.0)
    return pd.DataFrame(
        {
            "cutoff_role": role,
            "customer_id": [f"c{seed}-{i:05d}" for i in range(n)],
            "recency_days": recency,
            "frequency": frequency,
            "monetary": frequency * order_value,
            "average_order_value": order_value,
            "tenure_days": tenure,
            "mean_days_between_orders": np.where(
                frequency > 1, (tenure - recency) / np.maximum(frequency - 1, 1), np.nan
            ),
            "return_rate": 0.0,
            "cancelled_orders": 0,
            "purchases_last_horizon": np.where(recency <= 90, np.maximum(1, frequency // 4), 0),
            "net_spend_last_horizon": recent_spend,
            "sessions": np.nan,
            "browsing_minutes": np.nan,
            "is_churned": churned,
            "next_period_purchases": np.where(churned, 0, 1),
            "next_period_net_spend": next_spend,
            SUMMARY_COLUMNS["x"]: frequency - 1,
            SUMMARY_COLUMNS["t_x"]: tenure - recency,
            SUMMARY_COLUMNS["T"]: tenure,
            SUMMARY_COLUMNS["m"]: np.where(frequency > 1, order_value, np.nan),
        }
    )


def windows_frame(
    training_history: bool = True, evaluation: bool = True, evaluation_history: bool = True
) -> pd.DataFrame:
    rows = [
        {"cutoff_role": "current", "cutoff_date": "2026-07-01", "has_full_history": True},
        {
            "cutoff_role": "training",
            "cutoff_date": "2026-04-02",
            "has_full_history": training_history,
        },
    ]
    if evaluation:
        rows.append(
            {
                "cutoff_role": "evaluation",
                "cutoff_date": "2026-01-02",
                "has_full_history": evaluation_history,
            }
        )
    frame = pd.DataFrame(rows)
    frame["first_purchase_date"] = "2025-06-01"
    return frame


def current_customers(n: int = 300) -> pd.DataFrame:
    current = synthetic_customers(n, seed=99, role="current")
    return current.drop(columns=["is_churned", "next_period_purchases", "next_period_net_spend"])


def purchase_summaries(examples: pd.DataFrame, current: pd.DataFrame | None = None) -> pd.DataFrame:
    """The purchase model's fitting sample of every cutoff role (all customers, as
    int_customers_purchase_model_sample has them when there are fewer than its limit)."""
    current = current_customers(1000) if current is None else current
    columns = ["cutoff_role", "customer_id", *SUMMARY_COLUMNS.values()]
    return pd.concat([examples[columns], current[columns]], ignore_index=True)


@pytest.fixture(scope="module")
def examples() -> pd.DataFrame:
    return pd.concat(
        [
            synthetic_customers(1500, seed=1, role="training"),
            synthetic_customers(1500, seed=2, role="evaluation"),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def fitted(examples):
    with threadpool_limits(limits=1):
        return fit_prediction(examples[examples["cutoff_role"] == "training"], SETTINGS)


def test_settings_come_from_the_dbt_config_json():
    text = json.dumps(
        {
            "features": ["recency_days", "frequency"],
            "horizon_days": "60",
            "seed": 7,
            "min_training_customers": 100,
        }
    )
    settings = PredictionSettings.from_json(text)
    assert settings.features == ("recency_days", "frequency")
    assert settings.horizon_days == 60
    assert settings.seed == 7
    # Unknown keys were kept aside (settings.extra) until issue 19: now they fail, naming the
    # valid ones.
    with pytest.raises(ValueError, match="unknown prediction settings \\['not_a_setting'\\]"):
        PredictionSettings.from_json('{"not_a_setting": 1}')
    assert PredictionSettings.from_json(None) == PredictionSettings()
    assert json.loads(json.dumps(settings.as_parameters()))["horizon_days"] == 60
    assert settings.purchase_model == "mbgnbd"
    assert PredictionSettings.from_json('{"purchase_model": "bgnbd"}').purchase_model == "bgnbd"
    with pytest.raises(ValueError, match="prediction.purchase_model is 'pareto'; expected one of"):
        PredictionSettings.from_json('{"purchase_model": "pareto"}')


def test_the_window_checks_say_why_a_window_cannot_be_fitted(examples):
    training = examples[examples["cutoff_role"] == "training"]
    window = windows_frame().to_dict("records")[1]

    assert check_window(training, window, SETTINGS, "training").ok
    no_horizon = check_window(training, window, PredictionSettings(horizon_days=0), "training")
    assert no_horizon.status == "no_horizon"
    missing = check_window(training, None, SETTINGS, "evaluation")
    assert missing.status == "no_evaluation_cutoff"
    assert "as_of_date - 2 x prediction.horizon_days" in missing.message

    short = check_window(training, {**window, "has_full_history": False}, SETTINGS, "training")
    assert short.status == "short_history"
    assert "2026-04-02" in short.message and "2 horizons" in short.message

    few = check_window(training.head(150), window, SETTINGS, "training")
    assert few.status == "too_few_customers"
    assert "150 customers" in few.message

    everyone_churned = training.assign(is_churned=True)
    assert check_window(everyone_churned, window, SETTINGS, "training").status == "one_class"
    rare = training.assign(is_churned=np.arange(len(training)) < MIN_CUSTOMERS_PER_CLASS - 1)
    assert check_window(rare, window, SETTINGS, "training").status == "one_class"


def test_the_models_learn_churn_and_value_and_predict_in_range(fitted):
    held_out = synthetic_customers(1000, seed=3)
    scored = predict(fitted, held_out)

    assert scored["customer_id"].tolist() == held_out["customer_id"].tolist()
    assert scored["churn_probability"].between(0, 1).all()
    assert (scored["expected_value"] >= 0).all()
    assert roc_auc_score(held_out["is_churned"], scored["churn_probability"]) > 0.8
    # Calibrated: the mean probability is close to the churn rate.
    assert scored["churn_probability"].mean() == pytest.approx(
        held_out["is_churned"].mean(), abs=0.05
    )
    # Customers who buy again are expected to spend more than those who do not.
    stays = held_out["is_churned"].to_numpy()
    assert scored["expected_value"][~stays].mean() > 2 * scored["expected_value"][stays].mean()
    # Features without any value (absent inputs) are dropped with the reason.
    assert {"sessions", "browsing_minutes"} <= set(fitted.dropped)
    assert "sessions" not in fitted.features


def test_the_same_data_give_the_same_scores_whatever_the_row_order(examples, fitted):
    held_out = synthetic_customers(200, seed=4)
    first = predict(fitted, held_out)
    shuffled = examples[examples["cutoff_role"] == "training"].sample(frac=1.0, random_state=0)
    second = predict(fit_prediction(shuffled, SETTINGS), held_out)
    pd.testing.assert_frame_equal(first, second)


def test_a_one_time_buyer_from_a_year_ago_is_likely_to_churn(fitted):
    one_timers = synthetic_customers(50, seed=5).assign(
        frequency=1,
        recency_days=365,
        tenure_days=365,
        mean_days_between_orders=np.nan,
        purchases_last_horizon=0,
        net_spend_last_horizon=0.0,
    )
    regulars = synthetic_customers(50, seed=6).assign(frequency=12, recency_days=10)
    one_timer_risk = predict(fitted, one_timers)["churn_probability"]
    assert one_timer_risk.min() > 0.8
    assert predict(fitted, regulars)["churn_probability"].max() < one_timer_risk.min()


def test_rfm_scores_use_quintiles_of_the_fitting_window():
    fit = pd.DataFrame(
        {
            "recency_days": np.arange(1, 101),
            "frequency": np.r_[np.ones(60), np.arange(2, 42)],
            "monetary": np.arange(1, 101) * 10.0,
        }
    )
    frame = pd.DataFrame(
        {
            # most recent, middle, oldest
            "recency_days": [1, 50, 100],
            # one order (shared by 60% of the fitting window), more, the most
            "frequency": [1, 5, 41],
            "monetary": [10.0, 500.0, 1000.0],
        }
    )
    scores = rfm_scores(fit, frame)
    # R: 5, 3, 1. F: ties at one order share the lowest quintile; 5 orders is in the 4th
    # quintile (edges 1, 1, 1, 9); 41 is the top. M: 1, 3, 5.
    assert scores.tolist() == [5 + 1 + 1, 3 + 4 + 3, 1 + 5 + 5]
    assert rfm_scores(fit, fit).min() >= 3 and rfm_scores(fit, fit).max() <= 15


def with_purchase_model_features(examples: pd.DataFrame, role: str) -> pd.DataFrame:
    models = fit_purchase_models(purchase_summaries(examples), SETTINGS)
    return add_purchase_model_features(
        examples[examples["cutoff_role"] == role], models[role].model, SETTINGS.horizon_days
    )


def test_evaluation_compares_the_model_with_every_baseline(examples):
    fit = with_purchase_model_features(examples, "evaluation")
    test = with_purchase_model_features(examples, "training")
    evaluation = evaluate_methods(fit, test, SETTINGS)
    assert len(evaluation) == len(METHODS) * len(METRICS)
    table = evaluation.pivot(index="method", columns="metric", values="value")
    assert table.notna().all().all()
    # Churn here is a logistic curve of recency and frequency, not a buy-till-you-die process:
    # the purchase model ranks better than chance, the others well.
    assert (table["auc"].drop(index="bgnbd") > 0.7).all()
    assert table.loc["bgnbd", "auc"] > 0.5
    # Frequency drives churn here: recency alone ranks worse than the model.
    assert table.loc["supervised", "auc"] > table.loc["recency", "auc"]
    assert table.loc["supervised", "brier"] < table.loc["recency", "brier"]
    assert table.loc["supervised", "spearman"] > 0.3
    # Without the purchase model's columns, its baseline has no value (and the rest do).
    plain = evaluate_methods(
        examples[examples["cutoff_role"] == "evaluation"],
        examples[examples["cutoff_role"] == "training"],
        SETTINGS,
    ).pivot(index="method", columns="metric", values="value")
    assert plain.loc["bgnbd"].isna().all() and plain.drop(index="bgnbd").notna().all().all()


def test_the_calibration_curve_has_ten_equal_groups_in_order_of_prediction():
    probability = np.linspace(0, 1, 1000)
    churned = (np.arange(1000) % 2 == 0).astype(int)
    curve = calibration_by_decile(churned, probability)
    assert curve["decile"].tolist() == list(range(1, CALIBRATION_BINS + 1))
    assert (curve["customers"] == 100).all()
    assert curve["mean_predicted"].is_monotonic_increasing
    assert curve["observed_rate"].to_numpy() == pytest.approx(0.5)
    assert calibration_by_decile(churned, np.full(1000, np.nan)).empty


def test_scoring_writes_scores_status_and_evaluation(examples):
    current = current_customers()
    artifacts, summary = score_customers(
        examples,
        current,
        windows_frame(),
        SETTINGS,
        "2026-07-01",
        purchase_summaries(examples, current),
    )
    assert list(artifacts.columns) == ARTIFACT_COLUMNS
    assert artifacts["model_id"].nunique() == 1
    scores = artifacts[artifacts["record_type"] == "score"]
    assert sorted(scores["customer_id"]) == sorted(current["customer_id"])
    assert scores["churn_probability"].between(0, 1).all()
    assert (scores["method"] == "supervised").all()
    # P(alive) and expected purchases come from the purchase model for everyone.
    assert scores["probability_alive"].between(0, 1).all()
    assert (scores["expected_purchases"] >= 0).all()
    status = artifacts[artifacts["record_type"] == "status"].set_index("metric")["text_value"]
    assert status["scoring"] == "scored"
    assert status["scoring_method"] == "supervised"
    assert status["evaluation"] == "evaluated"
    assert {status[f"purchase_model_{role}"] for role in ("current", "training", "evaluation")} == {
        "ok"
    }
    evaluation = artifacts[artifacts["record_type"] == "evaluation"]
    assert len(evaluation) == 16 and evaluation["value"].notna().all()
    calibration = artifacts[artifacts["record_type"] == "calibration"]
    assert len(calibration) == len(METHODS) * CALIBRATION_BINS * 3
    parameters = artifacts[artifacts["record_type"] == "purchase_model"]
    assert set(parameters["method"]) == {"current", "training", "evaluation"}
    assert set(parameters["text_value"]) == {"mbgnbd"}
    assert "scored by the supervised model: fitted on 1500 customers" in summary

    again, _ = score_customers(
        examples.sample(frac=1.0, random_state=1),
        current,
        windows_frame(),
        SETTINGS,
        "2026-07-01",
        purchase_summaries(examples, current).sample(frac=1.0, random_state=2),
    )
    assert again["model_id"].iloc[0] == artifacts["model_id"].iloc[0]


def test_a_short_history_scores_everyone_with_the_purchase_model_and_says_why(examples):
    current = current_customers()
    artifacts, summary = score_customers(
        examples,
        current,
        windows_frame(training_history=False, evaluation_history=False),
        SETTINGS,
        "2026-07-01",
        purchase_summaries(examples, current),
    )
    scores = artifacts[artifacts["record_type"] == "score"]
    assert sorted(scores["customer_id"]) == sorted(current["customer_id"])
    assert (scores["method"] == "bgnbd").all()
    assert scores["churn_probability"].between(0, 1).all()
    # The purchase model's own predictions are the scores.
    model = fit_purchase_models(purchase_summaries(examples, current), SETTINGS)["current"].model
    expected = add_purchase_model_features(current, model, SETTINGS.horizon_days)
    assert scores.sort_values("customer_id")["churn_probability"].to_numpy() == pytest.approx(
        expected.sort_values("customer_id")[PURCHASE_MODEL_FEATURES["churn_probability"]]
    )
    evaluation = artifacts[artifacts["record_type"] == "evaluation"]
    assert len(evaluation) == 16 and evaluation["value"].isna().all()
    status = artifacts[artifacts["record_type"] == "status"].set_index("metric")["text_value"]
    assert status["scoring"] == "scored"
    assert status["scoring_method"] == "bgnbd"
    assert status["supervised"] == "short_history"
    assert status["evaluation"] == "short_history"
    assert (
        "scored by the purchase model (mbgnbd), as the supervised model cannot be fitted: "
        "the data do not reach one horizon" in status["scoring_message"]
    )
    assert "scored by the purchase model" in summary


def test_without_repeat_buyers_nobody_is_scored_and_the_reason_is_the_purchase_models(examples):
    current = current_customers()
    one_time = purchase_summaries(examples, current).assign(
        **{SUMMARY_COLUMNS["x"]: 0, SUMMARY_COLUMNS["t_x"]: 0, SUMMARY_COLUMNS["m"]: np.nan}
    )
    artifacts, summary = score_customers(
        examples,
        current,
        windows_frame(training_history=False, evaluation_history=False),
        SETTINGS,
        "2026-07-01",
        one_time,
    )
    assert "score" not in set(artifacts["record_type"])
    status = artifacts[artifacts["record_type"] == "status"].set_index("metric")["text_value"]
    assert status["scoring"] == "too_few_repeat_buyers"
    assert pd.isna(status["scoring_method"])
    assert (
        "neither can the purchase model (0 of 300 customers bought again"
        in (status["scoring_message"])
    )
    assert summary.startswith("not scored: the supervised model cannot be fitted")


def test_a_zero_horizon_turns_both_models_off(examples):
    artifacts, _ = score_customers(
        examples,
        current_customers(),
        windows_frame(),
        PredictionSettings(min_training_customers=200, horizon_days=0),
        "2026-07-01",
        purchase_summaries(examples),
    )
    status = artifacts[artifacts["record_type"] == "status"].set_index("metric")["text_value"]
    assert status["scoring"] == "no_horizon"
    assert status["purchase_model_current"] == "no_horizon"
    assert "score" not in set(artifacts["record_type"])


def test_without_an_evaluation_cutoff_customers_are_still_scored(examples):
    artifacts, _ = score_customers(
        examples[examples["cutoff_role"] == "training"],
        current_customers(),
        windows_frame(evaluation=False),
        SETTINGS,
        "2026-07-01",
        purchase_summaries(examples),
    )
    status = artifacts[artifacts["record_type"] == "status"].set_index("metric")["text_value"]
    assert status["scoring"] == "scored"
    assert status["evaluation"] == "no_evaluation_cutoff"
    assert artifacts.loc[artifacts["record_type"] == "evaluation", "value"].isna().all()


def test_filter_relation_filters_pandas_and_refuses_anything_but_plain_words():
    frame = pd.DataFrame({"cutoff_role": ["current", "training"], "x": [1, 2]})
    assert filter_relation(frame, "cutoff_role", "current")["x"].tolist() == [1]
    with pytest.raises(ValueError):
        filter_relation(frame, "cutoff_role", "current' or '1'='1")


class _RecordingBatches:
    """Hands out the batches of an iterator and records what scoring holds: the largest batch,
    the rows handed out, and the rows of earlier batches still alive when the next is asked for
    (nothing may keep them: only the scores of a batch are kept)."""

    def __init__(self, batches) -> None:
        self.batches = iter(batches)
        self.largest = 0
        self.rows = 0
        self.held_back = 0
        self.alive: list[weakref.ref] = []

    def __iter__(self):
        return self

    def __next__(self) -> pd.DataFrame:
        gc.collect()
        # The batch just scored may still be bound to the caller's loop variable; no older one.
        older = [ref() for ref in self.alive[:-1]]
        self.held_back = max(self.held_back, sum(len(b) for b in older if b is not None))
        batch = next(self.batches)
        self.largest = max(self.largest, len(batch))
        self.rows += len(batch)
        self.alive.append(weakref.ref(batch))
        return batch


def test_batched_scores_equal_scores_of_all_rows_and_hold_one_batch_at_a_time(examples):
    current = current_customers(1000)
    connection = duckdb.connect()
    connection.register("current_frame", current)
    connection.execute("create table current_features as select * from current_frame")
    batch_size = 64
    recording = _RecordingBatches(
        iter_pandas_batches(
            connection.table("current_features"), batch_size, order_by="customer_id"
        )
    )
    summaries = purchase_summaries(examples, current)
    batched, batched_summary = score_customers(
        examples, recording, windows_frame(), SETTINGS, "2026-07-01", summaries
    )
    whole, whole_summary = score_customers(
        examples, current, windows_frame(), SETTINGS, "2026-07-01", summaries
    )
    assert recording.rows == 1000
    assert 0 < recording.largest <= batch_size
    assert recording.held_back == 0

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        keys = ["record_type", "customer_id", "method", "metric", "decile"]
        return frame.sort_values(keys, na_position="first").reset_index(drop=True)

    # Exactly the same table: scores, statuses, evaluation and model id.
    pd.testing.assert_frame_equal(ordered(batched), ordered(whole), check_exact=True)
    assert batched_summary == whole_summary
    assert (batched["record_type"] == "score").sum() == 1000


def test_the_scores_do_not_depend_on_the_scoring_threads(examples):
    current = current_customers(2000)

    def scored(threads: int) -> pd.DataFrame:
        with threadpool_limits(limits=1):
            artifacts, _ = score_customers(
                examples,
                current,
                windows_frame(),
                SETTINGS,
                "2026-07-01",
                purchase_summaries(examples, current),
                score_threads=threads,
            )
        return artifacts

    pd.testing.assert_frame_equal(scored(1), scored(2), check_exact=True)
    with pytest.raises(ValueError, match="score_threads must be at least 1"):
        score_customers(
            examples,
            current,
            windows_frame(),
            SETTINGS,
            "2026-07-01",
            purchase_summaries(examples, current),
            score_threads=0,
        )


def test_predict_batches_equals_predict_and_takes_no_batches(fitted):
    current = current_customers(500)
    whole = predict(fitted, current)
    batches = (current.iloc[start : start + 37] for start in range(0, 500, 37))
    batched = predict_batches(fitted, batches)
    assert list(batched.columns) == SCORE_COLUMNS
    assert (batched["method"] == "supervised").all()
    # Without a purchase model, P(alive) and expected purchases are unknown.
    assert batched["probability_alive"].isna().all()
    pd.testing.assert_frame_equal(batched[whole.columns], whole, check_exact=True)
    empty = predict_batches(fitted, [])
    assert list(empty.columns) == SCORE_COLUMNS
    assert len(empty) == 0
    with pytest.raises(ValueError, match="nothing to score with"):
        predict_batches(None, [current])


def test_the_current_customers_are_not_read_when_no_model_can_be_fitted(examples):
    def never_read():
        raise AssertionError("current customers read although nothing is scored")
        yield  # pragma: no cover

    artifacts, _ = score_customers(
        examples,
        never_read(),
        windows_frame(training_history=False, evaluation_history=False),
        PredictionSettings(min_training_customers=200, horizon_days=0),
        "2026-07-01",
        purchase_summaries(examples),
    )
    status = artifacts[artifacts["record_type"] == "status"].set_index("metric")["text_value"]
    assert status["scoring"] == "no_horizon"
