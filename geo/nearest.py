"""Exact "k nearest within r" over candidate points, paying for geodesics only where needed.

Geodesic distances (pyproj) cost ~0.7 µs a point; a spherical distance in numpy costs a few
nanoseconds. The spherical distance brackets the geodesic one within known bounds
(`SPHERICAL_REL_ERROR`, `SPHERICAL_ABS_ERROR_M`), so it decides every candidate that is
clearly in or clearly out, and geodesics are computed only for the few that can reach the
answer. The result is identical to computing geodesics for every candidate.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geo.geodesy import (
    SPHERICAL_ABS_ERROR_M,
    SPHERICAL_REL_ERROR,
    distances_and_bearings,
    spherical_distances_m,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class After:
    """Keyset position of the last item already returned: results sort by (distance, key)."""

    distance_m: float
    key: str


@dataclass(frozen=True, slots=True)
class Nearest:
    positions: IntArray  # positions into the candidate arrays, nearest first
    distances_m: FloatArray
    bearings_deg: FloatArray
    has_more: bool


def select_nearest(
    lat: float,
    lng: float,
    lats: FloatArray,
    lngs: FloatArray,
    key_of: Callable[[int], str],
    *,
    radius_m: float,
    limit: int,
    after: After | None = None,
) -> Nearest:
    """The `limit` candidates nearest to (lat, lng) within `radius_m`, ordered by (distance, key).

    `key_of(position)` breaks ties so that pages are stable (it is called only for the few
    candidates that can make the page); `after` resumes behind a previous page.
    """
    rel, slack = SPHERICAL_REL_ERROR, SPHERICAL_ABS_ERROR_M
    spherical = spherical_distances_m(lat, lng, lats, lngs)
    lower = spherical * (1.0 - rel) - slack
    upper = spherical * (1.0 + rel) + slack

    possible = lower <= radius_m
    after_distance = after.distance_m if after is not None else -1.0
    if after is not None:
        possible &= upper >= after_distance
    candidates = np.flatnonzero(possible)

    # Candidates certainly in the answer bound how far the (limit+1)-th result can be;
    # anything whose lower bound is beyond that cannot make this page.
    wanted = limit + 1
    certain = candidates[(upper[candidates] <= radius_m) & (lower[candidates] > after_distance)]
    if certain.size >= wanted:
        cutoff = np.partition(upper[certain], wanted - 1)[wanted - 1]
        candidates = candidates[lower[candidates] <= cutoff]

    if candidates.size == 0:
        empty = np.empty(0)
        return Nearest(np.empty(0, dtype=np.int64), empty, empty, has_more=False)

    distances, bearings = distances_and_bearings(lat, lng, lats[candidates], lngs[candidates])
    ranked = sorted(
        (d, key_of(p), i)
        for i, (d, p) in enumerate(zip(distances.tolist(), candidates.tolist(), strict=True))
        if d <= radius_m
    )
    if after is not None:
        ranked = [r for r in ranked if (r[0], r[1]) > (after.distance_m, after.key)]
    page = ranked[:limit]
    chosen = np.fromiter((i for _, _, i in page), dtype=np.int64, count=len(page))
    return Nearest(
        positions=candidates[chosen],
        distances_m=distances[chosen],
        bearings_deg=bearings[chosen],
        has_more=len(ranked) > limit,
    )
