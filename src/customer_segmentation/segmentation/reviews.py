"""Review text as features: a sentiment score per review and topics fitted on the shop's reviews.

Sentiment is VADER's compound score (vaderSentiment: a rule-based English lexicon of about
7,500 words and the emoji, shipped inside the package, so nothing is downloaded at run time),
between -1 (most negative) and +1. A review is negative when its score is at most
``negative_threshold`` (-0.05, VADER's own cut-off).

Which reviews are scored (``score_reviews``):
- no text (null, empty or only whitespace): ``has_text`` false, no language verdict, no sentiment,
  no topic;
- text in a language the lexicon does not cover: VADER only knows English, and scores a German or
  Portuguese complaint as neutral. The rule: the text's word tokens (runs of letters, lower-cased)
  are looked up in English's vocabulary (the VADER lexicon and scikit-learn's English stop
  words); when fewer than ``min_english_token_share`` of them (0.3) are found, or the text has no
  word at all (only emoji or digits), ``is_language_supported`` is false and the review gets no
  sentiment and no topic. Crude on purpose: it needs no language model, and a wrong "supported"
  only costs a near-neutral score;
- every other review: a sentiment score and, when topics were fitted, its dominant topic.

Topics (``fit_topics``): TF-IDF (English stop words removed, words of at least 3 letters found in
at least ``topics_min_document_frequency`` reviews, so a word only one customer writes, such as a
name, never becomes a topic word) and NMF, fitted on the supported reviews written before
as_of_date (at most ``topics_fit_sample_size`` of them, a seeded sample of the sorted reviews). The
number of topics k is chosen over ``topics_k_min..topics_k_max`` by stability: for each k, NMF is
refitted on ``topics_stability_resamples`` random subsets (each ``topics_stability_sample_share``
of the reviews), each refit's topics are matched one-to-one to the full fit's (Hungarian matching
on the overlap of their top words) and the stability is the mean Jaccard overlap of the matched
top-word sets. The most stable k wins; ties go to the smaller k. Topics are numbered by how many
fitted reviews they dominate (1 = most). A review's topic is the one with the largest weight in its
NMF representation (none when it shares no word with the vocabulary).

Everything is deterministic: the input is sorted by review_id and every random step takes the seed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from customer_segmentation.settings import ReviewTextSettings

ARTIFACT_COLUMNS = [
    "record_type",
    "review_id",
    "topic_id",
    "position",
    "k",
    "metric",
    "value",
    "text_value",
    "has_text",
    "is_language_supported",
    "sentiment_score",
    "is_negative",
]
SENTIMENT_METHOD = "vader"
_WORD = re.compile(r"[^\W\d_]+")
_DECIMALS = 6


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def english_vocabulary() -> frozenset[str]:
    """The words the language rule counts as English: VADER's lexicon and the stop words."""
    lexicon = {word for word in _analyzer().lexicon if _WORD.fullmatch(word)}
    return frozenset(lexicon | set(ENGLISH_STOP_WORDS))


def word_tokens(text: str) -> list[str]:
    """Runs of letters (any script), lower-cased: the words the language rule looks up."""
    return _WORD.findall(text.lower())


def english_token_share(text: str) -> float | None:
    """Share of the text's word tokens found in english_vocabulary(); None without any word."""
    tokens = word_tokens(text)
    if not tokens:
        return None
    vocabulary = english_vocabulary()
    return sum(token in vocabulary for token in tokens) / len(tokens)


def is_language_supported(text: str | None, min_share: float) -> bool | None:
    """None for no text; else whether the text is English enough for the lexicon to score it."""
    if text is None or not str(text).strip():
        return None
    share = english_token_share(str(text))
    return share is not None and share >= min_share


def score_reviews(reviews: pd.DataFrame, settings: ReviewTextSettings) -> pd.DataFrame:
    """Sentiment of each review.

    Input: review_id, review_text (null for none). Output, one row per review in review_id
    order: review_id, has_text, is_language_supported (null without text), sentiment_score
    (VADER compound; null without text or when the language is not supported), is_negative.

    The verdict and the score depend on the text alone, so each distinct text is judged and
    scored once (shops repeat short reviews such as "Great product!"): the cost grows with the
    distinct texts, not the reviews.
    """
    frame = reviews[["review_id", "review_text"]].sort_values("review_id", kind="stable")
    texts = pd.Series([_text_or_none(text) for text in frame["review_text"]], dtype=object)
    codes, distinct = pd.factorize(texts)  # a missing text gets code -1
    analyzer = _analyzer()
    verdicts = [is_language_supported(text, settings.min_english_token_share) for text in distinct]
    scores = [
        round(float(analyzer.polarity_scores(text)["compound"]), 4) if verdict else np.nan
        for text, verdict in zip(distinct, verdicts, strict=True)
    ]
    # One more entry for no text, at the end, where code -1 points.
    verdict_of = np.array([*verdicts, None], dtype=object)[codes]
    score_of = np.array([*scores, np.nan], dtype=np.float64)[codes]
    sentiment = pd.array(score_of, dtype="Float64")
    return pd.DataFrame(
        {
            "review_id": frame["review_id"].to_numpy(),
            "has_text": [verdict is not None for verdict in verdict_of],
            "is_language_supported": pd.array(verdict_of, dtype="boolean"),
            "sentiment_score": sentiment,
            "is_negative": sentiment <= settings.negative_threshold,
        }
    )


