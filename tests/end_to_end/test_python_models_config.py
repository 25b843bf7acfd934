"""Every config key a dbt Python model reads reaches it (dbt's parser can miss nested calls)."""

from __future__ import annotations

import json
import re

from helpers import REPO_ROOT, run_dbt

CONFIG_GET = re.compile(r"""dbt\.config\.get\(\s*["']([^"']+)["']""")


def test_every_config_key_read_by_a_python_model_is_passed_to_it(tmp_path):
    run_dbt(tmp_path, {}, command="parse")
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    python_nodes = {
        node["original_file_path"]: node
        for node in manifest["nodes"].values()
        if node.get("language") == "python"
    }
    assert python_nodes, "no dbt Python models found"
    for path, node in python_nodes.items():
        read_in_code = set(CONFIG_GET.findall((REPO_ROOT / path).read_text()))
        passed = set(node["config"].get("config_keys_used") or [])
        assert read_in_code <= passed, f"{path}: {sorted(read_in_code - passed)} never reach it"
