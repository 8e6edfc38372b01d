"""Polygons from client GeoJSON, checked once at the edge, and geodesic circles as polygons.

Coordinates are (lng, lat) degrees in a plane, as in GeoJSON and PostGIS `geometry`; only
areas are geodesic.
"""

import re

import numpy as np
import shapely
from shapely.geometry import LinearRing, MultiPolygon, Polygon

from geo._rings import Position, RingPath, checked_ring, split_rings, vertex_count
from geo.coords import validate_lat_lng
from geo.errors import InvalidGeometry
from geo.geodesy import GEOD

DEFAULT_MAX_VERTICES = 2000
DEFAULT_MIN_AREA_M2 = 1.0
# ~ a 220 km square: a large region, far below a continent.
DEFAULT_MAX_AREA_M2 = 5e10

CIRCLE_MIN_RADIUS_M = 1.0
CIRCLE_MAX_RADIUS_M = 50_000.0

_SUPPORTED_TYPES = ("Polygon", "MultiPolygon")

# GEOS validity messages look like "Self-intersection[11.57 48.13]".
_GEOS_REASON = re.compile(r"^(?P<text>[^\[]*)(?:\[(?P<x>\S+) (?P<y>\S+)\])?")
_GEOS_REASON_CODES = {
    "self-intersection": "self_intersection",
    "ring self-intersection": "self_intersection",
    "hole lies outside shell": "hole_outside_shell",
    "holes are nested": "nested_holes",
    "nested shells": "nested_shells",
    "interior is disconnected": "disconnected_interior",
    "too few points in geometry component": "too_few_positions",
    "duplicate rings": "duplicate_rings",
}


def geodesic_area_m2(geom: Polygon | MultiPolygon) -> float:
    """Area on the WGS84 ellipsoid in m², holes subtracted, regardless of winding."""
    area, _ = GEOD.geometry_area_perimeter(geom)
    return abs(float(area))


def _check_topology(geom: Polygon | MultiPolygon) -> None:
    reason_text = str(shapely.is_valid_reason(geom))
    if reason_text == "Valid Geometry":
        return
    match = _GEOS_REASON.match(reason_text)
    text = match.group("text").strip() if match else reason_text
    details: dict[str, object] = {
        "reason": _GEOS_REASON_CODES.get(text.lower(), "invalid_topology"),
        "detail": text,
    }
    if match and match.group("x") is not None:
        details["location"] = {"lng": float(match.group("x")), "lat": float(match.group("y"))}
    where = f" near {details['location']}" if "location" in details else ""
    raise InvalidGeometry(f"invalid polygon: {text}{where}", details)


def _check_winding(rings: list[list[Position]], polygon: int | None) -> None:
    for r, ring in enumerate(rings):
        ccw = LinearRing(ring).is_ccw
        if ccw != (r == 0):
            path = RingPath(polygon, r)
            expected = "counter-clockwise" if r == 0 else "clockwise"
            raise InvalidGeometry(
                f"the {path.describe()} must be {expected} (RFC 7946 right-hand rule)",
                {"reason": "wrong_winding", **path.details(), "expected": expected},
            )


