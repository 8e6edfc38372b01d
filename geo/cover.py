"""Cover a polygon with H3 cells: interior cells need no exact test, boundary cells do.

Geometry model. Polygons are planar in (lng, lat) degrees, as shapely and PostGIS `geometry`
see them. An H3 cell's true region is bounded by great-circle arcs between the vertices of
`cell_to_boundary`; in the (lng, lat) plane each arc bows away from its chord. For every cell
we measure that bow (distance between the arc's midpoint and the chord's midpoint, in degree
space) and take twice the largest as the cell's margin: the chord-to-arc gap is a concave
function along the edge that is zero at both ends, so it never exceeds twice its midpoint value.
Hence the true region lies within `margin` of the chord polygon, and

- a cell is *interior* when its chord polygon is inside the shape and farther than `margin`
  from the shape's boundary: then all of the cell is inside;
- a cell is *boundary* when it is not interior but its chord polygon is within `margin` of the
  shape: cells that cannot touch the shape are dropped.

Cells that enclose a pole, or whose vertices straddle ±180°, are never interior; they are
boundary cells whenever a conservative outline of them reaches the shape.

Which cells to test. A cell that meets the shape either meets its boundary or lies inside it
with its centre inside. Cells meeting the boundary are found by sampling every ring edge (a
straight (lng, lat) segment) far more finely than any cell's edge and taking each sample's cell
with its neighbours: a boundary point lies in a cell adjacent to the cell of its nearest sample,
since cells two rings apart are at least ~an edge length apart. Only those cells are tested
with shapely; the rest of H3's centre-containment fill is interior without further checks.
"""

from dataclasses import dataclass

import h3.api.basic_int as h3
import numpy as np
import numpy.typing as npt
import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box

from geo.errors import InvalidGeometry
from geo.geodesy import GEOD

FloatArray = npt.NDArray[np.float64]

_AVG_EDGE_M = tuple(h3.average_hexagon_edge_length(r, unit="m") for r in range(16))
_AVG_AREA_M2 = tuple(h3.average_hexagon_area(r, unit="m^2") for r in range(16))

# Shortest H3 edges are ~0.7 of the average; samples 0.3 average edges apart keep every boundary
# point well within one edge length of a sample.
_SAMPLE_SPACING_PER_AVG_EDGE = 0.3
# Longest (lng, lat)-plane path per radian: the largest WGS84 radius of curvature (at the poles).
_MAX_RADIUS_OF_CURVATURE_M = 6_399_594.0
# Cauchy-Crofton: a long curve meets ~0.735 hexagons of edge e per e of length.
_CELLS_PER_EDGE_OF_BOUNDARY = 0.735
_TARGET_BOUNDARY_CELLS = 400
# Guards memory and latency against a fine resolution asked for a huge shape.
_MAX_CANDIDATE_CELLS = 1_000_000
# Float noise in degrees (~0.1 mm), added to every margin.
_EPS_DEG = 1e-9


@dataclass(frozen=True, slots=True)
class PolygonCover:
    """`interior` cells (compacted, resolutions <= res) lie entirely inside the shape;
    `boundary` cells (all at `res`) may straddle it and need an exact test."""

    res: int
    interior: list[int]
    boundary: list[int]


def _check_shape(geom: Polygon | MultiPolygon) -> None:
    if not isinstance(geom, Polygon | MultiPolygon) or geom.is_empty:
        raise InvalidGeometry(
            "expected a non-empty shapely Polygon or MultiPolygon",
            {"reason": "unsupported_type", "type": type(geom).__name__},
        )
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    if not (-180.0 <= min_lng <= max_lng <= 180.0 and -90.0 <= min_lat <= max_lat <= 90.0):
        raise InvalidGeometry(
            "coordinates must be lng in [-180, 180] and lat in [-90, 90]",
            {"reason": "invalid_coordinate", "bounds": list(geom.bounds)},
        )
    for coords in _ring_coords(geom):
        # H3 reads an edge spanning > 180° as crossing the antimeridian, shapely as going the
        # long way round; refusing such edges keeps the two in agreement.
        if (np.abs(np.diff(coords[:, 0])) > 180.0).any():
            raise InvalidGeometry(
                "an edge crosses the antimeridian; split the shape at ±180° longitude",
                {"reason": "antimeridian_crossing"},
            )