def _text_or_none(text: object) -> str | None:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    return str(text)


@dataclass(frozen=True)
class TopicModel:
    """A fitted topic model: the vectorizer, the NMF, the words and how k was chosen.

    words: topic_id (1..k), position (1..top words), word, weight.
    candidates: k, stability, reconstruction_error, is_chosen.
    Topic t is column order[t - 1] of the NMF.
    """

    vectorizer: TfidfVectorizer
    nmf: NMF
    order: tuple[int, ...]
    words: pd.DataFrame
    candidates: pd.DataFrame
    fitted_reviews: int

    @property
    def k(self) -> int:
        """The chosen number of topics."""
        return len(self.order)

    def assign(self, texts: Sequence[str]) -> np.ndarray:
        """The dominant topic (1..k) of each text, 0 when it shares no word with the topics."""
        if not len(texts):
            return np.zeros(0, dtype=np.int64)
        # Each distinct text is vectorised once; its rows are then repeated, so the NMF sees the
        # same matrix as when every text is vectorised on its own.
        codes, distinct = pd.factorize(pd.Series(list(texts), dtype=object))
        matrix = self.vectorizer.transform(list(distinct))[codes]
        weights = self.nmf.transform(matrix)[:, list(self.order)]
        dominant = np.argmax(weights, axis=1) + 1
        return np.where(weights.max(axis=1) > 0, dominant, 0).astype(np.int64)


def _vectorizer(min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        lowercase=True,
        stop_words="english",
        token_pattern=r"(?u)\b[^\W\d_]{3,}\b",
        min_df=min_df,
        max_df=0.9,
        sublinear_tf=True,
        dtype=np.float64,
    )


def _nmf(k: int, seed: int) -> NMF:
    return NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=500, tol=1e-4)


def _top_words(components: np.ndarray, n: int) -> list[list[int]]:
    return [list(np.argsort(-row, kind="stable")[:n]) for row in components]


def _stability(reference: list[list[int]], other: list[list[int]]) -> float:
    """Mean Jaccard overlap of top-word sets after one-to-one matching of the topics."""
    overlap = np.array(
        [[len(set(a) & set(b)) / len(set(a) | set(b)) for b in other] for a in reference]
    )
    rows, cols = linear_sum_assignment(-overlap)
    return float(overlap[rows, cols].mean())


def fit_topics(texts: Sequence[str], settings: ReviewTextSettings) -> TopicModel | None:
    """TF-IDF + NMF on the texts, k chosen by stability; None when there is too little text.

    texts: the supported reviews to fit on, in a fixed order (the caller sorts by review_id).
    """
    texts = [str(text) for text in texts]
    if len(texts) < settings.topics_min_reviews:
        return None
    rng = np.random.default_rng(settings.seed)
    if len(texts) > settings.topics_fit_sample_size:
        keep = np.sort(rng.choice(len(texts), settings.topics_fit_sample_size, replace=False))
        texts = [texts[i] for i in keep]
    vectorizer = _vectorizer(min(settings.topics_min_document_frequency, len(texts)))
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no word is frequent enough: nothing to find topics in
        return None
    n_terms = matrix.shape[1]
    terms = vectorizer.get_feature_names_out()
    top_n = min(settings.topics_top_words, n_terms)
    subset_size = int(round(settings.topics_stability_sample_share * matrix.shape[0]))
    subsets = [
        np.sort(rng.choice(matrix.shape[0], subset_size, replace=False))
        for _ in range(settings.topics_stability_resamples)
    ]
    rows, fits = [], {}
    for k in range(settings.topics_k_min, min(settings.topics_k_max, n_terms) + 1):
        nmf = _nmf(k, settings.seed)
        nmf.fit(matrix)
        reference = _top_words(nmf.components_, top_n)
        scores = [
            _stability(
                reference,
                _top_words(_nmf(k, settings.seed + i + 1).fit(matrix[subset]).components_, top_n),
            )
            for i, subset in enumerate(subsets)
        ]
        stability = round(float(np.mean(scores)), _DECIMALS) if scores else None
        rows.append(
            {
                "k": k,
                "stability": stability,
                "reconstruction_error": round(float(nmf.reconstruction_err_), _DECIMALS),
            }
        )
        fits[k] = nmf
    if not rows:
        return None
    candidates = pd.DataFrame(rows)
    # Most stable first, then the smaller k (without resamples: the smallest k).
    ranking = candidates.assign(s=candidates["stability"].fillna(0.0)).sort_values(
        ["s", "k"], ascending=[False, True], kind="stable"
    )
    chosen = int(ranking["k"].iloc[0])
    candidates["is_chosen"] = candidates["k"] == chosen
    nmf = fits[chosen]
    dominant = np.argmax(nmf.transform(matrix), axis=1)
    sizes = np.bincount(dominant, minlength=chosen)
    first_word = [terms[int(np.argmax(row))] for row in nmf.components_]
    order = tuple(sorted(range(chosen), key=lambda j: (-sizes[j], first_word[j])))
    words = []
    for topic_id, column in enumerate(order, start=1):
        row = nmf.components_[column]
        for position, term in enumerate(_top_words(row[None, :], top_n)[0], start=1):
            words.append(
                {
                    "topic_id": topic_id,
                    "position": position,
                    "word": str(terms[term]),
                    "weight": round(float(row[term]), _DECIMALS),
                }
            )
    return TopicModel(vectorizer, nmf, order, pd.DataFrame(words), candidates, len(texts))


