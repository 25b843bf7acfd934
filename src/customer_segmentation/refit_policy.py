"""Whether a run fits a new model or keeps scoring with the current one.

A run keeps the current model unless one of these holds (first match is the reason):
1. there is no current model;
2. the run asks for it (dbt var `retrain`);
3. the settings changed since the model was fitted (features, algorithm, k range, ...);
4. the retraining policy says so (customer_segmentation.monitoring, when it is given).
Keeping the model means customers are scored against the same centroids, so segment ids and
names stay put between runs; a refit is matched to the previous model (see
customer_segmentation.tracking) so that matched segments keep theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from customer_segmentation.settings import SegmentationSettings


@dataclass(frozen=True)
class RefitDecision:
    """refit: fit a new model; reason: one sentence for the log and the registry."""

    refit: bool
    reason: str


def previous_parameters(artifacts: pd.DataFrame) -> dict[str, object]:
    """The settings a stored model was fitted with, from its `parameter` artifact rows."""
    rows = artifacts[artifacts["record_type"] == "parameter"]
    parameters: dict[str, object] = {}
    for name, text in zip(rows["metric"], rows["text_value"], strict=True):
        try:
            parameters[str(name)] = json.loads(text)
        except (TypeError, ValueError):
            parameters[str(name)] = text
    return parameters


def latest_retrain_reason(monitoring: pd.DataFrame | None) -> str | None:
    """The reason of the latest monitoring row when its status is `retrain`, else None.

    Input: marts.segment_monitoring as pandas (as_of_date, status, reason), or None before the
    first run.
    """
    if monitoring is None or monitoring.empty:
        return None
    latest = monitoring.sort_values("as_of_date").iloc[-1]
    if latest["status"] != "retrain":
        return None
    return f"{latest['reason']} (monitoring of {pd.Timestamp(latest['as_of_date']).date()})"


def decide_refit(
    previous_artifacts: pd.DataFrame | None,
    settings: SegmentationSettings,
    force: bool = False,
    policy_reason: str | None = None,
) -> RefitDecision:
    """Decide whether to fit a new model (see the module docstring for the rules)."""
    if previous_artifacts is None or previous_artifacts.empty:
        return RefitDecision(True, "no current model")
    if force:
        return RefitDecision(True, "var retrain is true")
    stored = previous_parameters(previous_artifacts)
    changed = sorted(
        name
        for name, value in settings.as_parameters().items()
        if name in stored and json.loads(json.dumps(value)) != stored[name]
    )
    missing = sorted(set(settings.as_parameters()) - set(stored))
    if changed or missing:
        return RefitDecision(True, f"settings changed: {', '.join(changed + missing)}")
    if policy_reason:
        return RefitDecision(True, f"retraining policy: {policy_reason}")
    return RefitDecision(False, "current model kept: settings unchanged and no retrain asked")
