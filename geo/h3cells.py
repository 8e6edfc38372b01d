"""H3 cells for points, circle covers, and the int ranges that index them.

The app stores every point's res-15 cell as a signed BIGINT. A coarse cell's res-15 descendants
occupy one contiguous block of ints (see `descendant_range`), so any cover by coarse cells
becomes a handful of `BETWEEN lo AND hi` range scans.
"""

import math
import numbers

import h3.api.basic_int as h3
import numpy as np
import numpy.typing as npt

from geo.coords import validate_lat_lng
from geo.errors import InvalidCoordinate, InvalidGeometry

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

INDEX_RESOLUTION = 15
MAX_RESOLUTION = 15

# A BIGINT column is signed: H3 keeps bit 63 reserved as 0, so every cell fits.
_INT64_LIMIT = 2**63

# Empirically, a point in the centre cell is at least (1.5k - 0.5) * e * 0.845 from any cell k+1
# rings away, where e is the centre cell's shortest edge; the 0.845 worst case is next to
# pentagons at k ~ 20 (elsewhere >= 0.93). 0.75 leaves headroom; tests/geo check it.
_DISK_SAFETY = 0.75
# A disk of k > 200 rings is ~120k cells: a caller asking for it has the resolution wrong.
_MAX_DISK_K = 200

_AVG_EDGE_M = tuple(h3.average_hexagon_edge_length(r, unit="m") for r in range(16))
# A centre cell's shortest edge ranges over ~0.71..1.10 of the average, so covering
# radius <= 1.5 * average edge takes k = 1..3 rings at the chosen resolution.
_RADIUS_PER_AVG_EDGE = 1.5


def _check_res(res: int) -> int:
    if isinstance(res, bool) or not isinstance(res, int) or not 0 <= res <= MAX_RESOLUTION:
        raise ValueError(f"H3 resolution must be an int in 0..15, got {res!r}")
    return res


def _to_int64(cell: int) -> int:
    assert 0 <= cell < _INT64_LIMIT, "H3 index does not fit a signed BIGINT"
    return cell


def cell_of(lat: float, lng: float, res: int = INDEX_RESOLUTION) -> int:
    """The H3 cell containing (lat, lng) at `res`, as a non-negative int64-sized int."""
    point = validate_lat_lng(lat, lng)
    return _to_int64(h3.latlng_to_cell(point.lat, point.lng, _check_res(res)))


def _check_arrays(lats: FloatArray, lngs: FloatArray) -> tuple[FloatArray, FloatArray]:
    lat_arr = np.asarray(lats, dtype=np.float64)
    lng_arr = np.asarray(lngs, dtype=np.float64)
    if lat_arr.shape != lng_arr.shape or lat_arr.ndim != 1:
        raise ValueError("lats and lngs must be 1-d arrays of equal length")
    for name, values, limit in (("lats", lat_arr, 90.0), ("lngs", lng_arr, 180.0)):
        bad = np.flatnonzero(~(np.abs(values) <= limit))  # NaN fails the comparison too
        if bad.size:
            i = int(bad[0])
            raise InvalidCoordinate(
                f"{name}[{i}] must be finite and between -{limit:g} and {limit:g}",
                {
                    "field": f"{name}[{i}]",
                    "value": repr(float(values[i])),
                    "reason": f"must be finite and between -{limit:g} and {limit:g}",
                },
            )
    return lat_arr, lng_arr


def cells_of(lats: FloatArray, lngs: FloatArray, res: int = INDEX_RESOLUTION) -> IntArray:
    """`cell_of` for many points: an int64 array aligned with the inputs."""
    lat_arr, lng_arr = _check_arrays(lats, lngs)
    _check_res(res)
    to_cell = h3.latlng_to_cell
    cells = np.fromiter(
        (to_cell(la, ln, res) for la, ln in zip(lat_arr.tolist(), lng_arr.tolist(), strict=True)),
        dtype=np.uint64,
        count=lat_arr.size,
    )
    assert not (cells >= np.uint64(_INT64_LIMIT)).any(), "H3 index does not fit a signed BIGINT"
    return cells.astype(np.int64)


def _check_radius(radius_m: float) -> float:
    if isinstance(radius_m, bool) or not (
        isinstance(radius_m, numbers.Real) and math.isfinite(radius_m) and radius_m >= 0
    ):
        raise InvalidGeometry(
            "radius must be a finite number of metres >= 0",
            {"reason": "invalid_radius", "radius_m": repr(radius_m)},
        )
    return float(radius_m)


def resolution_for_radius(radius_m: float) -> int:
    """The finest resolution whose cells are big enough to cover the circle in 1-3 rings."""
    radius = _check_radius(radius_m)
    for res in range(MAX_RESOLUTION, -1, -1):
        if radius <= _RADIUS_PER_AVG_EDGE * _AVG_EDGE_M[res]:
            return res
    return 0


def _min_edge_m(cell: int) -> float:
    return float(min(h3.edge_length(e, unit="m") for e in h3.origin_to_directed_edges(cell)))


