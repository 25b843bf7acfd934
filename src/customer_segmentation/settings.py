"""The settings of the models, declared once.

Five groups, one dbt var each, handed whole to the Python models that read them:

    segmentation: {...}   SegmentationSettings  how segments are found, named and checked
    monitoring: {...}     MonitoringSettings    when a stored model is kept, judged and refitted
    prediction: {...}     PredictionSettings    the churn, value and purchase models
    review_text: {...}    ReviewTextSettings    review sentiment and topics (docs/reviews.md)
    risk: {...}           RiskSettings          the return and refund risk bands (docs/risk.md;
                                                read by SQL only, marts.customer_risk)

Each field is declared once, with its default, its type and its bounds (`setting()` below); from
that declaration come the casting of what dbt hands over (`from_mapping`), the checks (an unknown
key fails with the valid ones; a value out of bounds fails with the key), the parameters stored
with a fitted model (`as_parameters`) and the declaration the SQL side reads
(`settings_declaration`, rendered into macros/settings/settings_declared.sql by
`customer-segmentation settings-macro`; the macros `settings(group)` and `setting(group, name)`
merge the user's var over it). docs/configuration.md documents every key.

The flat vars of earlier versions (`segmentation_k`, `clustering_numeric_features`,
`monitoring_psi_warn`, ...) are refused with the key that replaced them (the `replaces` of a
field): dbt would otherwise ignore them without a word.
"""

from __future__ import annotations

import json
import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

from customer_segmentation.prediction.purchase_model import VARIANTS

# Algorithms the Python model fits (scikit-learn); the SQL ones fit in dbt models.
ALGORITHMS = ("kmeans", "hierarchical", "hdbscan", "autoencoder_kmeans")
SQL_ALGORITHMS = ("kmeans_sql", "rfm_grid")
FEATURE_WEIGHTING = ("outcomes", "none")
K_SELECTION = ("usefulness", "silhouette")
RETRAINING_POLICIES = ("automatic", "manual")
CALIBRATION_METHODS = ("sigmoid", "isotonic")

# Ward keeps an n x n distance structure (about 8 * n^2 bytes): 20k rows is 3.2 GB.
MAX_HIERARCHICAL_SAMPLE_SIZE = 20_000

# The features the segments are built on. int_customer_features has more (mean days between
# orders, top-category share, reviews, mean rating): they describe segments in the profiles, but
# are mostly null or mostly one value, and split customers on noise when clustered.
DEFAULT_CLUSTERING_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "average_order_value",
    "tenure_days",
    "sessions",
    "browsing_minutes",
    "product_views_per_session",
    "cart_abandonment_rate",
    "category_diversity",
    "discount_share",
    "return_rate",
)
# Skewed money and count features get log1p before scaling.
DEFAULT_LOG1P_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "average_order_value",
    "tenure_days",
    "sessions",
    "browsing_minutes",
    "product_views_per_session",
    "category_diversity",
)
# Features the churn and value models may use: behaviour only, never demographics (gender, age
# band). Absent inputs leave some null for every customer; those are dropped, with the reason.
DEFAULT_PREDICTION_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "average_order_value",
    "tenure_days",
    "mean_days_between_orders",
    "return_rate",
    "cancelled_orders",
    "purchases_last_horizon",
    "net_spend_last_horizon",
    "sessions",
    "browsing_minutes",
    "product_views_per_session",
    "cart_abandonment_rate",
    "category_diversity",
    "discount_share",
    "review_count",
    "mean_rating",
    # What the probabilistic purchase model of the same cutoff predicts (computed in Python).
    "purchase_model_probability_alive",
    "purchase_model_churn_probability",
    "purchase_model_expected_purchases",
    "purchase_model_expected_value",
)


def setting(
    default: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    choices: tuple[str, ...] | None = None,
    identity: bool = True,
    replaces: str | None = None,
) -> Any:
    """A settings field: its default and bounds (minimum <= value <= maximum, value > above,
    value in choices). identity: the value is stored with a fitted model and a stored model
    serves a run only with the same value (as_parameters); False for settings that change how
    a run goes but not what the model is (threads, batch sizes, SQL-only thresholds).
    replaces: the flat var of earlier versions this key took over."""
    metadata = {
        "minimum": minimum,
        "maximum": maximum,
        "above": above,
        "choices": choices,
        "identity": identity,
        "replaces": replaces,
    }
    return field(default=default, metadata=metadata)


