"""Federated K-means: shops that may not pool their customers fit one segmentation together.

Each shop keeps its customers (its warehouse's int_customer_features) to itself and answers the
coordinator's requests with aggregates only; no customer row leaves a shop. docs/federated.md
lists exactly what is shared. The protocol:

1. Scaling (two rounds): per numeric feature f, every shop sends its number of customers n, the
   number with a value m_f and the sum S1_f = sum t(x) over those values (t = log1p(max(x, 0))
   for log1p features, else x); the coordinator sends back the pooled means c_f = S1/m, and every
   shop sends S2_f = sum (t(x) - c_f)^2. The coordinator derives the scaling of
   customer_segmentation.segmentation.preprocessing from the pooled moments: fill = t^-1(c_f) (the
   mean of t, in raw units), centre = the pooled mean of t(filled x), scale = its pooled standard
   deviation, clip at +-clip_limit. (The project's own scaling uses medians and the IQR, which
   are not sums; means and standard deviations are, so they are what a shop shares.)
2. Start: without noise, every shop runs K-means++ on its own scaled customers and sends, per
   local cluster, its count and sum; the coordinator runs a weighted K-means on those local
   centres. With noise that step would not be private, so the start is public: random points
   drawn from a seed, or centroids given by the caller.
3. Lloyd iterations: the coordinator sends the k centroids; every shop assigns its customers to
   the nearest one and sends, per cluster, the count, the sum of the scaled rows (a d-vector)
   and the sum of squared norms; the coordinator sets each centroid to pooled sum / pooled
   count (an empty cluster keeps its centroid) and stops when no centroid moves.

From the same start this is exactly Lloyd's algorithm on the pooled rows: the pooled sums are
the sums of the shops' sums. tests/end_to_end/test_federated.py asserts the same labels and
centroids as scikit-learn's KMeans on the pooled rows.

Differential privacy (optional, settings epsilon and mechanism): every shop adds noise to what it
sends, so nobody, the coordinator included, sees its exact statistics. The privacy unit is one
customer of one shop (adding or removing a customer). Sensitivities come from bounds that hold
whatever the data: a scaled coordinate lies in [-L, L] (L = clip_limit, CLIP_LIMIT of
preprocessing), so in d dimensions one customer changes a cluster count by 1, the cluster sums by
at most d*L (L1) or sqrt(d)*L (L2), and the sum of squared norms by at most d*L^2; for the scaling
rounds, t(x) is clipped to public bounds [lo_f, hi_f] (feature_bounds) before it is summed, and
t(x) - c_f to +-(hi_f - lo_f)/2. The budget is split: scaling_budget_share to the scaling rounds,
the rest evenly over private_iterations iterations (a fixed number, public), evenly over the
statistics of each round, and for S1 and S2 evenly over the features. Laplace gives pure
epsilon-DP by basic composition; Gaussian gives (epsilon, delta)-DP by zero-concentrated DP (rho
from epsilon and delta, rho adding up over releases).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics.cluster import pair_confusion_matrix

from customer_segmentation.segmentation.preprocessing import (
    CLIP_LIMIT,
    SCALING_COLUMNS,
    apply_scaling,
)
from customer_segmentation.segmentation.scoring import assign_to_nearest

__all__ = [
    "MECHANISMS",
    "STARTS",
    "FederatedResult",
    "FederatedSettings",
    "PrivacyBudget",
    "Shop",
    "adjusted_rand_from_contingency",
    "compare_with_pooled",
    "fit_federated",
    "pooled_kmeans",
]

MECHANISMS = ("laplace", "gaussian")
STARTS = ("kmeans++", "random")
# Public bounds of t(x) for the scaling round under noise, when feature_bounds does not name the
# feature: log1p features lie in [0, ln(1 + 10^7)] up to ten million (days, orders, money);
# these rate features of the feature table lie in [0, 1].
LOG1P_UPPER_BOUND = math.log1p(1e7)
RATE_FEATURES = ("cart_abandonment_rate", "discount_share", "return_rate", "top_category_share")
DEFAULT_RELATION = "intermediate.int_customer_features"


@dataclass(frozen=True)
class FederatedSettings:
    """Everything that determines a federated fit (validated; unknown keys are refused).

    numeric_features, log1p_features   the features (numeric only) and those scaled by log1p
    k                      number of segments
    seed                   seed of the start (local K-means++, the weighted K-means, random start)
    max_iterations         most Lloyd iterations without noise (stops earlier when no centroid
                           moves)
    local_n_init           K-means++ starts of each shop's local K-means (start kmeans++)
    start                  kmeans++ (local K-means centres; not private) | random (seeded points
                           in the scaled space, public); default kmeans++ without noise, random
                           with noise
    clip_limit             L: every scaled coordinate lies in [-L, L]
    epsilon                privacy budget per shop for the whole fit; null: no noise
    mechanism              laplace (epsilon-DP) | gaussian ((epsilon, delta)-DP)
    delta                  delta of the Gaussian mechanism
    private_iterations     Lloyd iterations with noise (all run: their number is public)
    scaling_budget_share   share of the budget spent on the scaling round
    feature_bounds         {feature: [lo, hi]}: public bounds of t(x) for the scaling round with
                           noise (defaults: log1p features [0, ln(1 + 10^7)], the rate features
                           [0, 1]; any other feature must be named)
    noise_seed             seed of the noise (reproducible runs); null draws it from the
                           operating system, as a real deployment must
    """

    numeric_features: tuple[str, ...]
    log1p_features: tuple[str, ...] = ()
    k: int = 5
    seed: int = 42
    max_iterations: int = 100
    local_n_init: int = 10
    start: str | None = None
    clip_limit: float = CLIP_LIMIT
    epsilon: float | None = None
    mechanism: str = "laplace"
    delta: float = 1e-6
    private_iterations: int = 5
    scaling_budget_share: float = 0.2
    feature_bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    noise_seed: int | None = None

    def __post_init__(self) -> None:
        if not self.numeric_features:
            raise ValueError("federated K-means needs at least one numeric feature")
        unknown_log = set(self.log1p_features) - set(self.numeric_features)
        if unknown_log:
            raise ValueError(f"log1p_features not in numeric_features: {sorted(unknown_log)}")
        if self.k < 1:
            raise ValueError(f"k must be at least 1; got {self.k}")
        if self.max_iterations < 1 or self.private_iterations < 1 or self.local_n_init < 1:
            raise ValueError("max_iterations, private_iterations and local_n_init must be >= 1")
        if self.clip_limit <= 0:
            raise ValueError(f"clip_limit must be positive; got {self.clip_limit}")
        if self.start is not None and self.start not in STARTS:
            raise ValueError(f"start must be one of {', '.join(STARTS)}; got {self.start!r}")
        if self.mechanism not in MECHANISMS:
            raise ValueError(
                f"mechanism must be one of {', '.join(MECHANISMS)}; got {self.mechanism!r}"
            )
        if self.epsilon is not None and not self.epsilon > 0:
            raise ValueError(f"epsilon must be positive (or null: no noise); got {self.epsilon}")
        if not 0 < self.delta < 1:
            raise ValueError(f"delta must be in (0, 1); got {self.delta}")
        if not 0 < self.scaling_budget_share < 1:
            raise ValueError("scaling_budget_share must be in (0, 1)")
        if self.is_private and self.start == "kmeans++":
            raise ValueError(
                "the kmeans++ start shares local cluster centres without noise, which is not "
                "differentially private: with epsilon use start random, or give public start "
                "centroids"
            )
        for name, bounds in self.feature_bounds.items():
            if len(bounds) != 2 or not bounds[0] < bounds[1]:
                raise ValueError(f"feature_bounds[{name}] must be [lo, hi] with lo < hi")
        if self.is_private:
            missing = [
                name
                for name in self.numeric_features
                if name not in self.feature_bounds
                and name not in self.log1p_features
                and name not in RATE_FEATURES
            ]
            if missing:
                raise ValueError(
                    f"with epsilon, every feature needs public bounds of its values: give "
                    f"feature_bounds for {', '.join(missing)}"
                )

    @property
    def is_private(self) -> bool:
        return self.epsilon is not None

    @property
    def start_method(self) -> str:
        return self.start or ("random" if self.is_private else "kmeans++")

    def bounds(self, feature: str) -> tuple[float, float]:
        """Public bounds of t(x) of a feature (scaling round with noise)."""
        if feature in self.feature_bounds:
            low, high = self.feature_bounds[feature]
            return float(low), float(high)
        if feature in self.log1p_features:
            return 0.0, LOG1P_UPPER_BOUND
        return 0.0, 1.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> FederatedSettings:
        """Settings from plain values (JSON); an unknown key fails with the valid ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown federated settings {unknown}; valid ones: {sorted(known)}")
        arguments = dict(values)
        for name in ("numeric_features", "log1p_features"):
            if name in arguments:
                arguments[name] = tuple(str(value) for value in arguments[name] or ())
        if "feature_bounds" in arguments:
            arguments["feature_bounds"] = {
                str(name): (float(low), float(high))
                for name, (low, high) in (arguments["feature_bounds"] or {}).items()
            }
        for name in ("k", "seed", "max_iterations", "local_n_init", "private_iterations"):
            if name in arguments:
                arguments[name] = int(arguments[name])
        for name in ("clip_limit", "delta", "scaling_budget_share"):
            if name in arguments:
                arguments[name] = float(arguments[name])
        if arguments.get("epsilon") is not None:
            arguments["epsilon"] = float(arguments["epsilon"])
        return cls(**arguments)


