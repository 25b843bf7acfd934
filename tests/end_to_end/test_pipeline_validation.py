"""End to end on the demo shop: the segments judged on a time hold-out against the RFM grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import REPO_ROOT, assert_sql_fit_run_records, copy_warehouse, run_dbt

from customer_segmentation.segmentation.model_store import schema_violations

pytestmark = pytest.mark.dbt

ETA_METRICS = ("churn_eta_squared", "spend_eta_squared")
MIN_IMPROVEMENT = 0.15  # segmentation.validation_min_improvement (docs/configuration.md)


def _validation(run, where: str = "is_current_model") -> pd.DataFrame:
    return run.query(f"select * from marts.segment_validation where {where}")


def test_every_candidate_k_the_grid_and_the_quartiles_are_judged_on_the_same_customers(
    demo_build,
):
    validation = _validation(demo_build)
    assert set(validation["method"]) == {"segments", "rfm_grid", "recency_quartiles"}
    candidates = demo_build.query(
        "select k from marts.segment_model_selection where is_current_model order by k"
    )
    segments = validation[validation["method"] == "segments"]
    assert sorted(segments["k"].unique()) == candidates["k"].tolist() == list(range(4, 11))
    assert validation.groupby(["method", "k"]).size().eq(6).all()
    assert validation["value"].notna().all()
    assert validation.groupby("method")["is_chosen"].sum().to_dict() == {
        "segments": 6,
        "rfm_grid": 6,
        "recency_quartiles": 6,
    }
    hold_out = demo_build.query(
        """
        select count(*) as customers, min(cutoff_date) as cutoff_date
        from intermediate.int_customers_churn_labelled where cutoff_role = 'training'
        """
    ).iloc[0]
    as_of_date = demo_build.query("select as_of_date from intermediate.int_as_of_date").iloc[0, 0]
    # The demo shop is smaller than the fit sample: every hold-out customer is judged.
    assert (validation["customers"] == hold_out["customers"]).all()
    assert (validation["horizon_days"] == 90).all()
    assert (validation["validation_cutoff_date"] == hold_out["cutoff_date"]).all()
    assert (pd.to_datetime(validation["outcome_end_date"]) == pd.Timestamp(as_of_date)).all()
    eta = validation[validation["metric"].isin(ETA_METRICS)]
    assert eta["value"].between(0, 1).all()
    grid = eta[eta["method"] == "rfm_grid"].set_index("metric")["value"]
    for row in eta.itertuples():
        assert row.ratio_to_rfm_grid == pytest.approx(row.value / grid[row.metric])


def test_the_default_segments_beat_the_rfm_grid_on_the_demo_shop(demo_build):
    """The target of the issue, asserted as it stands (15% more variance explained than the
    11-label grid, on both churn and spend, with at most 11 segments, stability >= 0.8, every
    segment named and explained). Why it must hold on this data: the demo shop plants five
    personas whose next horizon differs by persona on more than recency and order counts (loyal
    high spenders keep ordering and spend the most, lapsed one-time buyers never return, window
    shoppers browse but rarely buy): segments that find the personas separate next-period churn
    and spend better than quintiles of recency, frequency and spend. No figure below comes from
    a build's output."""
    validation = _validation(demo_build)
    chosen = validation[validation["is_chosen"] & validation["metric"].isin(ETA_METRICS)]
    figures = chosen.pivot(index="metric", columns="method", values="value")
    for metric in ETA_METRICS:
        improvement = figures.loc[metric, "segments"] / figures.loc[metric, "rfm_grid"] - 1
        assert improvement >= MIN_IMPROVEMENT, (metric, figures.loc[metric].to_dict())
    model = demo_build.query("select * from marts.segment_models where is_current").iloc[0]
    assert model["beats_rfm_grid"]
    assert model["validation_verdict"].startswith("the segments beat the RFM grid by 15%")
    assert model["k"] <= 11
    selection = demo_build.query(
        "select * from marts.segment_model_selection where is_current_model and is_chosen"
    ).iloc[0]
    assert selection["stability"] >= 0.8
    assert selection["selection_reason"].startswith("chosen: usefulness")
    summary = demo_build.query("select segment_id, segment_name from marts.segment_summary")
    assert summary["segment_name"].notna().all() and summary["segment_name"].is_unique
    explained = demo_build.query("select distinct segment_id from marts.segment_explanations")
    assert set(explained["segment_id"]) == set(summary["segment_id"])
    assert "segment validation of " + model["model_id"] + ": the segments beat" in (
        demo_build.output
    )


def test_the_chosen_k_follows_the_usefulness_rule(demo_build):
    candidates = demo_build.query(
        "select * from marts.segment_model_selection where is_current_model order by k"
    )
    qualified = candidates[candidates["is_eligible"] & (candidates["stability"] >= 0.8)]
    best = qualified[["churn_eta_squared", "spend_eta_squared"]].max()
    usefulness = (
        qualified["churn_eta_squared"] / best["churn_eta_squared"]
        + qualified["spend_eta_squared"] / best["spend_eta_squared"]
    ) / 2
    assert usefulness.to_numpy() == pytest.approx(qualified["usefulness"].to_numpy())
    as_useful = qualified[usefulness >= usefulness.max() - 0.05]
    chosen = candidates[candidates["is_chosen"]]
    assert chosen["k"].tolist() == [as_useful.sort_values("silhouette")["k"].iloc[-1]]
    assert candidates["selection_reason"].notna().all()


