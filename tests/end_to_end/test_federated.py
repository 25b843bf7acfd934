"""Federated K-means (customer_segmentation.segmentation.federated): the same result as pooled
K-means from the same start, only aggregates shared, and the noise of the private mode as
documented."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from customer_segmentation.segmentation.federated import (
    LOG1P_UPPER_BOUND,
    FederatedSettings,
    PrivacyBudget,
    Shop,
    _total,
    adjusted_rand_from_contingency,
    fit_federated,
    main,
    pooled_kmeans,
)
from customer_segmentation.segmentation.preprocessing import CLIP_LIMIT

FEATURES = ("recency_days", "frequency", "monetary", "sessions", "return_rate")
LOG1P = ("recency_days", "frequency", "monetary", "sessions")


def synthetic_shop(name: str, customers: int, seed: int, mix: list[float], events=True) -> Shop:
    """Customers of four planted kinds, in shop-specific proportions; without events the
    sessions feature is null for everyone (as for a shop that sends no browsing events)."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(4, size=customers, p=mix)
    recency = np.array([10, 200, 30, 400])[kind] * rng.lognormal(0, 0.3, customers)
    frequency = np.array([20, 2, 6, 1])[kind] * rng.lognormal(0, 0.3, customers)
    monetary = np.array([3000, 80, 600, 40])[kind] * rng.lognormal(0, 0.4, customers)
    sessions = np.array([60, 3, 15, 1])[kind] * rng.lognormal(0, 0.3, customers)
    returns = np.clip(np.array([0.02, 0.3, 0.05, 0.0])[kind] + rng.normal(0, 0.03, customers), 0, 1)
    frame = pd.DataFrame(
        {
            "customer_id": [f"{name}-{i:06d}" for i in range(customers)],
            "recency_days": np.round(recency),
            "frequency": np.maximum(1, np.round(frequency)),
            "monetary": np.round(monetary, 2),
            "sessions": np.round(sessions) if events else np.nan,
            "return_rate": returns,
        }
    )
    return Shop(name, frame)


@pytest.fixture(scope="module")
def shops() -> list[Shop]:
    return [
        synthetic_shop("north", 1500, 1, [0.4, 0.3, 0.2, 0.1]),
        synthetic_shop("south", 900, 2, [0.1, 0.2, 0.3, 0.4]),
        synthetic_shop("west", 600, 3, [0.25, 0.25, 0.25, 0.25], events=False),
    ]


SETTINGS = FederatedSettings(numeric_features=FEATURES, log1p_features=LOG1P, k=4, seed=7)


@pytest.fixture(scope="module")
def federated(shops):
    return fit_federated(shops, SETTINGS)


def test_federated_kmeans_is_pooled_kmeans_from_the_same_start(shops, federated):
    assert federated.converged
    labels, centroids = pooled_kmeans(shops, federated.scaling, federated.start)
    federated_labels = np.concatenate(
        [shop.labels(federated.scaling, federated.centroids) for shop in shops]
    )
    assert (federated_labels == labels).all()
    assert adjusted_rand_score(labels, federated_labels) == 1.0
    np.testing.assert_allclose(federated.centroids, centroids, rtol=0, atol=1e-9)
    assert federated.segment_sizes.tolist() == np.bincount(labels - 1).astype(float).tolist()
    # The shared sums give the pooled inertia.
    x = np.vstack([shop.scaled_rows_for_evaluation(federated.scaling) for shop in shops])
    last = federated.history.iloc[-1]
    inertia = sum(((x[labels == s] - centroids[s - 1]) ** 2).sum() for s in range(1, 5))
    assert last["inertia"] == pytest.approx(inertia, rel=1e-9)
    # Four planted kinds, found again across shops.
    assert min(federated.segment_sizes) > 200


