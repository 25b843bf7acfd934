"""End to end: the "act on segments" marts (scores, lifecycle, recommendations, audiences,
exports, semantic layer) on the demo shop, on a short orders-only shop and on Online Retail."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_worker import WAREHOUSE_FILE, DbtWorker
from helpers import REPO_ROOT, copy_warehouse, run_dbt
from test_assign import SCORE_COLUMNS as ASSIGN_SCORE_COLUMNS
from test_assign import SEGMENT_COLUMNS as ASSIGN_SEGMENT_COLUMNS
from test_assign import plain

from customer_segmentation.assign import Assigner, read_rows

pytestmark = pytest.mark.dbt

HORIZON_DAYS = 90
ACTIVATION_MARTS = [
    "customer_scores",
    "prediction_evaluation",
    "prediction_calibration",
    "customer_lifecycle",
    "segment_category_affinity",
    "customer_recommendations",
    "campaign_audiences",
]


def as_of_date(run) -> pd.Timestamp:
    return pd.Timestamp(run.query("select as_of_date from intermediate.int_as_of_date").iloc[0, 0])


def categories_bought_before_as_of(run) -> pd.DataFrame:
    """customer_id, category of every purchase line before as_of_date, from staging (not from
    the model under test)."""
    return run.query(
        """
        select distinct orders.customer_id, products.category
        from staging.stg_shop__orders as orders
        inner join staging.stg_shop__order_items as order_items
            on orders.order_id = order_items.order_id
        inner join staging.stg_shop__products as products
            on order_items.product_id = products.product_id
        cross join intermediate.int_as_of_date as run_date
        where orders.status = 'completed' and orders.amount >= 0
            and orders.ordered_date < run_date.as_of_date
        """
    )


def assert_nothing_bought_is_recommended(run) -> None:
    recommendations = run.query("select customer_id, category from marts.customer_recommendations")
    overlap = recommendations.merge(categories_bought_before_as_of(run), how="inner")
    assert overlap.empty, overlap.head()


# --- the demo shop -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_dbt(demo_data, tmp_path_factory):
    """One dbt process that parses the project once (tests/end_to_end/dbt_worker.py) for the
    commands on the demo shop and its copies: a test, a run and a build of the churn labels, 1
    parse instead of 3. The vars these commands change (raw_data_path, as_of_date, export_path)
    are read by the SQL and the hooks when they run; raw_data_path is read at parse time only by
    the Python models' input_source, and none of these commands runs a Python model."""
    dbt = DbtWorker(tmp_path_factory.mktemp("activation_dbt"), {"raw_data_path": str(demo_data)})
    yield dbt
    dbt.close()


def test_every_eligible_customer_is_scored_and_banded(demo_build):
    scores = demo_build.query("select * from marts.customer_scores")
    eligible = demo_build.query("select count(*) as n from intermediate.int_customer_features")
    assert len(scores) == eligible["n"].iloc[0]
    assert (scores["score_status"] == "scored").all()
    # Two horizons of history: the supervised models score everyone, and say so.
    assert (scores["score_method"] == "supervised").all()
    assert (
        scores["score_reason"]
        .str.startswith(f"{len(scores)} customers scored by the supervised model: fitted on")
        .all()
    )
    assert scores["churn_probability"].between(0, 1).all()
    assert (scores["expected_value_next_period"] >= 0).all()
    assert scores["probability_alive"].between(0, 1).all()
    assert (scores["expected_purchases_next_period"] >= 0).all()
    assert scores["model_id"].nunique() == 1
    # Bands follow the default cut-offs 0.3 and 0.6.
    expected_band = pd.cut(
        scores["churn_probability"],
        bins=[-1, 0.3, 0.6, 2],
        right=False,
        labels=["low", "medium", "high"],
    ).astype(str)
    assert (scores["churn_risk_band"] == expected_band).all()
    assert set(scores["churn_risk_band"]) == {"low", "medium", "high"}


