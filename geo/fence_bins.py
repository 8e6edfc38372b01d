"""A coarse lat/lng grid over fence bounding boxes, for the fence index.

Each grid square records a bitmask of the H3 cover resolutions of the fences whose bounding
box reaches it. A point whose square lacks a resolution's bit cannot be covered by any fence
of that resolution (it lies outside all their bounding boxes), so the index skips that H3
lookup: sparse points cost almost nothing. Exactness does not depend on the grid.
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Bounds = tuple[float, float, float, float]  # min_lng, min_lat, max_lng, max_lat

BIN_DEG = 0.05
_BIN_COLS = round(360 / BIN_DEG) + 1


def bin_ids(lats: FloatArray, lngs: FloatArray) -> IntArray:
    rows = np.floor((lats + 90.0) / BIN_DEG).astype(np.int64)
    cols = np.floor((lngs + 180.0) / BIN_DEG).astype(np.int64)
    ids: IntArray = rows * _BIN_COLS + cols
    return ids


def bin_masks_of(fences: Sequence[tuple[Bounds, int]]) -> tuple[IntArray, IntArray]:
    """Sorted grid squares touched by some fence's bounding box, with the OR of `1 << res`
    over those fences."""
    ids: list[IntArray] = []
    bits: list[int] = []
    for (min_lng, min_lat, max_lng, max_lat), res in fences:
        lo = int(bin_ids(np.array([min_lat]), np.array([min_lng]))[0])
        hi = int(bin_ids(np.array([max_lat]), np.array([max_lng]))[0])
        rows = np.arange(lo // _BIN_COLS, hi // _BIN_COLS + 1)
        cols = np.arange(lo % _BIN_COLS, hi % _BIN_COLS + 1)
        ids.append((rows[:, None] * _BIN_COLS + cols[None, :]).ravel())
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


def lookup_masks(bins: IntArray, masks: IntArray, ids: IntArray) -> IntArray:
    """The resolution bitmask of each grid square id (0 where no fence reaches)."""
    if bins.size == 0:
        return np.zeros(ids.size, dtype=np.int64)
    k = np.minimum(np.searchsorted(bins, ids), bins.size - 1)
    found: IntArray = np.where(bins[k] == ids, masks[k], 0)
    return found
