"""The rule that assigns a customer to a segment, in the form SQL repeats it.

Every model, whatever algorithm fitted it, is stored as segment centroids in scaled space (the
mean of the segment's members), a radius per segment, and a flag marking the outlier segment that
only hdbscan produces. A customer x (already scaled, see preprocessing) is scored as follows,
with d_s = Euclidean distance from x to the centroid of segment s:

1. Model without an outlier segment (kmeans, hierarchical, autoencoder_kmeans, and hdbscan when
   it found no noise): the segment with the smallest d_s; ties go to the lower segment id.
2. Model with an outlier segment O (is_outlier_segment = 1): O's centroid takes no part in the
   distance comparison. The candidates are the real segments whose radius contains x
   (d_s <= radius_s). If there is at least one, x goes to the candidate with the smallest d_s
   (ties: lower segment id); if there is none - x is farther than every real segment's radius -
   it goes to O.

In both cases the reported distance is d to the centroid of the segment x was assigned to (for O:
the mean of the training outliers). A segment's radius is a high quantile (setting
outlier_radius_quantile, default 0.99) of its training members' distances to its centroid; it is
stored for every real segment but only rule 2 uses it.

SQL, given the per-customer distances to all segments (columns segment_id, distance, radius,
is_outlier_segment):

    candidates: rows with is_outlier_segment = 0 and (no outlier segment in the model
                or distance <= radius)
    pick:       row_number() over (partition by customer order by distance, segment_id) = 1
    fallback:   customers with no candidate row get the outlier segment
"""

from __future__ import annotations

import numpy as np


def assign_to_nearest(
    x: np.ndarray,
    centroids: np.ndarray,
    radius: np.ndarray | None = None,
    is_outlier: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Assign each row of x to a segment by the scoring rule of this module.

    Inputs: x (n, d) in scaled space; centroids (k, d), row i being segment position i + 1;
    optionally radius (k,) and is_outlier (k,) for models with an outlier segment.
    Output: (positions 1..k of the assigned centroids, distance to the assigned centroid).
    Without is_outlier (or with no True in it) this is plain nearest-centroid assignment, ties
    to the lower position.
    """
    n_rows = len(x)
    if centroids.shape[1] == 0:
        return np.ones(n_rows, dtype="int64"), np.zeros(n_rows)
    squared = ((x[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    distances = np.sqrt(squared)
    outlier = (
        np.zeros(len(centroids), dtype=bool)
        if is_outlier is None
        else np.asarray(is_outlier, dtype=bool)
    )
    if not outlier.any():
        nearest = squared.argmin(axis=1)
        return nearest + 1, distances[np.arange(n_rows), nearest]
    if radius is None:
        raise ValueError("a model with an outlier segment needs the segment radii")
    radius = np.asarray(radius, dtype=float)
    outlier_position = int(np.flatnonzero(outlier)[0])
    candidate = (~outlier)[None, :] & (distances <= radius[None, :])
    masked = np.where(candidate, squared, np.inf)
    nearest = masked.argmin(axis=1)
    has_candidate = candidate.any(axis=1)
    assigned = np.where(has_candidate, nearest, outlier_position)
    return assigned + 1, distances[np.arange(n_rows), assigned]