def review_text_artifacts(
    reviews: pd.DataFrame, as_of_date: str, settings: ReviewTextSettings
) -> pd.DataFrame:
    """Everything the review text gives, as one long table (ARTIFACT_COLUMNS).

    Input: review_id, review_text, reviewed_at (every staged review). Topics are fitted on the
    supported reviews written before as_of_date (YYYY-MM-DD); every review is scored. Rows by
    record_type:
      review     one per review: has_text, is_language_supported, sentiment_score,
                 is_negative, topic_id (null without a topic)
      topic_word one per topic and word: topic_id, position (rank), text_value (the word),
                 value (its NMF weight)
      topic_k    one per k tried: k, metric (stability | reconstruction_error), value, and
                 metric is_chosen (value 1 for the chosen k)
      parameter  the settings and counts (metric, value or text_value)
    No review text leaves this function: only scores, topic ids and topic words.
    """
    frame = reviews.sort_values("review_id", kind="stable").reset_index(drop=True)
    scored = score_reviews(frame, settings)
    supported = scored["is_language_supported"].fillna(False).to_numpy(dtype=bool)
    written_before = pd.to_datetime(frame["reviewed_at"]) < pd.Timestamp(as_of_date)
    fit_mask = supported & written_before.to_numpy(dtype=bool)
    model = fit_topics(frame.loc[fit_mask, "review_text"].tolist(), settings)
    topic = pd.array([None] * len(frame), dtype="Int64")
    if model is not None and supported.any():
        assigned = model.assign(frame.loc[supported, "review_text"].astype(str).tolist())
        topic[supported] = pd.array(np.where(assigned > 0, assigned, None), dtype="Int64")
    review_rows = pd.DataFrame(
        {
            "record_type": "review",
            "review_id": scored["review_id"].astype(str),
            "topic_id": topic,
            "has_text": scored["has_text"],
            "is_language_supported": scored["is_language_supported"],
            "sentiment_score": scored["sentiment_score"],
            "is_negative": scored["is_negative"],
        }
    )
    parts = [review_rows]
    parameters = [
        ("sentiment_method", None, SENTIMENT_METHOD),
        ("reviews", float(len(frame)), None),
        ("reviews_with_text", float(scored["has_text"].sum()), None),
        ("reviews_language_supported", float(supported.sum()), None),
        ("topics_fitted_reviews", float(model.fitted_reviews) if model else 0.0, None),
        ("topics_k", float(model.k) if model else None, None),
        (
            "topics_status",
            None,
            "fitted"
            if model
            else f"not fitted: fewer than {settings.topics_min_reviews} supported reviews with "
            "frequent enough words before as_of_date",
        ),
    ] + [
        # The settings that make the model (not threads, which change how fast, not what).
        (f"setting_{name}", float(value), None)
        for name, value in settings.as_parameters().items()
    ]
    parts.append(
        pd.DataFrame(
            {
                "record_type": "parameter",
                "metric": [name for name, _, _ in parameters],
                "value": [value for _, value, _ in parameters],
                "text_value": [text for _, _, text in parameters],
            }
        )
    )
    if model is not None:
        parts.append(
            pd.DataFrame(
                {
                    "record_type": "topic_word",
                    "topic_id": model.words["topic_id"],
                    "position": model.words["position"],
                    "text_value": model.words["word"],
                    "value": model.words["weight"],
                }
            )
        )
        long_k = model.candidates.assign(is_chosen=model.candidates["is_chosen"].astype(float))
        long_k = long_k.melt(
            id_vars="k",
            value_vars=["stability", "reconstruction_error", "is_chosen"],
            var_name="metric",
        )
        parts.append(long_k.assign(record_type="topic_k"))
    return _typed(pd.concat(parts, ignore_index=True))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """ARTIFACT_COLUMNS with fixed types, also when empty (the warehouse table keeps its shape)."""
    types = {
        "record_type": "string",
        "review_id": "string",
        "topic_id": "Int64",
        "position": "Int64",
        "k": "Int64",
        "metric": "string",
        "value": "Float64",
        "text_value": "string",
        "has_text": "boolean",
        "is_language_supported": "boolean",
        "sentiment_score": "Float64",
        "is_negative": "boolean",
    }
    frame = frame.reindex(columns=ARTIFACT_COLUMNS)
    return frame.astype(types)[ARTIFACT_COLUMNS]
