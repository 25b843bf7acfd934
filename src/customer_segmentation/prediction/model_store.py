"""The models that scored a build's customers, kept in the warehouse so that a customer can be
scored later without a refit (customer_segmentation.assign), exactly as the build scored them.

A build scores with the supervised churn and value models when its training window can be fitted,
else with the probabilistic purchase model fitted at as_of_date; the purchase model's outputs are
also features of the supervised models (customer_segmentation.prediction.churn_value). Both are
stored, as one row of ml.customer_scores_fit next to the scores they produced: record_type
``fitted_model``, metric ``churn_value_models``, and text_value a JSON object

    {"format": "scoring-models/2",
     "horizon_days": <the prediction horizon>,
     "supervised": null | {"encoding": "pickle+zlib+base64", "scikit_learn": "<version>",
                           "sha256": "<of the pickle>", "data": "<base64 of the compressed
                           pickle of the FittedPrediction>"},
     "purchase_model": null | {"variant": "bgnbd | mbgnbd",
                               "parameters": {"r": ..., "alpha": ..., "a": ..., "b": ...,
                                              "p": ..., "q": ..., "gamma": ..., ...}}}

The row is written whenever the build scored its customers (by either method); supervised is null
when its window could not be fitted, purchase_model when the purchase model could not be. Scoring
with the stored models (StoredModels.score) makes the build's choice again: the supervised models
when stored, else the purchase model.

Why a pickle for the supervised models: scikit-learn's gradient boosting and calibration have no
portable format short of a new dependency, and the warehouse is the one file that already holds
the models' scores, so the stored models can never belong to another build than the scores beside
them. A pickle runs code when it is loaded: load models only from warehouses you trust (your own
builds), as for any pickle. A pickle is only read back by the scikit-learn version that wrote it;
with another version, loading stops and says to rebuild. The purchase model is seven numbers (and
its fit figures), stored as JSON numbers, which give back the same doubles.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pickle
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from customer_segmentation.prediction.churn_value import FittedPrediction
    from customer_segmentation.prediction.purchase_model import FittedPurchaseModel

__all__ = [
    "FORMAT",
    "METRIC",
    "RECORD_TYPE",
    "StoredModels",
    "fitted_model_record",
    "load_fitted_model",
]

RECORD_TYPE = "fitted_model"
METRIC = "churn_value_models"
FORMAT = "scoring-models/2"
PICKLE_ENCODING = "pickle+zlib+base64"
# What issue 21 stored before the purchase model was kept with the supervised models.
_EARLIER_FORMAT = "pickle+zlib+base64"


@dataclass(frozen=True)
class StoredModels:
    """The models a build scored with: the supervised churn and value models (None when the
    training window could not be fitted), the purchase model fitted at as_of_date (None when it
    could not be fitted) and the horizon in days they predict."""

    supervised: FittedPrediction | None
    purchase_model: FittedPurchaseModel | None
    horizon_days: int

    @property
    def method(self) -> str:
        """supervised | bgnbd: the method that scores (the build's choice)."""
        return "supervised" if self.supervised is not None else "bgnbd"

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The score columns (customer_segmentation.prediction.churn_value.SCORE_COLUMNS) of every
        row of a frame of prediction features with the purchase-day summary
        (int_customers_prediction_features), as the build computes them."""
        from customer_segmentation.prediction.churn_value import predict_batches

        return predict_batches(self.supervised, [frame], self.purchase_model, self.horizon_days)


def fitted_model_record(
    supervised: FittedPrediction | None,
    purchase_model: FittedPurchaseModel | None,
    horizon_days: int,
) -> dict[str, str]:
    """The artifact row (record_type, metric, text_value) that stores the models of a build that
    scored its customers (at least one of the two is given)."""
    if supervised is None and purchase_model is None:
        raise ValueError("nothing to store: neither a supervised nor a purchase model")
    stored_supervised = None
    if supervised is not None:
        import sklearn

        payload = pickle.dumps(supervised, protocol=pickle.HIGHEST_PROTOCOL)
        stored_supervised = {
            "encoding": PICKLE_ENCODING,
            "scikit_learn": sklearn.__version__,
            "sha256": hashlib.sha256(payload).hexdigest(),
            "data": base64.b64encode(zlib.compress(payload, 6)).decode("ascii"),
        }
    stored_purchase_model = None
    if purchase_model is not None:
        stored_purchase_model = {
            "variant": purchase_model.variant,
            "parameters": {
                name: float(value) for name, value in purchase_model.parameters().items()
            },
        }
    text = json.dumps(
        {
            "format": FORMAT,
            "horizon_days": int(horizon_days),
            "supervised": stored_supervised,
            "purchase_model": stored_purchase_model,
        },
        sort_keys=True,
    )
    return {"record_type": RECORD_TYPE, "metric": METRIC, "text_value": text}


def load_fitted_model(text: str) -> StoredModels:
    """The StoredModels stored by fitted_model_record's text_value.

    Raises ValueError, saying what to do, when the text is not such a record, was written by an
    earlier version of the project or another scikit-learn version, or does not match its
    checksum.
    """
    from customer_segmentation.prediction.purchase_model import FittedPurchaseModel

    try:
        stored = json.loads(text)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"the stored churn and value models are not readable: {error}") from None
    if isinstance(stored, dict) and stored.get("format") == _EARLIER_FORMAT:
        raise ValueError(
            "the churn and value models were stored by an earlier version, without the purchase "
            "model they now read: rebuild (dbt build) to store them again"
        )
    if not isinstance(stored, dict) or stored.get("format") != FORMAT:
        raise ValueError("the stored churn and value models are in an unknown format")
    supervised = _load_supervised(stored.get("supervised"))
    purchase_model = None
    if stored.get("purchase_model") is not None:
        purchase_model = FittedPurchaseModel.from_parameters(
            stored["purchase_model"]["parameters"], stored["purchase_model"]["variant"]
        )
    if supervised is None and purchase_model is None:
        raise ValueError("the stored record holds neither the supervised nor the purchase model")
    return StoredModels(supervised, purchase_model, int(stored["horizon_days"]))


def _load_supervised(stored: Any) -> FittedPrediction | None:
    import sklearn

    from customer_segmentation.prediction.churn_value import FittedPrediction

    if stored is None:
        return None
    if not isinstance(stored, dict) or stored.get("encoding") != PICKLE_ENCODING:
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
