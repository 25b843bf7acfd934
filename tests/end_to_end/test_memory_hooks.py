"""The per-model memory-limit hooks (macros/memory): what they run for the profile's limit.

categories and customer_risk lower DuckDB's memory_limit while they run and restore the
profile's afterwards (docs/decisions.md, "Per-model memory limits"); a profile limit already
lower, or one the macros cannot read, is left alone.

The four `dbt compile --inline` commands run in one dbt process that parses the project once
(tests/end_to_end/dbt_worker.py); the profile, and so the limit under test, is read again for
each command.
"""

from __future__ import annotations

import pytest
from dbt_worker import WAREHOUSE_FILE, DbtResult, DbtWorker

pytestmark = pytest.mark.dbt

HOOKS = (
    "select '{{ lowered_memory_limit('2GB') }}' as lowered,"
    " '{{ restored_memory_limit() }}' as restored,"
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
    assert "'2147483648.0' as two_gibibytes" in compiled
    assert "'1500000000.0' as fifteen_hundred_megabytes" in compiled
    assert "'None' as percentage" in compiled


def test_a_limit_that_is_not_a_size_is_a_compile_error(worker, tmp_path):
    run = _compiled(worker, tmp_path, "8GB", "select '{{ lowered_memory_limit('lots') }}'")
    assert not run.success
    assert "lowered_memory_limit takes a DuckDB size such as '1500MB', got \"lots\"" in run.output