def test_one_time_buyers_from_long_ago_get_a_high_churn_probability(demo_build):
    scores = demo_build.query(
        """
        select features.frequency, features.recency_days, features.tenure_days,
            scores.churn_probability, scores.churn_risk_band, scores.probability_alive
        from marts.customer_scores as scores
        inner join intermediate.int_customer_features as features
            on scores.customer_id = features.customer_id
        """
    )
    one_timers = scores[(scores["frequency"] == 1) & (scores["recency_days"] > 300)]
    assert len(one_timers) > 100
    assert one_timers["churn_probability"].min() > 0.6
    assert (one_timers["churn_risk_band"] == "high").mean() > 0.95
    # The purchase model (MBG/NBD) lets a one-time buyer drop out: P(alive) < 1 and falling with
    # the time since the purchase (the demo shop's lapsed one-time buyers never come back).
    assert one_timers["probability_alive"].max() < 1
    assert one_timers["probability_alive"].median() < 0.5
    # Frequent, recent buyers are the opposite.
    regulars = scores[(scores["frequency"] >= 10) & (scores["recency_days"] <= 30)]
    assert regulars["churn_probability"].mean() < 0.2
    assert regulars["probability_alive"].min() > 0.9


def test_lifecycle_stages_follow_the_documented_rules(demo_build):
    lifecycle = demo_build.query(
        "select *, date_diff('day', first_purchase_date, as_of_date) as days_since_first "
        "from marts.customer_lifecycle"
    )
    eligible = demo_build.query("select count(*) as n from intermediate.int_customer_features")
    assert len(lifecycle) == eligible["n"].iloc[0]
    stage = lifecycle.set_index("lifecycle_stage")
    assert set(stage.index) == {"new", "active", "reactivated", "at_risk", "lapsed"}
    assert (stage.loc["new", "days_since_first"] <= 30).all()
    recent = lifecycle[lifecycle["days_since_first"] > 30]
    by_stage = recent.groupby("lifecycle_stage")["days_since_last_purchase"]
    assert by_stage.max()["active"] <= 90 and by_stage.max()["reactivated"] <= 90
    assert by_stage.min()["at_risk"] > 90 and by_stage.max()["at_risk"] <= 180
    assert by_stage.min()["lapsed"] > 180
    assert (lifecycle["stage_since"] <= lifecycle["as_of_date"]).all()
    assert (lifecycle["stage_since"] >= lifecycle["first_purchase_date"]).all()


def test_recommendations_never_repeat_a_bought_category(demo_build):
    recommendations = demo_build.query("select * from marts.customer_recommendations")
    assert len(recommendations) > 0
    assert_nothing_bought_is_recommended(demo_build)
    per_customer = recommendations.groupby("customer_id")["recommendation_rank"]
    assert per_customer.max().max() == 3
    assert (per_customer.count() == per_customer.max()).all()  # ranks 1..n without gaps
    assert set(recommendations["recommendation_source"]) <= {"segment_affinity", "popularity"}


def test_segment_affinity_shares_add_up(demo_build):
    affinity = demo_build.query("select * from marts.segment_category_affinity")
    segments = demo_build.query("select count(*) as n from marts.segment_summary")["n"].iloc[0]
    categories = affinity["category"].nunique()
    assert len(affinity) == segments * categories
    spend_share = affinity.groupby("segment_id")["share_of_segment_spend"].sum()
    assert spend_share.to_numpy() == pytest.approx(1.0)
    assert (affinity["customers_buying"] <= affinity["segment_customers"]).all()
    overall = affinity.drop_duplicates("category")["overall_share_of_spend"].sum()
    assert overall == pytest.approx(1.0)


