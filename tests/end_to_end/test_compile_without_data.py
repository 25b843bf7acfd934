"""`dbt compile` reads no data: what depends on the data is decided at run time (the ingest step,
the scoring slots, pre-hooks). On an empty warehouse it gives exactly the SQL a build runs, and
while it compiles no node queries the input or a built table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import DbtRun, copy_warehouse, run_dbt

pytestmark = pytest.mark.dbt

PACKAGE = "customer_segmentation"
# The one node whose SQL lists what the warehouse holds, by purpose: it scans every relation
# outside staging for personal data, including relations no model declares.
CATALOGUE_TEST = "tests/dbt/assert_no_personal_data_after_staging.sql"
# The nodes that may run a query while they compile, and why that reads no data.
QUERYING_NODES = {
    # dbt.date_spine counts the days between two constant dates.
    f"model.{PACKAGE}.metricflow_time_spine",
    # Reads the catalogue (information_schema.columns): see CATALOGUE_TEST.
    f"test.{PACKAGE}.assert_no_personal_data_after_staging",
}


def compiled_tree(target: Path) -> dict[str, str]:
    """Every compiled file under target/compiled, by path, with its text."""
    root = target / "compiled" / PACKAGE
    return {
        str(path.relative_to(root)): path.read_text() for path in root.rglob("*") if path.is_file()
    }


def compile_project(work_dir: Path, database: Path, variables: dict) -> tuple[dict, set[str]]:
    """`dbt compile` of the whole project: the compiled tree, and the nodes that ran a query."""
    run = run_dbt(
        work_dir,
        variables,
        command="compile",
        extra_arguments=("--log-format-file", "json", "--log-level-file", "debug"),
        database=database,
    )
    querying = set()
    for line in (work_dir / "logs" / "dbt.log").read_text().splitlines():
        event = json.loads(line)
        if event["info"]["name"] != "SQLQuery":
            continue
        node = event["data"].get("node_info", {}).get("unique_id")
        statement = event["data"]["sql"].split("*/", 1)[-1].strip()
        # Without a node: dbt lists each schema's relations for its cache.
        if node and statement != "BEGIN":
            querying.add(node)
    # The ingest step (which logs "input <table>: found at ...") is no part of compiling.
    assert not re.search(r"input \w+: (found|not found|the file)", run.output)
    return compiled_tree(work_dir / "target"), querying


@pytest.fixture(scope="module")
def build_variables(demo_build: DbtRun, demo_data: Path) -> dict:
    """The vars of the demo build (run_dbt adds the export path of its work directory)."""
    return {
        "raw_data_path": str(demo_data),
        "export_path": str(demo_build.database.parent / "exports"),
    }


@pytest.fixture(scope="module")
def empty_compile(build_variables, tmp_path_factory) -> tuple[dict, set[str]]:
    """The project compiled on an empty warehouse, with the demo build's vars."""
    work_dir = tmp_path_factory.mktemp("compile_empty")
    return compile_project(work_dir, work_dir / "warehouse.duckdb", build_variables)


def test_compile_on_an_empty_warehouse_gives_the_sql_the_build_ran(demo_build, empty_compile):
    empty, querying = empty_compile
    assert querying <= QUERYING_NODES
    built = compiled_tree(demo_build.database.parent / "target")
    # The build also writes the fixtures of its unit tests, which `dbt compile` does not.
    assert set(empty) <= set(built)
    assert len(empty) > 500  # every model and test
    different = sorted(path for path in empty if empty[path] != built[path])
    assert different == [CATALOGUE_TEST]
    scoring = "models/intermediate/int_customers_segmented.sql"
    assert "dimension_12" in empty[scoring]  # one slot per default clustering feature


def test_compile_after_a_build_differs_only_in_the_incremental_models(
    demo_build, build_variables, empty_compile, tmp_path
):
    """After a build, incremental models compile to their incremental form (dbt's
    is_incremental()): nothing else changes, and nothing is read to compile them either."""
    empty, _ = empty_compile
    built_dir = tmp_path / "built"
    database = copy_warehouse(demo_build, built_dir)
    built, querying = compile_project(built_dir, database, build_variables)
    assert querying <= QUERYING_NODES
    manifest = json.loads((built_dir / "target" / "manifest.json").read_text())
    incremental = {
        node["original_file_path"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    }
    different = {path for path in empty if empty[path] != built[path]} - {CATALOGUE_TEST}
    assert different and different <= incremental
    assert "stg_shop__orders_checked" in " ".join(different)
