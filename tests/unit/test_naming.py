import numpy as np
import pandas as pd

from customer_segmentation.segmentation.naming import ARCHETYPES, name_segments, segment_profiles


def _profiles(rows: dict[int, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index").fillna(0.0)


FEATURES = ["recency_days", "frequency", "monetary", "tenure_days", "sessions", "discount_share"]


def test_archetypes_go_to_the_segments_that_fit_them():
    profiles = _profiles(
        {
            1: {"recency_days": -1.2, "frequency": 2.0, "monetary": 2.2, "tenure_days": 0.8},
            2: {"recency_days": 1.8, "frequency": -0.9, "monetary": -0.5, "sessions": -0.8},
            3: {"sessions": 2.5, "frequency": -0.7, "recency_days": 0.2},
            4: {"tenure_days": -2.0, "recency_days": -1.0, "frequency": -0.5},
            5: {"discount_share": 2.4, "frequency": 0.4},
        }
    )
    for feature in FEATURES:
        profiles[feature] = profiles.get(feature, 0.0)
    names = name_segments(profiles)["segment_name"].to_dict()
    assert names == {
        1: "Champions",
        2: "Lapsed one-time buyers",
        3: "Window shoppers",
        4: "New customers",
        5: "Bargain hunters",
    }


def test_names_are_unique_even_when_segments_look_alike():
    profiles = pd.DataFrame(
        [[2.0, 2.0, -1.0]] * 14,
        columns=["frequency", "monetary", "recency_days"],
        index=range(1, 15),
    )
    names = name_segments(profiles)["segment_name"]
    assert names.is_unique
    assert len(names) == 14


def test_archetypes_that_need_a_missing_feature_are_not_used():
    profiles = pd.DataFrame(
        {"recency_days": [1.5, -1.0], "frequency": [-1.0, 1.0], "monetary": [-1.0, 1.2]},
        index=[1, 2],
    )
    names = set(name_segments(profiles)["segment_name"])
    assert "Window shoppers" not in names
    assert "Bargain hunters" not in names


def test_a_weak_match_gets_a_descriptive_name_instead_of_an_archetype():
    profiles = pd.DataFrame({"return_rate": [0.1, -0.1]}, index=[1, 2])
    names = name_segments(profiles)["segment_name"].tolist()
    assert names[0] != "Frequent returners"
    assert all(name for name in names)


def test_descriptions_mention_the_strongest_features():
    profiles = pd.DataFrame(
        {"frequency": [2.0, -2.0], "monetary": [1.5, -1.5], "recency_days": [-1.0, 1.0]},
        index=[1, 2],
    )
    description = name_segments(profiles).loc[1, "description"]
    assert "orders much higher" in description
    assert "net spend much higher" in description


def test_one_segment_is_all_customers():
    names = name_segments(pd.DataFrame({"frequency": [0.0]}, index=[1]))
    assert names.loc[1, "segment_name"] == "All customers"


def test_profiles_are_z_scores_of_segment_means():
    x = np.array([[0.0], [2.0], [4.0], [6.0]])
    profiles = segment_profiles(x, np.array([1, 1, 2, 2]), ["f"])
    assert profiles.loc[1, "f"] < 0 < profiles.loc[2, "f"]
    assert profiles["f"].sum() == 0


def test_archetype_names_are_unique():
    assert len({a.name for a in ARCHETYPES}) == len(ARCHETYPES)