@dataclass(frozen=True)
class PrivacyBudget:
    """How the budget is spent: per release, the noise scale of each statistic.

    Laplace: scale b = L1 sensitivity / epsilon_part, with the parts of a release adding up to
    its epsilon and the releases adding up to epsilon (basic composition).
    Gaussian: sigma = L2 sensitivity / sqrt(2 rho_part), with rho = (sqrt(epsilon + ln(1/delta))
    - sqrt(ln(1/delta)))^2 split the same way ((epsilon, delta)-DP from rho-zCDP).
    """

    settings: FederatedSettings
    dimensions: int

    @property
    def rho(self) -> float:
        log_term = math.log(1 / self.settings.delta)
        epsilon = float(self.settings.epsilon or 0.0)
        return (math.sqrt(epsilon + log_term) - math.sqrt(log_term)) ** 2

    def _share(self, release: str) -> float:
        """The share of the budget of one release: 'scaling' or one 'iteration'."""
        settings = self.settings
        if release == "scaling":
            return settings.scaling_budget_share
        return (1 - settings.scaling_budget_share) / settings.private_iterations

    def noise_scale(self, release: str, parts: int, l1: float, l2: float) -> float:
        """Noise scale of one of the `parts` statistics of a release, given its sensitivities."""
        share = self._share(release) / parts
        if self.settings.mechanism == "laplace":
            return l1 / (float(self.settings.epsilon) * share)
        return l2 / math.sqrt(2 * self.rho * share)

    def iteration_scales(self) -> dict[str, float]:
        """Noise scales of counts, sums and sums of squared norms in one Lloyd iteration."""
        d, limit = self.dimensions, self.settings.clip_limit
        return {
            "count": self.noise_scale("iteration", 3, l1=1.0, l2=1.0),
            "sum": self.noise_scale("iteration", 3, l1=d * limit, l2=math.sqrt(d) * limit),
            "sum_of_squares": self.noise_scale("iteration", 3, l1=d * limit**2, l2=d * limit**2),
        }

    def half_widths(self, features: Sequence[str]) -> np.ndarray:
        """w_f: deviations from the pooled mean are clipped to +-w_f in the spread round with
        noise; half the width of the feature's public bounds."""
        return np.array(
            [(high - low) / 2 for low, high in (self.settings.bounds(f) for f in features)]
        )

    def scaling_scales(self, features: Sequence[str]) -> dict[str, Any]:
        """Noise scales of n, the value counts, S1 (round 1) and S2 (round 2) of the scaling.

        S1 and S2 get a scale per feature: their part of the budget is split evenly over the
        features, each with its own sensitivity (b_f = max(|lo_f|, |hi_f|) for S1, w_f^2 for
        S2), so a rate in [0, 1] is not drowned by the noise a log1p feature's wide bounds need.
        """
        bounds = [self.settings.bounds(feature) for feature in features]
        largest = np.array([max(abs(low), abs(high)) for low, high in bounds])
        widths = self.half_widths(features)
        parts = 4 * len(features)
        return {
            "rows": self.noise_scale("scaling", 4, l1=1.0, l2=1.0),
            "values": self.noise_scale(
                "scaling", 4, l1=float(len(features)), l2=math.sqrt(len(features))
            ),
            "sum": np.array([self.noise_scale("scaling", parts, l1=b, l2=b) for b in largest]),
            "sum_of_squares": np.array(
                [self.noise_scale("scaling", parts, l1=w**2, l2=w**2) for w in widths]
            ),
        }

    def describe(self) -> str:
        settings = self.settings
        if settings.mechanism == "laplace":
            guarantee = f"epsilon = {settings.epsilon:g}-DP (Laplace, basic composition)"
        else:
            guarantee = (
                f"(epsilon = {settings.epsilon:g}, delta = {settings.delta:g})-DP "
                f"(Gaussian, rho = {self.rho:.4g} zCDP)"
            )
        return (
            f"{guarantee} per shop and customer over 1 scaling round and "
            f"{settings.private_iterations} iterations"
        )


