"""H3 covers sized for the geofence engine, and their compact byte form for storage.

The engine looks a point up once per distinct cover resolution, so covers use a ladder of
resolutions two apart (odd ones) and few cells. A fence starts at the finest ladder resolution
whose boundary, by its length, meets at most ~64 cells. The length overstates that for spiky
or wiggly outlines (many edges inside one cell), and a cover too coarse for its fence costs
every point near it: its boundary cells reach far outside the fence and each point there needs
an exact test. So finer ladder steps are then tried, and kept while the cover they give
really is small (counted: at most 128 boundary cells and 256 cells in all).

Interior cells are stored compacted and expanded to the cover resolution at load, so every
lookup is one exact-key match.
"""

import h3.api.basic_int as h3
import numpy as np
import numpy.typing as npt
from shapely.geometry import MultiPolygon, Polygon

from geo.cover import PolygonCover, polygon_cover
from geo.errors import InvalidGeometry
from geo.geodesy import GEOD

CellArray = npt.NDArray[np.uint64]

FENCE_RESOLUTIONS = (1, 3, 5, 7, 9, 11, 13, 15)
# Fewer boundary cells mean a smaller index (and a faster load) at the price of more exact
# tests; an exact test on one polygon costs well under a microsecond, so small covers win.
TARGET_BOUNDARY_CELLS = 64
# Limits of a finer step, counted on the cover itself (interior expanded to its resolution).
MAX_REFINED_BOUNDARY_CELLS = 128
MAX_REFINED_CELLS = 256
_CELLS_PER_EDGE_OF_BOUNDARY = 0.735  # Cauchy-Crofton, as in geo.cover
_AVG_EDGE_M = {r: h3.average_hexagon_edge_length(r, unit="m") for r in range(16)}
_AVG_AREA_M2 = {r: h3.average_hexagon_area(r, unit="m^2") for r in range(16)}


def fence_resolution(geom: Polygon | MultiPolygon) -> int:
    """The finest ladder resolution at which the boundary meets about TARGET_BOUNDARY_CELLS."""
    _, perimeter = GEOD.geometry_area_perimeter(geom)
    return _resolution_for_perimeter(perimeter)


def _resolution_for_perimeter(perimeter: float) -> int:
    for res in reversed(FENCE_RESOLUTIONS):
        if _CELLS_PER_EDGE_OF_BOUNDARY * perimeter / _AVG_EDGE_M[res] <= TARGET_BOUNDARY_CELLS:
            return res
    return FENCE_RESOLUTIONS[0]


def fence_cover(geom: Polygon | MultiPolygon) -> PolygonCover:
    """`geo.cover.polygon_cover` at `fence_resolution(geom)` or, while the cover there stays
    small, a finer ladder resolution (same guarantees)."""
    # One geodesic pass for both: the perimeter picks the start, the area bounds the steps.
    area, perimeter = GEOD.geometry_area_perimeter(geom)
    res = _resolution_for_perimeter(perimeter)
    cover = polygon_cover(geom, res)
    for finer in (r for r in FENCE_RESOLUTIONS if r > res):
        if abs(area) / _AVG_AREA_M2[finer] > MAX_REFINED_CELLS:
            break  # the interior alone would be too many cells
        try:
            refined = polygon_cover(geom, finer)
        except InvalidGeometry:  # too many cells to even try: the coarser cover stands
            break
        if (
            len(refined.boundary) > MAX_REFINED_BOUNDARY_CELLS
            or len(refined.boundary) + expanded_size(refined.interior, finer) > MAX_REFINED_CELLS
        ):
            break
        cover = refined
    return cover


def expanded_size(compacted: list[int] | CellArray, res: int) -> int:
    """How many cells at `res` the compacted cells stand for."""
    return sum(h3.cell_to_children_size(int(c), res) for c in compacted)


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