class Settings:
    """What every settings group derives from its fields (mixin of frozen dataclasses)."""

    group: ClassVar[str]

    @classmethod
    def key(cls, name: str) -> str:
        """The key as a user writes it: `segmentation.k_min`."""
        return f"{cls.group}.{name}"

    @classmethod
    def _types(cls) -> dict[str, str]:
        hints = typing.get_type_hints(cls)
        return {f.name: _kind(hints[f.name]) for f in fields(cls)}

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> Settings:
        """Settings from a mapping of keys (the group's dbt var, or JSON of it). An unknown key
        fails with the valid ones; a value is cast to the field's type (numbers may come as
        text); null only where the type allows it (segmentation.k)."""
        values = dict(values or {})
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(
                f"unknown {cls.group} settings {unknown}; valid ones: {sorted(known)} "
                "(docs/configuration.md)"
            )
        kinds = cls._types()
        arguments = {}
        for name, value in values.items():
            kind, nullable = kinds[name]
            if value is None or value in ("", "null", "None"):
                if not nullable:
                    raise ValueError(f"{cls.key(name)} may not be null")
                arguments[name] = None
                continue
            arguments[name] = _cast(cls.key(name), value, kind)
        return cls(**arguments)

    @classmethod
    def from_json(cls, text: str | None) -> Settings:
        """Settings from the JSON document a dbt model config carries (None: the defaults)."""
        return cls.from_mapping(json.loads(text) if text else {})

    def _check_declared(self) -> None:
        """The bounds and choices of every field (setting())."""
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value is None:
                continue
            meta = spec.metadata
            key = self.key(spec.name)
            if meta.get("choices") and value not in meta["choices"]:
                raise ValueError(f"{key} is {value!r}; expected one of {list(meta['choices'])}")
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            low, high, above = meta.get("minimum"), meta.get("maximum"), meta.get("above")
            if low is not None and high is not None and not low <= value <= high:
                raise ValueError(f"{key} must be between {low} and {high}; got {value}")
            if low is not None and value < low:
                raise ValueError(f"{key} must be at least {low}; got {value}")
            if high is not None and value > high:
                raise ValueError(f"{key} must be at most {high}; got {value}")
            if above is not None and not value > above:
                raise ValueError(f"{key} must be greater than {above}; got {value}")

    def as_parameters(self) -> dict[str, Any]:
        """The identity settings as plain JSON values: stored with a fitted model, hashed into
        its id, and compared before a stored model serves a run."""
        return {
            spec.name: _plain(getattr(self, spec.name))
            for spec in fields(self)
            if spec.metadata.get("identity", True)
        }


