"""The fitted churn and value models, kept in the warehouse so that a customer can be scored later
without a refit (customer_segmentation.assign).

The models (a FittedPrediction: the calibrated churn classifier, the value regressor and their
feature list) are stored as one row of ml.customer_scores_fit, next to the scores they produced:
record_type ``fitted_model``, metric ``churn_value_models``, and text_value a JSON object

    {"format": "pickle+zlib+base64", "scikit_learn": "<version>", "sha256": "<of the pickle>",
     "data": "<base64 of the zlib-compressed pickle>"}

Why a pickle in the warehouse: scikit-learn's gradient boosting and calibration have no portable
format short of a new dependency, and the warehouse is the one file that already holds the model's
scores, so the stored models can never belong to another build than the scores beside them.
A pickle runs code when it is loaded: load models only from warehouses you trust (your own
builds), as for any pickle. A pickle is only read back by the scikit-learn version that wrote it;
with another version, loading stops and says to rebuild.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pickle
import zlib
from typing import Any

RECORD_TYPE = "fitted_model"
METRIC = "churn_value_models"
FORMAT = "pickle+zlib+base64"


def fitted_model_record(fitted: Any) -> dict[str, str]:
    """The artifact row (record_type, metric, text_value) that stores a FittedPrediction."""
    import sklearn

    payload = pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL)
    text = json.dumps(
        {
            "format": FORMAT,
            "scikit_learn": sklearn.__version__,
            "sha256": hashlib.sha256(payload).hexdigest(),
            "data": base64.b64encode(zlib.compress(payload, 6)).decode("ascii"),
        },
        sort_keys=True,
    )
    return {"record_type": RECORD_TYPE, "metric": METRIC, "text_value": text}


def load_fitted_model(text: str) -> Any:
    """The FittedPrediction stored by fitted_model_record's text_value.

    Raises ValueError, saying what to do, when the text is not such a record, was written by
    another scikit-learn version, or does not match its checksum.
    """
    import sklearn

    from customer_segmentation.prediction import FittedPrediction

    try:
        stored = json.loads(text)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"the stored churn and value models are not readable: {error}") from None
    if not isinstance(stored, dict) or stored.get("format") != FORMAT:
        raise ValueError("the stored churn and value models are in an unknown format")
    if stored.get("scikit_learn") != sklearn.__version__:
        raise ValueError(
            f"the churn and value models were stored by scikit-learn {stored.get('scikit_learn')}"
            f" and this environment has {sklearn.__version__}: rebuild (dbt build) to store them"
            " again with this version"
        )
    payload = zlib.decompress(base64.b64decode(stored["data"]))
    if hashlib.sha256(payload).hexdigest() != stored.get("sha256"):
        raise ValueError("the stored churn and value models do not match their checksum")
    fitted = pickle.loads(payload)  # noqa: S301 - written by this project's own build
    if not isinstance(fitted, FittedPrediction):
        raise ValueError("the stored churn and value models are not a FittedPrediction")
    return fitted