def test_audiences_follow_the_playbook(demo_build):
    audiences = demo_build.query("select * from marts.campaign_audiences")
    customers = demo_build.query(
        """
        select segments.customer_id, segments.segment_name, lifecycle.lifecycle_stage,
            scores.churn_risk_band, risk.risk_band as customer_risk_band
        from marts.customer_segments as segments
        inner join marts.customer_lifecycle as lifecycle
            on segments.customer_id = lifecycle.customer_id
        left join marts.customer_scores as scores
            on segments.customer_id = scores.customer_id
        left join marts.customer_risk as risk
            on segments.customer_id = risk.customer_id
        """
    )
    with open(REPO_ROOT / "seeds" / "segment_playbook.csv", newline="") as handle:
        playbook = list(csv.DictReader(handle))

    def best_rule(customer) -> str | None:
        matching = [
            rule
            for rule in playbook
            if all(
                rule[field] == "" or rule[field] == customer[field]
                for field in (
                    "segment_name",
                    "lifecycle_stage",
                    "churn_risk_band",
                    "customer_risk_band",
                )
            )
        ]
        if not matching:
            return None
        return min(matching, key=lambda rule: (int(rule["priority"]), rule["campaign"]))["campaign"]

    expected = {
        row["customer_id"]: best_rule(row) for row in customers.fillna("").to_dict(orient="records")
    }
    expected = {customer: campaign for customer, campaign in expected.items() if campaign}
    assert dict(zip(audiences["customer_id"], audiences["campaign"], strict=True)) == expected
    assert audiences["customer_id"].is_unique
    assert audiences["reason"].str.contains(r"\(").all()
    # The playbook's intent on the demo shop: top customers get VIP treatment, one-time buyers
    # from long ago get at most a last-chance e-mail.
    champions = audiences[audiences["segment_name"] == "Champions"]
    assert set(champions["campaign"]) <= {
        "vip_perks",
        "vip_win_back",
        "churn_prevention",
        "refund_review",
    }
    # Every customer in the review risk band is held for a refund review, whatever the segment.
    reviewed = set(audiences.loc[audiences["campaign"] == "refund_review", "customer_id"])
    in_review = set(customers.loc[customers["customer_risk_band"] == "review", "customer_id"])
    assert reviewed == in_review and len(reviewed) > 0
    assert len(champions) > 0


AUDIENCE_FAIRNESS_TEST = "sensitive_attribute_mix_disparity_campaign_audiences"


def test_an_audience_of_one_gender_gets_a_fairness_warning(
    demo_build, demo_data, demo_dbt, tmp_path
):
    assert AUDIENCE_FAIRNESS_TEST in demo_build.output  # runs on every build
    database = copy_warehouse(demo_build, tmp_path)
    with duckdb.connect(str(database)) as connection:
        (campaign,) = connection.execute(
            """
            select audiences.campaign
            from marts.campaign_audiences as audiences
            inner join intermediate.int_customer_features as features using (customer_id)
            group by 1
            having count(*) filter (where features.gender = 'female') >= 60
            order by count(*) desc
            limit 1
            """
        ).fetchone()
        connection.execute(
            """
            delete from marts.campaign_audiences
            where campaign = ? and customer_id not in (
                select customer_id from intermediate.int_customer_features
                where gender = 'female'
            )
            """,
            [campaign],
        )
    run = demo_dbt.dbt_run(
        ["test", "--select", "test_name:sensitive_attribute_mix_disparity,campaign_audiences"],
        {"raw_data_path": str(demo_data)},
        database,
    )
    # Severity warn: dbt test exits 0 and reports the warning.
    assert "Warning in test " + AUDIENCE_FAIRNESS_TEST in run.output
    assert "WARN=1" in run.output


def test_features_at_the_training_cutoff_ignore_later_orders(
    demo_build, demo_data, demo_dbt, tmp_path
):
    """No leakage: removing every order, event and review on or after the training cutoff leaves
    the features at the training cutoff exactly as they were; only the labels change."""
    as_of = as_of_date(demo_build)
    cutoff = (as_of - pd.Timedelta(days=HORIZON_DAYS)).date()
    raw = tmp_path / "raw"
    raw.mkdir()
    time_columns = {"orders": "ordered_at", "events": "event_at", "reviews": "reviewed_at"}
    with duckdb.connect() as connection:
        for source in sorted(demo_data.glob("*.parquet")):
            column = time_columns.get(source.stem)
            keep = f"where {column} is null or {column} < date '{cutoff}'" if column else ""
            connection.execute(
                f"copy (select * from read_parquet('{source}') {keep}) "
                f"to '{raw / source.name}' (format parquet)"
            )
    truncated = demo_dbt.dbt_run(
        # cautious: only the tests of selected models (the staging reconciliation tests also
        # read the unselected *_rejected models).
        ["build", "--select", "+int_customers_churn_labelled", "--indirect-selection", "cautious"],
        {"raw_data_path": str(raw), "as_of_date": str(as_of.date()), "export_path": None},
        tmp_path / WAREHOUSE_FILE,
    )
    query = (
        "select * exclude (is_churned, next_period_purchases, next_period_net_spend) "
        "from intermediate.int_customers_churn_labelled "
        "where cutoff_role = 'training' order by customer_id"
    )
    before = demo_build.query(query)
    after = truncated.query(query)
    assert len(before) > 1000
    pd.testing.assert_frame_equal(before, after)
    labels = truncated.query(
        "select is_churned, next_period_net_spend from intermediate.int_customers_churn_labelled "
        # The evaluation window's outcomes end at the training cutoff: they are still there.
        "where cutoff_role = 'training'"
    )
    assert labels["is_churned"].all() and (labels["next_period_net_spend"] == 0).all()


