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
    spherical_m: FloatArray | None = None,
) -> Nearest:
    """The `limit` candidates nearest to (lat, lng) within `radius_m`, ordered by (distance, key).

    `key_of(position)` breaks ties so that pages are stable (it is called only for the few
    candidates that can make the page); `after` resumes behind a previous page.
    `spherical_m`, when the caller already has them, are the candidates' great-circle
    distances as `spherical_distances_m` computes them (within `SPHERICAL_ABS_ERROR_M`).
    """
    rel, slack = SPHERICAL_REL_ERROR, SPHERICAL_ABS_ERROR_M
    spherical = spherical_distances_m(lat, lng, lats, lngs) if spherical_m is None else spherical_m
    lower = spherical * (1.0 - rel) - slack
    upper = spherical * (1.0 + rel) + slack

    possible = lower <= radius_m
    # Candidates certainly in the answer bound how far the (limit+1)-th result can be;
    # anything whose lower bound is beyond that cannot make this page.
    if after is not None:
        possible &= upper >= after.distance_m
        certain = possible & (upper <= radius_m) & (lower > after.distance_m)
    else:
        certain = upper <= radius_m
    wanted = limit + 1
    if np.count_nonzero(certain) >= wanted:
        cutoff = np.partition(upper[certain], wanted - 1)[wanted - 1]
        possible &= lower <= cutoff
    candidates = np.flatnonzero(possible)

    if candidates.size == 0:
        empty = np.empty(0)
        return Nearest(np.empty(0, dtype=np.int64), empty, empty, has_more=False)

    distances, bearings = distances_and_bearings(lat, lng, lats[candidates], lngs[candidates])
    inside = distances <= radius_m
    if after is not None:
        inside &= distances >= after.distance_m
    within = np.flatnonzero(inside)
    within = within[np.argsort(distances[within], kind="stable")]
    ordered = distances[within]
    # Keys order only equal distances (and the cursor's own distance); asking for them is
    # the slow part (a Python call each), so it happens only where a tie makes it matter.
    same = ordered[1:] == ordered[:-1]
    at_cursor = ordered == after.distance_m if after is not None else None
    ranked: list[int]
    if same.any() or (at_cursor is not None and at_cursor.any()):
        tied = np.zeros(ordered.size, dtype=bool)
        tied[1:] |= same
        tied[:-1] |= same
        if at_cursor is not None:
            tied |= at_cursor
        keyed = sorted(
            (d, key_of(int(candidates[i])) if t else "", i)
            for d, i, t in zip(ordered.tolist(), within.tolist(), tied.tolist(), strict=True)
        )
        if after is not None:
            keyed = [r for r in keyed if (r[0], r[1]) > (after.distance_m, after.key)]
        ranked = [i for _, _, i in keyed]
    else:
        ranked = within.tolist()
    chosen = np.array(ranked[:limit], dtype=np.int64)
    return Nearest(
        positions=candidates[chosen],
        distances_m=distances[chosen],
        bearings_deg=bearings[chosen],
        has_more=len(ranked) > limit,
    )
