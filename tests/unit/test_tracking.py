import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from customer_segmentation.segmentation.model import fit_segmentation
from customer_segmentation.segmentation.model_store import read_previous_model
from customer_segmentation.segmentation.tracking import match_to_previous, reexpress_centroids
from customer_segmentation.settings import SegmentationSettings

# Every feature separates some blobs (a feature that is pure noise gets as much weight in the
# scaled space as one that separates blobs, and k-means would split the noise).
CENTERS = np.array(
    [
        [10.0, 10.0, 10.0, 10.0],
        [40.0, 10.0, 40.0, 25.0],
        [10.0, 40.0, 25.0, 40.0],
        [40.0, 40.0, 10.0, 10.0],
    ]
)
FEATURES = ("f1", "f2", "f3", "f4")


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):
        yield


def _settings(k: int) -> SegmentationSettings:
    # The class defaults are the project's (log1p on the nine skewed features): none here.
    return SegmentationSettings(
        numeric_features=FEATURES,
        log1p_features=(),
        k=k,
        n_init=3,
        stability_resamples=0,
        max_feature_correlation=1.0,
        seed=11,
    )


def _customers(blobs: list[int], n_per_blob: int = 150, seed: int = 0, first_id: int = 0):
    """Customers around the chosen CENTERS; returns the frame and each customer's blob."""
    rng = np.random.default_rng(seed)
    rows = np.vstack([rng.normal(CENTERS[b], 2.0, size=(n_per_blob, 4)) for b in blobs])
    frame = pd.DataFrame(rows, columns=list(FEATURES))
    frame.insert(0, "customer_id", [f"c{first_id + i:06d}" for i in range(len(frame))])
    return frame, np.repeat(blobs, n_per_blob)


def _segment_of_blob(model, frame, blob_of_row, blob):
    labels = pd.Series(model.labels, index=frame.sort_values("customer_id")["customer_id"])
    members = labels[frame["customer_id"][blob_of_row == blob]]
    return int(members.mode().iloc[0])


def test_identical_rerun_keeps_ids_names_and_assignments():
    frame, _ = _customers([0, 1, 2])
    first = fit_segmentation(frame, _settings(3), "2026-01-01")
    previous = read_previous_model(first.artifacts())
    second = fit_segmentation(frame, _settings(3), "2026-01-01", previous=previous)
    assert second.segment_ids == first.segment_ids
    pd.testing.assert_series_equal(second.segments["segment_name"], first.segments["segment_name"])
    assert (second.labels == first.labels).all()
    assert second.model_id == first.model_id
    assert set(second.segments["match_status"]) == {"matched"}
    assert second.segments["match_distance"].max() < 1e-9
    assert second.vanished.empty
    assert second.previous_model_id == first.model_id


def _renumbered(artifacts: pd.DataFrame, renumber: dict[int, int]) -> pd.DataFrame:
    renamed = artifacts.copy()
    renamed["segment_id"] = pd.array(
        [renumber[int(s)] if pd.notna(s) else pd.NA for s in artifacts["segment_id"]],
        dtype="Int64",
    )
    return renamed


def test_ten_percent_new_customers_keep_the_ids_and_names_of_matched_segments():
    frame, blobs = _customers([0, 1, 2])
    first = fit_segmentation(frame, _settings(3), "2026-01-01")
    assert adjusted_rand_score(blobs, first.labels) == 1.0  # rows are already in id order
    # Give the previous model ids that the fixed order would never produce.
    renumber = {1: 7, 2: 3, 3: 5}
    previous = read_previous_model(_renumbered(first.artifacts(), renumber))
    assert previous.segment_ids == (3, 5, 7)
    newcomers, _ = _customers([0, 1, 2], n_per_blob=15, seed=1, first_id=100_000)
    grown = pd.concat([frame, newcomers], ignore_index=True)
    second = fit_segmentation(grown, _settings(3), "2026-02-01", previous=previous)

    assert sorted(second.segment_ids) == [3, 5, 7]
    assert set(second.segments["match_status"]) == {"matched"}
    old_names = dict(zip(previous.segment_ids, previous.segment_names, strict=True))
    assert second.segments["segment_name"].to_dict() == old_names
    # The same customers keep the same segment id.
    before = pd.Series(
        [renumber[s] for s in first.labels], index=frame.sort_values("customer_id")["customer_id"]
    )
    after = pd.Series(second.labels, index=grown.sort_values("customer_id")["customer_id"])
    assert (after[before.index] == before).mean() > 0.99
    assert second.max_segment_id_issued == 7


def test_a_vanished_segment_is_reported_and_its_id_is_never_reused():
    frame_a, blob_a = _customers([0, 1, 2, 3])
    model_a = fit_segmentation(frame_a, _settings(4), "2026-01-01")
    gone = _segment_of_blob(model_a, frame_a, blob_a, 3)

    frame_b, blob_b = _customers([0, 1, 2], seed=1)
    model_b = fit_segmentation(
        frame_b,
        _settings(3),
        "2026-02-01",
        previous=read_previous_model(model_a.artifacts()),
    )
    assert model_b.vanished["segment_id"].tolist() == [gone]
    assert model_b.vanished["segment_name"].tolist() == [model_a.segments.loc[gone, "segment_name"]]
    for blob in (0, 1, 2):
        assert _segment_of_blob(model_b, frame_b, blob_b, blob) == _segment_of_blob(
            model_a, frame_a, blob_a, blob
        )
    artifacts_b = model_b.artifacts()
    vanished_rows = artifacts_b[artifacts_b["record_type"] == "vanished_segment"]
    assert vanished_rows["segment_id"].tolist() == [gone]
    assert vanished_rows["metric"].tolist() == ["distance_to_nearest_new_segment"]
    assert model_b.max_segment_id_issued == 4

    # The blob comes back: it is a new segment with a new id, not the vanished one.
    frame_c, blob_c = _customers([0, 1, 2, 3], seed=2)
    model_c = fit_segmentation(
        frame_c, _settings(4), "2026-03-01", previous=read_previous_model(artifacts_b)
    )
    returned = _segment_of_blob(model_c, frame_c, blob_c, 3)
    assert returned == 5
    assert model_c.segments.loc[returned, "match_status"] == "new"
    assert model_c.segments["segment_name"].is_unique


