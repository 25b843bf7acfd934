"""Which model serves a run (customer_segmentation.segmentation.model_choice): the shop fingerprint,
the rule that a model never scores a date before its own, the retraining policy judged at the run
date, and the stop when a warehouse holds another shop."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from customer_segmentation.segmentation.model import fit_segmentation
from customer_segmentation.segmentation.model_choice import (
    SKETCH_SIZE,
    PolicyVerdict,
    ShopMismatchError,
    choose_model,
    evaluate_policy,
    new_model_artifacts,
    policy_status,
    population_overlap,
    population_sketch,
    population_stability_index,
)
from customer_segmentation.segmentation.model_store import StoredModel, read_stored_models
from customer_segmentation.segmentation.naming import claimed_features
from customer_segmentation.settings import MonitoringSettings, SegmentationSettings

FEATURES = ("recency_days", "frequency", "monetary")
SETTINGS = SegmentationSettings(
    numeric_features=FEATURES,
    log1p_features=FEATURES,
    k_min=3,
    k_max=3,
    n_init=3,
    seed=5,
    stability_resamples=0,
    holdout_share=0.0,
)
MONITORING = MonitoringSettings()
FIT_DATE = date(2026, 1, 1)


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):
        yield


def _shop(n: int, seed: int, start: date = date(2024, 1, 1), id_offset: int = 0) -> pd.DataFrame:
    """Customers with a first order spread over two years from start, and RFM features."""
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "customer_id": [str(100_000 + id_offset + i) for i in range(n)],
            "first_order_date": [start + timedelta(days=int(d)) for d in rng.integers(0, 700, n)],
            "recency_days": rng.lognormal(np.log([10, 200, 60])[groups], 0.2).round() + 1,
            "frequency": rng.poisson(np.array([20, 1, 4])[groups]) + 1,
            "monetary": rng.lognormal(np.log([2000, 50, 300])[groups], 0.2).round(2),
        }
    )


def _eligible(shop: pd.DataFrame, as_of_date: date) -> pd.DataFrame:
    return shop[shop["first_order_date"] < as_of_date].reset_index(drop=True)


def _drift_reference(features: pd.DataFrame) -> pd.DataFrame:
    """int_feature_drift_reference in pandas: ntile(10) deciles, max value per decile as edge."""
    rows = []
    for feature in FEATURES:
        values = features[feature].to_numpy(dtype=float)
        present = np.sort(values[~np.isnan(values)])
        deciles = np.array_split(present, 10)
        edges = [float(d.max()) if len(d) else np.nan for d in deciles[:9]]
        bins = np.full(len(values), 10)
        bins[np.isnan(values)] = 0
        for position in range(9, 0, -1):
            edge = edges[position - 1]
            bins[~np.isnan(values) & (values <= edge)] = position
        for bin_number, count in zip(*np.unique(bins, return_counts=True), strict=True):
            rows.append(
                {
                    "feature": feature,
                    "bin": int(bin_number),
                    "upper_edge": edges[bin_number - 1] if 1 <= bin_number <= 9 else np.nan,
                    "reference_customers": int(count),
                }
            )
    return pd.DataFrame(rows)


def _stored(
    shop: pd.DataFrame,
    fitted_on: date,
    settings: SegmentationSettings = SETTINGS,
    previous=None,
) -> StoredModel:
    customers = _eligible(shop, fitted_on)
    fitted = fit_segmentation(customers, settings, fitted_on, previous=previous)
    artifacts = new_model_artifacts(
        fitted,
        choose_model([], settings, MONITORING, fitted_on, customers, _never),
        customers,
        _drift_reference(customers),
        fitted_on,
        "files in test",
    )
    return read_stored_models(artifacts.assign(recorded_at=pd.Timestamp(fitted_on)), None)[0]


def _never(model):
    raise AssertionError(f"the policy should not judge {model.model_id}")


def _verdict(status: str):
    def judge(model):
        return PolicyVerdict(status, f"judged {status}", 0, 0.0, "monetary", 0.0)

    return judge


# --- the shop fingerprint -----------------------------------------------------------------------


def test_the_sketch_is_the_customers_with_the_smallest_md5_whatever_the_row_order():
    shop = _shop(3000, seed=1)
    sketch = population_sketch(shop.sample(frac=1.0, random_state=2))
    keys = sorted(hashlib.md5(c.encode()).hexdigest() for c in shop["customer_id"])
    assert len(sketch) == SKETCH_SIZE
    assert sketch["population_key"].tolist() == keys[:SKETCH_SIZE]


def test_the_same_shop_overlaps_fully_later_and_earlier():
    shop = _shop(4000, seed=1)
    fitted_on = date(2025, 6, 1)
    sketch = population_sketch(_eligible(shop, fitted_on))
    for run_date in (date(2025, 12, 1), date(2025, 1, 1), fitted_on):
        overlap = population_overlap(sketch, fitted_on, _eligible(shop, run_date), run_date)
        assert overlap == pytest.approx(1.0), run_date


def test_a_shop_that_lost_a_tenth_of_its_customers_still_overlaps():
    shop = _shop(4000, seed=1)
    fitted_on = date(2025, 6, 1)
    sketch = population_sketch(_eligible(shop, fitted_on))
    kept = shop.iloc[[i for i in range(len(shop)) if i % 10]]
    overlap = population_overlap(sketch, fitted_on, _eligible(kept, fitted_on), fitted_on)
    assert 0.8 <= overlap < 1.0


def test_another_shop_does_not_overlap_even_with_the_same_ids_or_other_dates():
    shop = _shop(4000, seed=1)
    fitted_on = date(2025, 6, 1)
    sketch = population_sketch(_eligible(shop, fitted_on))
    same_ids = _shop(4000, seed=2)  # same customer ids, other first order dates
    older = _shop(4000, seed=3, start=date(2009, 1, 1), id_offset=50_000)
    for other, run_date in ((same_ids, fitted_on), (older, date(2011, 1, 1))):
        overlap = population_overlap(sketch, fitted_on, _eligible(other, run_date), run_date)
        assert overlap is not None and overlap < 0.1


def test_the_overlap_is_unknown_when_too_few_customers_can_meet():
    shop = _shop(4000, seed=1)
    fitted_on = date(2025, 12, 1)
    sketch = population_sketch(_eligible(shop, fitted_on))
    # About 40 customers then, of whom about 5 can meet a sketch of 512 in 4,000.
    early = date(2024, 1, 8)
    assert len(_eligible(shop, early)) < 50
    assert population_overlap(sketch, fitted_on, _eligible(shop, early), early) is None


# --- the choice ---------------------------------------------------------------------------------


def test_no_stored_model_is_a_first_fit():
    shop = _shop(1500, seed=1)
    choice = choose_model([], SETTINGS, MONITORING, FIT_DATE, _eligible(shop, FIT_DATE), _never)
    assert choice.action == "first_fit"
    assert choice.reason.startswith("first model fitted")


def test_another_shops_model_stops_the_run_and_says_how_to_proceed():
    stored = _stored(_shop(1500, seed=1), FIT_DATE)
    other = _eligible(_shop(1500, seed=9, id_offset=20_000), FIT_DATE)
    with pytest.raises(ShopMismatchError) as stop:
        choose_model([stored], SETTINGS, MONITORING, FIT_DATE, other, _never)
    message = str(stop.value)
    assert "another shop" in message
    assert "DBT_DUCKDB_PATH" in message
    assert "start_over: true" in message


def test_start_over_ignores_every_stored_model():
    stored = _stored(_shop(1500, seed=1), FIT_DATE)
    other = _eligible(_shop(1500, seed=9, id_offset=20_000), FIT_DATE)
    choice = choose_model([stored], SETTINGS, MONITORING, FIT_DATE, other, _never, start_over=True)
    assert choice.action == "first_fit" and choice.previous is None


def test_a_model_fitted_later_never_serves_an_earlier_date():
    shop = _shop(3000, seed=1)
    stored = _stored(shop, date(2026, 1, 1))
    run_date = date(2025, 9, 1)
    choice = choose_model(
        [stored], SETTINGS, MONITORING, run_date, _eligible(shop, run_date), _never
    )
    assert choice.action == "refit"
    assert "fitted after 2025-09-01" in choice.reason
    # The refit is matched to it all the same, so the ids stay comparable.
    assert choice.previous.model_id == stored.model_id


def test_the_latest_valid_model_is_judged_and_kept_when_the_policy_allows():
    shop = _shop(3000, seed=1)
    older = _stored(shop, date(2025, 6, 1))
    newer = _stored(shop, date(2025, 9, 1))
    future = _stored(shop, date(2026, 3, 1))
    run_date = date(2025, 12, 1)
    judged = []

    def judge(model):
        judged.append(model.model_id)
        return evaluate_policy(model, [_eligible(shop, run_date)], run_date, FEATURES, MONITORING)

    choice = choose_model(
        [older, newer, future], SETTINGS, MONITORING, run_date, _eligible(shop, run_date), judge
    )
    assert judged == [newer.model_id]
    assert choice.action == "keep" and choice.kept.model_id == newer.model_id
    assert choice.population_overlap == pytest.approx(1.0)


def test_a_retrain_verdict_refits_in_the_same_run_unless_the_policy_is_manual():
    shop = _shop(3000, seed=1)
    stored = _stored(shop, FIT_DATE)
    sample = _eligible(shop, FIT_DATE)
    choice = choose_model([stored], SETTINGS, MONITORING, FIT_DATE, sample, _verdict("retrain"))
    assert choice.action == "refit"
    assert choice.reason.startswith("retraining policy: model ")
    assert choice.previous.model_id == stored.model_id
    manual = MonitoringSettings(retraining_policy="manual")
    kept = choose_model([stored], SETTINGS, manual, FIT_DATE, sample, _verdict("retrain"))
    assert kept.action == "keep"
    assert "retraining_policy is manual" in kept.reason


def test_other_settings_refit_and_say_which():
    shop = _shop(3000, seed=1)
    stored = _stored(shop, FIT_DATE)
    changed = SegmentationSettings(**{**SETTINGS.__dict__, "seed": 6})
    choice = choose_model(
        [stored], changed, MONITORING, FIT_DATE, _eligible(shop, FIT_DATE), _never
    )
    assert choice.action == "refit"
    assert "fitted with other settings (seed)" in choice.reason


def test_var_retrain_refits_and_new_ids_follow_every_id_the_shop_issued():
    shop = _shop(3000, seed=1)
    first = _stored(shop, date(2025, 6, 1))
    issued = first.max_segment_id_issued + 7
    second_artifacts = first.artifacts.copy()
    second_artifacts.loc[
        (second_artifacts["record_type"] == "metric")
        & (second_artifacts["metric"] == "max_segment_id_issued"),
        "value",
    ] = float(issued)
    second = StoredModel(
        "second", date(2025, 9, 1), second_artifacts.assign(model_id="second"), None, False
    )
    choice = choose_model(
        [first, second],
        SETTINGS,
        MONITORING,
        date(2025, 8, 1),
        _eligible(shop, date(2025, 8, 1)),
        _never,
        retrain_requested=True,
    )
    assert choice.action == "refit" and choice.reason == "var retrain is true"
    assert choice.previous.model_id == first.model_id
    assert choice.previous.max_segment_id_issued == issued


# --- the retraining policy ----------------------------------------------------------------------


def test_psi_bins_by_the_stored_edges_as_the_sql_unit_test():
    # The numbers of the dbt unit test feature_drift_bins_today_by_stored_edges.
    reference = {0: 1, **dict.fromkeys(range(1, 10), 2), 10: 2}
    today = {0: 1, 1: 1, 2: 1, 3: 2, 10: 5}
    assert population_stability_index(reference, today) == pytest.approx(4.703535635185, abs=1e-12)


def test_the_policy_on_unchanged_customers_is_ok_and_on_shifted_ones_retrain():
    shop = _shop(3000, seed=1)
    stored = _stored(shop, FIT_DATE)
    customers = _eligible(shop, FIT_DATE)
    batches = [customers.iloc[:1000], customers.iloc[1000:]]
    same = evaluate_policy(stored, batches, FIT_DATE, FEATURES, MONITORING)
    assert (same.status, same.model_age_days) == ("ok", 0)
    assert same.max_feature_psi == pytest.approx(0.0, abs=1e-12)
    assert same.max_segment_share_shift == pytest.approx(0.0, abs=1e-12)

    richer = customers.assign(monetary=customers["monetary"] * 3)
    later = FIT_DATE + timedelta(days=30)
    shifted = evaluate_policy(stored, [richer], later, FEATURES, MONITORING)
    assert shifted.status == "retrain"
    assert shifted.max_psi_feature == "monetary"
    assert shifted.reason.startswith("feature monetary drifted: PSI ")
    assert shifted.model_age_days == 30


def test_policy_reasons_use_the_monitoring_marts_words():
    assert policy_status(200, 0.0, "x", 0.0, MONITORING) == (
        "retrain",
        "the model is 200 days old (limit 180)",
    )
    assert policy_status(1, 0.12, "sessions", 0.0, MONITORING) == (
        "warn",
        "feature sessions is drifting: PSI 0.12 > 0.1",
    )
    assert policy_status(1, 0.0, "x", 0.07, MONITORING) == (
        "warn",
        "a segment's share moved by 7.0 points since training",
    )
    assert policy_status(1, 0.0, "x", 0.0, MONITORING)[0] == "ok"


def test_unknown_monitoring_settings_are_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="valid ones"):
        MonitoringSettings.from_json('{"psi_retrian": 0.3}')
    with pytest.raises(ValueError, match="retraining_policy"):
        MonitoringSettings(retraining_policy="sometimes")


# --- names follow the data ----------------------------------------------------------------------


def test_names_claim_the_features_they_speak_of():
    assert claimed_features("Window shoppers") == {"sessions"}
    assert claimed_features("Long-lapsed rarely visiting customers") == {
        "recency_days",
        "sessions",
    }
    assert claimed_features("Everyday customers") == frozenset()


def test_a_refit_without_browsing_data_does_not_inherit_a_browsing_name():
    shop = _shop(3000, seed=1)
    shop["sessions"] = np.random.default_rng(4).poisson(5, len(shop))
    with_sessions = SegmentationSettings(
        **{**SETTINGS.__dict__, "numeric_features": (*FEATURES, "sessions")}
    )
    first = _stored(shop, FIT_DATE, with_sessions)
    renamed = first.artifacts.copy()
    is_name = (renamed["record_type"] == "segment") & (renamed["metric"] == "segment_name")
    renamed.loc[is_name, "text_value"] = [
        "Window shoppers",
        "Often-visiting customers",
        "Champions",
    ]
    previous = StoredModel(first.model_id, FIT_DATE, renamed).previous_model(0)
    without = shop.assign(sessions=np.nan)
    refit = fit_segmentation(_eligible(without, FIT_DATE), with_sessions, FIT_DATE, previous)
    names = set(refit.segments["segment_name"])
    assert "Window shoppers" not in names
    assert "Often-visiting customers" not in names
    assert "Champions" in names


def test_a_model_that_cannot_be_compared_is_not_matched_and_its_ids_are_not_reissued():
    shop = _shop(3000, seed=1)
    stored = _stored(shop, FIT_DATE)
    without_sketch = stored.artifacts[stored.artifacts["record_type"] != "population_sketch"]
    legacy = StoredModel(stored.model_id, FIT_DATE, without_sketch)
    customers = _eligible(shop, FIT_DATE)
    choice = choose_model([legacy], SETTINGS, MONITORING, FIT_DATE, customers, _never)
    assert choice.action == "refit" and choice.previous is None
    assert choice.reason.endswith("1 could not be compared with these customers")
    refit = fit_segmentation(customers, SETTINGS, FIT_DATE, ids_issued=choice.ids_issued)
    assert min(refit.segment_ids) == legacy.max_segment_id_issued + 1
