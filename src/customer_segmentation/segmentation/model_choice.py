"""Which segmentation model serves a run: a stored model that is valid for it, or a new fit.

A stored model (any model in the registry ml.segment_model_history, or the table the last run
wrote) serves the run's as_of_date only when all of these hold:

- it was fitted on this shop: its population sketch (below) overlaps the run's customers by at
  least MonitoringSettings.min_population_overlap;
- it was fitted on or before the run's as_of_date (a model never scores a date before its
  own);
- it was fitted with the run's settings.

The rules, first match decides (choose_model):

1. start_over: stored models are ignored: a fit from scratch.
2. No stored model: "first model fitted".
3. Stored models exist and every one whose overlap can be measured was fitted on another shop:
   ShopMismatchError. The build stops: segment history, migration and monitoring would otherwise
   mix two shops.
4. var retrain: a refit.
5. No stored model is valid: a refit; the reason says why each kind of model was not.
6. The latest valid model (by training date, then the one in use) is judged by the retraining
   policy at the run's own as_of_date (evaluate_policy: model age, feature drift and segment
   share shift over every current customer). A retrain verdict refits in the same build (unless
   the policy is manual); otherwise the model is kept.

A refit is matched to the nearest stored model of this shop (latest on or before the run date,
else the earliest after it), so that matched segments keep their ids and names; new ids continue
after the largest id any stored model issued. A model whose overlap cannot be measured is neither
kept nor matched against (it may be another shop's).

Population sketch. The training sample (int_customer_features_training_sample) is the
customers ordered by md5(customer_id): the first SKETCH_SIZE of them, with their first order
dates, are a uniform sample of the population, coordinated across runs. For one shop, a sketch
member with a key up to the largest key of a run's sample, who was a customer at the run's date,
is in that sample; and a run's sample member with a key up to the sketch's largest key, who was a
customer at the model's date, is in the sketch. The overlap (population_overlap) is the share of
those expected meetings that happen with the same first order date, so it works both for later
runs and for back-filled earlier ones. Fewer than MIN_COMPARABLE_MEMBERS expected meetings: the
overlap cannot be measured (None). The sketch stores md5 hashes of customer ids, never the ids.

Drift. The model stores, per clustering feature, the decile edges of its training population and
the customers per bin (int_feature_drift_reference). The population stability index (PSI) of a
feature compares the run's customers binned by those edges (bin 0: missing) with the stored
counts, every share floored at PSI_SHARE_FLOOR: PSI = sum (now - then) * ln(now / then). SQL
(int_feature_drift, marts.segment_monitoring) computes the same figures for the model in use.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from customer_segmentation.segmentation.model import SegmentationModel
from customer_segmentation.segmentation.model_store import (
    DecisionRecord,
    StoredModel,
    kept_model_table,
    new_model_table,
)
from customer_segmentation.segmentation.preprocessing import apply_scaling
from customer_segmentation.segmentation.scoring import assign_to_nearest
from customer_segmentation.segmentation.tracking import PreviousModel
from customer_segmentation.settings import MonitoringSettings, SegmentationSettings

__all__ = [
    "ModelChoice",
    "PolicyVerdict",
    "ShopMismatchError",
    "choose_model",
    "evaluate_policy",
    "kept_model_artifacts",
    "new_model_artifacts",
    "population_overlap",
    "population_sketch",
    "run_decision",
]

SKETCH_SIZE = 512
MIN_COMPARABLE_MEMBERS = 20
PSI_SHARE_FLOOR = 0.0001
DRIFT_BINS = 10


class ShopMismatchError(RuntimeError):
    """The warehouse holds models of another shop: this data would mix with their history."""


def as_date(value: object) -> date:
    """A run date from what the engine hands over (date, datetime, Timestamp or ISO text)."""
    return pd.Timestamp(value).date()


def population_key(customer_ids: Iterable[object]) -> list[str]:
    """md5 of each customer id as text (lower-case hex), as SQL's md5(cast(id as text))."""
    return [
        hashlib.md5(str(customer_id).encode("utf-8")).hexdigest() for customer_id in customer_ids
    ]


