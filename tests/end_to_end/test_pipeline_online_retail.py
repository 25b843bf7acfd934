"""End to end on real data: UCI Online Retail, converted by the documented example script."""

from __future__ import annotations

import pytest
from helpers import copy_warehouse, run_dbt

pytestmark = pytest.mark.dbt


def test_every_identified_customer_with_a_purchase_is_segmented(online_retail_build):
    counts = online_retail_build.query(
        """
        select
            (select count(*) from staging.stg_shop__orders) as staged_orders,
            (select count(*) from staging.stg_shop__orders_rejected
             where rejection_reason = 'missing_customer_id') as anonymous_orders,
            (select count(*) from marts.customer_segments) as segmented,
            (select count(*) from intermediate.int_customer_features) as eligible,
            (select as_of_date from intermediate.int_as_of_date) as as_of_date
        """
    ).iloc[0]
    # The converter keeps the 1,609 invoices without a customer so that staging rejects them.
    assert counts["anonymous_orders"] == 1609
    assert counts["segmented"] == counts["eligible"]
    # 4,372 customers in the data; those with only credit notes have no purchase.
    assert 4200 <= counts["segmented"] <= 4372
    assert str(counts["as_of_date"].date()) == "2011-12-10"


def test_the_model_is_fitted_without_browsing_or_review_features(online_retail_build):
    used = set(online_retail_build.query("select feature from ml.segment_model_scaling")["feature"])
    assert {"recency_days", "frequency", "monetary", "category_diversity"} <= used
    assert not used & {"sessions", "browsing_minutes", "cart_abandonment_rate"}
    metrics = online_retail_build.query("select * from ml.segment_model_metrics").iloc[0]
    assert 4 <= metrics["k"] <= 10  # the default range of k
    assert metrics["silhouette"] > 0.15


def test_real_data_is_judged_against_the_rfm_grid_and_the_verdict_is_said(online_retail_build):
    """Whatever the outcome on this data, the marts and the build's last lines say it."""
    validation = online_retail_build.query(
        "select * from marts.segment_validation where is_current_model"
    )
    assert set(validation["method"]) == {"segments", "rfm_grid", "recency_quartiles"}
    assert validation["value"].notna().all() and (validation["customers"] > 1000).all()
    model = online_retail_build.query("select * from marts.segment_models where is_current")
    model = model.iloc[0]
    chosen = validation[validation["is_chosen"] & validation["metric"].str.endswith("eta_squared")]
    ratios = chosen[chosen["method"] == "segments"].set_index("metric")["ratio_to_rfm_grid"]
    assert bool(model["beats_rfm_grid"]) == bool((ratios >= 1.15).all())
    verb = "beat" if model["beats_rfm_grid"] else "do NOT beat"
    assert f"segment validation of {model['model_id']}: the segments {verb} the RFM grid" in (
        online_retail_build.output
    )


def test_segments_are_named_uniquely_and_cover_the_revenue(online_retail_build):
    summary = online_retail_build.query("select * from marts.segment_summary")
    assert summary["segment_name"].is_unique
    assert summary["share_of_revenue"].sum() == pytest.approx(1.0)
    assert summary["customers"].min() >= 1


def test_the_report_builds_on_real_data(online_retail_build, tmp_path):
    from customer_segmentation.report import write_report

    page = write_report(online_retail_build.database, tmp_path / "report.html")
    html = page.read_text()
    assert "Choosing the number of segments" in html
    assert 'src="http' not in html


# Three more Online Retail builds (about a minute each on an idle 2-core machine): on request
# (./run test -m slow). The default run builds every algorithm on the demo shop
# (test_pipeline_models.py) and the default one on this data.
@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["hierarchical", "hdbscan", "autoencoder_kmeans"])
def test_every_algorithm_builds_on_real_data(algorithm, online_retail_build, tmp_path):
    database = copy_warehouse(online_retail_build, tmp_path)
    raw = online_retail_build.database.parent / "raw"
    run = run_dbt(
        tmp_path,
        {"raw_data_path": str(raw), "segmentation": {"algorithm": algorithm}},
        extra_arguments=("--select", "segment_model_fit+"),
        database=database,
    )
    model = run.query("select * from marts.segment_models where is_current").iloc[0]
    assert model["algorithm"] == algorithm
    summary = run.query("select * from marts.segment_summary")
    assert summary["segment_name"].is_unique
    assert (
        summary["customers"].sum()
        == run.query("select count(*) as n from intermediate.int_customer_features")["n"].iloc[0]
    )
