"""The memory-limit hooks (macros/memory): what they run for the profile's limit.

Every model drops DuckDB's table cache before and after it runs (evicted_table_cache), and so
does every data test before its query (the project's duckdb__get_test_sql). The order-line
staging, the categories, the baskets, customer_risk and the segmentation model's fit
also lower DuckDB's memory_limit while they run and restore the profile's afterwards
(docs/decisions.md, "Per-model memory limits"); a profile limit already lower, or one the
macros cannot read, is left alone.

Its dbt commands (`compile --inline`, and `ls` for the hooks each model has) run in one dbt
process that parses the project once (tests/end_to_end/dbt_worker.py); the profile, and so the
limit under test, is read again for each command.
"""

from __future__ import annotations

import json

import pytest
from dbt_worker import WAREHOUSE_FILE, DbtResult, DbtWorker

from demo.shop import generate_shop

pytestmark = pytest.mark.dbt

HOOKS = (
    "select '{{ lowered_memory_limit('2GB') }}' as lowered,"
    " '{{ restored_memory_limit() }}' as restored,"
    " '{{ evicted_table_cache() }}' as evicted,"
    " '{{ memory_size_bytes('2GiB') }}' as two_gibibytes,"
    " '{{ memory_size_bytes('1500 MB') }}' as fifteen_hundred_megabytes,"
    " '{{ memory_size_bytes('50%') }}' as percentage"
)


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    dbt = DbtWorker(tmp_path_factory.mktemp("memory_hooks"), {})
    yield dbt
    dbt.close()


def _compiled(worker, tmp_path, profile_limit, sql) -> DbtResult:
    return worker.run(
        ["compile", "--inline", sql],
        {},
        tmp_path / WAREHOUSE_FILE,
        env={"DUCKDB_MEMORY_LIMIT": profile_limit},
    )


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
    worker, tmp_path, profile_limit, lowered, restored
):
    run = _compiled(worker, tmp_path, profile_limit, HOOKS)
    assert run.success, run.output
    compiled = run.output.split("Compiled inline node is:")[-1]
    assert f"'{lowered}' as lowered" in compiled
    assert f"'{restored}' as restored" in compiled
    # The cache is evicted under a small limit, then the profile's limit holds again.
    assert f"'set memory_limit = '256MB'; {restored}' as evicted" in compiled
    assert "'2147483648.0' as two_gibibytes" in compiled
    assert "'1500000000.0' as fifteen_hundred_megabytes" in compiled
    assert "'None' as percentage" in compiled


def test_a_limit_that_is_not_a_size_is_a_compile_error(worker, tmp_path):
    run = _compiled(worker, tmp_path, "8GB", "select '{{ lowered_memory_limit('lots') }}'")
    assert not run.success
    assert "lowered_memory_limit takes a DuckDB size such as '1500MB', got \"lots\"" in run.output


# The models that run under a lower limit, and the limit each asks for; the segmentation model's
# fit is a Python model, whose hooks are set in its properties file.
LOWERED_MODELS = {
    "int_customers_categories_aggregated": "2GB",
    "int_customers_baskets_aggregated": "1200MB",
    "int_customer_features_by_cutoff": "1500MB",
    "customer_risk": "1500MB",
    "segment_model_fit": "1GB",
    "stg_shop__order_items_checked": "1500MB",
}


EVICTED = "{{ evicted_table_cache() }}"


def _listed(worker, tmp_path, resource_type) -> list[dict]:
    """Name and config of every node of the type, from `dbt ls`."""
    run = worker.run(
        ["ls", "--resource-type", resource_type, "--output", "json"]
        + ["--output-keys", "name", "config"],
        {},
        tmp_path / WAREHOUSE_FILE,
    )
    assert run.success, run.output
    return [json.loads(line) for line in run.output.splitlines() if line.startswith("{")]


def test_the_heavy_models_lower_the_limit_and_restore_it(worker, tmp_path):
    hooks = {}
    for node in _listed(worker, tmp_path, "model"):
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


def test_the_cache_is_kept_when_dbt_runs_more_than_one_thread(worker, tmp_path):
    # A model running beside the hook's would have to fit in 256MB for that moment.
    run = worker.run(
        [
            "compile",
            "--threads",
            "2",
            "--inline",
            "select '{{ evicted_table_cache() }}' as evicted",
        ],
        {},
        tmp_path / WAREHOUSE_FILE,
        env={"DUCKDB_MEMORY_LIMIT": "8GB"},
    )
    assert run.success, run.output
    assert "select '' as evicted" in run.output.split("Compiled inline node is:")[-1]


# The data tests that run under a lower limit (config meta memory_limit), and the limit each asks
# for; duckdb__get_test_sql sets it.
LOWERED_TESTS = {
    "unique_combination_stg_shop__order_items_checked_raw_fingerprint__raw_occurrence": "1500MB",
    "unique_stg_shop__events_checked_source_row_key": "1500MB",
}


def test_the_heavy_data_tests_ask_for_a_lower_limit(worker, tmp_path):
    limits = {
        node["name"]: node["config"]["meta"]["memory_limit"]
        for node in _listed(worker, tmp_path, "test")
        if "memory_limit" in node["config"]["meta"]
    }
    assert limits == LOWERED_TESTS


def test_every_data_test_evicts_the_cache_and_sets_its_limit_before_its_query(worker, tmp_path):
    # dbt runs no hooks for data tests: the project's get_test_sql evicts instead, just before
    # the test's query, whose SQL stays dbt's, and sets the lower limit a test asks for. --debug
    # logs every statement dbt sends.
    shop = tmp_path / "shop"
    generate_shop(shop, n_customers=100, seed=5, include_events=False)
    run = worker.run(
        [
            "--debug",
            "build",
            "--select",
            "+stg_shop__order_items_checked",
            "--indirect-selection",
            "cautious",
        ],
        {"raw_data_path": str(shop)},
        tmp_path / WAREHOUSE_FILE,
        env={"DUCKDB_MEMORY_LIMIT": "8GB"},
    )
    assert run.success, run.output
    tests = {
        unique_id: node["name"]
        for unique_id, node in run.nodes.items()
        if node["resource_type"] == "test"
    }
    # The order lines' unique test asks for a lower limit; the shop has no events.
    assert set(LOWERED_TESTS) & set(tests.values()) == {
        "unique_combination_stg_shop__order_items_checked_raw_fingerprint__raw_occurrence"
    }, tests
    eviction = "set memory_limit = '256MB'; set memory_limit = '8GB'"
    for unique_id, name in tests.items():
        executed = run.output.split(f"Began executing node {unique_id}\n")[1]
        executed = executed.split(f"Finished running node {unique_id}\n")[0]
        assert executed.count("dbt_internal_test") == 1, executed
        settings = executed[: executed.index("dbt_internal_test")].count("memory_limit")
        if name in LOWERED_TESTS:
            lowered = f"{eviction}; set memory_limit = '{LOWERED_TESTS[name]}'"
            assert executed.count(lowered) == 1 and settings == 3, executed
        else:
            assert executed.count(eviction) == 1 and settings == 2, executed
