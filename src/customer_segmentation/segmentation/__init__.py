"""Finding, naming, explaining, validating and storing customer segments.

The public names, by module (imported on first use, see customer_segmentation._exports):

- model: fit_segmentation (features in, a SegmentationModel out), what segment_model_fit calls;
- model_choice: which stored model serves a run, or a new fit (choose_model, evaluate_policy);
- model_store: the fitted model's one schema, writer and reader (ARTIFACT_SCHEMA,
  read_stored_models, read_previous_model);
- preprocessing and scoring: the scaling and the nearest-centroid rule SQL repeats;
- naming, explain, validation: names, rules and validity of the segments;
- federated: one K-means over shops that keep their customers (fit_federated);
- reviews: review sentiment and topics as features (review_text_artifacts).

Modules without public names here (algorithms, clustering, tracking) are the fit's parts;
import them by module path.
"""

from customer_segmentation._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "model": ("SegmentationModel", "fit_segmentation"),
        "model_choice": (
            "ModelChoice",
            "ShopMismatchError",
            "as_date",
            "choose_model",
            "evaluate_policy",
            "kept_model_artifacts",
            "new_model_artifacts",
        ),
        "model_store": (
            "ARTIFACT_SCHEMA",
            "StoredModel",
            "read_previous_model",
            "read_stored_models",
            "schema_violations",
        ),
        "preprocessing": ("apply_scaling", "fit_scaling"),
        "scoring": ("assign_to_nearest",),
        "naming": ("FEATURE_LABELS", "name_segments"),
        "explain": ("explain_segments",),
        "validation": ("VALIDITY_METRICS", "validity_metrics"),
        "federated": ("FederatedSettings", "Shop", "compare_with_pooled", "fit_federated"),
        "reviews": ("review_text_artifacts", "score_reviews"),
    },
)
