"""Settings of one segmentation fit, as passed from dbt vars to the Python models."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

ALGORITHMS = ("kmeans",)


@dataclass(frozen=True)
class SegmentationSettings:
    """Everything that determines a fit. Same settings and same data give the same model."""

    numeric_features: tuple[str, ...]
    log1p_features: tuple[str, ...] = ()
    categorical_features: tuple[str, ...] = ()
    algorithm: str = "kmeans"
    seed: int = 42
    k_min: int = 3
    k_max: int = 8
    k: int | None = None
    n_init: int = 10
    silhouette_sample_size: int = 10_000
    max_categories_per_feature: int = 10
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"segmentation_algorithm must be one of {', '.join(ALGORITHMS)}; "
                f"got {self.algorithm!r}"
            )
        if self.k_min < 1 or self.k_max < self.k_min:
            raise ValueError(
                "need 1 <= segmentation_k_min <= segmentation_k_max; "
                f"got {self.k_min}..{self.k_max}"
            )
        if self.k is not None and self.k < 1:
            raise ValueError(f"segmentation_k must be a positive integer or null; got {self.k}")
        if self.n_init < 1:
            raise ValueError(f"segmentation_n_init must be at least 1; got {self.n_init}")
        if self.silhouette_sample_size < 2:
            raise ValueError("segmentation_silhouette_sample_size must be at least 2")
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
        for name in ("seed", "k_min", "k_max", "n_init", "silhouette_sample_size"):
            if name in kwargs:
                kwargs[name] = int(kwargs[name])
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
        }