class Shop:
    """One shop's side of the protocol. It holds its customers' features and answers only with
    the aggregates of the protocol (see the module docstring); rows never leave it.

    name: how the shop is called in the log. features: one row per customer (the columns of
    int_customer_features). noise: a random generator for the shop's own noise.
    """

    def __init__(self, name: str, features: pd.DataFrame) -> None:
        if features.empty:
            raise ValueError(f"shop {name} has no customers")
        self.name = name
        self._features = features.sort_values("customer_id", kind="stable").reset_index(drop=True)
        self._scaled: tuple[int, np.ndarray] | None = None

    @classmethod
    def from_warehouse(
        cls, path: str | Path, relation: str = DEFAULT_RELATION, name: str | None = None
    ) -> Shop:
        """A shop reading its customers from a built warehouse (opened read-only)."""
        import duckdb

        if not all(part.isidentifier() for part in relation.split(".")):
            raise ValueError(f"relation must be schema.table; got {relation!r}")
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no warehouse at {path}")
        with duckdb.connect(str(path), read_only=True) as connection:
            features = connection.sql(f"select * from {relation}").df()
        return cls(name or path.stem, features)

    @property
    def customers(self) -> int:
        """Known to the shop only (the protocol shares noisy counts, if noise is on)."""
        return len(self._features)

    def _matrix(self, scaling: pd.DataFrame) -> np.ndarray:
        key = hash(pd.util.hash_pandas_object(scaling, index=False).to_numpy().tobytes())
        if self._scaled is None or self._scaled[0] != key:
            self._scaled = (key, apply_scaling(self._features, scaling))
        return self._scaled[1]

    # --- what the shop shares ----------------------------------------------------------------

    def _transformed(
        self, features: Sequence[str], log1p_features: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """t(x) per feature (columns) and where x has a value."""
        values = np.column_stack(
            [
                pd.to_numeric(self._features[name], errors="coerce").to_numpy(dtype=float)
                if name in self._features.columns
                else np.full(len(self._features), np.nan)
                for name in features
            ]
        )
        present = ~np.isnan(values)
        log1p = np.array([name in set(log1p_features) for name in features])
        return np.where(log1p, np.log1p(np.clip(values, 0.0, None)), values), present

    def feature_means(
        self,
        features: Sequence[str],
        log1p_features: Sequence[str],
        noise: Callable[[str, np.ndarray], np.ndarray] | None = None,
        bounds: Mapping[str, tuple[float, float]] | None = None,
    ) -> dict[str, np.ndarray]:
        """Scaling round 1: rows (n), values (m_f) and sum (S1_f = sum of t(x)) per feature.

        bounds: clip t(x) to these public bounds first (with noise, so the sensitivity holds).
        """
        transformed, present = self._transformed(features, log1p_features)
        if bounds is not None:
            low = np.array([bounds[name][0] for name in features])
            high = np.array([bounds[name][1] for name in features])
            transformed = np.clip(transformed, low, high)
        moments = {
            "rows": np.array([float(len(transformed))]),
            "values": present.sum(axis=0).astype(float),
            "sum": np.where(present, transformed, 0.0).sum(axis=0),
        }
        return _noisy(moments, noise)

    def feature_spread(
        self,
        features: Sequence[str],
        log1p_features: Sequence[str],
        centers: np.ndarray,
        noise: Callable[[str, np.ndarray], np.ndarray] | None = None,
        half_widths: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Scaling round 2: sum_of_squares (S2_f = sum of (t(x) - c_f)^2) per feature, about the
        pooled means c_f of round 1.

        half_widths: clip t(x) - c_f to +-these first (with noise, so the sensitivity holds).
        """
        transformed, present = self._transformed(features, log1p_features)
        deviations = transformed - np.asarray(centers, dtype=float)
        if half_widths is not None:
            deviations = np.clip(deviations, -half_widths, half_widths)
        squares = np.where(present, deviations**2, 0.0).sum(axis=0)
        return _noisy({"sum_of_squares": squares}, noise)

    def local_centres(
        self, scaling: pd.DataFrame, k: int, seed: int, n_init: int
    ) -> dict[str, np.ndarray]:
        """Start (kmeans++, no noise): count and sum of each cluster of a local K-means."""
        x = self._matrix(scaling)
        clusters = min(k, len(np.unique(x, axis=0)))
        model = KMeans(n_clusters=clusters, n_init=n_init, random_state=seed).fit(x)
        return _cluster_sums(x, model.labels_, clusters)

    def cluster_statistics(
        self,
        scaling: pd.DataFrame,
        centroids: np.ndarray,
        noise: Callable[[str, np.ndarray], np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        """One Lloyd iteration: per cluster of the nearest given centroid, the count, the sum
        of the scaled rows and the sum of their squared norms."""
        x = self._matrix(scaling)
        positions, _ = assign_to_nearest(x, centroids)
        return _noisy(_cluster_sums(x, positions - 1, len(centroids)), noise)

    # --- local only, for evaluation ----------------------------------------------------------

    def labels(self, scaling: pd.DataFrame, centroids: np.ndarray) -> np.ndarray:
        """The shop's own customers' segments (1..k); kept by the shop."""
        positions, _ = assign_to_nearest(self._matrix(scaling), centroids)
        return positions

    def contingency(
        self, scaling: pd.DataFrame, centroids: np.ndarray, other_centroids: np.ndarray
    ) -> np.ndarray:
        """Counts of customers by (segment under centroids, segment under other_centroids): all
        an adjusted Rand index between the two needs, without any row."""
        first = self.labels(scaling, centroids) - 1
        second = self.labels(scaling, other_centroids) - 1
        table = np.zeros((len(centroids), len(other_centroids)))
        np.add.at(table, (first, second), 1.0)
        return table

    def scaled_rows_for_evaluation(self, scaling: pd.DataFrame) -> np.ndarray:
        """The shop's scaled rows. Not part of the protocol: only the pooled reference fit
        (pooled_kmeans), which a real federation cannot run, reads them."""
        return self._matrix(scaling)


@dataclass
class FederatedResult:
    """The fitted federated model and what the fit shared.

    scaling: one row per dimension in preprocessing's SCALING_COLUMNS (score with
    apply_scaling + scoring.assign_to_nearest, or load into the ml tables and use the SQL macro
    score_segments). centroids: (k, d) in scaled space. start: the start centroids.
    history: one row per round (round, kind, inertia from the shared sums, centroid shift).
    shared: one row per shop and round: how many numbers it sent, of which kind.
    """

    settings: FederatedSettings
    scaling: pd.DataFrame
    centroids: np.ndarray
    start: np.ndarray
    history: pd.DataFrame
    shared: pd.DataFrame
    dropped: dict[str, str]
    segment_sizes: np.ndarray
    iterations: int
    converged: bool
    privacy: str
    seconds: float

    def scaling_table(self) -> pd.DataFrame:
        return self.scaling[SCALING_COLUMNS].copy()

    def centroid_table(self) -> pd.DataFrame:
        rows = [
            {
                "segment_id": segment + 1,
                "feature": feature,
                "position": position + 1,
                "centroid_value": float(self.centroids[segment, position]),
            }
            for segment in range(len(self.centroids))
            for position, feature in enumerate(self.scaling["feature"])
        ]
        return pd.DataFrame(rows)

    def write(self, directory: str | Path) -> None:
        """scaling.csv, centroids.csv, history.csv, shared.csv and run.json in directory."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.scaling_table().to_csv(directory / "scaling.csv", index=False)
        self.centroid_table().to_csv(directory / "centroids.csv", index=False)
        self.history.to_csv(directory / "history.csv", index=False)
        self.shared.to_csv(directory / "shared.csv", index=False)
        summary = {
            "settings": {
                name.name: getattr(self.settings, name.name) for name in fields(self.settings)
            },
            "iterations": self.iterations,
            "converged": self.converged,
            "privacy": self.privacy,
            "dropped_features": self.dropped,
            "segment_sizes": self.segment_sizes.tolist(),
            "seconds": self.seconds,
        }
        summary["settings"]["feature_bounds"] = dict(self.settings.feature_bounds)
        (directory / "run.json").write_text(json.dumps(summary, indent=2, default=list) + "\n")


def fit_federated(
    shops: Sequence[Shop],
    settings: FederatedSettings,
    start_centroids: np.ndarray | None = None,
    progress: Callable[[str], None] | None = None,
) -> FederatedResult:
    """Fit one K-means over the shops by the protocol of this module.

    start_centroids: public start centroids (k, d) in the scaled space; they replace the start
    round (for example a previous model's centres). progress: called with one line per round.
    """
    if not shops:
        raise ValueError("federated K-means needs at least one shop")
    started = time.perf_counter()
    say = progress or (lambda line: None)
    shared: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    features = list(settings.numeric_features)
    budget = PrivacyBudget(settings, dimensions=len(features))
    noise_for = _noise_makers(shops, settings)

    # Round 1: the scaling, from pooled means and then the pooled spread about them.
    scales = budget.scaling_scales(features) if settings.is_private else None
    bounds = {name: settings.bounds(name) for name in features} if scales else None
    means = []
    for index, shop in enumerate(shops):
        noise = noise_for(index, scales)
        sent = shop.feature_means(features, settings.log1p_features, noise, bounds)
        means.append(sent)
        shared.append(_shared_row(shop, "scaling", 0, sent))
    pooled_means = _pooled_means(_total(means), features, settings)
    half_widths = budget.half_widths(features) if scales else None
    spreads = []
    for index, shop in enumerate(shops):
        noise = noise_for(index, scales)
        sent = shop.feature_spread(
            features, settings.log1p_features, pooled_means, noise, half_widths
        )
        spreads.append(sent)
        shared.append(_shared_row(shop, "scaling", 0, sent))
    scaling, dropped = _scaling_from_moments(
        {**_total(means), **_total(spreads)},
        pooled_means,
        features,
        settings,
        noise=scales,
        shops=len(shops),
    )
    if scaling.empty:
        raise ValueError(f"no feature has data and spread in any shop: {dropped}")
    say(
        f"scaling: {len(scaling)} dimensions from the moments of {len(shops)} shops"
        + (f" (dropped: {', '.join(dropped)})" if dropped else "")
    )

    # Round 2: the start.
    k = settings.k
    if start_centroids is not None:
        start = np.asarray(start_centroids, dtype=float)
        if start.shape != (k, len(scaling)):
            raise ValueError(f"start centroids must be {k} x {len(scaling)}; got {start.shape}")
        start_kind = "given"
    elif settings.start_method == "random":
        rng = np.random.default_rng(settings.seed)
        start = np.clip(rng.standard_normal((k, len(scaling))), -1.0, 1.0)
        start_kind = "random"
    else:
        local = []
        for shop in shops:
            sent = shop.local_centres(scaling, k, settings.seed, settings.local_n_init)
            local.append(sent)
            shared.append(_shared_row(shop, "start", 0, sent))
        start = _weighted_start(local, k, settings.seed)
        start_kind = "kmeans++"
    say(f"start: {start_kind}")

    # Lloyd iterations.
    centroids = start.copy()
    scales = budget.iteration_scales() if settings.is_private else None
    rounds = settings.private_iterations if settings.is_private else settings.max_iterations
    converged = False
    iteration = 0
    counts = np.zeros(k)
    for iteration in range(1, rounds + 1):
        statistics = []
        for index, shop in enumerate(shops):
            sent = shop.cluster_statistics(scaling, centroids, noise_for(index, scales))
            statistics.append(sent)
            shared.append(_shared_row(shop, "iteration", iteration, sent))
        total = _total(statistics)
        counts = total["count"]
        updated = centroids.copy()
        filled = counts >= 1.0
        updated[filled] = total["sum"][filled] / counts[filled, None]
        if settings.is_private:
            updated = np.clip(updated, -settings.clip_limit, settings.clip_limit)
        inertia = float(
            np.sum(total["sum_of_squares"])
            - np.sum(np.sum(total["sum"][filled] ** 2, axis=1) / counts[filled])
        )
        shift = float(np.sqrt(((updated - centroids) ** 2).sum(axis=1)).max())
        history.append(
            {
                "round": iteration,
                "customers": float(counts.sum()),
                "inertia": inertia,
                "max_centroid_shift": shift,
                "empty_segments": int((~filled).sum()),
            }
        )
        say(
            f"iteration {iteration}: inertia {inertia:,.1f}, largest centroid shift {shift:.2e}"
            + (f", {int((~filled).sum())} empty" if (~filled).any() else "")
        )
        centroids = updated
        if not settings.is_private and shift == 0.0:
            converged = True
            break
    return FederatedResult(
        settings=settings,
        scaling=scaling,
        centroids=centroids,
        start=start,
        history=pd.DataFrame(history),
        shared=pd.DataFrame(shared),
        dropped=dropped,
        segment_sizes=counts,
        iterations=iteration,
        converged=converged,
        privacy=budget.describe() if settings.is_private else "no noise",
        seconds=time.perf_counter() - started,
    )


def pooled_kmeans(
    shops: Sequence[Shop], scaling: pd.DataFrame, start: np.ndarray, max_iterations: int = 300
) -> tuple[np.ndarray, np.ndarray]:
    """The reference a federation cannot run: scikit-learn's K-means (Lloyd, one start: start)
    on every shop's scaled rows pooled, in shop order. Returns (labels 1..k, centroids)."""
    x = np.vstack([shop.scaled_rows_for_evaluation(scaling) for shop in shops])
    model = KMeans(
        n_clusters=len(start),
        init=start,
        n_init=1,
        max_iter=max_iterations,
        tol=0.0,
        algorithm="lloyd",
    ).fit(x)
    return model.labels_ + 1, model.cluster_centers_


def compare_with_pooled(
    shops: Sequence[Shop], result: FederatedResult, reference: FederatedResult | None = None
) -> dict[str, float]:
    """Evaluation only (it reads every shop's rows, which a federation cannot): how far the
    federated segments are from pooled K-means.

    same_start_ari, largest_centroid_difference: against scikit-learn's K-means on the pooled
    rows, in the fit's own scaled space, from the fit's own start (1.0 and ~1e-15 without noise).
    pooled_fit_ari: against the pooled fit without noise (reference, or the federated fit with
    the same settings but no noise and the kmeans++ start, which equals pooled K-means from that
    start); the figure that says what the noise costs.
    """
    from sklearn.metrics import adjusted_rand_score

    labels, centroids = pooled_kmeans(shops, result.scaling, result.start)
    federated = np.concatenate([shop.labels(result.scaling, result.centroids) for shop in shops])
    comparison = {
        "same_start_ari": float(adjusted_rand_score(labels, federated)),
        "largest_centroid_difference": float(np.abs(centroids - result.centroids).max()),
    }
    if reference is None:
        if not result.settings.is_private and result.settings.start_method == "kmeans++":
            comparison["pooled_fit_ari"] = comparison["same_start_ari"]
            return comparison
        reference = fit_federated(
            shops, replace(result.settings, epsilon=None, start=None, noise_seed=None)
        )
    reference_labels, _ = pooled_kmeans(shops, reference.scaling, reference.start)
    comparison["pooled_fit_ari"] = float(adjusted_rand_score(reference_labels, federated))
    return comparison


def adjusted_rand_from_contingency(table: np.ndarray) -> float:
    """The adjusted Rand index of two labelings from their contingency table (counts of rows by
    label pair), as sklearn.metrics.adjusted_rand_score computes it from the labels."""
    table = np.asarray(table, dtype=float)
    rows, columns = np.nonzero(table)
    first = np.repeat(rows, table[rows, columns].astype(int))
    second = np.repeat(columns, table[rows, columns].astype(int))
    (tn, fp), (fn, tp) = pair_confusion_matrix(first, second).astype(float)
    if fn == 0 and fp == 0:
        return 1.0
    return float(2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)))