def test_the_model_beats_recency_on_a_time_hold_out(demo_build):
    evaluation = demo_build.query("select * from marts.prediction_evaluation")
    assert set(evaluation["evaluation_status"]) == {"evaluated"}
    assert len(evaluation) == 16
    table = evaluation.pivot(index="method", columns="metric", values="value")
    assert table.notna().all().all()
    assert table.loc["supervised", "auc"] > 0.9
    assert table.loc["supervised", "auc"] > table.loc["recency", "auc"]
    assert table.loc["supervised", "brier"] < table.loc["recency", "brier"]
    assert table.loc["supervised", "spearman"] > 0.5
    assert table.loc["supervised", "mae"] < table.loc["rfm", "mae"]
    # The purchase model, fitted without any outcome, is a strong baseline on its own.
    assert table.loc["bgnbd", "auc"] > 0.9
    assert table.loc["bgnbd", "brier"] < table.loc["recency", "brier"]
    row = evaluation.iloc[0]
    as_of = as_of_date(demo_build)
    # Fitted one horizon before the hold-out, which ends at as_of_date: never sees its outcomes.
    assert pd.Timestamp(row["fit_cutoff_date"]) == as_of - pd.Timedelta(days=2 * HORIZON_DAYS)
    assert pd.Timestamp(row["test_cutoff_date"]) == as_of - pd.Timedelta(days=HORIZON_DAYS)
    assert pd.Timestamp(row["outcome_end_date"]) == as_of
    assert row["fit_customers"] > 1000 and row["test_customers"] > row["fit_customers"]


def test_the_calibration_curves_compare_predicted_and_observed_churn(demo_build):
    curves = demo_build.query("select * from marts.prediction_calibration")
    assert set(curves["method"]) == {"supervised", "bgnbd", "recency", "rfm"}
    test_customers = demo_build.query(
        "select max(test_customers) as n from marts.prediction_evaluation"
    )["n"].iloc[0]
    for method, curve in curves.groupby("method"):
        curve = curve.sort_values("decile")
        assert curve["decile"].tolist() == list(range(1, 11)), method
        assert curve["customers"].sum() == test_customers, method
        assert curve["mean_predicted_churn"].is_monotonic_increasing, method
    supervised = curves[curves["method"] == "supervised"]
    # Roughly calibrated: no decile is off by more than 0.35, and on average by less than 0.1.
    assert supervised["calibration_gap"].abs().max() < 0.35
    assert supervised["calibration_gap"].abs().mean() < 0.1


# --- exports and the semantic layer --------------------------------------------------------


def test_marts_are_exported_as_parquet_after_a_run(demo_build, demo_data, demo_dbt, tmp_path):
    database = copy_warehouse(demo_build, tmp_path)
    exports = tmp_path / "exports" / "bi"  # two levels that do not exist yet
    run = demo_dbt.dbt_run(
        ["run", "--select", "metricflow_time_spine"],
        {"raw_data_path": str(demo_data), "export_path": str(exports)},
        database,
    )
    assert "export_marts: wrote" in run.output
    marts = run.query(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    )["table_name"].tolist()
    assert set(ACTIVATION_MARTS) <= set(marts)
    with duckdb.connect() as connection:
        for mart in marts:
            path = exports / f"{mart}.parquet"
            if mart == "metricflow_time_spine":
                assert not path.exists()
                continue
            exported = connection.execute(f"select count(*) from read_parquet('{path}')")
            rows = run.query(f"select count(*) as n from marts.{mart}")["n"].iloc[0]
            assert exported.fetchall()[0][0] == rows, mart


