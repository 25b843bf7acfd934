"""Human-readable segment names and descriptions, derived from each segment's profile.

A segment's profile is its z-score on each model dimension: (segment mean - overall mean) /
overall standard deviation, in model space. Each archetype below scores a segment from those
z-scores; segments and archetypes are matched one to one (optimal assignment on the scores), so
names are unique within a model and the best-fitting segment gets each name. Segments beyond the
archetypes are named after their strongest features.

Two additions for models that build on earlier ones: name_segments() can be told which names are
already taken (segments that kept their name from the previous model), and describe_segment()
describes a segment that keeps a given name. hdbscan's outlier segment is always called
OUTLIER_SEGMENT_NAME.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

Profile = Mapping[str, float]

FEATURE_LABELS = {
    "recency_days": "days since last order",
    "frequency": "orders",
    "monetary": "net spend",
    "average_order_value": "order value",
    "tenure_days": "tenure",
    "mean_days_between_orders": "days between orders",
    "sessions": "browsing sessions",
    "browsing_minutes": "browsing time",
    "product_views_per_session": "product views per session",
    "cart_abandonment_rate": "cart abandonment",
    "category_diversity": "categories bought",
    "top_category_share": "focus on one category",
    "discount_share": "discount share",
    "return_rate": "returns",
    "review_count": "reviews written",
    "mean_rating": "rating given",
    "review_sentiment_mean": "review sentiment",
    "review_negative_share": "share of negative reviews",
}

# How a segment that fits no archetype is named: the words for a high and a low value of its two
# strongest features, e.g. "Long-lapsed browsing customers".
FEATURE_WORDS = {
    "recency_days": ("Long-lapsed", "Recently active"),
    "frequency": ("Frequent", "Infrequent"),
    "monetary": ("High-spending", "Low-spending"),
    "average_order_value": ("Big-basket", "Small-basket"),
    "tenure_days": ("Long-standing", "Recently joined"),
    "mean_days_between_orders": ("Occasional", "Regular"),
    "sessions": ("Often-visiting", "Rarely visiting"),
    "browsing_minutes": ("Long-browsing", "Quick-visit"),
    "product_views_per_session": ("Browsing", "Non-browsing"),
    "cart_abandonment_rate": ("Cart-abandoning", "Decisive"),
    "category_diversity": ("Wide-ranging", "Single-category"),
    "top_category_share": ("Category-loyal", "Category-mixing"),
    "discount_share": ("Discount-driven", "Full-price"),
    "return_rate": ("Returning", "Keeping"),
    "review_count": ("Reviewing", "Silent"),
    "mean_rating": ("Satisfied", "Critical"),
    "review_sentiment_mean": ("Enthusiastic", "Disgruntled"),
    "review_negative_share": ("Complaining", "Uncomplaining"),
}


def _descriptive_name(profile: Profile) -> str:
    words = []
    for feature, value in _strongest_features(profile, 2):
        high, low = FEATURE_WORDS.get(feature, (f"High {feature}", f"Low {feature}"))
        words.append(high if value > 0 else low)
    if not words:
        return "Segment"
    rest = " ".join(word.lower() for word in words[1:])
    return f"{words[0]} {rest} customers".replace("  ", " ")


@dataclass(frozen=True)
class Archetype:
    """A named customer type: a score from a segment profile and the features it needs."""

    name: str
    sentence: str
    score: Callable[[Profile], float]
    requires: tuple[str, ...] = ()


OUTLIER_SEGMENT_NAME = "Unclustered / outliers"
OUTLIER_SEGMENT_DESCRIPTION = (
    "Customers outside every dense group: far from all segment centres, so no segment "
    "describes them well."
)

# An archetype whose best segment scores below this is not used: the segment is named after its
# strongest features instead of receiving a name that does not describe it.
MINIMUM_ARCHETYPE_SCORE = 0.5


def _z(profile: Profile, feature: str) -> float:
    return float(profile.get(feature, 0.0))


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        "Champions",
        "Bought recently, buy often and spend the most.",
        lambda p: _z(p, "frequency") + _z(p, "monetary") - _z(p, "recency_days"),
        requires=("frequency", "monetary", "recency_days"),
    ),
    Archetype(
        "Loyal regulars",
        "Long-standing customers who keep ordering at a steady pace.",
        lambda p: _z(p, "frequency") + _z(p, "tenure_days") - 0.5 * abs(_z(p, "monetary")),
        requires=("frequency", "tenure_days"),
    ),
    Archetype(
        "At-risk big spenders",
        "Spent a lot in the past but have not ordered for a long time.",
        lambda p: _z(p, "monetary") + _z(p, "recency_days") + 0.5 * _z(p, "frequency"),
        requires=("monetary", "recency_days"),
    ),
    Archetype(
        "Bargain hunters",
        "Buy mostly on discount, in small baskets across many categories.",
        lambda p: (
            1.5 * _z(p, "discount_share")
            + 0.5 * _z(p, "category_diversity")
            - 0.5 * _z(p, "average_order_value")
        ),
        requires=("discount_share",),
    ),
    Archetype(
        "Window shoppers",
        "Browse a lot and fill carts, but rarely complete a purchase.",
        lambda p: (
            _z(p, "sessions")
            + _z(p, "browsing_minutes")
            + _z(p, "cart_abandonment_rate")
            - _z(p, "frequency")
        ),
        requires=("sessions",),
    ),
    Archetype(
        "New customers",
        "Joined recently and placed their first orders in the last weeks.",
        lambda p: -1.5 * _z(p, "tenure_days") - _z(p, "recency_days"),
        requires=("tenure_days", "recency_days"),
    ),
    Archetype(
        "Lapsed one-time buyers",
        "Bought once, long ago, and have not been back.",
        lambda p: _z(p, "recency_days") - _z(p, "frequency") - 0.5 * _z(p, "sessions"),
        requires=("recency_days", "frequency"),
    ),
    Archetype(
        "Big-basket buyers",
        "Order rarely but spend a lot per order.",
        lambda p: 1.5 * _z(p, "average_order_value") - 0.5 * _z(p, "frequency"),
        requires=("average_order_value",),
    ),
    Archetype(
        "Frequent returners",
        "Send a large share of what they buy back.",
        lambda p: 2.0 * _z(p, "return_rate"),
        requires=("return_rate",),
    ),
    Archetype(
        "Engaged reviewers",
        "Write reviews and engage with the catalogue.",
        lambda p: 1.5 * _z(p, "review_count"),
        requires=("review_count",),
    ),
    Archetype(
        "Everyday customers",
        "Close to the average customer on every feature.",
        lambda p: 1.0 - float(np.mean([abs(v) for v in p.values()])) if p else 0.0,
    ),
)


def claimed_features(name: str) -> frozenset[str]:
    """The features a segment name speaks of: an archetype's required features, the two
    features of a descriptive name ("Long-lapsed rarely visiting customers": recency_days,
    sessions), nothing for other names. A refit does not inherit a name that speaks of a feature
    its data lacks (customer_segmentation.segmentation.model)."""
    base = name.split(" (segment ")[0]
    for archetype in ARCHETYPES:
        if archetype.name == base:
            return frozenset(archetype.requires)
    return _DESCRIPTIVE_NAME_FEATURES.get(base, frozenset())


def _descriptive_name_features() -> dict[str, frozenset[str]]:
    words = [(feature, word) for feature, pair in FEATURE_WORDS.items() for word in pair]
    names: dict[str, frozenset[str]] = {}
    for first_feature, first_word in words:
        names[f"{first_word} customers"] = frozenset({first_feature})
        for second_feature, second_word in words:
            if second_feature != first_feature:
                names[f"{first_word} {second_word.lower()} customers"] = frozenset(
                    {first_feature, second_feature}
                )
    return names


_DESCRIPTIVE_NAME_FEATURES = _descriptive_name_features()


def segment_profiles(x: np.ndarray, labels: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    """z-score of each segment (rows, by segment id) on each dimension (columns) of x."""
    overall_mean = x.mean(axis=0)
    overall_std = x.std(axis=0)
    overall_std = np.where(overall_std > 0, overall_std, 1.0)
    segment_ids = np.unique(labels)
    means = np.vstack([x[labels == s].mean(axis=0) for s in segment_ids])
    return pd.DataFrame(
        (means - overall_mean) / overall_std, index=segment_ids, columns=feature_names
    )


def _strongest_features(profile: Profile, count: int = 3) -> list[tuple[str, float]]:
    numeric = [(name, value) for name, value in profile.items() if "=" not in name]
    return sorted(numeric, key=lambda item: (-abs(item[1]), item[0]))[:count]


def _describe_direction(value: float) -> str:
    if value >= 1.0:
        return "much higher"
    if value >= 0.25:
        return "higher"
    if value <= -1.0:
        return "much lower"
    if value <= -0.25:
        return "lower"
    return "about average"


def _feature_phrase(profile: Profile) -> str:
    parts = [
        f"{FEATURE_LABELS.get(name, name)} {_describe_direction(value)}"
        for name, value in _strongest_features(profile)
    ]
    return ", ".join(parts) if parts else "no distinguishing features"


def describe_segment(profile: Profile, name: str) -> str:
    """The description of a segment with a given name: the archetype's sentence if the name is
    an archetype, then how the segment compares with all customers."""
    phrase = _feature_phrase(profile)
    if name == OUTLIER_SEGMENT_NAME:
        return f"{OUTLIER_SEGMENT_DESCRIPTION} Compared with all customers: {phrase}."
    for archetype in ARCHETYPES:
        if archetype.name == name:
            return f"{archetype.sentence} Compared with all customers: {phrase}."
    return f"Compared with all customers: {phrase}."


def name_segments(profiles: pd.DataFrame, reserved_names: Collection[str] = ()) -> pd.DataFrame:
    """Name and describe each segment from its profile.

    Input: segment_profiles() output (the segments to name), and names already used by other
    segments of the same model, which are not given again. Output: a frame indexed by segment id
    with columns segment_name and description; names are unique, also against reserved_names.
    """
    segment_ids = list(profiles.index)
    reserved = set(reserved_names)
    if len(segment_ids) == 1 and not reserved:
        only = segment_ids[0]
        return pd.DataFrame(
            {"segment_name": ["All customers"], "description": ["Every customer in one segment."]},
            index=[only],
        )
    available = set(profiles.columns)
    scores = np.array(
        [
            [
                archetype.score(profiles.loc[s].to_dict())
                if set(archetype.requires) <= available and archetype.name not in reserved
                else -np.inf
                for archetype in ARCHETYPES
            ]
            for s in segment_ids
        ]
    ).reshape(len(segment_ids), len(ARCHETYPES))
    # linear_sum_assignment needs finite costs: unusable pairs get a cost no real score reaches.
    finite_scores = np.where(np.isfinite(scores), scores, -1e6)
    rows, cols = linear_sum_assignment(-finite_scores)
    assigned = {
        row: col
        for row, col in zip(rows, cols, strict=True)
        if finite_scores[row, col] >= MINIMUM_ARCHETYPE_SCORE
    }
    names, descriptions = [], []
    for row, segment_id in enumerate(segment_ids):
        profile = profiles.loc[segment_id].to_dict()
        phrase = _feature_phrase(profile)
        if row in assigned:
            archetype = ARCHETYPES[assigned[row]]
            names.append(archetype.name)
            descriptions.append(f"{archetype.sentence} Compared with all customers: {phrase}.")
        else:
            name = _descriptive_name(profile)
            if (
                name in names
                or name in reserved
                or any(name == a.name for a in ARCHETYPES)
                or name == OUTLIER_SEGMENT_NAME
            ):
                name = f"{name} (segment {segment_id})"
            names.append(name)
            descriptions.append(f"Compared with all customers: {phrase}.")
    return pd.DataFrame({"segment_name": names, "description": descriptions}, index=segment_ids)
