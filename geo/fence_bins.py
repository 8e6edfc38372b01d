"""Lat/lng grids over fence bounding boxes, for the fence index.

Each grid square records a bitmask of the H3 cover resolutions of the fences whose bounding
box reaches it. A point whose squares lack a resolution's bit cannot be covered by any fence
of that resolution (it lies outside all their bounding boxes), so the index skips that H3
lookup: sparse points cost almost nothing. Exactness does not depend on the grid.

There are two grids. Fences covered at a fine resolution are small (their cover has few
boundary cells), so they go into a fine grid whose squares they reach only near themselves;
in a coarse grid, one of a dense area's many small fences would set its bit in every square
and every point there would pay for that resolution's H3 lookup. Coarse fences go into the
coarse grid, where even the largest fence reaches a bounded number of squares.
"""

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Bounds = tuple[float, float, float, float]  # min_lng, min_lat, max_lng, max_lat

COARSE_DEG = 0.05
FINE_DEG = 0.005
# Fences covered at this resolution or finer go into the fine grid: a cover with at most a few
# hundred cells of edge <= 25 m spans a few kilometres at most (a few hundred fine squares).
FINE_MIN_RES = 11
# Fine and coarse square ids share one sorted column; coarse ids are offset past all fine ids.
_FINE_COLS = round(360 / FINE_DEG) + 1
_COARSE_COLS = round(360 / COARSE_DEG) + 1
_COARSE_OFFSET = (round(180 / FINE_DEG) + 2) * _FINE_COLS


def _ids(lats: FloatArray, lngs: FloatArray, deg: float, cols: int, offset: int) -> IntArray:
    rows = np.floor((lats + 90.0) / deg).astype(np.int64)
    col = np.floor((lngs + 180.0) / deg).astype(np.int64)
    ids: IntArray = rows * cols + col + offset
    return ids


def _square_ids(bounds: Bounds, fine: bool) -> IntArray:
    """Ids of the squares a bounding box reaches, in the fence's grid."""
    deg, cols, offset = (
        (FINE_DEG, _FINE_COLS, 0) if fine else (COARSE_DEG, _COARSE_COLS, _COARSE_OFFSET)
    )
    min_lng, min_lat, max_lng, max_lat = bounds
    corners = _ids(np.array([min_lat, max_lat]), np.array([min_lng, max_lng]), deg, cols, 0)
    lo, hi = int(corners[0]), int(corners[1])
    rows = np.arange(lo // cols, hi // cols + 1)
    columns = np.arange(lo % cols, hi % cols + 1)
    squares: IntArray = (rows[:, None] * cols + columns[None, :]).ravel() + offset
    return squares


def bin_masks_of(fences: Sequence[tuple[Bounds, int]]) -> tuple[IntArray, IntArray]:
    """Sorted squares (of both grids) reached by some fence's bounding box, with the OR of
    `1 << res` over those fences."""
    ids: list[IntArray] = []
    bits: list[int] = []
    for bounds, res in fences:
        ids.append(_square_ids(bounds, res >= FINE_MIN_RES))
        bits.append(1 << res)
    if not ids:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    all_ids = np.concatenate(ids)
    all_bits = np.repeat(np.asarray(bits, dtype=np.int64), [a.size for a in ids])
    order = np.argsort(all_ids, kind="stable")
    all_ids, all_bits = all_ids[order], all_bits[order]
    unique, first = np.unique(all_ids, return_index=True)
    masks: IntArray = np.bitwise_or.reduceat(all_bits, first)
    return unique, masks


def point_squares(lats: FloatArray, lngs: FloatArray) -> tuple[IntArray, IntArray]:
    """Each point's (fine, coarse) square id."""
    return (
        _ids(lats, lngs, FINE_DEG, _FINE_COLS, 0),
        _ids(lats, lngs, COARSE_DEG, _COARSE_COLS, _COARSE_OFFSET),
    )


def lookup_masks(bins: IntArray, masks: IntArray, squares: tuple[IntArray, IntArray]) -> IntArray:
    """The resolution bitmask of each point (0 where no fence's bounding box reaches it)."""
    fine, coarse = squares
    if bins.size == 0:
        return np.zeros(fine.size, dtype=np.int64)
    found: IntArray = np.zeros(fine.size, dtype=np.int64)
    for ids in (fine, coarse):
        k = np.minimum(np.searchsorted(bins, ids), bins.size - 1)
        found |= np.where(bins.take(k) == ids, masks.take(k), 0)
    return found


def point_mask(bin_dict: dict[int, int], lat: float, lng: float) -> int:
    """The resolution bitmask of one point, from a {square: mask} dict (no numpy calls)."""
    # floor(a / b) exactly as numpy computes it above (Python's `a // b` can differ by one
    # when a / b rounds up to an integer).
    fine = math.floor((lat + 90.0) / FINE_DEG) * _FINE_COLS + math.floor((lng + 180.0) / FINE_DEG)
    coarse = (
        math.floor((lat + 90.0) / COARSE_DEG) * _COARSE_COLS
        + math.floor((lng + 180.0) / COARSE_DEG)
        + _COARSE_OFFSET
    )
    return bin_dict.get(fine, 0) | bin_dict.get(coarse, 0)
