"""H3 covers sized for the geofence engine, and their compact byte form for storage.

The engine looks a point up once per distinct cover resolution, so covers use a ladder of
resolutions two apart (odd ones) and few cells: a fence is covered at the finest ladder
resolution whose boundary meets at most ~64 cells. Interior cells are stored compacted and
expanded to the cover resolution at load, so every lookup is one exact-key match.
"""

import h3.api.basic_int as h3
import numpy as np
import numpy.typing as npt
from shapely.geometry import MultiPolygon, Polygon

from geo.cover import PolygonCover, polygon_cover
from geo.geodesy import GEOD

CellArray = npt.NDArray[np.uint64]

FENCE_RESOLUTIONS = (1, 3, 5, 7, 9, 11, 13, 15)
# Fewer boundary cells mean a smaller index (and a faster load) at the price of more exact
# tests; an exact test on one polygon costs well under a microsecond, so small covers win.
TARGET_BOUNDARY_CELLS = 64
_CELLS_PER_EDGE_OF_BOUNDARY = 0.735  # Cauchy-Crofton, as in geo.cover
_AVG_EDGE_M = {r: h3.average_hexagon_edge_length(r, unit="m") for r in range(16)}


def fence_resolution(geom: Polygon | MultiPolygon) -> int:
    """The finest ladder resolution at which the boundary meets about TARGET_BOUNDARY_CELLS."""
    _, perimeter = GEOD.geometry_area_perimeter(geom)
    for res in reversed(FENCE_RESOLUTIONS):
        if _CELLS_PER_EDGE_OF_BOUNDARY * perimeter / _AVG_EDGE_M[res] <= TARGET_BOUNDARY_CELLS:
            return res
    return FENCE_RESOLUTIONS[0]


def fence_cover(geom: Polygon | MultiPolygon) -> PolygonCover:
    """`geo.cover.polygon_cover` at `fence_resolution(geom)` (same guarantees)."""
    return polygon_cover(geom, fence_resolution(geom))


def cells_to_bytes(cells: list[int] | CellArray) -> bytes:
    """Cells as little-endian uint64, for a bytea column (loads with one frombuffer)."""
    return np.asarray(cells, dtype="<u8").tobytes()


def cells_from_bytes(data: bytes) -> CellArray:
    return np.frombuffer(data, dtype="<u8").astype(np.uint64)


def expand_interior(compacted: CellArray, res: int) -> CellArray:
    """Compacted interior cells as cells at `res` (what the engine keys on)."""
    if compacted.size == 0:
        return np.empty(0, dtype=np.uint64)
    return np.asarray(h3.uncompact_cells(compacted.tolist(), res), dtype=np.uint64)