def test_semantic_layer_validates_against_the_warehouse(demo_build, tmp_path):
    """`mf validate-configs` (semantic and data warehouse checks) on the demo build. mf reads
    target/semantic_manifest.json under the project root, so it runs in a scratch project that
    links the repository's folders and holds the demo build's manifest."""
    mf = Path(sys.executable).with_name("mf")
    if not mf.exists():
        pytest.skip("MetricFlow is not installed (pip install dbt-metricflow)")
    project = tmp_path / "project"
    project.mkdir()
    for name in ["dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "python_models"]:
        (project / name).symlink_to(REPO_ROOT / name)
    (project / "tests").mkdir()
    (project / "tests" / "dbt").symlink_to(REPO_ROOT / "tests" / "dbt")
    (project / "target").mkdir()
    shutil.copyfile(
        demo_build.database.parent / "target" / "semantic_manifest.json",
        project / "target" / "semantic_manifest.json",
    )
    database = copy_warehouse(demo_build, tmp_path / "warehouse")
    completed = subprocess.run(
        [str(mf), "validate-configs"],
        cwd=project,
        env={
            **os.environ,
            "DBT_DUCKDB_PATH": str(database),
            "DBT_PROFILES_DIR": str(project),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert "Successfully validated the semantics" in output
    assert "Successfully validated metrics against data warehouse" in output


# --- a short, orders-only shop --------------------------------------------------------------


SHORT_HISTORY_DAYS = 273


@pytest.fixture(scope="module")
def short_orders_only_build(demo_data, tmp_path_factory):
    """The last 9 months of the demo shop's orders as the only input, in CSV, with a horizon as
    long as the history (273 days): too little history for the supervised models (they need two
    horizons), and no order items or products for recommendations."""
    work = tmp_path_factory.mktemp("activation_short_shop")
    raw = work / "raw"
    raw.mkdir()
    orders = pd.read_parquet(demo_data / "orders.parquet")
    start = orders["ordered_at"].max() - pd.Timedelta(days=SHORT_HISTORY_DAYS)
    orders[orders["ordered_at"] >= start].to_csv(raw / "orders.csv", index=False)
    return run_dbt(
        work,
        {
            "raw_data_path": str(raw),
            "export_path": str(work / "exports"),
            "prediction": {"horizon_days": SHORT_HISTORY_DAYS},
        },
    )


def test_nine_months_of_history_and_a_273_day_horizon_score_every_customer(
    short_orders_only_build,
):
    run = short_orders_only_build
    assert (
        "customer scores: " in run.output and "scored by the purchase model (mbgnbd)" in run.output
    )
    scores = run.query(
        """
        select scores.*, features.frequency, features.recency_days
        from marts.customer_scores as scores
        inner join intermediate.int_customer_features as features
            on scores.customer_id = features.customer_id
        """
    )
    eligible = run.query("select count(*) as n from intermediate.int_customer_features")
    assert len(scores) == eligible["n"].iloc[0] > 1000
    assert (scores["score_status"] == "scored").all()
    assert (scores["score_method"] == "bgnbd").all()
    assert (
        scores["score_reason"]
        .str.contains(
            "as the supervised model cannot be fitted: "
            "the data do not reach one horizon (273 days)",
            regex=False,
        )
        .all()
    )
    assert scores["churn_probability"].between(0, 1).all()
    assert scores["churn_probability"].notna().all()
    assert scores["expected_value_next_period"].notna().all()
    assert scores["probability_alive"].between(0, 1).all()
    # Over 273 days most customers of this young shop are expected to buy again: no one-time
    # buyer of the last 9 months looks gone for good to the model, so bands stop at medium.
    assert len(set(scores["churn_risk_band"])) >= 2
    assert (scores["prediction_horizon_days"] == SHORT_HISTORY_DAYS).all()
    # The probabilistic model still ranks: one-time buyers of months ago are more likely gone
    # than recent repeat buyers, and expected to spend less.
    one_timers = scores[(scores["frequency"] == 1) & (scores["recency_days"] > 90)]
    regulars = scores[(scores["frequency"] >= 3) & (scores["recency_days"] <= 30)]
    assert len(one_timers) > 50 and len(regulars) > 50
    assert one_timers["churn_probability"].median() > 2 * regulars["churn_probability"].median()
    assert (
        one_timers["expected_value_next_period"].median()
        < regulars["expected_value_next_period"].median()
    )
    # No hold-out is possible: every evaluation row says why, and there is no calibration curve.
    evaluation = run.query("select * from marts.prediction_evaluation")
    assert len(evaluation) == 16 and evaluation["value"].isna().all()
    assert set(evaluation["evaluation_status"]) == {"short_history"}
    assert run.query("select count(*) as n from marts.prediction_calibration")["n"].iloc[0] == 0
    # Lifecycle needs only orders.
    stages = set(
        run.query("select lifecycle_stage from marts.customer_lifecycle")["lifecycle_stage"]
    )
    assert {"new", "active", "at_risk"} <= stages
    audiences = run.query("select * from marts.campaign_audiences")
    assert len(audiences) > 0


def test_without_order_items_the_recommendation_marts_are_empty(short_orders_only_build):
    run = short_orders_only_build
    assert "input order_items: not found" in run.output
    for mart in ["segment_category_affinity", "customer_recommendations"]:
        assert run.query(f"select count(*) as n from marts.{mart}")["n"].iloc[0] == 0, mart


def test_assign_scores_a_customer_of_the_short_shop_with_the_purchase_model_exactly(
    short_orders_only_build,
):
    """Where the build could not fit the supervised models, assign scores with the stored
    purchase model, as the build did: a customer of the build, given their rows of the CSV,
    gets exactly the build's rows."""
    run = short_orders_only_build
    segments = run.query("select * from marts.customer_segments").set_index("customer_id")
    scores = run.query("select * from marts.customer_scores").set_index("customer_id")
    picked = run.query(
        """
        select customer_id from (
            select customer_id, frequency,
                row_number() over (partition by frequency = 1 order by md5(customer_id)) as rank
            from intermediate.int_customer_features
        ) where rank <= 3
        """
    )["customer_id"].tolist()
    orders = read_rows(run.database.parent / "raw" / "orders.csv")
    # The CSV holds the ids as pandas wrote them (100050.0); the build reads them as 100050.
    order_customers = pd.to_numeric(orders["customer_id"], errors="coerce")
    with Assigner(run.database, run.database.parent / "target") as assigner:
        for customer_id in picked:
            result = assigner.assign(orders=orders[order_customers == float(customer_id)])
            assert result.message == ""
            assert result.score_method == "bgnbd"
            for column in ASSIGN_SEGMENT_COLUMNS:
                assert getattr(result, column) == segments.loc[customer_id, column], column
            for column in ASSIGN_SCORE_COLUMNS:
                assert getattr(result, column) == plain(scores.loc[customer_id, column]), column
            assert result.score_model_id == scores.loc[customer_id, "model_id"]


# --- real data: UCI Online Retail ----------------------------------------------------------


def test_online_retail_activation_marts(online_retail_build):
    run = online_retail_build
    counts = run.query(
        "select "
        + ", ".join(f"(select count(*) from marts.{mart}) as {mart}" for mart in ACTIVATION_MARTS)
    ).iloc[0]
    assert all(counts[mart] > 0 for mart in ACTIVATION_MARTS), counts
    scores = run.query("select * from marts.customer_scores")
    assert (scores["score_status"] == "scored").all()
    assert 0.2 < scores["churn_probability"].mean() < 0.8
    one_timers = run.query(
        """
        select scores.churn_probability
        from marts.customer_scores as scores
        inner join intermediate.int_customer_features as features
            on scores.customer_id = features.customer_id
        where features.frequency = 1 and features.recency_days > 180
        """
    )
    others = run.query(
        """
        select scores.churn_probability
        from marts.customer_scores as scores
        inner join intermediate.int_customer_features as features
            on scores.customer_id = features.customer_id
        where features.frequency > 1 and features.recency_days <= 30
        """
    )
    # Less extreme than on the demo shop: the training window's outcomes (September to December)
    # include the Christmas orders of wholesale customers, who come back after long gaps.
    assert one_timers["churn_probability"].median() > 0.55
    assert one_timers["churn_probability"].median() > 2 * others["churn_probability"].median()
    evaluation = run.query("select * from marts.prediction_evaluation")
    if set(evaluation["evaluation_status"]) == {"evaluated"}:
        table = evaluation.pivot(index="method", columns="metric", values="value")
        assert table.loc["supervised", "auc"] > 0.65
        assert table.loc["supervised", "auc"] > table.loc["recency", "auc"]
        assert table.loc["bgnbd", "auc"] > table.loc["recency", "auc"]
    assert (scores["score_method"] == "supervised").all()
    assert_nothing_bought_is_recommended(run)
    stages = set(
        run.query("select lifecycle_stage from marts.customer_lifecycle")["lifecycle_stage"]
    )
    assert {"active", "at_risk", "lapsed"} <= stages
