"""The models that scored, stored with their scores
(customer_segmentation.prediction.model_store)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import sklearn
from test_prediction import (
    SETTINGS,
    current_customers,
    purchase_summaries,
    synthetic_customers,
    windows_frame,
)
from threadpoolctl import threadpool_limits

from customer_segmentation.prediction.churn_value import SCORE_COLUMNS, score_customers
from customer_segmentation.prediction.model_store import (
    METRIC,
    RECORD_TYPE,
    fitted_model_record,
    load_fitted_model,
)
from customer_segmentation.prediction.purchase_model import SUMMARY_COLUMNS


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def examples() -> pd.DataFrame:
    return pd.concat(
        [
            synthetic_customers(1500, seed=1, role="training"),
            synthetic_customers(1500, seed=2, role="evaluation"),
        ],
        ignore_index=True,
    )


def scored(examples: pd.DataFrame, windows: pd.DataFrame, summaries=None):
    current = current_customers(300)
    if summaries is None:
        summaries = purchase_summaries(examples, current)
    with threadpool_limits(limits=1):
        artifacts, _ = score_customers(
            examples, current, windows, SETTINGS, "2026-07-01", summaries
        )
    return artifacts, current


def stored_text(artifacts: pd.DataFrame) -> str:
    stored = artifacts[artifacts["record_type"] == RECORD_TYPE]
    assert stored["metric"].tolist() == [METRIC]
    return stored["text_value"].iloc[0]


def assert_the_stored_models_give_back_the_scores(artifacts, current, method: str) -> None:
    """Every stored score, exactly: scored in a batch of customers in another order, and one
    customer at a time (as assign scores)."""
    stored = load_fitted_model(stored_text(artifacts))
    assert stored.method == method
    scores = artifacts[artifacts["record_type"] == "score"].set_index("customer_id")[
        SCORE_COLUMNS[1:]
    ]
    assert (scores["method"] == method).all()
    batch = current.sample(frac=1.0, random_state=3).head(17)
    again = pd.concat(
        [stored.score(batch), *(stored.score(batch.iloc[[i]]) for i in range(5))],
        ignore_index=True,
    )
    for row in again.itertuples(index=False):
        expected = scores.loc[row.customer_id]
        assert row.method == expected["method"]
        for column in ("churn_probability", "expected_value", "probability_alive"):
            assert getattr(row, column) == expected[column], column
        assert row.expected_purchases == expected["expected_purchases"]


def test_the_stored_models_give_back_every_stored_score_exactly(examples):
    artifacts, current = scored(examples, windows_frame())
    stored = load_fitted_model(stored_text(artifacts))
    assert stored.supervised is not None and stored.purchase_model is not None
    # The supervised models read the purchase model's outputs.
    assert "purchase_model_probability_alive" in stored.supervised.features
    assert stored.horizon_days == SETTINGS.horizon_days
    current_parameters = artifacts[
        (artifacts["record_type"] == "purchase_model") & (artifacts["method"] == "current")
    ].set_index("metric")["value"]
    assert stored.purchase_model.parameters() == current_parameters.to_dict()
    assert_the_stored_models_give_back_the_scores(artifacts, current, "supervised")


def test_without_supervised_models_the_purchase_model_is_stored_and_scores(examples):
    artifacts, current = scored(
        examples, windows_frame(training_history=False, evaluation_history=False)
    )
    stored = load_fitted_model(stored_text(artifacts))
    assert stored.supervised is None and stored.purchase_model is not None
    assert stored.purchase_model.variant == SETTINGS.purchase_model
    assert_the_stored_models_give_back_the_scores(artifacts, current, "bgnbd")


def test_models_of_another_version_or_altered_are_refused(examples):
    artifacts, _ = scored(examples, windows_frame())
    stored = json.loads(stored_text(artifacts))
    supervised = stored["supervised"]
    with pytest.raises(ValueError, match=f"this environment has {sklearn.__version__}"):
        load_fitted_model(json.dumps({**stored, "supervised": {**supervised, "scikit_learn": "0"}}))
    with pytest.raises(ValueError, match="checksum"):
        load_fitted_model(json.dumps({**stored, "supervised": {**supervised, "sha256": "0" * 64}}))
    with pytest.raises(ValueError, match="unknown format"):
        load_fitted_model(json.dumps({"format": "onnx"}))
    with pytest.raises(ValueError, match="an earlier version, without the purchase model"):
        load_fitted_model(json.dumps({"format": "pickle+zlib+base64", "data": ""}))
    with pytest.raises(ValueError, match="not readable"):
        load_fitted_model("not json")
    with pytest.raises(ValueError, match="not a FittedPrediction"):
        load_fitted_model(fitted_model_record({"a": 1}, None, 90)["text_value"])
    parameters = stored["purchase_model"]["parameters"]
    lacking = {**stored["purchase_model"], "parameters": {**parameters, "gamma": None}}
    lacking["parameters"].pop("gamma")
    with pytest.raises(ValueError, match=r"lacks the parameters \['gamma'\]"):
        load_fitted_model(json.dumps({**stored, "purchase_model": lacking}))
    with pytest.raises(ValueError, match="nothing to store"):
        fitted_model_record(None, None, 90)


def test_no_models_are_stored_when_nobody_is_scored(examples):
    one_time = purchase_summaries(examples, current_customers(300)).assign(
        **{SUMMARY_COLUMNS["x"]: 0, SUMMARY_COLUMNS["t_x"]: 0, SUMMARY_COLUMNS["m"]: np.nan}
    )
    artifacts, _ = scored(
        examples, windows_frame(training_history=False, evaluation_history=False), one_time
    )
    assert "score" not in set(artifacts["record_type"])
    assert RECORD_TYPE not in set(artifacts["record_type"])
