"""Settings of one segmentation fit, as passed from dbt vars to the Python models."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

ALGORITHMS = ("kmeans", "hierarchical", "hdbscan", "autoencoder_kmeans")
FEATURE_WEIGHTING = ("outcomes", "none")
K_SELECTION = ("usefulness", "silhouette")

# Ward keeps an n x n distance structure (about 8 * n^2 bytes): 20k rows is 3.2 GB.
MAX_HIERARCHICAL_SAMPLE_SIZE = 20_000

_INTEGER_SETTINGS = (
    "seed",
    "k_min",
    "k_max",
    "n_init",
    "silhouette_sample_size",
    "max_categories_per_feature",
    "stability_resamples",
    "stability_sample_size",
    "hierarchical_sample_size",
    "hdbscan_sample_size",
    "autoencoder_sample_size",
    "autoencoder_hidden_size",
    "autoencoder_bottleneck_size",
    "autoencoder_max_iter",
    "explanation_max_depth",
)
_FLOAT_SETTINGS = (
    "min_stability",
    "min_segment_share",
    "usefulness_tolerance",
    "max_feature_correlation",
    "holdout_share",
    "outlier_radius_quantile",
    "max_match_distance",
)


@dataclass(frozen=True)
class SegmentationSettings:
    """Everything that determines a fit. Same settings and same data give the same model.

    Model selection (see customer_segmentation.clustering):
      algorithm                   kmeans | hierarchical | hdbscan | autoencoder_kmeans
      k_min, k_max, k             candidate range; k forces the number of segments (ignored by
                                  hdbscan, which finds the number itself)
      stability_resamples         bootstrap resamples per candidate k (0: stability not measured)
      stability_sample_size       rows the stability is measured on (bounds its cost)
      min_stability               mean ARI a candidate needs to count as stable
      min_segment_share           smallest segment share a candidate needs to be eligible; for
                                  hdbscan it sets min_cluster_size (share of the fitted sample)
      holdout_share               share of rows held out for the hold-out ARI (0: skipped)
      k_selection                 usefulness (default): among stable, eligible candidates, those
                                  within usefulness_tolerance of the most useful on the time
                                  hold-out (churn and spend eta²), the best silhouette; or
                                  silhouette: the best silhouette (customer_segmentation.clustering)
      feature_weighting           outcomes (default): each dimension weighted by its relation to
                                  next-period churn and spend (customer_segmentation.validation);
                                  none: every dimension counts the same
    Algorithm samples and sizes:
      hierarchical_sample_size    rows Ward is fitted on (at most 20,000: memory is quadratic)
      hdbscan_sample_size         rows HDBSCAN is fitted on
      autoencoder_sample_size     rows the autoencoder is trained on
      autoencoder_hidden_size, autoencoder_bottleneck_size, autoencoder_max_iter
      outlier_radius_quantile     quantile of member distances that is a segment's radius
    Features, explanations and segment ids:
      max_feature_correlation     of two features with |r| above this, the later one is dropped
      explanation_max_depth       depth of the surrogate decision trees that explain segments
      max_match_distance          farthest (scaled units) a new segment may be from a previous
                                  one and still inherit its id and name
    """

    numeric_features: tuple[str, ...]
    log1p_features: tuple[str, ...] = ()
    categorical_features: tuple[str, ...] = ()
    algorithm: str = "kmeans"
    seed: int = 42
    k_min: int = 4
    k_max: int = 10
    k: int | None = None
    n_init: int = 10
    silhouette_sample_size: int = 10_000
    max_categories_per_feature: int = 10
    stability_resamples: int = 5
    stability_sample_size: int = 5_000
    min_stability: float = 0.8
    min_segment_share: float = 0.02
    holdout_share: float = 0.2
    k_selection: str = "usefulness"
    usefulness_tolerance: float = 0.05
    feature_weighting: str = "outcomes"
    hierarchical_sample_size: int = 10_000
    hdbscan_sample_size: int = 10_000
    autoencoder_sample_size: int = 10_000
    autoencoder_hidden_size: int = 16
    autoencoder_bottleneck_size: int = 3
    autoencoder_max_iter: int = 200
    outlier_radius_quantile: float = 0.99
    max_feature_correlation: float = 0.9
    explanation_max_depth: int = 3
    max_match_distance: float = 1.5
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"segmentation_algorithm must be one of {', '.join(ALGORITHMS)}; "
                f"got {self.algorithm!r}"
            )
        if self.k_selection not in K_SELECTION:
            raise ValueError(
                f"segmentation_k_selection must be one of {', '.join(K_SELECTION)}; "
                f"got {self.k_selection!r}"
            )
        if self.feature_weighting not in FEATURE_WEIGHTING:
            raise ValueError(
                f"segmentation_feature_weighting must be one of {', '.join(FEATURE_WEIGHTING)}; "
                f"got {self.feature_weighting!r}"
            )
        _check_range("usefulness_tolerance", self.usefulness_tolerance, 0.0, 1.0)
        if self.k_min < 1 or self.k_max < self.k_min:
            raise ValueError(
                "need 1 <= segmentation_k_min <= segmentation_k_max; "
                f"got {self.k_min}..{self.k_max}"
            )
        if self.k is not None and self.k < 1:
            raise ValueError(f"segmentation_k must be a positive integer or null; got {self.k}")
        if self.seed < 0:
            raise ValueError(f"segmentation_seed must be a non-negative integer; got {self.seed}")
        if self.n_init < 1:
            raise ValueError(f"segmentation_n_init must be at least 1; got {self.n_init}")
        if self.silhouette_sample_size < 2:
            raise ValueError("segmentation_silhouette_sample_size must be at least 2")
        _check_range("stability_resamples", self.stability_resamples, 0, 100)
        _check_range("stability_sample_size", self.stability_sample_size, 10, 1_000_000)
        _check_range("min_stability", self.min_stability, 0.0, 1.0)
        _check_range("min_segment_share", self.min_segment_share, 0.0, 0.5)
        _check_range("holdout_share", self.holdout_share, 0.0, 0.5)
        _check_range(
            "hierarchical_sample_size",
            self.hierarchical_sample_size,
            2,
            MAX_HIERARCHICAL_SAMPLE_SIZE,
        )
        _check_range("hdbscan_sample_size", self.hdbscan_sample_size, 2, 1_000_000)
        _check_range("autoencoder_sample_size", self.autoencoder_sample_size, 2, 1_000_000)
        _check_range("autoencoder_hidden_size", self.autoencoder_hidden_size, 1, 1_024)
        _check_range(
            "autoencoder_bottleneck_size",
            self.autoencoder_bottleneck_size,
            1,
            self.autoencoder_hidden_size,
        )
        _check_range("autoencoder_max_iter", self.autoencoder_max_iter, 1, 10_000)
        if not 0.0 < self.outlier_radius_quantile <= 1.0:
            raise ValueError(
                "segmentation_outlier_radius_quantile must be in (0, 1]; "
                f"got {self.outlier_radius_quantile}"
            )
        if not 0.0 < self.max_feature_correlation <= 1.0:
            raise ValueError(
                "segmentation_max_feature_correlation must be in (0, 1]; "
                f"got {self.max_feature_correlation}"
            )
        _check_range("explanation_max_depth", self.explanation_max_depth, 1, 6)
        if not self.max_match_distance > 0:
            raise ValueError(
                f"segmentation_max_match_distance must be positive; got {self.max_match_distance}"
            )
        unknown_log = set(self.log1p_features) - set(self.numeric_features)
        if unknown_log:
            raise ValueError(
                "clustering_log1p_features names features that are not in "
                f"clustering_numeric_features: {sorted(unknown_log)}"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SegmentationSettings:
        """Build settings from a mapping of dbt var names without the `segmentation_` prefix."""
        known = {f.name for f in fields(cls)} - {"extra"}
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            if name in known:
                kwargs[name] = value
        for name in ("numeric_features", "log1p_features", "categorical_features"):
            if name in kwargs:
                kwargs[name] = tuple(kwargs[name] or ())
        for name in _INTEGER_SETTINGS:
            if name in kwargs:
                kwargs[name] = int(kwargs[name])
        for name in _FLOAT_SETTINGS:
            if name in kwargs:
                kwargs[name] = float(kwargs[name])
        if kwargs.get("k") in ("", "null", "None"):
            kwargs["k"] = None
        if kwargs.get("k") is not None:
            kwargs["k"] = int(kwargs["k"])
        extra = {name: value for name, value in values.items() if name not in known}
        return cls(**kwargs, extra=extra)

    @classmethod
    def from_json(cls, text: str) -> SegmentationSettings:
        """Build settings from the JSON document the dbt YAML renders from vars."""
        return cls.from_mapping(json.loads(text))

    def as_parameters(self) -> dict[str, Any]:
        """The settings as plain values, for the model registry."""
        return {
            "algorithm": self.algorithm,
            "seed": self.seed,
            "k_min": self.k_min,
            "k_max": self.k_max,
            "k": self.k,
            "n_init": self.n_init,
            "silhouette_sample_size": self.silhouette_sample_size,
            "numeric_features": list(self.numeric_features),
            "log1p_features": list(self.log1p_features),
            "categorical_features": list(self.categorical_features),
            "max_categories_per_feature": self.max_categories_per_feature,
            "stability_resamples": self.stability_resamples,
            "stability_sample_size": self.stability_sample_size,
            "min_stability": self.min_stability,
            "min_segment_share": self.min_segment_share,
            "holdout_share": self.holdout_share,
            "k_selection": self.k_selection,
            "usefulness_tolerance": self.usefulness_tolerance,
            "feature_weighting": self.feature_weighting,
            "hierarchical_sample_size": self.hierarchical_sample_size,
            "hdbscan_sample_size": self.hdbscan_sample_size,
            "autoencoder_sample_size": self.autoencoder_sample_size,
            "autoencoder_hidden_size": self.autoencoder_hidden_size,
            "autoencoder_bottleneck_size": self.autoencoder_bottleneck_size,
            "autoencoder_max_iter": self.autoencoder_max_iter,
            "outlier_radius_quantile": self.outlier_radius_quantile,
            "max_feature_correlation": self.max_feature_correlation,
            "explanation_max_depth": self.explanation_max_depth,
            "max_match_distance": self.max_match_distance,
        }


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"segmentation_{name} must be between {low} and {high}; got {value}")


RETRAINING_POLICIES = ("automatic", "manual")


@dataclass(frozen=True)
class MonitoringSettings:
    """The retraining policy and the rule that decides whether a stored model may serve a run.

    max_model_age_days          status retrain when the model is older than this
    psi_warn, psi_retrain       status warn / retrain when a clustering feature's population
                                stability index exceeds these
    share_shift_warn, share_shift_retrain
                                status warn / retrain when a segment's share of customers
                                moved more than these (absolute) since training
    retraining_policy           automatic: a retrain verdict refits in the same build;
                                manual: the verdict is reported and the model kept until a run
                                with var retrain: true
    min_population_overlap      a stored model serves this data only when at least this share
                                of its training customers (a sketch of them) is found again
                                with the same first order date; below it the model was fitted
                                on another shop
    """

    max_model_age_days: int = 180
    psi_warn: float = 0.1
    psi_retrain: float = 0.25
    share_shift_warn: float = 0.05
    share_shift_retrain: float = 0.1
    retraining_policy: str = "automatic"
    min_population_overlap: float = 0.5

    def __post_init__(self) -> None:
        if self.retraining_policy not in RETRAINING_POLICIES:
            raise ValueError(
                f"retraining_policy must be one of {', '.join(RETRAINING_POLICIES)}; "
                f"got {self.retraining_policy!r}"
            )
        if self.max_model_age_days < 0:
            raise ValueError("monitoring_max_model_age_days must not be negative")
        if not 0 <= self.psi_warn <= self.psi_retrain:
            raise ValueError("need 0 <= monitoring_psi_warn <= monitoring_psi_retrain")
        if not 0 <= self.share_shift_warn <= self.share_shift_retrain <= 1:
            raise ValueError(
                "need 0 <= monitoring_share_shift_warn <= monitoring_share_shift_retrain <= 1"
            )
        if not 0 < self.min_population_overlap <= 1:
            raise ValueError("model_reuse_min_population_overlap must be in (0, 1]")

    @classmethod
    def from_json(cls, text: str) -> MonitoringSettings:
        """Build the settings from the JSON document the dbt YAML renders from vars."""
        values = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown monitoring settings {unknown}; valid ones: {sorted(known)}")
        types = {f.name: f.type for f in fields(cls)}
        converted = {
            name: (
                int(value)
                if types[name] == "int"
                else float(value)
                if types[name] == "float"
                else str(value)
            )
            for name, value in values.items()
        }
        return cls(**converted)