def polygon_from_geojson(
    geometry: dict[str, object],
    *,
    max_vertices: int = DEFAULT_MAX_VERTICES,
    min_area_m2: float = DEFAULT_MIN_AREA_M2,
    max_area_m2: float = DEFAULT_MAX_AREA_M2,
) -> Polygon | MultiPolygon:
    """A checked shapely geometry from a GeoJSON Polygon or MultiPolygon ([lng, lat] order).

    Refuses, with InvalidGeometry and `details["reason"]`: unsupported_type,
    malformed_coordinates, too_many_vertices, invalid_coordinate, too_few_positions,
    unclosed_ring, antimeridian_crossing, self_intersection (with `location`),
    hole_outside_shell and other GEOS topology faults, wrong_winding (exterior must be
    counter-clockwise, holes clockwise), area_too_small, area_too_large.
    """
    geom_type = geometry.get("type") if isinstance(geometry, dict) else None
    if geom_type not in _SUPPORTED_TYPES:
        raise InvalidGeometry(
            f"geometry type must be Polygon or MultiPolygon, got {geom_type!r}",
            {"reason": "unsupported_type", "type": repr(geom_type), "supported": _SUPPORTED_TYPES},
        )
    assert isinstance(geom_type, str)
    raw = split_rings(geom_type, geometry.get("coordinates"))

    # Counted before any per-position work, so an oversized payload costs almost nothing.
    vertices = vertex_count(raw)
    if vertices > max_vertices:
        raise InvalidGeometry(
            f"the geometry has {vertices} vertices; at most {max_vertices} are allowed",
            {"reason": "too_many_vertices", "vertices": vertices, "max": max_vertices},
        )

    multi = geom_type == "MultiPolygon"
    polygons: list[list[list[Position]]] = [
        [checked_ring(ring, RingPath(p if multi else None, r)) for r, ring in enumerate(rings)]
        for p, rings in enumerate(raw)
    ]
    parts = [Polygon(rings[0], rings[1:]) for rings in polygons]
    geom: Polygon | MultiPolygon = MultiPolygon(parts) if multi else parts[0]

    _check_topology(geom)
    for p, rings in enumerate(polygons):
        _check_winding(rings, p if multi else None)

    area = geodesic_area_m2(geom)
    if area < min_area_m2:
        raise InvalidGeometry(
            f"the geometry's area is {area:.3g} m²; at least {min_area_m2:g} m² is required",
            {"reason": "area_too_small", "area_m2": area, "min": min_area_m2},
        )
    if area > max_area_m2:
        raise InvalidGeometry(
            f"the geometry's area is {area:.3g} m²; at most {max_area_m2:g} m² is allowed",
            {"reason": "area_too_large", "area_m2": area, "max": max_area_m2},
        )
    return geom


def circle_polygon(lat: float, lng: float, radius_m: float, *, segments: int = 64) -> Polygon:
    """A counter-clockwise polygon through `segments` points at geodesic `radius_m` around the
    centre, for storing circular fences as polygons.

    Refuses (InvalidGeometry) radii outside 1 m..50 km and circles that would cross the
    antimeridian or enclose a pole, which a lng/lat polygon cannot represent in one piece.
    """
    centre = validate_lat_lng(lat, lng)
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 8:
        raise ValueError("segments must be an int >= 8")
    if not (
        isinstance(radius_m, int | float)
        and not isinstance(radius_m, bool)
        and CIRCLE_MIN_RADIUS_M <= radius_m <= CIRCLE_MAX_RADIUS_M
    ):
        raise InvalidGeometry(
            f"radius must be between {CIRCLE_MIN_RADIUS_M:g} and {CIRCLE_MAX_RADIUS_M:g} m",
            {
                "reason": "invalid_radius",
                "radius_m": repr(radius_m),
                "min": CIRCLE_MIN_RADIUS_M,
                "max": CIRCLE_MAX_RADIUS_M,
            },
        )
    # Azimuths run clockwise on the map, so decreasing ones trace the ring counter-clockwise.
    azimuths = -np.arange(segments, dtype=np.float64) * (360.0 / segments)
    lngs, lats, _ = GEOD.fwd(
        np.full(segments, centre.lng),
        np.full(segments, centre.lat),
        azimuths,
        np.full(segments, float(radius_m)),
    )
    lngs = np.asarray(lngs, dtype=np.float64)
    jumps = np.abs(np.diff(np.append(lngs, lngs[0])))
    if (jumps > 180.0).any():
        raise InvalidGeometry(
            "the circle crosses the antimeridian or encloses a pole",
            {
                "reason": "antimeridian_crossing",
                "center": {"lat": centre.lat, "lng": centre.lng},
                "radius_m": float(radius_m),
            },
        )
    return Polygon(np.column_stack([lngs, np.asarray(lats, dtype=np.float64)]))