def test_the_shared_scaling_is_the_scaling_of_the_pooled_rows(shops, federated):
    frames = pd.concat([shop._features for shop in shops], ignore_index=True)
    pooled = fit_federated([Shop("pooled", frames)], SETTINGS)
    assert pooled.dropped == {}
    pd.testing.assert_frame_equal(pooled.scaling, federated.scaling, check_exact=False, rtol=1e-12)
    # What the moments mean: sessions are missing in one shop, filled with the pooled mean of
    # log1p(sessions), and the scale is the pooled standard deviation after the fill.
    sessions = frames["sessions"].to_numpy()
    t = np.log1p(sessions[~np.isnan(sessions)])
    row = federated.scaling.set_index("feature").loc["sessions"]
    assert row["fill_value"] == pytest.approx(np.expm1(t.mean()))
    filled = np.log1p(np.where(np.isnan(sessions), row["fill_value"], sessions))
    assert row["center"] == pytest.approx(filled.mean())
    assert row["scale"] == pytest.approx(filled.std())
    assert (federated.scaling["clip_limit"] == CLIP_LIMIT).all()


def test_shops_send_aggregates_whose_size_does_not_grow_with_customers(shops, federated):
    k, d = 4, len(FEATURES)
    shared = federated.shared
    iterations = shared[shared["kind"] == "iteration"]
    assert (iterations["numbers"] == k + k * d + k).all()
    assert set(shared["kind"]) == {"scaling", "start", "iteration"}
    scaling = shared[shared["kind"] == "scaling"].groupby("shop")["numbers"].sum()
    assert (scaling == 1 + 3 * d).all()  # n, then m_f and S1_f, then S2_f
    assert len(iterations) == federated.iterations * len(shops)


def test_the_adjusted_rand_index_needs_only_the_pooled_contingency_table(shops, federated):
    other = federated.start
    table = _total(
        [
            {"table": shop.contingency(federated.scaling, federated.centroids, other)}
            for shop in shops
        ]
    )["table"]
    first = np.concatenate([shop.labels(federated.scaling, federated.centroids) for shop in shops])
    second = np.concatenate([shop.labels(federated.scaling, other) for shop in shops])
    assert adjusted_rand_from_contingency(table) == pytest.approx(
        adjusted_rand_score(first, second), abs=1e-12
    )
    assert adjusted_rand_from_contingency(np.diag([3.0, 4.0])) == 1.0


def test_noise_scales_follow_the_documented_sensitivities():
    settings = FederatedSettings(
        numeric_features=FEATURES, log1p_features=LOG1P, epsilon=2.0, private_iterations=4
    )
    budget = PrivacyBudget(settings, dimensions=5)
    per_iteration_part = 2.0 * (1 - 0.2) / 4 / 3
    scales = budget.iteration_scales()
    assert scales["count"] == pytest.approx(1 / per_iteration_part)
    assert scales["sum"] == pytest.approx(5 * CLIP_LIMIT / per_iteration_part)
    assert scales["sum_of_squares"] == pytest.approx(5 * CLIP_LIMIT**2 / per_iteration_part)
    scaling = budget.scaling_scales(FEATURES)
    scaling_part = 2.0 * 0.2 / 4
    assert scaling["values"] == pytest.approx(5 / scaling_part)
    # Sums: the budget split over the features, each with its own bound (log1p: ln(1 + 10^7),
    # return_rate: 1); squared deviations from the pooled mean clipped to half the bounds' width.
    per_feature = scaling_part / 5
    bounds = np.array([LOG1P_UPPER_BOUND] * 4 + [1.0])
    np.testing.assert_allclose(scaling["sum"], bounds / per_feature)
    np.testing.assert_allclose(scaling["sum_of_squares"], (bounds / 2) ** 2 / per_feature)
    # Gaussian: rho-zCDP from (epsilon, delta), sigma = L2 sensitivity / sqrt(2 rho_part).
    gaussian = PrivacyBudget(
        FederatedSettings(
            numeric_features=FEATURES,
            log1p_features=LOG1P,
            epsilon=2.0,
            mechanism="gaussian",
            delta=1e-6,
            private_iterations=4,
        ),
        dimensions=5,
    )
    log_term = math.log(1e6)
    rho = (math.sqrt(2.0 + log_term) - math.sqrt(log_term)) ** 2
    assert gaussian.rho == pytest.approx(rho)
    sigma = math.sqrt(5) * CLIP_LIMIT / math.sqrt(2 * rho * 0.8 / 4 / 3)
    assert gaussian.iteration_scales()["sum"] == pytest.approx(sigma)