def test_features_are_weighted_by_how_they_relate_to_the_outcomes(demo_build):
    features = demo_build.query(
        "select * from marts.segment_features where selection_status = 'kept'"
    ).set_index("feature")
    assert features["outcome_weight"].between(0.05, 1).all()
    assert features["outcome_weight"].max() == pytest.approx(1.0)
    # The weight is in the stored scale: scoring in SQL needs nothing else (and still agrees with
    # the Python model, test_sql_scoring_matches_the_python_model).
    model = demo_build.query("select * from marts.segment_models where is_current").iloc[0]
    assert "weighting_status" not in model["parameters"]


def _grid_in_python(features: pd.DataFrame, seed: pd.DataFrame) -> pd.Series:
    """The RFM grid computed here, independently of the SQL (docs/validation.md, "Reading the
    validation")."""

    def quintile(values: pd.Series) -> np.ndarray:
        edges = np.quantile(values.to_numpy(dtype=float), [0.2, 0.4, 0.6, 0.8])
        return np.searchsorted(edges, values.to_numpy(dtype=float), side="left") + 1

    recency = 6 - quintile(features["recency_days"])
    frequency_monetary = np.ceil(
        (quintile(features["frequency"]) + quintile(features["monetary"].fillna(0))) / 2
    ).astype(int)
    cells = seed.set_index(["recency_score", "frequency_monetary_score"])["segment_id"]
    return pd.Series(
        [cells[(r, fm)] for r, fm in zip(recency, frequency_monetary, strict=True)],
        index=features["customer_id"],
    )


def test_the_rfm_grid_in_sql_matches_an_independent_computation(demo_build):
    seed = pd.read_csv(REPO_ROOT / "seeds" / "rfm_grid_segments.csv")
    assert len(seed) == 25 and seed["segment_name"].nunique() == 11
    for cutoff in demo_build.query(
        "select distinct cutoff_date from intermediate.int_customers_rfm_scored"
    )["cutoff_date"]:
        features = demo_build.query(
            "select customer_id, recency_days, frequency, monetary "
            "from intermediate.int_customer_features_by_cutoff "
            f"where cutoff_date = '{pd.Timestamp(cutoff).date()}' order by customer_id"
        )
        scored = demo_build.query(
            "select customer_id, rfm_segment_id from intermediate.int_customers_rfm_scored "
            f"where cutoff_date = '{pd.Timestamp(cutoff).date()}' order by customer_id"
        ).set_index("customer_id")["rfm_segment_id"]
        expected = _grid_in_python(features, seed)
        assert (scored == expected.reindex(scored.index)).all(), cutoff


def test_the_rfm_grid_as_the_segmentation_fills_the_same_marts(demo_build, demo_data, tmp_path):
    database = copy_warehouse(demo_build, tmp_path)
    run = run_dbt(
        tmp_path,
        {"raw_data_path": str(demo_data), "segmentation": {"algorithm": "rfm_grid"}},
        extra_arguments=("--select", "segment_model_fit_rfm_grid+"),
        database=database,
    )
    model = run.query("select * from marts.segment_models where is_current").iloc[0]
    assert model["algorithm"] == "rfm_grid"
    assert model["validation_verdict"].startswith("the segments are the RFM grid")
    as_of_date = run.query("select as_of_date from intermediate.int_as_of_date").iloc[0, 0]
    segments = run.query(
        "select customer_id, segment_id, segment_name from marts.customer_segments"
    )
    grid = run.query(
        "select customer_id, rfm_segment_id, rfm_segment_name "
        "from intermediate.int_customers_rfm_scored "
        f"where cutoff_date = '{pd.Timestamp(as_of_date).date()}'"
    )
    joined = segments.merge(grid, on="customer_id", validate="one_to_one")
    assert len(joined) == len(segments) == len(grid)
    assert (joined["segment_id"] == joined["rfm_segment_id"]).all()
    assert (joined["segment_name"] == joined["rfm_segment_name"]).all()
    rules = run.query("select * from marts.segment_explanations")
    assert set(rules["segment_id"]) == set(segments["segment_id"])
    assert (rules["rule_precision"] == 1).all()

    # Like every fitter, the grid stores this run's decision and the drift reference that the
    # next run's monitoring measures against.
    assert_sql_fit_run_records(run, model["model_id"], as_of_date)

    # The grid judged in SQL (this model) and in Python (the kmeans model, same hold-out).
    validation = run.query("select * from marts.segment_validation")
    by_model = validation.pivot_table(
        index=["metric"], columns=["algorithm", "method"], values="value"
    )
    sql, python = by_model[("rfm_grid", "rfm_grid")], by_model[("kmeans", "rfm_grid")]
    assert sql.to_numpy() == pytest.approx(python.to_numpy(), abs=1e-9)
    assert by_model[("rfm_grid", "segments")].to_numpy() == pytest.approx(sql.to_numpy())
    sql_quartiles = by_model[("rfm_grid", "recency_quartiles")]
    assert sql_quartiles.to_numpy() == pytest.approx(
        by_model[("kmeans", "recency_quartiles")].to_numpy(), abs=1e-9
    )

    # The SQL fitter writes what the record classes of
    # customer_segmentation.segmentation.model_store hold.
    assert schema_violations(run.query("select * from ml.segment_model_fit_rfm_grid")) == []
