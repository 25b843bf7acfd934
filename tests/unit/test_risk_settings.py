"""The settings of marts.customer_risk are declared once (customer_segmentation.settings.
RiskSettings); the defaults shown to users in docs/risk.md and in the dbt_project.yml comment must
say the same."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from customer_segmentation.settings import RiskSettings

REPO_ROOT = Path(__file__).resolve().parents[2]


def _declared() -> dict[str, float]:
    return {spec.name: float(spec.default) for spec in fields(RiskSettings)}


def test_docs_table_lists_every_setting_with_its_default() -> None:
    docs = (REPO_ROOT / "docs" / "risk.md").read_text()
    section = docs.split("## Settings: var `risk`", 1)[1].split("\n## ", 1)[0]
    documented = {
        name: float(default)
        for name, default in re.findall(r"^\| `(\w+)` \| ([0-9.]+) \|", section, re.M)
    }
    assert documented == _declared()


def test_project_comment_shows_the_defaults() -> None:
    project = (REPO_ROOT / "dbt_project.yml").read_text()
    block = project.split("# --- risk control", 1)[1].split("\n  risk:", 1)[0]
    example = " ".join(line.strip().lstrip("#") for line in block.splitlines())
    shown = {name: float(value) for name, value in re.findall(r"(\w+): ([0-9.]+)", example)}
    assert shown == _declared()


def test_values_out_of_bounds_fail_with_the_key() -> None:
    with pytest.raises(ValueError, match="risk.review_min_return_signals must be between 1 and 3"):
        RiskSettings(review_min_return_signals=4)
    with pytest.raises(ValueError, match="risk.min_orders must be a whole number"):
        RiskSettings.from_mapping({"min_orders": 2.5})
    assert RiskSettings.from_mapping({"shop_percentile": "0.95"}).shop_percentile == 0.95
