"""Churn risk and expected value: the supervised models, the probabilistic purchase model and
the store that keeps the models that scored a build.

The public names, by module (imported on first use, see customer_segmentation._exports):

- churn_value: fit, evaluate and score (score_customers, what customer_scores_fit calls;
  fit_prediction, FittedPrediction, predict_batches);
- purchase_model: BG/NBD, MBG/NBD and Gamma-Gamma (fit_purchase_model, FittedPurchaseModel);
- model_store: the fitted models as stored in ml.customer_scores_fit (fitted_model_record,
  load_fitted_model), read by customer_segmentation.assign.
"""

from customer_segmentation._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "churn_value": (
            "FittedPrediction",
            "filter_relation",
            "fit_prediction",
            "predict_batches",
            "score_customers",
        ),
        "purchase_model": ("FittedPurchaseModel", "fit_purchase_model"),
        "model_store": ("StoredModels", "fitted_model_record", "load_fitted_model"),
    },
)