def population_sketch(training_sample: pd.DataFrame, size: int = SKETCH_SIZE) -> pd.DataFrame:
    """The SKETCH_SIZE customers with the smallest md5(customer_id): population_key and
    first_order_date (datetime.date). Input: the training sample (customer_id,
    first_order_date)."""
    if training_sample.empty:
        return pd.DataFrame({"population_key": [], "first_order_date": []})
    keyed = pd.DataFrame(
        {
            "population_key": population_key(training_sample["customer_id"]),
            "customer_id": training_sample["customer_id"].astype(str).to_numpy(),
            "first_order_date": pd.to_datetime(training_sample["first_order_date"]).dt.date,
        }
    )
    keyed = keyed.sort_values(["population_key", "customer_id"], kind="stable").head(size)
    return keyed[["population_key", "first_order_date"]].reset_index(drop=True)


def population_overlap(
    sketch: pd.DataFrame,
    training_as_of_date: date,
    run_sample: pd.DataFrame,
    as_of_date: date,
) -> float | None:
    """Share of the customers two populations should share that they do share, or None.

    sketch: a stored model's population sketch (population_key, first_order_date), fitted at
    training_as_of_date; run_sample: this run's training sample (customer_id, first_order_date).
    Both are the customers of a shop with the smallest keys, so for one shop:
    - a sketch member with a key up to the run sample's largest and a first order before
      as_of_date is a customer of the run, hence in its sample;
    - a run sample member with a key up to the sketch's largest and a first order before
      training_as_of_date was a customer then, hence in the sketch;
    each with the same first order date. The overlap is the share of those expected meetings
    that happen; fewer than MIN_COMPARABLE_MEMBERS expected: None (cannot tell).
    """
    if sketch.empty or run_sample.empty:
        return None
    stored = dict(
        zip(
            sketch["population_key"],
            pd.to_datetime(sketch["first_order_date"]).dt.date,
            strict=True,
        )
    )
    current = dict(
        zip(
            population_key(run_sample["customer_id"]),
            pd.to_datetime(run_sample["first_order_date"]).dt.date,
            strict=True,
        )
    )
    expected = found = 0
    for members, cutoff, other in (
        (stored, as_of_date, current),
        (current, training_as_of_date, stored),
    ):
        largest_key = max(other)
        for key, first_order in members.items():
            if key <= largest_key and first_order < cutoff:
                expected += 1
                found += other.get(key) == first_order
    if expected < MIN_COMPARABLE_MEMBERS:
        return None
    return found / expected


@dataclass(frozen=True)
class PolicyVerdict:
    """The retraining policy's judgement of one model at one run date."""

    status: str
    reason: str
    model_age_days: int
    max_feature_psi: float | None
    max_psi_feature: str | None
    max_segment_share_shift: float | None
    feature_psi: dict[str, float] = field(default_factory=dict)


