"""Tests for review text features (customer_segmentation.segmentation.reviews): language rule,
sentiment, topics and the artifact table the dbt Python model writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_segmentation.segmentation.reviews import (
    ARTIFACT_COLUMNS,
    english_token_share,
    fit_topics,
    is_language_supported,
    review_text_artifacts,
    score_reviews,
)
from customer_segmentation.settings import ReviewTextSettings

SETTINGS = ReviewTextSettings()

# Three planted topics, each with its own words; a review draws some of its topic's words and a
# few English words every topic shares (so that the language rule keeps it).
TOPIC_WORDS = {
    "delivery": "delivery parcel courier shipping arrived tracking package box postage dispatch",
    "battery": "battery charger charging power cable drains lasts overnight adapter socket",
    "screen": "screen display colours brightness pixels resolution glare flicker panel touch",
}
SHARED_WORDS = ["the", "was", "and", "it", "is", "very", "really", "quite", "product", "overall"]


def _planted_reviews(n: int, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    vocabularies = [words.split() for words in TOPIC_WORDS.values()]
    topic = rng.integers(0, len(vocabularies), n)
    texts = [
        " ".join(
            [*rng.choice(vocabularies[t], 5, replace=False), *rng.choice(SHARED_WORDS, 4)]
        ).capitalize()
        + "."
        for t in topic
    ]
    frame = pd.DataFrame(
        {
            "review_id": [f"r{i:05d}" for i in range(n)],
            "review_text": texts,
            "reviewed_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n), "h"),
        }
    )
    return frame, topic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great value for the money, would buy again.", True),
        ("Terrible quality, broke after a week 😡", True),
        ("Très bien 👍", False),
        ("Schlechte Qualität 👎", False),
        ("Não recomendo. Muito fraco.", False),
        ("😍😍😍", False),  # no word at all: nothing the rule can judge
        ("12345", False),
        ("", None),
        ("   \n\t", None),
        (None, None),
    ],
)
def test_language_rule(text, expected):
    assert is_language_supported(text, SETTINGS.min_english_token_share) is expected


def test_language_rule_is_a_share_of_english_tokens():
    # "great" and "but" are English, "sehr" and "gut" are not: half the tokens.
    assert english_token_share("great but sehr gut") == pytest.approx(0.5)
    assert is_language_supported("great but sehr gut", 0.5) is True
    assert is_language_supported("great but sehr gut", 0.51) is False
    assert english_token_share("!!! 👍") is None


def test_sentiment_is_null_without_text_or_language_and_signed_otherwise():
    reviews = pd.DataFrame(
        {
            "review_id": ["e", "d", "c", "b", "a"],
            "review_text": [
                None,
                "  ",
                "Schlechte Qualität 👎",
                "Awful, broke after a week. Never again.",
                "Love it, excellent quality!",
            ],
        }
    )
    scored = score_reviews(reviews, SETTINGS).set_index("review_id")
    assert list(scored.index) == ["a", "b", "c", "d", "e"]  # sorted by review_id
    assert scored.loc["a", "sentiment_score"] > 0.5
    assert scored.loc["b", "sentiment_score"] < -0.5
    assert scored.loc["b", "is_negative"] and not scored.loc["a", "is_negative"]
    assert scored.loc["c", "has_text"] and not scored.loc["c", "is_language_supported"]
    for review_id in ("c", "d", "e"):
        assert pd.isna(scored.loc[review_id, "sentiment_score"])
        assert pd.isna(scored.loc[review_id, "is_negative"])
    assert not scored.loc["d", "has_text"] and not scored.loc["e", "has_text"]
    assert pd.isna(scored.loc["d", "is_language_supported"])


def test_repeated_texts_are_scored_as_if_each_was_scored_alone():
    # score_reviews judges each distinct text once: repeats, gaps and the review order must not
    # change any review's verdict or score.
    texts = [
        "Love it, excellent quality!",
        None,
        "Awful, broke after a week. Never again.",
        "Schlechte Qualität 👎",
        "  ",
        "Love it, excellent quality!",
        "Meh, expected more for the price",
        "Awful, broke after a week. Never again.",
        None,
        "Love it, excellent quality!",
    ]
    reviews = pd.DataFrame({"review_id": [f"r{i}" for i in range(len(texts))][::-1]})
    reviews["review_text"] = texts
    scored = score_reviews(reviews, SETTINGS).set_index("review_id")
    for review_id, text in zip(reviews["review_id"], texts, strict=True):
        alone = score_reviews(
            pd.DataFrame({"review_id": [review_id], "review_text": [text]}), SETTINGS
        ).set_index("review_id")
        pd.testing.assert_series_equal(scored.loc[review_id], alone.loc[review_id])


def test_topic_assignment_is_that_of_each_text_vectorised_alone():
    reviews, _ = _planted_reviews(200)
    model = fit_topics(reviews["review_text"].tolist(), SETTINGS)
    # Repeats in any order, and a text with no topic word (topic 0).
    texts = [*reviews["review_text"].iloc[::-1], *reviews["review_text"].iloc[:50], "Zzz qqq."]
    weights = model.nmf.transform(model.vectorizer.transform(texts))[:, list(model.order)]
    expected = np.where(weights.max(axis=1) > 0, np.argmax(weights, axis=1) + 1, 0)
    np.testing.assert_array_equal(model.assign(texts), expected)
    assert model.assign(texts)[-1] == 0


def test_planted_topics_are_recovered_and_k_is_chosen_by_stability():
    reviews, planted = _planted_reviews(300)
    model = fit_topics(reviews["review_text"].tolist(), ReviewTextSettings(topics_k_min=2))
    assert model is not None
    assert model.k == 3
    chosen = model.candidates.loc[model.candidates["is_chosen"]]
    assert chosen["stability"].iloc[0] == model.candidates["stability"].max()
    # Each found topic's top words all come from one planted topic.
    vocabularies = [set(words.split()) for words in TOPIC_WORDS.values()]
    for _, words in model.words.loc[model.words["position"] <= 5].groupby("topic_id")["word"]:
        assert any(set(words) <= vocabulary for vocabulary in vocabularies), list(words)
    assigned = model.assign(reviews["review_text"].tolist())
    agreement = pd.crosstab(planted, assigned)
    assert (agreement.max(axis=1) == agreement.sum(axis=1)).all(), agreement


def test_topics_are_deterministic():
    reviews, _ = _planted_reviews(200)
    texts = reviews["review_text"].tolist()
    first = fit_topics(texts, SETTINGS)
    second = fit_topics(texts, SETTINGS)
    pd.testing.assert_frame_equal(first.words, second.words)
    pd.testing.assert_frame_equal(first.candidates, second.candidates)


def test_too_few_reviews_fit_no_topics():
    reviews, _ = _planted_reviews(20)
    assert fit_topics(reviews["review_text"].tolist(), SETTINGS) is None


def test_artifacts_hold_no_review_text_and_fit_topics_before_as_of_date():
    reviews, _ = _planted_reviews(200)
    # After as_of_date: a topic of its own, which must not be learnt (the future is unknown).
    late = pd.DataFrame(
        {
            "review_id": [f"z{i:03d}" for i in range(100)],
            "review_text": ["The zipper of the backpack jammed instantly."] * 100,
            "reviewed_at": pd.Timestamp("2026-12-01"),
        }
    )
    artifacts = review_text_artifacts(pd.concat([late, reviews]), "2026-06-01", SETTINGS)
    assert list(artifacts.columns) == ARTIFACT_COLUMNS
    texts = set(reviews["review_text"]) | set(late["review_text"])
    for column in ("review_id", "metric", "text_value"):
        assert not artifacts[column].isin(texts).any()
    words = set(artifacts.loc[artifacts["record_type"] == "topic_word", "text_value"])
    assert words and not words & {"zipper", "backpack", "jammed"}
    per_review = artifacts[artifacts["record_type"] == "review"]
    assert len(per_review) == 300 and per_review["review_id"].is_unique
    # The late reviews are scored all the same (sentiment does not depend on the date).
    assert per_review.loc[per_review["review_id"].str.startswith("z"), "has_text"].all()


def test_artifacts_of_no_reviews_keep_their_shape():
    empty = pd.DataFrame({"review_id": [], "review_text": [], "reviewed_at": []})
    artifacts = review_text_artifacts(empty, "2026-06-01", SETTINGS)
    assert list(artifacts.columns) == ARTIFACT_COLUMNS
    assert set(artifacts["record_type"]) == {"parameter"}
    status = artifacts.loc[artifacts["metric"] == "topics_status", "text_value"].iloc[0]
    assert status.startswith("not fitted")
    assert str(artifacts["sentiment_score"].dtype) == "Float64"


def test_settings_reject_unknown_keys_and_bad_ranges():
    assert ReviewTextSettings.from_json(None) == SETTINGS
    assert ReviewTextSettings.from_json('{"topics_k_max": 5}').topics_k_max == 5
    with pytest.raises(ValueError, match="valid ones"):
        ReviewTextSettings.from_mapping({"topic_k_max": 5})
    with pytest.raises(ValueError, match="topics_k_min"):
        ReviewTextSettings(topics_k_min=6, topics_k_max=5)
    with pytest.raises(ValueError, match="threads"):
        ReviewTextSettings.from_mapping({"threads": 0})


def test_threads_are_no_parameter_of_the_topics():
    # threads changes how fast the topics are fitted, not what they are.
    reviews, _ = _planted_reviews(100)
    artifacts = review_text_artifacts(reviews, "2027-01-01", ReviewTextSettings(threads=2))
    parameters = set(artifacts.loc[artifacts["record_type"] == "parameter", "metric"])
    assert "setting_seed" in parameters and "setting_threads" not in parameters
