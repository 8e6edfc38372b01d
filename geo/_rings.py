"""Parse GeoJSON polygon coordinates into checked rings of (lng, lat) floats.

Only per-ring facts are checked here (structure, coordinate values, closure, antimeridian
edges); topology and area need the assembled shape and live in `geo.polygons`.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from geo.coords import validate_lat_lng
from geo.errors import InvalidCoordinate, InvalidGeometry

Position = tuple[float, float]


@dataclass(frozen=True, slots=True)
class RingPath:
    """Where a ring sits in the input, for error details and messages."""

    polygon: int | None  # None for a GeoJSON Polygon, the part index for a MultiPolygon
    ring: int  # 0 is the exterior, 1.. the holes

    def details(self) -> dict[str, object]:
        where: dict[str, object] = {"ring": self.ring}
        if self.polygon is not None:
            where["polygon"] = self.polygon
        return where

    def describe(self) -> str:
        role = "exterior ring" if self.ring == 0 else f"hole {self.ring}"
        return role if self.polygon is None else f"{role} of polygon {self.polygon}"


def _malformed(what: str, where: dict[str, object]) -> InvalidGeometry:
    return InvalidGeometry(
        f"malformed coordinates: {what}", {"reason": "malformed_coordinates", **where}
    )


def split_rings(geom_type: str, coordinates: object) -> list[list[Sequence[object]]]:
    """Polygons as lists of raw rings, after checking only the nesting of arrays."""
    if not isinstance(coordinates, list | tuple) or not coordinates:
        raise _malformed("expected a non-empty array", {"path": "coordinates"})
    multi = geom_type == "MultiPolygon"
    polygons: Sequence[object] = coordinates if multi else [coordinates]
    rings_by_polygon: list[list[Sequence[object]]] = []
    for p, polygon in enumerate(polygons):
        if not isinstance(polygon, list | tuple) or not polygon:
            raise _malformed("a polygon must be a non-empty array of rings", {"polygon": p})
        rings: list[Sequence[object]] = []
        for r, ring in enumerate(polygon):
            if not isinstance(ring, list | tuple):
                where = RingPath(p if multi else None, r)
                raise _malformed("a ring must be an array of positions", where.details())
            rings.append(ring)
        rings_by_polygon.append(rings)
    return rings_by_polygon


def vertex_count(rings_by_polygon: list[list[Sequence[object]]]) -> int:
    """Distinct vertices: a closed ring repeats its first position, which is not counted."""
    return sum(max(len(ring) - 1, 0) for rings in rings_by_polygon for ring in rings)


def _position(raw: object, path: RingPath, index: int) -> Position:
    where = {**path.details(), "position": index}
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise _malformed("a position must be an array [lng, lat]", where)
    try:
        checked = validate_lat_lng(raw[1], raw[0])
    except InvalidCoordinate as exc:
        raise InvalidGeometry(
            f"position {index} of the {path.describe()}: {exc.message}",
            {
                "reason": "invalid_coordinate",
                **where,
                "field": exc.details["field"],
                "value": exc.details["value"],
                "detail": exc.details["reason"],
            },
        ) from exc
    return checked.lng, checked.lat


def checked_ring(raw_ring: Sequence[object], path: RingPath) -> list[Position]:
    """The ring as (lng, lat) floats, closed, with at least 4 positions and no antimeridian
    crossing."""
    ring = [_position(raw, path, i) for i, raw in enumerate(raw_ring)]
    if len(ring) < 4:
        raise InvalidGeometry(
            f"the {path.describe()} has {len(ring)} positions; a ring needs at least 4",
            {"reason": "too_few_positions", **path.details(), "positions": len(ring)},
        )
    if ring[0] != ring[-1]:
        raise InvalidGeometry(
            f"the {path.describe()} is not closed: its last position must equal its first",
            {
                "reason": "unclosed_ring",
                **path.details(),
                "first": list(ring[0]),
                "last": list(ring[-1]),
            },
        )
    for i, ((lng1, lat1), (lng2, lat2)) in enumerate(itertools.pairwise(ring)):
        # RFC 7946 edges are drawn the short way; an edge spanning > 180° of longitude means the
        # client meant to cross ±180, which a lng/lat plane cannot represent in one piece.
        if abs(lng2 - lng1) > 180.0:
            raise InvalidGeometry(
                f"edge {i} of the {path.describe()} crosses the antimeridian; "
                "split the geometry at ±180° longitude into a MultiPolygon",
                {
                    "reason": "antimeridian_crossing",
                    **path.details(),
                    "edge": i,
                    "from": {"lng": lng1, "lat": lat1},
                    "to": {"lng": lng2, "lat": lat2},
                },
            )
    return ring