def test_a_new_cluster_gets_the_next_id_and_the_others_keep_theirs():
    frame_a, blob_a = _customers([0, 1, 3])
    model_a = fit_segmentation(frame_a, _settings(3), "2026-01-01")
    frame_b, blob_b = _customers([0, 1, 2, 3], seed=1)
    model_b = fit_segmentation(
        frame_b,
        _settings(4),
        "2026-02-01",
        previous=read_previous_model(model_a.artifacts()),
    )
    new_id = _segment_of_blob(model_b, frame_b, blob_b, 2)
    assert new_id == 4
    assert model_b.segments.loc[new_id, "match_status"] == "new"
    for blob in (0, 1, 3):
        old = _segment_of_blob(model_a, frame_a, blob_a, blob)
        assert _segment_of_blob(model_b, frame_b, blob_b, blob) == old
        assert (
            model_b.segments.loc[old, "segment_name"] == model_a.segments.loc[old, "segment_name"]
        )
    assert model_b.segments["segment_name"].is_unique
    assert model_b.vanished.empty


def test_a_match_farther_than_the_threshold_is_a_new_segment():
    match = match_to_previous(
        np.array([[0.0, 0.0], [5.0, 5.0]]),
        ["a", "b"],
        np.array([[1.0, 1.0], [0.0, 0.1]]),
        ["a", "b"],
        previous_segment_ids=[4, 9],
        previous_names=["Four", "Nine"],
        max_distance=1.5,
    )
    assert match.segment_ids == (9, 10)
    assert match.statuses == ("matched", "new")
    assert match.names == ("Nine", None)
    assert match.vanished["segment_id"].tolist() == [4]
    assert match.distances[0] == pytest.approx(0.1)


def test_outlier_segments_match_each_other_whatever_the_distance():
    match = match_to_previous(
        np.array([[0.0], [9.0]]),
        ["a"],
        np.array([[0.1], [-50.0]]),
        ["a"],
        previous_segment_ids=[1, 2],
        previous_names=["Regulars", "Unclustered / outliers"],
        new_is_outlier=[False, True],
        previous_is_outlier=[False, True],
    )
    assert match.segment_ids == (1, 2)
    assert match.statuses == ("matched", "matched")


def test_only_common_features_count_and_scaling_is_translated_through_raw_units():
    previous_scaling = pd.DataFrame(
        {
            "feature": ["spend", "visits", "gone"],
            "transform": ["log1p", "identity", "identity"],
            "center": [0.0, 1.0, 0.0],
            "scale": [1.0, 2.0, 1.0],
            "clip_limit": [5.0, 5.0, 5.0],
        }
    )
    new_scaling = pd.DataFrame(
        {
            "feature": ["visits", "spend", "added"],
            "transform": ["identity", "identity", "identity"],
            "center": [0.0, 1.0, 0.0],
            "scale": [1.0, 2.0, 1.0],
            "clip_limit": [5.0, 5.0, 5.0],
        }
    )
    # spend: z = log1p(9) -> 9 spent -> (9 - 1) / 2 = 4; visits: z = 1 -> 3 visits -> 3.
    centroids = np.array([[np.log1p(9.0), 1.0, 7.0]])
    moved, new_positions, previous_positions = reexpress_centroids(
        centroids,
        ["spend", "visits", "gone"],
        ["visits", "spend", "added"],
        previous_scaling,
        new_scaling,
    )
    assert new_positions == [0, 1] and previous_positions == [1, 0]
    assert moved.tolist() == [pytest.approx([3.0, 4.0])]


def test_reading_a_previous_model_needs_a_model_id_when_the_table_holds_several_models():
    frame, _ = _customers([0, 1])
    first = fit_segmentation(frame, _settings(2), "2026-01-01").artifacts()
    second = fit_segmentation(frame, _settings(2), "2026-02-01").artifacts()
    both = pd.concat([first, second], ignore_index=True)
    with pytest.raises(ValueError, match="pass model_id"):
        read_previous_model(both)
    model_id = str(second["model_id"].iloc[0])
    previous = read_previous_model(both, model_id=model_id)
    assert previous.model_id == model_id
    assert previous.centroids.shape == (2, 4)


def test_a_previous_model_is_read_back_from_duckdb():
    duckdb = pytest.importorskip("duckdb")
    frame, _ = _customers([0, 1, 2])
    model = fit_segmentation(frame, _settings(3), "2026-01-01")
    with duckdb.connect() as connection:
        connection.register("artifacts", model.artifacts())
        stored = connection.sql("select * from artifacts").df()
    previous = read_previous_model(stored)
    assert previous.segment_ids == model.segment_ids
    assert previous.segment_names == tuple(model.segments["segment_name"])
    assert np.allclose(previous.centroids, model.clustering.centroids)
    rerun = fit_segmentation(frame, _settings(3), "2026-01-01", previous=previous)
    assert (rerun.labels == model.labels).all()