def _kind(hint: Any) -> tuple[str, bool]:
    """(integer | number | text | boolean | list, nullable) of a field's type."""
    nullable = False
    arguments = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        nullable = type(None) in arguments
        (hint,) = [a for a in arguments if a is not type(None)]
    if typing.get_origin(hint) is tuple:
        return "list", nullable
    kinds = {int: "integer", float: "number", str: "text", bool: "boolean"}
    return kinds[hint], nullable


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def _cast(key: str, value: Any, kind: str) -> Any:
    """value as the field's kind, or a ValueError naming the key."""
    if kind == "list":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ValueError(f"{key} must be a list; got {value!r}")
        return tuple(str(item) for item in value)
    if kind == "text":
        return str(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in ("true", "false"):
            return str(value).strip().lower() == "true"
        raise ValueError(f"{key} must be true or false; got {value!r}")
    text = str(value).strip()
    if isinstance(value, bool) or not _NUMBER.fullmatch(text):
        raise ValueError(f"{key} must be a number; got {value!r}")
    number = float(text)
    if kind == "integer":
        if not number.is_integer():
            raise ValueError(f"{key} must be a whole number; got {value!r}")
        return int(number)
    if not math.isfinite(number):
        raise ValueError(f"{key} must be a finite number; got {value!r}")
    return number


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class SegmentationSettings(Settings):
    """How segments are found, named and checked (var `segmentation`). Same settings and same
    data give the same model; docs/configuration.md says what each key does."""

    group: ClassVar[str] = "segmentation"

    algorithm: str = setting(
        "kmeans", choices=ALGORITHMS + SQL_ALGORITHMS, replaces="segmentation_algorithm"
    )
    numeric_features: tuple[str, ...] = setting(
        DEFAULT_CLUSTERING_FEATURES, replaces="clustering_numeric_features"
    )
    log1p_features: tuple[str, ...] = setting(
        DEFAULT_LOG1P_FEATURES, replaces="clustering_log1p_features"
    )
    categorical_features: tuple[str, ...] = setting((), replaces="clustering_categorical_features")
    seed: int = setting(42, minimum=0, replaces="segmentation_seed")
    k_min: int = setting(4, minimum=1, replaces="segmentation_k_min")
    k_max: int = setting(10, minimum=1, replaces="segmentation_k_max")
    k: int | None = setting(None, minimum=1, replaces="segmentation_k")
    n_init: int = setting(10, minimum=1, replaces="segmentation_n_init")
    fit_sample_size: int = setting(
        50_000, minimum=1, identity=False, replaces="segmentation_fit_sample_size"
    )
    silhouette_sample_size: int = setting(
        10_000, minimum=2, replaces="segmentation_silhouette_sample_size"
    )
    max_categories_per_feature: int = setting(10, minimum=1)
    stability_resamples: int = setting(
        5, minimum=0, maximum=100, replaces="segmentation_stability_resamples"
    )
    stability_sample_size: int = setting(
        5_000, minimum=10, maximum=1_000_000, replaces="segmentation_stability_sample_size"
    )
    min_stability: float = setting(
        0.8, minimum=0.0, maximum=1.0, replaces="segmentation_min_stability"
    )
    min_segment_share: float = setting(
        0.02, minimum=0.0, maximum=0.5, replaces="segmentation_min_segment_share"
    )
    holdout_share: float = setting(
        0.2, minimum=0.0, maximum=0.5, replaces="segmentation_holdout_share"
    )
    k_selection: str = setting(
        "usefulness", choices=K_SELECTION, replaces="segmentation_k_selection"
    )
    usefulness_tolerance: float = setting(
        0.05, minimum=0.0, maximum=1.0, replaces="segmentation_usefulness_tolerance"
    )
    feature_weighting: str = setting(
        "outcomes", choices=FEATURE_WEIGHTING, replaces="segmentation_feature_weighting"
    )
    hierarchical_sample_size: int = setting(
        10_000,
        minimum=2,
        maximum=MAX_HIERARCHICAL_SAMPLE_SIZE,
        replaces="segmentation_hierarchical_sample_size",
    )
    hdbscan_sample_size: int = setting(
        10_000, minimum=2, maximum=1_000_000, replaces="segmentation_hdbscan_sample_size"
    )
    autoencoder_sample_size: int = setting(
        10_000, minimum=2, maximum=1_000_000, replaces="segmentation_autoencoder_sample_size"
    )
    autoencoder_hidden_size: int = setting(16, minimum=1, maximum=1_024)
    autoencoder_bottleneck_size: int = setting(3, minimum=1)
    autoencoder_max_iter: int = setting(200, minimum=1, maximum=10_000)
    outlier_radius_quantile: float = setting(0.99, above=0.0, maximum=1.0)
    max_feature_correlation: float = setting(
        0.9, above=0.0, maximum=1.0, replaces="segmentation_max_feature_correlation"
    )
    explanation_max_depth: int = setting(
        3, minimum=1, maximum=6, replaces="segmentation_explanation_max_depth"
    )
    max_match_distance: float = setting(1.5, above=0.0, replaces="segmentation_max_match_distance")
    threads: int = setting(1, minimum=1, identity=False, replaces="segmentation_threads")
    kmeans_sql_k: int = setting(5, minimum=1, maximum=50, identity=False, replaces="kmeans_sql_k")
    kmeans_sql_iterations: int = setting(
        25, minimum=1, maximum=200, identity=False, replaces="kmeans_sql_iterations"
    )
    profile_min_value_share: float = setting(
        0.5, minimum=0.0, maximum=1.0, identity=False, replaces="profile_min_value_share"
    )
    validation_min_improvement: float = setting(
        0.15, minimum=0.0, identity=False, replaces="segment_validation_min_improvement"
    )

    def __post_init__(self) -> None:
        self._check_declared()
        if self.k_max < self.k_min:
            raise ValueError(
                f"need segmentation.k_min <= segmentation.k_max; got {self.k_min}..{self.k_max}"
            )
        if self.autoencoder_bottleneck_size > self.autoencoder_hidden_size:
            raise ValueError(
                "segmentation.autoencoder_bottleneck_size must be at most "
                f"segmentation.autoencoder_hidden_size ({self.autoencoder_hidden_size}); "
                f"got {self.autoencoder_bottleneck_size}"
            )
        unknown_log = set(self.log1p_features) - set(self.numeric_features)
        if unknown_log:
            raise ValueError(
                "segmentation.log1p_features names features that are not in "
                f"segmentation.numeric_features: {sorted(unknown_log)}"
            )


@dataclass(frozen=True)
class MonitoringSettings(Settings):
    """The retraining policy and the rule that decides whether a stored model may serve a run
    (var `monitoring`; customer_segmentation.segmentation.model_choice,
    marts.segment_monitoring)."""

    group: ClassVar[str] = "monitoring"

    max_model_age_days: int = setting(180, minimum=0, replaces="monitoring_max_model_age_days")
    psi_warn: float = setting(0.1, minimum=0.0, replaces="monitoring_psi_warn")
    psi_retrain: float = setting(0.25, minimum=0.0, replaces="monitoring_psi_retrain")
    share_shift_warn: float = setting(
        0.05, minimum=0.0, maximum=1.0, replaces="monitoring_share_shift_warn"
    )
    share_shift_retrain: float = setting(
        0.1, minimum=0.0, maximum=1.0, replaces="monitoring_share_shift_retrain"
    )
    retraining_policy: str = setting(
        "automatic", choices=RETRAINING_POLICIES, replaces="retraining_policy"
    )
    min_population_overlap: float = setting(
        0.5, above=0.0, maximum=1.0, replaces="model_reuse_min_population_overlap"
    )

    def __post_init__(self) -> None:
        self._check_declared()
        if self.psi_warn > self.psi_retrain:
            raise ValueError("need monitoring.psi_warn <= monitoring.psi_retrain")
        if self.share_shift_warn > self.share_shift_retrain:
            raise ValueError("need monitoring.share_shift_warn <= monitoring.share_shift_retrain")


@dataclass(frozen=True)
class PredictionSettings(Settings):
    """The churn, value and purchase models (var `prediction`;
    customer_segmentation.prediction.churn_value, docs/activation.md)."""

    group: ClassVar[str] = "prediction"

    features: tuple[str, ...] = setting(DEFAULT_PREDICTION_FEATURES, replaces="prediction_features")
    horizon_days: int = setting(90, minimum=0, replaces="prediction_horizon_days")
    seed: int = setting(42, minimum=0, replaces="segmentation_seed")
    min_training_customers: int = setting(
        500, minimum=1, replaces="prediction_min_training_customers"
    )
    max_iter: int = setting(150, minimum=1)
    learning_rate: float = setting(0.05, above=0.0)
    max_depth: int = setting(3, minimum=1)
    min_samples_leaf: int = setting(50, minimum=1)
    l2_regularization: float = setting(1.0, minimum=0.0)
    calibration: str = setting("sigmoid", choices=CALIBRATION_METHODS)
    calibration_folds: int = setting(3, minimum=2)
    purchase_model: str = setting("mbgnbd", choices=VARIANTS, replaces="purchase_model")
    fit_sample_size: int = setting(
        50_000, minimum=1, identity=False, replaces="prediction_fit_sample_size"
    )
    purchase_model_fit_sample_size: int = setting(
        200_000, minimum=1, identity=False, replaces="purchase_model_fit_sample_size"
    )
    threads: int = setting(1, minimum=1, identity=False, replaces="segmentation_threads")
    score_batch_size: int = setting(
        50_000, minimum=1, identity=False, replaces="prediction_score_batch_size"
    )
    score_threads: int = setting(2, minimum=1, identity=False, replaces="prediction_score_threads")
    churn_risk_medium_threshold: float = setting(
        0.3, minimum=0.0, maximum=1.0, identity=False, replaces="churn_risk_medium_threshold"
    )
    churn_risk_high_threshold: float = setting(
        0.6, minimum=0.0, maximum=1.0, identity=False, replaces="churn_risk_high_threshold"
    )

    def __post_init__(self) -> None:
        self._check_declared()
        if self.churn_risk_medium_threshold > self.churn_risk_high_threshold:
            raise ValueError(
                "need prediction.churn_risk_medium_threshold <= "
                "prediction.churn_risk_high_threshold"
            )


@dataclass(frozen=True)
class ReviewTextSettings(Settings):
    """How review text becomes features (var `review_text`; customer_segmentation.segmentation.
    reviews, docs/reviews.md). topics_k_max is also the number of topic share columns of the
    feature table (macro review_topic_share_columns)."""

    group: ClassVar[str] = "review_text"

    negative_threshold: float = setting(-0.05, minimum=-1.0, maximum=1.0)
    min_english_token_share: float = setting(0.3, minimum=0.0, maximum=1.0)
    topics_k_min: int = setting(3, minimum=2)
    topics_k_max: int = setting(8, minimum=2)
    topics_min_reviews: int = setting(50, minimum=1)
    topics_fit_sample_size: int = setting(20_000, minimum=1)
    topics_min_document_frequency: int = setting(5, minimum=1)
    topics_top_words: int = setting(10, minimum=1)
    topics_stability_resamples: int = setting(5, minimum=0)
    topics_stability_sample_share: float = setting(0.8, above=0.0, maximum=1.0)
    seed: int = setting(42, minimum=0)
    threads: int = setting(1, minimum=1, identity=False)

    def __post_init__(self) -> None:
        self._check_declared()
        if self.topics_k_min > self.topics_k_max:
            raise ValueError(
                "need review_text.topics_k_min <= review_text.topics_k_max; "
                f"got {self.topics_k_min}..{self.topics_k_max}"
            )
        # A subset of every fitted review is no resample (the bound SQL does not know: open).
        if self.topics_stability_sample_share >= 1:
            raise ValueError(
                "review_text.topics_stability_sample_share must be below 1; "
                f"got {self.topics_stability_sample_share}"
            )


@dataclass(frozen=True)
class RiskSettings(Settings):
    """The return and refund risk bands (var `risk`; marts.customer_risk, docs/risk.md). Read
    by SQL only, through the generated declaration."""

    group: ClassVar[str] = "risk"

    min_orders: int = setting(4, minimum=1)
    rapid_return_days: int = setting(3, minimum=1)
    high_discount_rate: float = setting(0.3, minimum=0.01, maximum=1.0)
    shop_percentile: float = setting(0.9, minimum=0.0, maximum=1.0)
    min_return_rate: float = setting(0.15, minimum=0.0, maximum=1.0)
    min_refund_rate: float = setting(0.15, minimum=0.0)
    min_high_discount_order_share: float = setting(0.5, minimum=0.0, maximum=1.0)
    min_rapid_return_cycles: int = setting(2, minimum=1)
    review_min_return_signals: int = setting(2, minimum=1, maximum=3)

    def __post_init__(self) -> None:
        self._check_declared()


SETTINGS_CLASSES: tuple[type[Settings], ...] = (
    SegmentationSettings,
    MonitoringSettings,
    PredictionSettings,
    ReviewTextSettings,
    RiskSettings,
)


def renamed_vars() -> dict[str, list[str]]:
    """Each flat var of earlier versions -> the keys that replaced it."""
    renamed: dict[str, list[str]] = {}
    for cls in SETTINGS_CLASSES:
        for spec in fields(cls):
            old = spec.metadata.get("replaces")
            if old:
                renamed.setdefault(old, []).append(cls.key(spec.name))
    return dict(sorted(renamed.items()))


def settings_declaration() -> dict[str, Any]:
    """What the SQL side needs to read the settings as Python does: per group and key the
    default, kind (integer | number | text | boolean | list), whether it may be null, bounds
    and choices; and the renamed flat vars."""
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    for cls in SETTINGS_CLASSES:
        kinds = cls._types()
        declared = {}
        for spec in fields(cls):
            default = spec.default if spec.default is not MISSING else None
            kind, nullable = kinds[spec.name]
            entry: dict[str, Any] = {"default": _plain(default), "kind": kind}
            if nullable:
                entry["nullable"] = True
            for bound in ("minimum", "maximum", "above"):
                if spec.metadata.get(bound) is not None:
                    entry[bound] = spec.metadata[bound]
            if spec.metadata.get("choices"):
                entry["choices"] = list(spec.metadata["choices"])
            declared[spec.name] = entry
        groups[cls.group] = declared
    return {"groups": groups, "renamed_vars": renamed_vars()}


MACRO_PATH = "macros/settings/settings_declared.sql"


def settings_macro() -> str:
    """The text of macros/settings/settings_declared.sql: settings_declaration() as a dbt macro,
    one line per key."""
    declaration = settings_declaration()
    groups = ",\n".join(
        f'    "{group}": {{\n'
        + ",\n".join(f'      "{name}": {json.dumps(spec)}' for name, spec in keys.items())
        + "\n    }"
        for group, keys in declaration["groups"].items()
    )
    renamed = ",\n".join(
        f'    "{old}": {json.dumps(new)}' for old, new in declaration["renamed_vars"].items()
    )
    document = f'{{\n  "groups": {{\n{groups}\n  }},\n  "renamed_vars": {{\n{renamed}\n  }}\n}}'
    if json.loads(document) != declaration or "'" in document or "\\" in document:
        raise ValueError("the settings declaration cannot be written as a Jinja string")
    return (
        "{#- Generated from customer_segmentation.settings by `customer-segmentation "
        "settings-macro`:\n"
        "    do not edit (tests/end_to_end/test_settings.py fails when it is out of date). The "
        "defaults,\n"
        "    kinds, bounds and choices of every setting, and the flat vars they replaced; read by "
        "the\n"
        "    macros settings() and setting(). -#}\n"
        "{% macro settings_declared() %}\n"
        f"    {{{{ return(fromjson('{document}')) }}}}\n"
        "{% endmacro %}\n"
    )
