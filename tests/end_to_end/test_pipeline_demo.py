"""End to end on the demo shop: dbt build, then assertions on the marts."""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from helpers import DEMO_CUSTOMERS, copy_warehouse, has_email_address, planted_personas, run_dbt
from sklearn.metrics import adjusted_rand_score

from customer_segmentation.cli import print_summary
from customer_segmentation.report import read_sections, write_report
from customer_segmentation.segmentation.clustering import assign_to_nearest
from customer_segmentation.segmentation.preprocessing import apply_scaling

pytestmark = pytest.mark.dbt

PERSONAL_COLUMNS = {"email", "full_name", "birth_date", "city"}


def test_planted_personas_are_recovered(demo_build, demo_data):
    segments = demo_build.query("select customer_id, segment_id from marts.customer_segments")
    joined = segments.merge(planted_personas(demo_data), on="customer_id", how="inner")
    assert len(joined) == len(segments)
    ari = adjusted_rand_score(joined["persona"], joined["segment_id"])
    assert ari >= 0.7, f"adjusted Rand index {ari:.3f} against the planted personas"


def test_planted_abusers_are_sent_to_review(demo_build, demo_data):
    # The demo plants return and refund abusers (demo/shop.py, RISK_ABUSER_SHARE); the review band
    # of marts.customer_risk, with the default var risk, should find them and few others.
    risk = demo_build.query(
        "select customer_id, risk_band, risk_reason, rapid_return_cycles from marts.customer_risk"
    )
    # A count reads as integers in pandas (DuckDB's sum of integers is 128-bit otherwise).
    assert risk["rapid_return_cycles"].dtype.kind == "i"
    assert (risk.loc[risk["risk_band"] == "review", "rapid_return_cycles"] >= 0).all()
    labels = planted_personas(demo_data)
    joined = labels.merge(risk, on="customer_id", how="left")
    flagged = joined["risk_band"] == "review"
    planted = joined["is_planted_abuser"]
    precision = (flagged & planted).sum() / flagged.sum()
    recall = (flagged & planted).sum() / planted.sum()
    assert precision >= 0.8 and recall >= 0.8, f"precision {precision:.3f}, recall {recall:.3f}"
    assert joined.loc[flagged, "risk_reason"].str.startswith("Review before refunding: ").all()
    # Bands per segment account for every segmented customer once.
    by_segment = demo_build.query(
        """
        select risk.segment_id, sum(risk.customers) as customers, min(summary.customers) as size
        from marts.segment_risk as risk
        inner join marts.segment_summary as summary on risk.segment_id = summary.segment_id
        group by risk.segment_id
        """
    )
    assert (by_segment["customers"] == by_segment["size"]).all()


def test_every_eligible_customer_has_exactly_one_segment(demo_build):
    counts = demo_build.query(
        """
        select
            (select count(*) from intermediate.int_customer_features) as eligible,
            (select count(*) from marts.customer_segments) as segmented,
            (select count(distinct customer_id) from marts.customer_segments) as distinct_ids
        """
    ).iloc[0]
    assert counts["eligible"] == counts["segmented"] == counts["distinct_ids"]
    assert counts["segmented"] > 0.9 * DEMO_CUSTOMERS


def test_marts_have_the_documented_columns(demo_build):
    segments = demo_build.query("select * from marts.customer_segments limit 1")
    assert list(segments.columns) == [
        "customer_id",
        "segment_id",
        "segment_name",
        "as_of_date",
        "model_id",
        "recency_days",
        "frequency",
        "monetary",
        "distance_to_centroid",
    ]
    summary = demo_build.query("select * from marts.segment_summary")
    for column in [
        "segment_id",
        "segment_name",
        "description",
        "customers",
        "share_of_customers",
        "share_of_revenue",
        "avg_recency_days",
        "median_recency_days",
        "avg_frequency",
        "median_frequency",
        "avg_monetary",
        "median_monetary",
        "distinguishing_features",
    ]:
        assert column in summary.columns
    assert summary["segment_name"].is_unique
    assert summary["share_of_customers"].sum() == pytest.approx(1.0)
    assert summary["share_of_revenue"].sum() == pytest.approx(1.0)


