"""The memory-limit hooks (macros/memory): what they run for the profile's limit.

Every model drops DuckDB's table cache before and after it runs (evicted_table_cache). The
order-line staging, the categories, the baskets, customer_risk and the segmentation model's fit
also lower DuckDB's memory_limit while they run and restore the profile's afterwards
(docs/decisions.md, "Per-model memory limits"); a profile limit already lower, or one the
macros cannot read, is left alone.
"""

from __future__ import annotations

import json

import pytest
from helpers import run_dbt

pytestmark = pytest.mark.dbt

HOOKS = (
    "select '{{ lowered_memory_limit('2GB') }}' as lowered,"
    " '{{ restored_memory_limit() }}' as restored,"
    " '{{ evicted_table_cache() }}' as evicted,"
    " '{{ memory_size_bytes('2GiB') }}' as two_gibibytes,"
    " '{{ memory_size_bytes('1500 MB') }}' as fifteen_hundred_megabytes,"
    " '{{ memory_size_bytes('50%') }}' as percentage"
)


def _compiled(tmp_path, monkeypatch, profile_limit, sql):
    monkeypatch.setenv("DUCKDB_MEMORY_LIMIT", profile_limit)
    return run_dbt(tmp_path, {}, command="compile", extra_arguments=("--inline", sql), check=False)


@pytest.mark.parametrize(
    ("profile_limit", "lowered", "restored"),
    [
        ("8GB", "set memory_limit = '2GB'", "set memory_limit = '8GB'"),
        # Already lower than the model asks: kept, and set again afterwards.
        ("1GB", "", "set memory_limit = '1GB'"),
        # Not a size the macros read: left as the profile has it.
        ("50%", "", "set memory_limit = '50%'"),
    ],
)
def test_a_model_lowers_the_limit_only_below_the_profiles(
    tmp_path, monkeypatch, profile_limit, lowered, restored
):
    run = _compiled(tmp_path, monkeypatch, profile_limit, HOOKS)
    assert run.returncode == 0, run.output
    compiled = run.output.split("Compiled inline node is:")[-1]
    assert f"'{lowered}' as lowered" in compiled
    assert f"'{restored}' as restored" in compiled
    # The cache is evicted under a small limit, then the profile's limit holds again.
    assert f"'set memory_limit = '256MB'; {restored}' as evicted" in compiled
    assert "'2147483648.0' as two_gibibytes" in compiled
    assert "'1500000000.0' as fifteen_hundred_megabytes" in compiled
    assert "'None' as percentage" in compiled


def test_a_limit_that_is_not_a_size_is_a_compile_error(tmp_path, monkeypatch):
    run = _compiled(tmp_path, monkeypatch, "8GB", "select '{{ lowered_memory_limit('lots') }}'")
    assert run.returncode != 0
    assert "lowered_memory_limit takes a DuckDB size such as '1500MB', got \"lots\"" in run.output


# The models that run under a lower limit, and the limit each asks for; the segmentation model's
# fit is a Python model, whose hooks are set in its properties file.
LOWERED_MODELS = {
    "int_customers_categories_aggregated": "2GB",
    "int_customers_baskets_aggregated": "2GB",
    "customer_risk": "1500MB",
    "segment_model_fit": "1GB",
    "stg_shop__order_items_checked": "1500MB",
}


EVICTED = "{{ evicted_table_cache() }}"


def test_the_heavy_models_lower_the_limit_and_restore_it(tmp_path):
    run = run_dbt(
        tmp_path,
        {},
        command="ls",
        extra_arguments=(
            "--resource-type",
            "model",
            "--output",
            "json",
            "--output-keys",
            "name",
            "config",
        ),
    )
    hooks = {}
    for line in run.output.splitlines():
        if not line.startswith("{"):
            continue
        node = json.loads(line)
        pre = [hook["sql"] for hook in node["config"]["pre-hook"] if "memory_limit" in hook["sql"]]
        post = [
            hook["sql"] for hook in node["config"]["post-hook"] if "memory_limit" in hook["sql"]
        ]
        if pre or post:
            hooks[node["name"]] = (pre, post)
        # Every model first drops DuckDB's table cache, and drops it again when it is written.
        # Outside the model's transaction: a Python model writes its table from a cursor of its
        # own, which a transaction begun before the model runs would not see.
        for kind in ("pre-hook", "post-hook"):
            assert node["config"][kind][0] == {"sql": EVICTED, "transaction": False, "index": None}
            if node["name"] == "segment_model_fit":
                assert all(hook["transaction"] is False for hook in node["config"][kind])
    assert hooks == {
        name: ([f"{{{{ lowered_memory_limit('{limit}') }}}}"], ["{{ restored_memory_limit() }}"])
        for name, limit in LOWERED_MODELS.items()
    }