def test_more_privacy_costs_agreement_with_the_pooled_fit(shops, federated):
    """From the same (public) start, the noisy fit agrees less with the pooled fit as epsilon
    shrinks; the same noise seed gives the same fit."""
    labels, _ = pooled_kmeans(shops, federated.scaling, federated.start)
    agreement = {}
    for epsilon in (1e5, 3.0):
        settings = FederatedSettings(
            numeric_features=FEATURES,
            log1p_features=LOG1P,
            k=4,
            seed=7,
            epsilon=epsilon,
            mechanism="gaussian",
            noise_seed=11,
        )
        private = fit_federated(shops, settings, start_centroids=federated.start)
        again = fit_federated(shops, settings, start_centroids=federated.start)
        np.testing.assert_array_equal(private.centroids, again.centroids)
        assert private.iterations == settings.private_iterations and not private.converged
        private_labels = np.concatenate(
            [shop.labels(private.scaling, private.centroids) for shop in shops]
        )
        agreement[epsilon] = adjusted_rand_score(labels, private_labels)
        assert "(epsilon = " in private.privacy
    assert agreement[1e5] > 0.95
    assert agreement[3.0] < agreement[1e5]
    other_noise = FederatedSettings.from_mapping(
        {**json.loads(json.dumps(settings_values(settings))), "noise_seed": 12}
    )
    differs = fit_federated(shops, other_noise, start_centroids=federated.start)
    assert not np.array_equal(differs.centroids, private.centroids)


def settings_values(settings: FederatedSettings) -> dict:
    return {
        "numeric_features": list(settings.numeric_features),
        "log1p_features": list(settings.log1p_features),
        "k": settings.k,
        "seed": settings.seed,
        "epsilon": settings.epsilon,
        "mechanism": settings.mechanism,
        "noise_seed": settings.noise_seed,
    }


def test_settings_are_checked():
    with pytest.raises(ValueError, match="unknown federated settings \\['epsilonn'\\]"):
        FederatedSettings.from_mapping({"numeric_features": ["a"], "epsilonn": 1})
    with pytest.raises(ValueError, match="not differentially private"):
        FederatedSettings(numeric_features=("a",), epsilon=1.0, start="kmeans++")
    with pytest.raises(ValueError, match="give feature_bounds for mean_rating"):
        FederatedSettings(numeric_features=("mean_rating", "return_rate"), epsilon=1.0)
    bounded = FederatedSettings(
        numeric_features=("mean_rating",), epsilon=1.0, feature_bounds={"mean_rating": (1, 5)}
    )
    assert bounded.bounds("mean_rating") == (1.0, 5.0)
    assert bounded.start_method == "random"
    with pytest.raises(ValueError, match="mechanism must be one of"):
        FederatedSettings(numeric_features=("a",), mechanism="exponential")


def test_a_feature_without_data_anywhere_is_dropped_with_the_reason(shops):
    settings = FederatedSettings(
        numeric_features=(*FEATURES, "browsing_minutes"), log1p_features=LOG1P, k=4, seed=7
    )
    result = fit_federated(shops, settings)
    assert result.dropped == {"browsing_minutes": "no data in any shop"}
    assert "browsing_minutes" not in set(result.scaling["feature"])