def _bin_values(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Bin 0 for missing values, else the first bin 1..9 whose upper edge holds the value, else
    bin 10 (as int_feature_drift's case over the edges; a missing edge holds nothing)."""
    bins = np.full(len(values), DRIFT_BINS, dtype="int64")
    assigned = np.isnan(values)
    bins[assigned] = 0
    for position, edge in enumerate(edges, start=1):
        if edge is None or np.isnan(edge):
            continue
        hit = ~assigned & (values <= edge)
        bins[hit] = position
        assigned |= hit
    return bins


def population_stability_index(reference: dict[int, float], current: dict[int, float]) -> float:
    """PSI between two bin -> customers maps, shares floored at PSI_SHARE_FLOOR, rounded to 12
    digits as in SQL (the order of a parallel sum changes the last bits)."""
    reference_total = sum(reference.values())
    current_total = sum(current.values())
    total = 0.0
    for bin_number in sorted(set(reference) | set(current)):
        then = reference.get(bin_number, 0.0) / reference_total if reference_total else 0.0
        now = current.get(bin_number, 0.0) / current_total if current_total else 0.0
        then, now = max(then, PSI_SHARE_FLOOR), max(now, PSI_SHARE_FLOOR)
        total += (now - then) * math.log(now / then)
    return round(total, 12)


def _format_number(value: float, digits: int) -> str:
    """A rounded number as SQL prints it (no trailing zeros beyond one decimal)."""
    return repr(float(round(value, digits)))


def policy_status(
    model_age_days: int,
    max_feature_psi: float | None,
    max_psi_feature: str | None,
    max_segment_share_shift: float | None,
    settings: MonitoringSettings,
) -> tuple[str, str]:
    """(status, reason) of marts.segment_monitoring for these figures: first matching rule."""
    psi = max_feature_psi if max_feature_psi is not None else -math.inf
    shift = max_segment_share_shift if max_segment_share_shift is not None else -math.inf
    if model_age_days > settings.max_model_age_days:
        return "retrain", (
            f"the model is {model_age_days} days old (limit {settings.max_model_age_days})"
        )
    if psi > settings.psi_retrain:
        return "retrain", (
            f"feature {max_psi_feature} drifted: PSI {_format_number(psi, 3)}"
            f" > {settings.psi_retrain}"
        )
    if shift > settings.share_shift_retrain:
        return "retrain", (
            f"a segment's share moved by {_format_number(100 * shift, 1)} points since training"
            f" (limit {100 * settings.share_shift_retrain})"
        )
    if psi > settings.psi_warn:
        return "warn", (
            f"feature {max_psi_feature} is drifting: PSI {_format_number(psi, 3)}"
            f" > {settings.psi_warn}"
        )
    if shift > settings.share_shift_warn:
        return "warn", (
            f"a segment's share moved by {_format_number(100 * shift, 1)} points since training"
        )
    return "ok", "no drift beyond the warning thresholds"


def evaluate_policy(
    model: StoredModel,
    customers: Iterable[pd.DataFrame],
    as_of_date: date,
    drift_features: Sequence[str],
    settings: MonitoringSettings,
) -> PolicyVerdict:
    """Judge a stored model at a run date, over every current customer.

    customers: batches of int_customer_features (the drift features and the model's source
    columns); each batch is binned and scored, then dropped, so memory stays bounded.
    """
    as_of_date = as_date(as_of_date)
    reference = model.drift_reference
    edges = {
        feature: [
            rows.loc[rows["bin"] == b, "upper_edge"].iloc[0] if (rows["bin"] == b).any() else np.nan
            for b in range(1, DRIFT_BINS)
        ]
        for feature, rows in reference.groupby("feature")
    }
    features = [feature for feature in drift_features if feature in edges]
    current_bins: dict[str, dict[int, float]] = {feature: {} for feature in features}
    previous = model.previous_model()
    radius = model.segment_values("radius", previous.segment_ids)
    current_segments: dict[int, float] = {}
    for batch in customers:
        for feature in features:
            values = pd.to_numeric(batch[feature], errors="coerce").to_numpy(dtype="float64")
            counts = np.bincount(_bin_values(values, edges[feature]), minlength=DRIFT_BINS + 1)
            for bin_number, count in enumerate(counts):
                if count:
                    current_bins[feature][bin_number] = (
                        current_bins[feature].get(bin_number, 0.0) + count
                    )
        if len(batch):
            x = apply_scaling(batch, previous.scaling)
            positions, _ = assign_to_nearest(
                x, previous.centroids, radius, np.asarray(previous.is_outlier, dtype=bool)
            )
            for position, count in zip(*np.unique(positions, return_counts=True), strict=True):
                segment_id = previous.segment_ids[int(position) - 1]
                current_segments[segment_id] = current_segments.get(segment_id, 0.0) + count

    feature_psi = {}
    for feature in features:
        rows = reference[reference["feature"] == feature]
        stored = {
            int(b): float(c)
            for b, c in zip(rows["bin"], rows["reference_customers"], strict=True)
            if c and not np.isnan(c)
        }
        feature_psi[feature] = population_stability_index(stored, current_bins[feature])
    max_feature, max_psi = None, None
    if feature_psi:
        max_feature, max_psi = min(feature_psi.items(), key=lambda item: (-item[1], item[0]))

    training = model.segment_values("training_customers", previous.segment_ids)
    training_total = float(np.nansum(training))
    current_total = float(sum(current_segments.values()))
    shifts = []
    for segment_id, trained in zip(previous.segment_ids, training, strict=True):
        then = trained / training_total if training_total else 0.0
        now = current_segments.get(segment_id, 0.0) / current_total if current_total else 0.0
        shifts.append(abs(now - then))
    max_shift = max(shifts) if shifts else None
    age = (as_of_date - model.training_as_of_date).days
    status, reason = policy_status(age, max_psi, max_feature, max_shift, settings)
    return PolicyVerdict(status, reason, age, max_psi, max_feature, max_shift, feature_psi)


@dataclass(frozen=True)
class ModelChoice:
    """What serves the run: keep `kept`, or fit a new model matched to `previous`."""

    action: str  # first_fit | refit | keep
    reason: str
    kept: StoredModel | None = None
    previous: PreviousModel | None = None
    candidate: StoredModel | None = None
    population_overlap: float | None = None
    verdict: PolicyVerdict | None = None
    ids_issued: int = 0

    @property
    def refit(self) -> bool:
        return self.action != "keep"


def _describe_invalid(
    later: list[StoredModel], changed: dict[str, list[str]], as_of_date: date
) -> str:
    parts = []
    if later:
        dates = sorted({m.training_as_of_date for m in later})
        parts.append(
            f"{len(later)} fitted after {as_of_date} (on {', '.join(str(d) for d in dates[:3])}"
            f"{', ...' if len(dates) > 3 else ''}); a model never scores a date before its own"
        )
    if changed:
        names = sorted({name for names in changed.values() for name in names})
        parts.append(f"{len(changed)} fitted with other settings ({', '.join(names)})")
    return "; ".join(parts)


def choose_model(
    stored: Sequence[StoredModel],
    settings: SegmentationSettings,
    monitoring: MonitoringSettings,
    as_of_date: date,
    run_sample: pd.DataFrame,
    evaluate: Callable[[StoredModel], PolicyVerdict],
    retrain_requested: bool = False,
    start_over: bool = False,
) -> ModelChoice:
    """Apply the rules of the module docstring. evaluate judges one candidate (evaluate_policy
    over the run's customers); it is called at most once."""
    as_of_date = as_date(as_of_date)
    if start_over:
        return ModelChoice(
            "first_fit",
            f"first model fitted: start_over is true, so the {len(stored)} stored model(s) of "
            "this warehouse are ignored",
        )
    if not stored:
        return ModelChoice("first_fit", "first model fitted: no model is stored in this warehouse")
    overlaps = {
        m.model_id: population_overlap(m.sketch, m.training_as_of_date, run_sample, as_of_date)
        for m in stored
    }
    measured = {model_id: o for model_id, o in overlaps.items() if o is not None}
    this_shop = [
        m
        for m in stored
        if overlaps[m.model_id] is not None
        and overlaps[m.model_id] >= monitoring.min_population_overlap
    ]
    if measured and not this_shop:
        best = max(measured.values())
        raise ShopMismatchError(
            f"this warehouse holds the segment models and history of another shop: none of its "
            f"{len(stored)} stored models was fitted on these customers (at most {best:.0%} of a "
            f"model's training customers are found in this input with the same first order date;"
            f" {monitoring.min_population_overlap:.0%} needed). Segment history, migration and "
            "monitoring would mix two shops, so the build stops here. Either build this data "
            "into a warehouse of its own (set DBT_DUCKDB_PATH, e.g. "
            "DBT_DUCKDB_PATH=warehouse/my_shop.duckdb dbt build --vars '{...}'), or discard this "
            "warehouse's models and history and start over with this data: add start_over: true "
            "to --vars, once."
        )
    # A model whose overlap cannot be measured (a run date before most of its customers' first
    # orders, or a model stored without a sketch) may be another shop's: it is neither kept nor
    # matched against (its names could be another shop's), but its ids are never issued again.
    unmeasured = [m for m in stored if overlaps[m.model_id] is None]
    earlier = [m for m in this_shop if m.training_as_of_date <= as_of_date]
    later = [m for m in this_shop if m.training_as_of_date > as_of_date]
    nearest_model = earlier[-1] if earlier else (later[0] if later else None)
    issued = max((m.max_segment_id_issued for m in stored), default=0)
    previous = None if nearest_model is None else nearest_model.previous_model(issued)
    if retrain_requested:
        return ModelChoice("refit", "var retrain is true", previous=previous, ids_issued=issued)

    changed = {m.model_id: m.settings_changed(settings) for m in earlier}
    valid = [m for m in earlier if not changed[m.model_id]]
    if not valid:
        invalid = _describe_invalid(
            later, {model_id: names for model_id, names in changed.items() if names}, as_of_date
        )
        if unmeasured:
            invalid += "; " if invalid else ""
            invalid += f"{len(unmeasured)} could not be compared with these customers"
        return ModelChoice(
            "refit",
            f"no stored model is valid for {as_of_date}: {invalid}",
            previous=previous,
            ids_issued=issued,
        )

    candidate = valid[-1]
    overlap = overlaps[candidate.model_id]
    verdict = evaluate(candidate)
    judged = (
        f"model {candidate.model_id} (fitted {candidate.training_as_of_date}, "
        f"{overlap:.0%} of its customers found again) judged {verdict.status} for {as_of_date}: "
        f"{verdict.reason}"
    )
    if verdict.status == "retrain" and monitoring.retraining_policy == "automatic":
        return ModelChoice(
            "refit",
            f"retraining policy: {judged}",
            previous=candidate.previous_model(issued),
            ids_issued=issued,
            candidate=candidate,
            population_overlap=overlap,
            verdict=verdict,
        )
    kept = f"current model kept: {judged}"
    if verdict.status == "retrain":
        kept += (
            "; monitoring.retraining_policy is manual: run with --vars '{retrain: true}' to refit"
        )
    return ModelChoice(
        "keep",
        kept,
        kept=candidate,
        candidate=candidate,
        population_overlap=overlap,
        verdict=verdict,
    )


def run_decision(choice: ModelChoice, as_of_date: date, input_source: str) -> list[DecisionRecord]:
    """The decision of this run (stored with the model that serves it)."""
    verdict = choice.verdict
    texts = {
        "action": choice.action,
        "reason": choice.reason,
        "run_as_of_date": str(as_of_date),
        "input_source": input_source,
        "candidate_model_id": None if choice.candidate is None else choice.candidate.model_id,
        "candidate_training_as_of_date": (
            None if choice.candidate is None else str(choice.candidate.training_as_of_date)
        ),
        "policy_status": None if verdict is None else verdict.status,
        "policy_reason": None if verdict is None else verdict.reason,
        "max_psi_feature": None if verdict is None else verdict.max_psi_feature,
    }
    numbers = {
        "population_overlap": choice.population_overlap,
        "model_age_days": None if verdict is None else float(verdict.model_age_days),
        "max_feature_psi": None if verdict is None else verdict.max_feature_psi,
        "max_segment_share_shift": None if verdict is None else verdict.max_segment_share_shift,
    }
    return [DecisionRecord(name, text=text) for name, text in texts.items()] + [
        DecisionRecord(name, value=value) for name, value in numbers.items()
    ]


def kept_model_artifacts(choice: ModelChoice, as_of_date: date, input_source: str) -> pd.DataFrame:
    """The artifact table of a run that keeps a stored model: its rows and this run's decision."""
    if choice.kept is None:
        raise ValueError("the choice keeps no model")
    return kept_model_table(choice.kept, run_decision(choice, as_of_date, input_source))


def new_model_artifacts(
    fitted: SegmentationModel,
    choice: ModelChoice,
    training_sample: pd.DataFrame,
    drift_reference: pd.DataFrame,
    as_of_date: date,
    input_source: str,
) -> pd.DataFrame:
    """The artifact table of a run that fits: the fit, its population sketch, drift reference
    and input source, and this run's decision."""
    return new_model_table(
        fitted,
        population_sketch(training_sample),
        drift_reference,
        input_source,
        run_decision(choice, as_of_date, input_source),
    )