def disk_k_for_radius(cell: int, radius_m: float) -> int:
    """Rings around `cell` needed so the disk holds every point within `radius_m` of any point
    of `cell`.

    In a regular hex grid with edge e, cells k+1 rings away are at least (1.5k - 0.5) * e from
    every point of the centre cell (centres of ring g are >= 1.5 g e apart, minus two
    circumradii e). H3 is not regular and edge lengths are spherical, not WGS84, hence the
    safety factor.
    """
    if radius_m == 0:
        return 0
    usable_edge = _DISK_SAFETY * _min_edge_m(cell)
    return max(1, math.ceil((radius_m / usable_edge + 0.5) / 1.5))


def circle_cover(lat: float, lng: float, radius_m: float, res: int | None = None) -> list[int]:
    """Cells at `res` whose union holds every point within geodesic `radius_m` of (lat, lng).

    A grid disk around the centre cell: H3 walks it across the antimeridian, over the poles and
    around pentagons, so no special cases are needed here. Cells are returned unordered.
    """
    point = validate_lat_lng(lat, lng)
    radius = _check_radius(radius_m)
    res = resolution_for_radius(radius) if res is None else _check_res(res)
    centre = h3.latlng_to_cell(point.lat, point.lng, res)
    k = disk_k_for_radius(centre, radius)
    if k > _MAX_DISK_K:
        raise InvalidGeometry(
            f"a {radius:g} m circle at resolution {res} needs {k} rings; use a coarser resolution",
            {"reason": "cover_too_large", "radius_m": radius, "res": res, "k": k},
        )
    cells: list[int] = h3.grid_disk(centre, k)
    return cells


def descendant_range(cell: int, fine_res: int = INDEX_RESOLUTION) -> tuple[int, int]:
    """Smallest and largest int among `cell`'s descendants at `fine_res`.

    An H3 index stores, below fixed mode and resolution fields, the base cell and then one
    3-bit digit per resolution, coarsest first. Among cells of one resolution, int order is
    therefore lexicographic order of (base cell, digit 1, ..., digit fine_res), and a cell's
    descendants are exactly those sharing its prefix: one contiguous block. So every res
    `fine_res` cell whose int lies in [lo, hi] is a descendant, and no other is.
    """
    if not h3.is_valid_cell(cell):
        raise ValueError(f"not a valid H3 cell: {cell!r}")
    _check_res(fine_res)
    if fine_res < h3.get_resolution(cell):
        raise ValueError("fine_res must not be coarser than the cell's resolution")
    last = h3.cell_to_children_size(cell, fine_res) - 1
    return (
        _to_int64(h3.child_pos_to_cell(cell, fine_res, 0)),
        _to_int64(h3.child_pos_to_cell(cell, fine_res, last)),
    )


def _next_cell(cell: int) -> int | None:
    """The smallest valid cell of the same resolution with a larger int, if any.

    Climbs until an ancestor has a next sibling, then takes that sibling's first descendant;
    child positions already skip the digit pentagons lack.
    """
    res = h3.get_resolution(cell)
    node = cell
    for parent_res in range(res - 1, -1, -1):
        parent = h3.cell_to_parent(node, parent_res)
        pos = h3.cell_to_child_pos(node, parent_res)
        if pos + 1 < h3.cell_to_children_size(parent, parent_res + 1):
            sibling = h3.child_pos_to_cell(parent, parent_res + 1, pos + 1)
            first: int = h3.child_pos_to_cell(sibling, res, 0)
            return first
        node = parent
    later = sorted(c for c in h3.get_res0_cells() if c > node)
    if not later:
        return None
    first_of_base: int = h3.child_pos_to_cell(later[0], res, 0)
    return first_of_base


def cover_ranges(cells: list[int], fine_res: int = INDEX_RESOLUTION) -> IntArray:
    """Sorted, disjoint [lo, hi] int64 rows whose union is the `fine_res` descendants of `cells`.

    Rows are merged when they overlap or touch, where touching means no valid `fine_res` cell
    has an int strictly between them (sibling blocks are separated by ints with a digit 7,
    which no cell uses), so e.g. all seven children of a parent collapse to one row.
    """
    if not cells:
        return np.empty((0, 2), dtype=np.int64)
    ranges = sorted(descendant_range(c, fine_res) for c in set(cells))
    merged: list[list[int]] = [list(ranges[0])]
    for lo, hi in ranges[1:]:
        current = merged[-1]
        if lo <= current[1] + 1:
            current[1] = max(current[1], hi)
            continue
        successor = _next_cell(current[1])
        if successor is not None and lo <= successor:
            current[1] = max(current[1], hi)
        else:
            merged.append([lo, hi])
    return np.array(merged, dtype=np.int64)


# The shard key of docs/SCALING.md: the resolution-3 cell (~12,000 km²) of a row's point.
SHARD_RESOLUTION = 3


def shard_cell_of(lat: float, lng: float) -> int:
    """The coarse H3 cell a geo row is sharded by (see docs/SCALING.md)."""
    return cell_of(lat, lng, SHARD_RESOLUTION)