def resolution_for_polygon(geom: Polygon | MultiPolygon) -> int:
    """The finest resolution at which the shape's boundary meets at most ~400 cells."""
    _check_shape(geom)
    _, perimeter = GEOD.geometry_area_perimeter(geom)
    for res in range(15, -1, -1):
        if _CELLS_PER_EDGE_OF_BOUNDARY * perimeter / _AVG_EDGE_M[res] <= _TARGET_BOUNDARY_CELLS:
            return res
    return 0


def _ring_coords(geom: Polygon | MultiPolygon) -> list[FloatArray]:
    parts = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    return [
        np.asarray(ring.coords, dtype=np.float64)[:, :2]
        for part in parts
        for ring in [part.exterior, *part.interiors]
    ]


def _boundary_samples(geom: Polygon | MultiPolygon, res: int) -> FloatArray:
    """(lat, lng) points along every ring, consecutive ones closer than the sample spacing."""
    spacing = _SAMPLE_SPACING_PER_AVG_EDGE * _AVG_EDGE_M[res]
    chunks: list[FloatArray] = []
    for coords in _ring_coords(geom):
        start, end = coords[:-1], coords[1:]
        lat_rad = np.radians(np.column_stack([start[:, 1], end[:, 1]]))
        crosses_equator = lat_rad[:, 0] * lat_rad[:, 1] <= 0
        # The widest parallel a segment touches bounds how long its longitude span can be.
        cos_max = np.where(crosses_equator, 1.0, np.cos(np.abs(lat_rad).min(axis=1)))
        d_lng = np.radians(end[:, 0] - start[:, 0]) * cos_max
        d_lat = lat_rad[:, 1] - lat_rad[:, 0]
        length = _MAX_RADIUS_OF_CURVATURE_M * np.hypot(d_lng, d_lat)
        steps = np.maximum(np.ceil(length / spacing), 1).astype(np.intp)
        seg = np.repeat(np.arange(len(steps)), steps)
        offset = np.arange(seg.size) - np.repeat(np.cumsum(steps) - steps, steps)
        t = (offset / steps[seg])[:, None]
        points = start[seg] * (1.0 - t) + end[seg] * t
        chunks.append(np.vstack([points, coords[-1:]])[:, ::-1])
    return np.vstack(chunks)


def _check_size(geom: Polygon | MultiPolygon, res: int) -> None:
    area, perimeter = GEOD.geometry_area_perimeter(geom)
    estimate = abs(area) / _AVG_AREA_M2[res] + perimeter / _AVG_EDGE_M[res]
    if estimate > _MAX_CANDIDATE_CELLS:
        raise InvalidGeometry(
            f"covering this shape at resolution {res} takes ~{estimate:.3g} cells; "
            "use a coarser resolution",
            {"reason": "cover_too_large", "res": res, "estimated_cells": estimate},
        )


def _cells_near_boundary(geom: Polygon | MultiPolygon, res: int) -> set[int]:
    """A superset of the cells that contain a point of the shape's boundary."""
    to_cell = h3.latlng_to_cell
    traced = {to_cell(lat, lng, res) for lat, lng in _boundary_samples(geom, res).tolist()}
    near: set[int] = set()
    for cell in traced:
        near.update(h3.grid_disk(cell, 1))
    return near


def _xyz(lat: FloatArray, lng: FloatArray) -> FloatArray:
    lat_r, lng_r = np.radians(lat), np.radians(lng)
    return np.stack([np.cos(lat_r) * np.cos(lng_r), np.cos(lat_r) * np.sin(lng_r), np.sin(lat_r)])


