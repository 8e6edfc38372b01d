"""Random fence shapes and points near their edges, for the engine tests (pure numpy)."""

import numpy as np
from shapely.geometry import MultiPolygon, Polygon

from geo.geodesy import GEOD
from geo.polygons import circle_polygon


def star_polygon(
    rng: np.random.Generator, lat: float, lng: float, radius_m: float, vertices: int
) -> Polygon:
    """A simple, counter-clockwise polygon: vertices at random radii around the centre."""
    azimuths = -np.sort(rng.uniform(0.0, 360.0, vertices))
    radii = rng.uniform(0.4, 1.0, vertices) * radius_m
    lngs, lats, _ = GEOD.fwd(np.full(vertices, lng), np.full(vertices, lat), azimuths, radii)
    return Polygon(np.column_stack([lngs, lats]))


def random_fence(rng: np.random.Generator, lat: float, lng: float) -> Polygon | MultiPolygon:
    """A star polygon, a circle, a polygon with a hole, or a two-part MultiPolygon."""
    radius = float(rng.uniform(30.0, 3000.0))
    pick = rng.integers(0, 4)
    if pick == 0:
        return circle_polygon(lat, lng, radius, segments=128)
    if pick == 1:
        return star_polygon(rng, lat, lng, radius, int(rng.integers(10, 200)))
    if pick == 2:
        outer = circle_polygon(lat, lng, radius, segments=32)
        hole = circle_polygon(lat, lng, radius * 0.3, segments=16)
        return Polygon(outer.exterior.coords, [hole.exterior.coords[::-1]])
    second = star_polygon(rng, lat + radius / 111_000 * 3, lng, radius, 12)
    return MultiPolygon([star_polygon(rng, lat, lng, radius, 12), second])


def points_near_edges(
    rng: np.random.Generator, geom: Polygon | MultiPolygon, count: int
) -> np.ndarray:
    """(lng, lat) rows: vertices, points on edges, and points pushed 1e-9..1e-3 degrees off
    an edge to either side."""
    parts = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    rings = [np.asarray(r.coords) for p in parts for r in [p.exterior, *p.interiors]]
    out = []
    for _ in range(count):
        ring = rings[rng.integers(0, len(rings))]
        i = int(rng.integers(0, len(ring) - 1))
        a, b = ring[i], ring[i + 1]
        kind = rng.integers(0, 3)
        if kind == 0:
            out.append(a)
            continue
        t = rng.uniform(0.0, 1.0)
        p = a + (b - a) * t
        if kind == 2:
            normal = np.array([-(b - a)[1], (b - a)[0]])
            normal /= np.hypot(*normal)
            p = p + normal * rng.choice([-1.0, 1.0]) * 10.0 ** rng.uniform(-9, -3)
        out.append(p)
    return np.asarray(out)