def test_the_command_fits_shops_from_warehouses(shops, tmp_path, capsys):
    import duckdb

    paths = []
    for shop in shops:
        path = tmp_path / f"{shop.name}.duckdb"
        with duckdb.connect(str(path)) as connection:
            connection.execute("create schema intermediate")
            connection.register("features", shop._features)
            connection.execute(
                "create table intermediate.int_customer_features as select * from features"
            )
        paths.append(path)
    arguments = [argument for path in paths for argument in ("--warehouse", str(path))]
    features = ["--features", ",".join(FEATURES), "--log1p-features", ",".join(LOG1P)]
    code = main(
        [
            *arguments,
            *features,
            "--k",
            "4",
            "--seed",
            "7",
            "--compare-pooled",
            "--output",
            str(tmp_path / "model"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "pooled K-means from the same start: adjusted Rand index 1.0000" in out
    assert (tmp_path / "model" / "centroids.csv").exists()
    run = json.loads((tmp_path / "model" / "run.json").read_text())
    assert run["converged"] and run["privacy"] == "no noise"
    code = main(
        [
            *arguments,
            *features,
            "--k",
            "4",
            "--epsilon",
            "50",
            "--mechanism",
            "gaussian",
            "--noise-seed",
            "3",
            "--compare-pooled",
        ]
    )
    assert code == 0
    assert "(epsilon = 50, delta = 1e-06)-DP" in capsys.readouterr().out
    assert main([*arguments, "--k", "4"]) == 2  # no segment model to read the features from
    assert "has no segment model" in capsys.readouterr().err

    # Shops as schemas of one shared file.
    shared = tmp_path / "shared.duckdb"
    with duckdb.connect(str(shared)) as connection:
        for shop in shops:
            connection.execute(f"create schema {shop.name}")
            connection.register("features", shop._features)
            connection.execute(f"create table {shop.name}.customers as select * from features")
            connection.unregister("features")
    arguments = [f"--warehouse={shared}#{shop.name}.customers" for shop in shops]
    assert main([*arguments, *features, "--k", "4", "--seed", "7", "--compare-pooled"]) == 0
    out = capsys.readouterr().out
    assert "3 shops" in out and "shared#north.customers" in out
    assert "pooled K-means from the same start: adjusted Rand index 1.0000" in out


# --- end to end: demo shops built with dbt ----------------------------------------------------


@pytest.fixture(scope="module")
def second_shop_build(tmp_path_factory):
    """A second demo shop (another seed, 1,000 customers) built into a warehouse of its own."""
    from helpers import run_dbt

    from demo.shop import generate_shop

    data = tmp_path_factory.mktemp("second_shop")
    generate_shop(data, n_customers=1000, seed=23)
    return run_dbt(tmp_path_factory.mktemp("second_shop_build"), {"raw_data_path": str(data)})


@pytest.mark.dbt
def test_demo_shops_built_apart_fit_the_pooled_kmeans(demo_build, second_shop_build, capsys):
    from customer_segmentation.segmentation.federated import compare_with_pooled, features_of_shops

    paths = [demo_build.database, second_shop_build.database]
    numeric, log1p = features_of_shops(paths)
    shops = [Shop.from_warehouse(path, name=f"shop{i}") for i, path in enumerate(paths)]
    settings = FederatedSettings(numeric_features=numeric, log1p_features=log1p, k=5)
    result = fit_federated(shops, settings)
    assert result.converged and result.dropped == {}
    comparison = compare_with_pooled(shops, result)
    assert comparison["same_start_ari"] == 1.0
    assert comparison["largest_centroid_difference"] < 1e-9
    eligible = sum(
        int(build.query("select count(*) as n from intermediate.int_customer_features")["n"][0])
        for build in (demo_build, second_shop_build)
    )
    assert result.segment_sizes.sum() == eligible

    arguments = [argument for path in paths for argument in ("--warehouse", str(path))]
    assert main([*arguments, "--compare-pooled"]) == 0
    out = capsys.readouterr().out
    assert f"{len(numeric)} features, no noise" in out
    assert "pooled K-means from the same start: adjusted Rand index 1.0000" in out
