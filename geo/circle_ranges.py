"""Sorted resolution-15 cell ranges that hold every point within a radius: the nearby engine's
candidate lookup.

`circle_cover` at its default resolution returns a grid disk whose cells cover up to ~18x the
circle's area. Here the disk is taken one resolution finer and every cell that provably holds
no point of the circle is dropped: a point within the radius is at most `radius` from the
centre and at most the cell's reach (centre to farthest vertex, with margin) from its cell's
centre, so by the triangle inequality (on the sphere, with the proven spherical/geodesic
bound) a cell whose centre is farther than `radius + reach` cannot hold one. What a cell costs
to describe (centre, reach, descendant range) is cached, since queries revisit the same cells.
"""

from functools import lru_cache

import h3.api.basic_int as h3
import numpy as np
import numpy.typing as npt

from geo.geodesy import SPHERICAL_ABS_ERROR_M, SPHERICAL_REL_ERROR, spherical_distances_m
from geo.h3cells import INDEX_RESOLUTION, circle_cover, descendant_range, resolution_for_radius

IntArray = npt.NDArray[np.int64]

# H3 cell edges are not exactly great-circle arcs between the vertices; 10% covers the bulge.
_REACH_MARGIN = 1.1


@lru_cache(maxsize=1 << 17)
def _cell_facts(cell: int) -> tuple[float, float, float, int, int]:
    """(centre lat, centre lng, spherical reach in metres, first and last res-15 descendant)."""
    lat, lng = h3.cell_to_latlng(cell)
    vertices = np.array(h3.cell_to_boundary(cell), dtype=np.float64)
    reach = float(spherical_distances_m(lat, lng, vertices[:, 0], vertices[:, 1]).max())
    lo, hi = descendant_range(cell, INDEX_RESOLUTION)
    return lat, lng, reach * _REACH_MARGIN + SPHERICAL_ABS_ERROR_M, lo, hi


def circle_ranges(lat: float, lng: float, radius_m: float) -> IntArray:
    """(n, 2) int64 [lo, hi] ranges of res-15 cells, sorted by lo, covering the circle."""
    res = min(resolution_for_radius(radius_m) + 1, INDEX_RESOLUTION)
    facts = np.array([_cell_facts(c) for c in circle_cover(lat, lng, radius_m, res)], dtype=object)
    centre_lats = facts[:, 0].astype(np.float64)
    centre_lngs = facts[:, 1].astype(np.float64)
    reach = facts[:, 2].astype(np.float64)
    # A point within geodesic radius_m is within this spherical distance of (lat, lng).
    spherical_radius = (radius_m + SPHERICAL_ABS_ERROR_M) / (1.0 - SPHERICAL_REL_ERROR)
    near = spherical_distances_m(lat, lng, centre_lats, centre_lngs) <= spherical_radius + reach
    ranges = np.array(facts[near][:, 3:5].tolist(), dtype=np.int64).reshape(-1, 2)
    return ranges[np.argsort(ranges[:, 0])]
