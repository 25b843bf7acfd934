"""The churn and value models stored with their scores (customer_segmentation.prediction_store)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sklearn
from test_prediction import SETTINGS, current_customers, synthetic_customers, windows_frame

from customer_segmentation.prediction import predict, score_customers
from customer_segmentation.prediction_store import (
    METRIC,
    RECORD_TYPE,
    fitted_model_record,
    load_fitted_model,
)


@pytest.fixture(scope="module")
def scored():
    examples = pd.concat(
        [
            synthetic_customers(1500, seed=1, role="training"),
            synthetic_customers(1500, seed=2, role="evaluation"),
        ],
        ignore_index=True,
    )
    current = current_customers(300)
    artifacts, _ = score_customers(examples, current, windows_frame(), SETTINGS, "2026-07-01")
    return artifacts, current


def test_the_stored_models_give_back_every_stored_score_exactly(scored):
    artifacts, current = scored
    stored = artifacts[artifacts["record_type"] == RECORD_TYPE]
    assert stored["metric"].tolist() == [METRIC]
    fitted = load_fitted_model(stored["text_value"].iloc[0])
    again = predict(fitted, current.sample(frac=1.0, random_state=3).head(17))
    scores = artifacts[artifacts["record_type"] == "score"].set_index("customer_id")
    for row in again.itertuples():
        assert row.churn_probability == scores.loc[row.customer_id, "churn_probability"]
        assert row.expected_value == scores.loc[row.customer_id, "expected_value"]


def test_models_of_another_version_or_altered_are_refused(scored):
    artifacts, _ = scored
    text = artifacts.loc[artifacts["record_type"] == RECORD_TYPE, "text_value"].iloc[0]
    stored = json.loads(text)
    with pytest.raises(ValueError, match=f"this environment has {sklearn.__version__}"):
        load_fitted_model(json.dumps({**stored, "scikit_learn": "0.1"}))
    with pytest.raises(ValueError, match="checksum"):
        load_fitted_model(json.dumps({**stored, "sha256": "0" * 64}))
    with pytest.raises(ValueError, match="unknown format"):
        load_fitted_model(json.dumps({"format": "onnx"}))
    with pytest.raises(ValueError, match="not readable"):
        load_fitted_model("not json")
    with pytest.raises(ValueError, match="not a FittedPrediction"):
        load_fitted_model(fitted_model_record({"a": 1})["text_value"])


def test_no_models_are_stored_when_the_window_cannot_be_fitted():
    examples = synthetic_customers(100, seed=1, role="training")
    artifacts, _ = score_customers(
        examples, current_customers(10), windows_frame(), SETTINGS, "2026-07-01"
    )
    assert RECORD_TYPE not in set(artifacts["record_type"])
