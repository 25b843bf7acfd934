"""The settings are declared once (customer_segmentation.settings) and read the same way by Python
and SQL: generated declaration, documentation, casting, checks and the renamed flat vars."""

from __future__ import annotations

import json
import re
from dataclasses import fields

import pytest
from helpers import REPO_ROOT, run_dbt

from customer_segmentation.settings import (
    MACRO_PATH,
    SETTINGS_CLASSES,
    MonitoringSettings,
    PredictionSettings,
    SegmentationSettings,
    renamed_vars,
    settings_macro,
)

# The keys a fitted model stored as its parameters before the settings were declared once: a
# stored model is compared on them, so they must not change (or every stored model refits).
STORED_SEGMENTATION_PARAMETERS = {
    "algorithm", "seed", "k_min", "k_max", "k", "n_init", "silhouette_sample_size",
    "numeric_features", "log1p_features", "categorical_features", "max_categories_per_feature",
    "stability_resamples", "stability_sample_size", "min_stability", "min_segment_share",
    "holdout_share", "k_selection", "usefulness_tolerance", "feature_weighting",
    "hierarchical_sample_size", "hdbscan_sample_size", "autoencoder_sample_size",
    "autoencoder_hidden_size", "autoencoder_bottleneck_size", "autoencoder_max_iter",
    "outlier_radius_quantile", "max_feature_correlation", "explanation_max_depth",
    "max_match_distance",
}  # fmt: skip
STORED_PREDICTION_PARAMETERS = {
    "features", "horizon_days", "seed", "min_training_customers", "max_iter", "learning_rate",
    "max_depth", "min_samples_leaf", "l2_regularization", "calibration", "calibration_folds",
    "purchase_model",
}  # fmt: skip
# The flat vars of dbt_project.yml before issue 19 that the settings groups replaced.
FLAT_VARS_BEFORE = [
    "clustering_numeric_features", "clustering_log1p_features", "clustering_categorical_features",
    "profile_min_value_share", "prediction_horizon_days", "segment_validation_min_improvement",
    "monitoring_max_model_age_days", "monitoring_psi_warn", "monitoring_psi_retrain",
    "monitoring_share_shift_warn", "monitoring_share_shift_retrain", "retraining_policy",
    "model_reuse_min_population_overlap", "segmentation_algorithm", "kmeans_sql_k",
    "kmeans_sql_iterations", "segmentation_threads", "segmentation_seed", "segmentation_k_min",
    "segmentation_k_max", "segmentation_k", "segmentation_k_selection",
    "segmentation_usefulness_tolerance", "segmentation_feature_weighting", "segmentation_n_init",
    "segmentation_fit_sample_size", "segmentation_silhouette_sample_size",
    "segmentation_stability_resamples", "segmentation_stability_sample_size",
    "segmentation_min_stability", "segmentation_min_segment_share", "segmentation_holdout_share",
    "segmentation_hierarchical_sample_size", "segmentation_hdbscan_sample_size",
    "segmentation_autoencoder_sample_size", "segmentation_max_feature_correlation",
    "segmentation_explanation_max_depth", "segmentation_max_match_distance",
    "prediction_features", "prediction_fit_sample_size", "purchase_model",
    "purchase_model_fit_sample_size", "prediction_score_batch_size", "prediction_score_threads",
    "prediction_min_training_customers", "churn_risk_medium_threshold",
    "churn_risk_high_threshold",
]  # fmt: skip


def test_the_sql_declaration_is_generated_from_the_classes():
    committed = (REPO_ROOT / MACRO_PATH).read_text()
    assert committed == settings_macro(), (
        f"{MACRO_PATH} is out of date: run customer-segmentation settings-macro"
    )


def test_every_setting_is_documented_in_its_group():
    text = (REPO_ROOT / "docs" / "configuration.md").read_text()
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    for cls in SETTINGS_CLASSES:
        (section,) = [s for s in sections if s.startswith(f"`{cls.group}`")]
        rows = [line for line in section.splitlines() if line.startswith("| `")]
        documented = {name for row in rows for name in re.findall(r"`([a-z0-9_]+)`", row[:120])}
        missing = [f.name for f in fields(cls) if f.name not in documented]
        assert not missing, f"docs/configuration.md, section {cls.group}, lacks {missing}"


def test_the_defaults_are_valid_settings():
    for cls in SETTINGS_CLASSES:
        assert cls.from_mapping({}) == cls()
        assert cls.from_json(None) == cls()


def test_unknown_keys_fail_with_the_valid_ones():
    for cls in (SegmentationSettings, MonitoringSettings, PredictionSettings):
        with pytest.raises(ValueError, match="valid ones: .*seed|valid ones: .*psi_warn") as error:
            cls.from_mapping({"no_such_setting": 1})
        assert f"unknown {cls.group} settings ['no_such_setting']" in str(error.value)
    for cls in SETTINGS_CLASSES:
        with pytest.raises(ValueError) as error:
            cls.from_mapping({"no_such_setting": 1})
        assert f"unknown {cls.group} settings ['no_such_setting']" in str(error.value)
        assert f"valid ones: {sorted(spec.name for spec in fields(cls))}" in str(error.value)


