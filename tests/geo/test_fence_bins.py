"""The resolution grids in front of the fence index's H3 lookups (geo.fence_bins)."""

import numpy as np

from geo.fence_bins import (
    COARSE_DEG,
    FINE_DEG,
    bin_masks_of,
    lookup_masks,
    point_mask,
    point_squares,
)

SMALL = (11.5001, 48.1001, 11.5004, 48.1003)  # a few dozen metres, covered at res 13
LARGE = (11.40, 48.00, 11.70, 48.20)  # tens of kilometres, covered at res 7


def masks_at(lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    bins, masks = bin_masks_of([(SMALL, 13), (LARGE, 7)])
    found: np.ndarray = lookup_masks(bins, masks, point_squares(lats, lngs))
    return found


def test_a_small_fence_sets_its_bit_only_near_itself() -> None:
    lats = np.array([48.1002, 48.1002, 48.1002, 48.15])
    lngs = np.array([11.5002, 11.5002 + 4 * FINE_DEG, 11.5002 + 2 * COARSE_DEG, 11.6])
    found = masks_at(lats, lngs)
    assert found.tolist()[0] == (1 << 13) | (1 << 7)
    # Four fine squares away: the coarse grid would still have said "maybe res 13".
    assert found.tolist()[1:] == [1 << 7, 1 << 7, 1 << 7]
    assert masks_at(np.array([47.0]), np.array([11.5])).tolist() == [0]


def test_one_point_lookup_agrees_with_the_batched_one_on_grid_lines() -> None:
    bins, masks = bin_masks_of([(SMALL, 13), (LARGE, 7)])
    as_dict = dict(zip(bins.tolist(), masks.tolist(), strict=True))
    # Grid lines of both grids around the small fence, and one ulp either side: where a
    # floor() computed two ways could disagree.
    base_lat = np.round(np.arange(48.095, 48.106, FINE_DEG / 2) / FINE_DEG) * FINE_DEG
    base_lng = np.round(np.arange(11.495, 11.506, FINE_DEG / 2) / FINE_DEG) * FINE_DEG
    lat_v = np.concatenate([base_lat, np.nextafter(base_lat, 0), np.nextafter(base_lat, 90)])
    lng_v = np.concatenate([base_lng, np.nextafter(base_lng, 0), np.nextafter(base_lng, 180)])
    lats, lngs = (a.ravel() for a in np.meshgrid(lat_v, lng_v))
    batched = lookup_masks(bins, masks, point_squares(lats, lngs)).tolist()
    one_by_one = [
        point_mask(as_dict, la, ln) for la, ln in zip(lats.tolist(), lngs.tolist(), strict=True)
    ]
    assert one_by_one == batched
    # Every point inside the small fence's box has its bit, edges included.
    inside = (lngs >= SMALL[0]) & (lngs <= SMALL[2]) & (lats >= SMALL[1]) & (lats <= SMALL[3])
    assert all(m & (1 << 13) for m in np.asarray(batched)[inside].tolist())