def _wrap(deg: FloatArray) -> FloatArray:
    return np.asarray((deg + 180.0) % 360.0 - 180.0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _CellShapes:
    geoms: npt.NDArray[np.object_]  # conservative outline of each cell, in (lng, lat)
    margins: FloatArray  # true region lies within this many degrees of the outline
    may_be_interior: npt.NDArray[np.bool_]


def _cell_shapes(cells: list[int]) -> _CellShapes:
    boundaries = [h3.cell_to_boundary(c) for c in cells]
    counts = np.fromiter((len(b) for b in boundaries), dtype=np.intp, count=len(cells))
    starts = np.cumsum(counts) - counts
    flat = np.array([vertex for b in boundaries for vertex in b], dtype=np.float64)
    lat, raw_lng = flat[:, 0], flat[:, 1]
    owner = np.repeat(np.arange(len(cells)), counts)
    following = np.arange(flat.shape[0]) + 1
    following[starts + counts - 1] = starts

    # Continuous longitudes per cell, so cells on ±180 are not drawn across the whole map.
    lng = raw_lng[starts][owner] + _wrap(raw_lng - raw_lng[starts][owner])
    winding = np.bincount(owner, weights=_wrap(raw_lng[following] - raw_lng), minlength=len(cells))
    lng_min = np.minimum.reduceat(lng, starts)
    lng_max = np.maximum.reduceat(lng, starts)
    polar = (np.abs(winding) > 180.0) | (lng_max - lng_min > 90.0)
    straddles = ~polar & ((lng_min < -180.0) | (lng_max > 180.0))

    xyz = _xyz(lat, raw_lng)
    mid = xyz + xyz[:, following]
    mid_lat = np.degrees(np.arctan2(mid[2], np.hypot(mid[0], mid[1])))
    mid_lng = np.degrees(np.arctan2(mid[1], mid[0]))
    chord_lat = (lat + lat[following]) / 2.0
    chord_lng = (lng + lng[following]) / 2.0
    bow = np.hypot(mid_lat - chord_lat, _wrap(mid_lng - chord_lng))
    margins = 2.0 * np.maximum.reduceat(bow, starts) + _EPS_DEG

    rings = shapely.linearrings(np.column_stack([lng, lat]), indices=owner)
    geoms = np.asarray(shapely.polygons(rings), dtype=object)
    for i in np.flatnonzero(straddles):
        shift = -360.0 if lng_max[i] > 180.0 else 360.0
        geoms[i] = MultiPolygon([geoms[i], affinity.translate(geoms[i], xoff=shift)])
    for i in np.flatnonzero(polar):
        # Arcs bow poleward, so no point of the cell is farther from the pole than its vertices.
        sl = slice(starts[i], starts[i] + counts[i])
        north = lat[sl].mean() > 0
        edge = lat[sl].min() if north else lat[sl].max()
        geoms[i] = box(-180.0, edge, 180.0, 90.0) if north else box(-180.0, -90.0, 180.0, edge)
        margins[i] = _EPS_DEG
    return _CellShapes(geoms, margins, ~(polar | straddles))


def polygon_cover(geom: Polygon | MultiPolygon, res: int) -> PolygonCover:
    """Interior and boundary cells of the shape at `res` (see the module doc for guarantees):
    every point of the shape lies in an interior cell or a boundary cell, and every point of an
    interior cell lies in the shape."""
    _check_shape(geom)
    if isinstance(res, bool) or not isinstance(res, int) or not 0 <= res <= 15:
        raise ValueError(f"H3 resolution must be an int in 0..15, got {res!r}")
    _check_size(geom, res)
    near = _cells_near_boundary(geom, res)
    # A cell that misses the boundary but has its centre inside lies wholly inside.
    surely_inside = set(h3.geo_to_cells(geom, res)) - near

    cells = sorted(near)
    shapes = _cell_shapes(cells)
    outline = geom.boundary
    # Preparing caches a spatial index on the caller's geometry too, which only speeds later use.
    shapely.prepare(geom)
    shapely.prepare(outline)
    interior = (
        shapes.may_be_interior
        & shapely.contains(geom, shapes.geoms)
        & ~shapely.dwithin(outline, shapes.geoms, shapes.margins)
    )
    touching = ~interior & shapely.dwithin(geom, shapes.geoms, shapes.margins)

    cell_array = np.array(cells, dtype=object)
    inner = surely_inside.union(cell_array[interior].tolist())
    return PolygonCover(
        res=res,
        interior=sorted(h3.compact_cells(inner)) if inner else [],
        boundary=cell_array[touching].tolist(),
    )