def test_values_are_cast_from_the_declared_types():
    settings = SegmentationSettings.from_mapping(
        {"k": "6", "min_stability": "0.7", "seed": 7.0, "numeric_features": ["a"], "k_max": 8}
        | {"log1p_features": []}
    )
    assert (settings.k, settings.min_stability, settings.seed) == (6, 0.7, 7)
    assert settings.numeric_features == ("a",)
    assert SegmentationSettings.from_mapping({"k": None}).k is None
    with pytest.raises(ValueError, match="segmentation.seed may not be null"):
        SegmentationSettings.from_mapping({"seed": None})
    with pytest.raises(ValueError, match="segmentation.k must be a whole number"):
        SegmentationSettings.from_mapping({"k": 2.5})
    with pytest.raises(ValueError, match="segmentation.n_init must be a number; got True"):
        SegmentationSettings.from_mapping({"n_init": True})
    with pytest.raises(ValueError, match="segmentation.numeric_features must be a list"):
        SegmentationSettings.from_mapping({"numeric_features": "recency_days"})
    assert MonitoringSettings.from_mapping({"psi_warn": "0.2"}).psi_warn == 0.2


def test_bounds_and_choices_come_from_the_declaration():
    with pytest.raises(ValueError, match="segmentation.k must be at least 1; got 0"):
        SegmentationSettings(k=0)
    with pytest.raises(ValueError, match="monitoring.min_population_overlap must be greater"):
        MonitoringSettings(min_population_overlap=0)
    with pytest.raises(ValueError, match="prediction.calibration is 'platt'; expected one of"):
        PredictionSettings(calibration="platt")
    with pytest.raises(ValueError, match="need monitoring.psi_warn <= monitoring.psi_retrain"):
        MonitoringSettings(psi_warn=0.5)
    with pytest.raises(ValueError, match="churn_risk_medium_threshold <= "):
        PredictionSettings(churn_risk_medium_threshold=0.7)


def test_a_fitted_model_stores_the_same_parameters_as_before():
    assert set(SegmentationSettings().as_parameters()) == STORED_SEGMENTATION_PARAMETERS
    assert set(PredictionSettings().as_parameters()) == STORED_PREDICTION_PARAMETERS
    parameters = SegmentationSettings().as_parameters()
    assert json.loads(json.dumps(parameters)) == parameters


def test_every_flat_var_of_earlier_versions_names_its_new_key():
    renamed = renamed_vars()
    assert sorted(renamed) == sorted(FLAT_VARS_BEFORE)
    assert renamed["segmentation_seed"] == ["segmentation.seed", "prediction.seed"]
    assert renamed["model_reuse_min_population_overlap"] == ["monitoring.min_population_overlap"]
    for keys in renamed.values():
        for key in keys:
            group, name = key.split(".")
            (cls,) = [c for c in SETTINGS_CLASSES if c.group == group]
            assert name in {f.name for f in fields(cls)}


@pytest.mark.dbt
def test_the_sql_side_reads_the_settings_as_python_does(tmp_path):
    given = {
        "segmentation": {
            "k": "6",
            "numeric_features": ["recency_days", "frequency"],
            "log1p_features": ["frequency"],
        },
        "monitoring": {"retraining_policy": "manual", "psi_warn": 0.2},
        "prediction": {"horizon_days": 60, "churn_risk_high_threshold": "0.7"},
        "review_text": {"topics_k_max": "6", "negative_threshold": -0.1},
        "risk": {"min_orders": 6, "shop_percentile": "0.95"},
    }
    inline = (
        "{{ tojson({'segmentation': settings('segmentation'), "
        "'monitoring': settings('monitoring'), 'prediction': settings('prediction'), "
        "'review_text': settings('review_text'), 'risk': settings('risk')}) }}"
    )
    run = run_dbt(
        tmp_path, given, command="compile", extra_arguments=("--inline", inline, "--output", "json")
    )
    document = json.loads(run.output[run.output.index("{") : run.output.rindex("}") + 1])
    from_sql = json.loads(document["compiled"])
    for cls in SETTINGS_CLASSES:
        python = cls.from_mapping(given[cls.group])
        as_python = {spec.name: getattr(python, spec.name) for spec in fields(cls)}
        assert from_sql[cls.group] == json.loads(json.dumps(as_python)), cls.group


@pytest.mark.dbt
@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"segmentation_k": 5},
            "var segmentation_k was renamed: set segmentation.k instead",
        ),
        (
            {"segmentation_seed": 5},
            "var segmentation_seed was renamed: set segmentation.seed and prediction.seed",
        ),
        (
            {"monitoring": {"psi_retrian": 0.3}},
            'unknown monitoring settings ["psi_retrian"]; valid ones: ["max_model_age_days",',
        ),
        ({"segmentation": {"k": 0}}, "segmentation.k must be at least 1; got 0"),
        ({"prediction": [90]}, "var prediction must be a mapping of settings"),
        (
            {"risk": {"min_order": 6}},
            'unknown risk settings ["min_order"]; valid ones: ["high_discount_rate",',
        ),
        (
            {"review_text": {"topics_k_max": 1}},
            "review_text.topics_k_max must be at least 2; got 1",
        ),
    ],
)
def test_wrong_settings_stop_dbt_when_it_parses(tmp_path, variables, message):
    run = run_dbt(tmp_path, variables, command="parse", check=False)
    assert run.returncode != 0
    assert message in run.output