# --- internals ----------------------------------------------------------------------------------


def _cluster_sums(x: np.ndarray, labels: np.ndarray, k: int) -> dict[str, np.ndarray]:
    counts = np.bincount(labels, minlength=k).astype(float)
    sums = np.zeros((k, x.shape[1]))
    np.add.at(sums, labels, x)
    squares = np.bincount(labels, weights=(x**2).sum(axis=1), minlength=k)
    return {"count": counts, "sum": sums, "sum_of_squares": squares}


def _noisy(
    statistics: dict[str, np.ndarray], noise: Callable[[str, np.ndarray], np.ndarray] | None
) -> dict[str, np.ndarray]:
    if noise is None:
        return statistics
    return {name: value + noise(name, value) for name, value in statistics.items()}


def _noise_makers(
    shops: Sequence[Shop], settings: FederatedSettings
) -> Callable[[int, dict[str, Any] | None], Callable[[str, np.ndarray], np.ndarray] | None]:
    """Per shop, a function adding that shop's own noise to a statistic (scales per name)."""
    generators = [
        np.random.default_rng(None if settings.noise_seed is None else [settings.noise_seed, index])
        for index in range(len(shops))
    ]

    def make(index: int, scales: dict[str, Any] | None):
        if scales is None:
            return None
        generator = generators[index]

        def noise(name: str, value: np.ndarray) -> np.ndarray:
            scale = scales[name]
            if settings.mechanism == "laplace":
                return generator.laplace(0.0, scale, size=np.shape(value))
            return generator.normal(0.0, scale, size=np.shape(value))

        return noise

    return make


