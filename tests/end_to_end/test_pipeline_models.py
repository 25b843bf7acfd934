"""End to end: every algorithm, refits, and segment ids that stay put across runs."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dbt_worker import DbtWorker
from helpers import DbtRun, copy_warehouse, planted_personas, run_dbt
from sklearn.metrics import adjusted_rand_score

pytestmark = pytest.mark.dbt

SEGMENTS = "select customer_id, segment_id, segment_name from marts.customer_segments"
# What the refit test reads (segments, the model registry, the matched segments) and its parents,
# with the data tests on them: the churn and purchase scores, activation, review-topic, fairness and
# profile marts play no part in matching segments across a refit (their data tests run in the
# demo build). Cautious: a test that also reads a model left out is left out with it.
REFIT_NODES = (
    "--select",
    "+customer_segments",
    "+segment_models",
    "+segment_model_segments",
    "--indirect-selection",
    "cautious",
)

# dbt unit tests check a model's SQL on rows they give themselves, not on the shop: a build whose
# vars are the demo build's but for the data (raw_data_path) would only repeat the demo build's.
NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
# What a rerun can change: the segment model's fit, which reads the models it stored before, with
# its parents (rebuilt from the same data: staging reruns incrementally) and every node downstream
# (the incremental history, monitoring and decision tables among them), with their data tests.
# The rest (the churn and purchase scores, review topics, rejected-row tables) are tables rebuilt
# from their parents alone that read nothing of an earlier run; the demo build this test copies
# built and tested them with the same vars.
RERUN_NODES = ("--select", "+segment_model_fit+", *NO_UNIT_TESTS)


@pytest.fixture(scope="module")
def parsed_dbt(tmp_path_factory):
    """One dbt process for the per-algorithm refits (tests/end_to_end/dbt_worker.py): the
    algorithm is a node config, read at parse time, so each algorithm parses the project again,
    but in a process that has imported dbt and warmed its caches: 7 to 8 s a parse instead of
    10 to 11 s, plus 3 s of start-up, for a dbt subprocess. `parsed_dbt(variables)` is the
    process, parsed with these vars."""
    work_dir = tmp_path_factory.mktemp("algorithms_dbt")
    workers: list[DbtWorker] = []

    def parsed_with(variables: dict) -> DbtWorker:
        if not workers:
            workers.append(DbtWorker(work_dir, variables))
            return workers[0]
        parsed = workers[0].run(["parse"], variables, work_dir / "parse" / "warehouse.duckdb")
        assert parsed.success, parsed.output[-3000:]
        return workers[0]

    yield parsed_with
    for worker in workers:
        worker.close()


@pytest.mark.parametrize(
    ("algorithm", "minimum_ari"),
    [("hierarchical", 0.6), ("hdbscan", 0.45), ("autoencoder_kmeans", 0.6)],
)
def test_each_algorithm_builds_every_mart_and_finds_the_personas(
    algorithm, minimum_ari, parsed_dbt, demo_build, demo_data, tmp_path
):
    database = copy_warehouse(demo_build, tmp_path)
    # Mart exports go beside the warehouse; the parse and the build read the same vars.
    variables = {
        "export_path": str(tmp_path / "exports"),
        "raw_data_path": str(demo_data),
        "segmentation": {"algorithm": algorithm},
    }
    dbt = parsed_dbt(variables)
    result = dbt.run(["build", "--select", "segment_model_fit+"], variables, database)
    assert result.success and not result.problems(), f"{result.problems()}\n{result.output[-4000:]}"
    run = DbtRun(database, 0, result.output)
    assert "1 fitted with other settings (algorithm" in run.output
    registry = run.query("select * from marts.segment_models order by trained_at")
    assert registry["algorithm"].tolist() == ["kmeans", algorithm]
    assert registry["is_current"].tolist() == [False, True]
    current = registry.iloc[-1]
    assert current["previous_model_id"] == registry.iloc[0]["model_id"]

    segments = run.query(SEGMENTS)
    joined = segments.merge(planted_personas(demo_data), on="customer_id")
    ari = adjusted_rand_score(joined["persona"], joined["segment_id"])
    assert ari >= minimum_ari, f"{algorithm}: ARI {ari:.3f} against the planted personas"
    summary = run.query("select * from marts.segment_summary")
    assert summary["segment_name"].is_unique
    if algorithm == "hdbscan":
        outliers = summary[summary["segment_name"] == "Unclustered / outliers"]
        assert len(outliers) == 1
        assert 0 < outliers["share_of_customers"].iloc[0] < 0.3
    if algorithm == "hierarchical":
        linkage = run.query(
            "select count(*) as n from ml.segment_model_fit where record_type = 'linkage'"
        )
        assert linkage["n"].iloc[0] > 0
    if algorithm == "autoencoder_kmeans":
        assert current["reconstruction_mse"] > 0
        assert 0 <= current["ari_vs_kmeans"] <= 1


def test_a_rerun_on_the_same_data_keeps_the_model_and_changes_nothing(
    demo_build, demo_data, tmp_path
):
    database = copy_warehouse(demo_build, tmp_path)
    run = run_dbt(
        tmp_path, {"raw_data_path": str(demo_data)}, extra_arguments=RERUN_NODES, database=database
    )
    assert "current model kept" in run.output
    query = "select * from marts.customer_segments order by customer_id"
    pd.testing.assert_frame_equal(demo_build.query(query), run.query(query))
    assert len(run.query("select * from marts.segment_models")) == 1


def test_ten_percent_new_customers_keep_the_segment_ids_and_names(demo_data, tmp_path):
    """Fit on 90% of the customers, then refit on all: matched segments keep id and name."""
    orders = pq.read_table(demo_data / "orders.parquet")
    customer_ids = sorted(set(orders.column("customer_id").drop_null().to_pylist()))
    late_joiners = pa.array(customer_ids[::10], type=orders.schema.field("customer_id").type)
    first = tmp_path / "first"
    first.mkdir()
    for path in demo_data.glob("*.parquet"):
        table = pq.read_table(path)
        if "customer_id" in table.column_names:
            table = table.filter(pc.invert(pc.is_in(table.column("customer_id"), late_joiners)))
        pq.write_table(table, first / path.name)
    before = run_dbt(
        tmp_path / "build",
        {"raw_data_path": str(first)},
        extra_arguments=(*REFIT_NODES, *NO_UNIT_TESTS),
    )
    before_segments = before.query(SEGMENTS)

    after = run_dbt(
        tmp_path / "build",
        {"raw_data_path": str(demo_data), "retrain": True},
        extra_arguments=REFIT_NODES,
        database=before.database,
    )
    registry = after.query("select * from marts.segment_models order by trained_at")
    assert len(registry) == 2
    current = registry.iloc[-1]
    assert current["segments_matched"] >= len(before_segments["segment_id"].unique()) - 1

    after_segments = after.query(SEGMENTS)
    names_before = dict(
        zip(before_segments["segment_id"], before_segments["segment_name"], strict=False)
    )
    matched = after.query(
        "select segment_id, segment_name from ml.segment_model_segments "
        "where match_status = 'matched'"
    )
    for segment_id, name in zip(matched["segment_id"], matched["segment_name"], strict=True):
        assert names_before[segment_id] == name
    both = before_segments.merge(after_segments, on="customer_id", suffixes=("_before", "_after"))
    kept = (both["segment_id_before"] == both["segment_id_after"]).mean()
    assert kept >= 0.9, f"only {kept:.1%} of returning customers kept their segment id"
