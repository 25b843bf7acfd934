"""The settings of marts.customer_risk are declared once (macros/settings/risk_settings.sql); the
defaults shown to users in docs/risk.md and in the dbt_project.yml comment must say the same."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _declared() -> dict[str, float]:
    macro = (REPO_ROOT / "macros" / "settings" / "risk_settings.sql").read_text()
    found = re.findall(r"'(\w+)': \(([0-9.]+),", macro)
    assert found, "no settings found in macros/settings/risk_settings.sql"
    return {name: float(default) for name, default in found}


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