def _total(parts: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Elementwise sums over shops, added in shop order."""
    total = {name: np.array(value, dtype=float) for name, value in parts[0].items()}
    for part in parts[1:]:
        for name, value in part.items():
            total[name] = total[name] + value
    return total


def _shared_row(shop: Shop, kind: str, round_number: int, sent: dict[str, np.ndarray]) -> dict:
    row: dict[str, Any] = {"shop": shop.name, "kind": kind, "round": round_number}
    for name, value in sent.items():
        row[f"{name}_numbers"] = int(np.size(value))
    row["numbers"] = int(sum(np.size(value) for value in sent.values()))
    return row


def _pooled_means(
    total: dict[str, np.ndarray], features: Sequence[str], settings: FederatedSettings
) -> np.ndarray:
    """The pooled mean of t(x) over the customers with a value, per feature (round 1); inside
    the public bounds with noise, 0 for a feature without values."""
    means = []
    for index, name in enumerate(features):
        values = float(total["values"][index])
        mean = float(total["sum"][index]) / values if values >= 1.0 else 0.0
        if settings.is_private:
            low, high = settings.bounds(name)
            mean = min(max(mean, low), high)
        means.append(mean)
    return np.array(means)


def _scaling_from_moments(
    total: dict[str, np.ndarray],
    means: np.ndarray,
    features: Sequence[str],
    settings: FederatedSettings,
    noise: Mapping[str, Any] | None = None,
    shops: int = 1,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The scaling parameters (preprocessing's SCALING_COLUMNS) from the pooled rows n, values
    m_f, means c_f (round 1) and squared deviations S2_f about them (round 2).

    fill = t^-1(c_f); the filled customers sit at t(fill) (c_f up to rounding), so the centre is
    the mean and the variance the pooled sum of squared deviations over every customer.
    With noise (noise: the per-shop noise scales, shops: how many added it) what is derived is
    kept plausible (post-processing, which costs no privacy): counts at least 1 and at most the
    rows, the variance at most a quarter of the bounds' width squared (the largest variance
    values inside the bounds can have) and at least the standard deviation its noise gives it.
    A variance below its own noise would otherwise come out near zero now and then, and the
    feature's tiny scale would then blow it up over every other; with the floor, a feature
    whose spread the noise hides weighs less instead.
    """
    rows_total = max(float(total["rows"][0]), 1.0)
    rows: list[dict[str, Any]] = []
    dropped: dict[str, str] = {}
    for index, name in enumerate(features):
        values = min(float(total["values"][index]), rows_total)
        if values < 1.0:
            dropped[name] = "no data in any shop"
            continue
        log1p = name in settings.log1p_features
        mean_t = float(means[index])
        fill_value = float(np.expm1(mean_t)) if log1p else mean_t
        filled_t = float(np.log1p(max(fill_value, 0.0))) if log1p else fill_value
        missing = max(rows_total - values, 0.0)
        center = (values * mean_t + missing * filled_t) / rows_total
        squares = float(total["sum_of_squares"][index]) + missing * (filled_t - mean_t) ** 2
        variance = squares / rows_total - (center - mean_t) ** 2
        if settings.is_private and noise is not None:
            low, high = settings.bounds(name)
            spread = math.sqrt(shops) * (math.sqrt(2) if settings.mechanism == "laplace" else 1)
            floor = spread * float(np.asarray(noise["sum_of_squares"])[index]) / rows_total
            variance = min(max(variance, floor, (1e-3 * (high - low)) ** 2), (high - low) ** 2 / 4)
        if not variance > 1e-12:
            dropped[name] = "no spread"
            continue
        rows.append(
            {
                "feature": name,
                "source_column": name,
                "category_value": None,
                "transform": "log1p" if log1p else "identity",
                "fill_value": fill_value,
                "center": center,
                "scale": math.sqrt(variance),
                "clip_limit": settings.clip_limit,
            }
        )
    scaling = pd.DataFrame(rows, columns=[c for c in SCALING_COLUMNS if c != "position"])
    scaling.insert(1, "position", np.arange(1, len(scaling) + 1, dtype="int64"))
    return scaling, dropped


def _weighted_start(local: Sequence[dict[str, np.ndarray]], k: int, seed: int) -> np.ndarray:
    """K-means++ with weights on the shops' local cluster centres."""
    counts = np.concatenate([part["count"] for part in local])
    sums = np.vstack([part["sum"] for part in local])
    kept = counts > 0
    centres = sums[kept] / counts[kept, None]
    if len(centres) < k:
        raise ValueError(f"the shops have {len(centres)} distinct local centres, fewer than k={k}")
    model = KMeans(n_clusters=k, n_init=10, random_state=seed)
    model.fit(centres, sample_weight=counts[kept])
    return model.cluster_centers_


def features_of_shops(paths: Sequence[Path]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The numeric and log1p clustering features every shop's build was configured with (the
    parameters of its current model, as customer_segmentation.segmentation.model_store reads
    it); they must agree."""
    import duckdb

    from customer_segmentation.segmentation.model_store import read_warehouse_model

    found = set()
    for path in paths:
        with duckdb.connect(str(path), read_only=True) as connection:
            model = read_warehouse_model(connection)
        parameters = model.parameters if model is not None else {}
        if "numeric_features" not in parameters:
            raise ValueError(f"{path} has no segment model to read the features from: --features")
        found.add(
            (
                tuple(parameters["numeric_features"]),
                tuple(parameters.get("log1p_features") or ()),
            )
        )
    if len(found) != 1:
        raise ValueError(
            "the shops' builds use different clustering features: name them with --features "
            "and --log1p-features"
        )
    return found.pop()


def main(argv: list[str] | None = None) -> int:
    """`customer-segmentation federated`: fit one K-means over several shops' warehouses."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="customer-segmentation federated",
        description="Fit one K-means over several shops (built warehouses) that share only "
        "per-cluster counts, sums and sums of squares (docs/federated.md).",
    )
    parser.add_argument(
        "--warehouse",
        action="append",
        required=True,
        help="a shop: a DuckDB file, or FILE#schema.table for a shop's feature table in a shared "
        "file (repeat for every shop)",
    )
    parser.add_argument(
        "--relation", default=DEFAULT_RELATION, help="the feature table of a FILE without #"
    )
    parser.add_argument("--k", type=int, help="segments (default 5)")
    parser.add_argument("--features", help="comma-separated (default: the shops' build settings)")
    parser.add_argument("--log1p-features", help="comma-separated subset of --features")
    parser.add_argument("--epsilon", type=float, help="privacy budget per shop (default: none)")
    parser.add_argument("--mechanism", choices=MECHANISMS)
    parser.add_argument("--delta", type=float)
    parser.add_argument("--private-iterations", type=int)
    parser.add_argument("--start", choices=STARTS)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--noise-seed", type=int, help="reproducible noise (tests, demos)")
    parser.add_argument("--settings", help="more settings as a JSON object (FederatedSettings)")
    parser.add_argument(
        "--compare-pooled",
        action="store_true",
        help="also fit K-means on the pooled rows from the same start and print the adjusted "
        "Rand index (evaluation only: it reads every shop's rows in this process)",
    )
    parser.add_argument("--output", type=Path, help="write the model and the log here")
    arguments = parser.parse_args(argv)
    try:
        values: dict[str, Any] = json.loads(arguments.settings) if arguments.settings else {}
        if arguments.features:
            values["numeric_features"] = arguments.features.split(",")
            values["log1p_features"] = (arguments.log1p_features or "").split(",")
            values["log1p_features"] = [name for name in values["log1p_features"] if name]
        elif "numeric_features" not in values:
            numeric, log1p = features_of_shops(
                sorted({Path(spec.split("#")[0]) for spec in arguments.warehouse})
            )
            values["numeric_features"], values["log1p_features"] = numeric, log1p
        for name in (
            "k",
            "epsilon",
            "mechanism",
            "delta",
            "private_iterations",
            "start",
            "seed",
            "noise_seed",
        ):
            if getattr(arguments, name) is not None:
                values[name] = getattr(arguments, name)
        settings = FederatedSettings.from_mapping(values)
        # A shop is named after its file (and table); the whole argument when that repeats.
        labels = [
            Path(spec.partition("#")[0]).stem + spec[len(spec.partition("#")[0]) :]
            for spec in arguments.warehouse
        ]
        shops = []
        for spec, label in zip(arguments.warehouse, labels, strict=True):
            path, _, relation = spec.partition("#")
            name = label if labels.count(label) == 1 else spec
            shops.append(Shop.from_warehouse(path, relation or arguments.relation, name))
    except (ValueError, FileNotFoundError) as error:
        print(f"customer-segmentation federated: {error}", file=sys.stderr)
        return 2
    print(
        f"federated K-means: {len(shops)} shops, k={settings.k}, "
        f"{len(settings.numeric_features)} features, "
        + (
            f"noise: {settings.mechanism}, epsilon {settings.epsilon:g}"
            if settings.is_private
            else "no noise"
        ),
        flush=True,
    )
    result = fit_federated(shops, settings, progress=lambda line: print(f"  {line}", flush=True))
    shared = result.shared.groupby("shop")["numbers"].sum()
    print(
        f"done in {result.seconds:.2f} s: {result.iterations} iterations"
        + (", converged" if result.converged else "")
        + f"; {result.privacy}"
    )
    print(
        "segment sizes (from the shared counts): "
        + ", ".join(f"{size:,.0f}" for size in result.segment_sizes)
    )
    print(
        "numbers each shop sent: "
        + ", ".join(f"{shop} {count:,}" for shop, count in shared.items())
    )
    if arguments.compare_pooled:
        comparison = compare_with_pooled(shops, result)
        print(
            f"pooled K-means from the same start: adjusted Rand index "
            f"{comparison['same_start_ari']:.4f}, largest centroid difference "
            f"{comparison['largest_centroid_difference']:.2e}"
        )
        if settings.is_private or settings.start_method != "kmeans++":
            print(
                "the pooled fit without noise (kmeans++ start): adjusted Rand index "
                f"{comparison['pooled_fit_ari']:.4f}"
            )
    if arguments.output:
        result.write(arguments.output)
        print(f"model and log written to {arguments.output}")
    return 0