def test_every_candidate_k_is_scored_and_one_eligible_stable_k_is_chosen(demo_build):
    # The rule itself (usefulness on the time hold-out, then silhouette) is checked in
    # test_pipeline_validation.test_the_chosen_k_follows_the_usefulness_rule.
    candidates = demo_build.query("select * from marts.segment_model_selection order by k")
    assert candidates["k"].tolist() == list(range(4, 11))
    for column in ["silhouette", "davies_bouldin", "calinski_harabasz", "stability"]:
        assert candidates[column].notna().all(), column
    chosen = candidates[candidates["is_chosen"]]
    assert len(chosen) == 1
    assert chosen["is_eligible"].iloc[0] and chosen["stability"].iloc[0] >= 0.8
    assert (candidates.loc[candidates["is_eligible"], "min_segment_share"] >= 0.02).all()
    model = demo_build.query("select * from marts.segment_models").iloc[0]
    assert model["k"] == chosen["k"].iloc[0]
    assert model["is_current"]
    assert model["holdout_ari"] > 0.9


def test_sql_scoring_matches_the_python_model(demo_build):
    """The SQL nearest-centroid scoring reproduces the Python assignment of the training rows."""
    scaling = demo_build.query("select * from ml.segment_model_scaling order by position")
    centroids = (
        demo_build.query("select * from ml.segment_model_centroids")
        .pivot(index="segment_id", columns="position", values="centroid_value")
        .sort_index()
    )
    features = demo_build.query(
        "select * from intermediate.int_customer_features order by customer_id"
    )
    segments, distances = assign_to_nearest(apply_scaling(features, scaling), centroids.to_numpy())
    scored = demo_build.query(
        "select customer_id, segment_id, distance_to_centroid "
        "from intermediate.int_customers_segmented order by customer_id"
    )
    assert scored["customer_id"].tolist() == features["customer_id"].tolist()
    assert (scored["segment_id"].to_numpy() == segments).all()
    assert np.allclose(scored["distance_to_centroid"], distances)


def test_cleaning_rules_reject_the_planted_mess_with_reasons(demo_build):
    reasons = demo_build.query(
        "select rejection_reason, count(*) as n from staging.stg_shop__orders_rejected group by 1"
    ).set_index("rejection_reason")["n"]
    assert reasons.get("duplicate_row", 0) > 0
    assert reasons.get("missing_customer_id", 0) > 0
    statuses = demo_build.query("select distinct status from staging.stg_shop__orders")
    assert set(statuses["status"]) == {"completed", "cancelled", "returned", "refunded"}


def test_no_personal_data_after_staging(demo_build):
    columns = demo_build.query(
        """
        select table_schema, table_name, column_name, data_type
        from information_schema.columns
        where table_schema not in ('staging', 'reference')
        """
    )
    leaked = columns[columns["column_name"].isin(PERSONAL_COLUMNS)]
    assert leaked.empty, leaked.to_string()
    text_columns = columns[columns["data_type"] == "VARCHAR"]
    with duckdb.connect(str(demo_build.database), read_only=True) as connection:
        for row in text_columns.itertuples(index=False):
            values = (
                connection.sql(
                    f'select distinct "{row.column_name}" as v '
                    f'from "{row.table_schema}"."{row.table_name}" limit 5000'
                )
                .df()["v"]
                .dropna()
            )
            hits = [v for v in values if has_email_address(v)]
            assert not hits, f"{row.table_schema}.{row.table_name}.{row.column_name}: {hits[:3]}"


def test_orders_after_as_of_date_are_ignored(demo_build):
    dates = demo_build.query(
        """
        select
            (select max(last_order_date) from intermediate.int_customer_features) as last_used,
            (select as_of_date from intermediate.int_as_of_date) as as_of_date,
            (select max(ordered_date) from staging.stg_shop__orders) as latest_staged
        """
    ).iloc[0]
    assert dates["last_used"] < dates["as_of_date"]
    assert dates["as_of_date"] == dates["latest_staged"] + pd.Timedelta(days=1)


# What the rebuild compares, with every parent: the segments and their summary come from these
# models alone (data tests and unit tests change no table; the demo build ran them).
SEGMENT_TABLES = (
    "--select",
    "+customer_segments",
    "+segment_summary",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
)


def test_rebuilding_the_same_data_gives_identical_segments(demo_build, demo_data, tmp_path):
    rebuilt = run_dbt(tmp_path, {"raw_data_path": str(demo_data)}, extra_arguments=SEGMENT_TABLES)
    query = "select * from marts.customer_segments order by customer_id"
    pd.testing.assert_frame_equal(demo_build.query(query), rebuilt.query(query))
    summary = "select * from marts.segment_summary order by segment_id"
    pd.testing.assert_frame_equal(demo_build.query(summary), rebuilt.query(summary))


def test_the_summary_says_which_inputs_the_build_read(demo_build, demo_data, capsys):
    print_summary(demo_build.database)
    printed = capsys.readouterr().out
    inputs = printed.split("Inputs (staging.shop_inputs)", 1)[1].split("Rejected input rows")[0]
    for table in ["orders", "customers", "order_items", "products", "events", "reviews"]:
        assert re.search(rf"{table}\s+{re.escape(str(demo_data))}/{table}\.parquet", inputs)


def test_docs_generate_describes_every_model(demo_build, demo_data, tmp_path):
    # On a copy: dbt opens the warehouse for writing, and other workers read the shared build.
    run_dbt(
        tmp_path,
        {"raw_data_path": str(demo_data)},
        command="docs generate",
        database=copy_warehouse(demo_build, tmp_path / "warehouse"),
    )
    import json

    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    undocumented = [m["name"] for m in models if not m["description"].strip()]
    assert not undocumented
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert "model.customer_segmentation.segment_summary" in catalog["nodes"]


def test_review_sentiment_follows_the_rating_and_no_review_text_leaves_staging(
    demo_build, demo_data
):
    scored = demo_build.query(
        "select corr(sentiment_score, rating) as pearson, count(sentiment_score) as scored, "
        "count(*) as reviews, count(*) filter (where not has_text) as empty, "
        "count(*) filter (where not is_language_supported) as other_language "
        "from intermediate.int_reviews_text_scored"
    ).iloc[0]
    assert scored["pearson"] >= 0.5, f"Pearson {scored['pearson']:.3f} of sentiment with rating"
    assert scored["scored"] >= 0.9 * scored["reviews"]
    assert scored["empty"] > 0 and scored["other_language"] > 0
    selection = demo_build.query("select k, is_chosen from marts.review_topic_selection")
    assert selection["is_chosen"].sum() == 1
    k = int(selection.loc[selection["is_chosen"], "k"].iloc[0])
    topics = demo_build.query("select distinct topic_id from marts.review_topics")
    assert sorted(topics["topic_id"]) == list(range(1, k + 1))
    profiled = demo_build.query(
        "select distinct feature from marts.segment_profiles where feature like 'review_%'"
    )["feature"]
    assert {"review_sentiment_mean", "review_negative_share"} <= set(profiled)
    assert {f for f in profiled if f.startswith("review_topic_")} == {
        f"review_topic_{t}_share" for t in range(1, k + 1)
    }
    # Review text is free text that may hold personal data: no relation after staging holds it.
    texts = set(pd.read_parquet(demo_data / "reviews.parquet")["review_text"].str.strip()) - {""}
    columns = demo_build.query(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema not in ('staging', 'reference', "
        "'information_schema', 'pg_catalog')"
    )
    found = []
    for row in columns.itertuples(index=False):
        values = demo_build.query(
            f'select distinct trim(cast("{row.column_name}" as varchar)) as v '
            f'from "{row.table_schema}"."{row.table_name}"'
        )["v"]
        if values.isin(texts).any():
            found.append(f"{row.table_schema}.{row.table_name}.{row.column_name}")
    assert not found, f"review text found in {found}"


# The marts each report section draws from (customer_segmentation.report): a section whose marts
# have rows must be built, and say nothing is missing.
SECTION_MARTS = {
    "headline": ("marts.segment_summary",),
    "sizes": ("marts.segment_summary",),
    "profiles": ("marts.segment_profiles",),
    "segments": ("marts.segment_summary", "marts.segment_explanations", "marts.campaign_audiences"),
    "projection": ("ml.segment_model_centroids",),
    "k_selection": ("marts.segment_model_selection",),
    "validation": ("marts.segment_validation",),
    "scores": ("marts.customer_scores",),
    "migration": ("marts.segment_migration",),
    "monitoring": ("marts.segment_monitoring",),
    "fairness": ("marts.segment_fairness",),
    "reviews": ("marts.review_topics",),
    "risk": ("marts.segment_risk",),
}


def test_the_report_shows_every_mart_the_build_filled(demo_build, tmp_path):
    context, sections = read_sections(demo_build.database)
    assert [section.key for section in sections] == list(SECTION_MARTS)
    for section in sections:
        filled = [
            mart
            for mart in SECTION_MARTS[section.key]
            if demo_build.query(f"select count(*) as n from {mart}")["n"].iloc[0] > 0
        ]
        if filled:
            assert section.is_built, f"{section.key}: {section.reason}"
        if section.is_built:
            complaints = [
                note
                for note in section.body.notes
                if re.search(r"not built|error|has no column|does not exist", note, re.I)
            ]
            assert not complaints, f"{section.key}: {complaints}"
    page = write_report(demo_build.database, tmp_path / "report.html").read_text()
    text = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert not re.search(r"\b1 customers\b", text)
    assert context.currency == "EUR" and "\u20ac" in text
