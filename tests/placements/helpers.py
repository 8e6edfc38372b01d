"""Random placements and the brute-force geodesic scan the nearby engine must agree with."""

import random
import uuid

import numpy as np

from app.placements.queries import PlacementRow
from geo.geodesy import destination, distances_and_bearings
from geo.h3cells import cell_of

KINDS = ["nft", "space", "portal", "marker"]

# Places that stress the geometry: a dense city, the antimeridian, both poles.
HOTSPOTS = [
    (48.1371, 11.5754),  # Munich
    (0.0, 179.9995),  # equator at the antimeridian
    (65.0, -179.9990),  # high latitude at the antimeridian
    (89.9990, 45.0),  # next to the north pole
    (-89.9985, -120.0),  # next to the south pole
]


def random_rows(rng: random.Random, count: int, *, spread_m: float = 3000.0) -> list[PlacementRow]:
    rows = []
    for i in range(count):
        lat0, lng0 = HOTSPOTS[i % len(HOTSPOTS)]
        p = destination(lat0, lng0, rng.uniform(0, 360), spread_m * rng.random() ** 0.5)
        rows.append(row_at(rng, p.lat, p.lng))
    return rows


def row_at(rng: random.Random, lat: float, lng: float) -> PlacementRow:
    return PlacementRow(
        id=str(uuid.UUID(int=rng.getrandbits(128))),
        kind=rng.choice(KINDS),
        title="t",
        lat=lat,
        lng=lng,
        altitude_m=None,
        h3_cell=cell_of(lat, lng),
        active=True,
    )


def edge_rows(
    rng: random.Random, lat: float, lng: float, radius_m: float, n: int
) -> list[PlacementRow]:
    """Points on, just inside and just outside the circle's edge."""
    rows = []
    for _ in range(n):
        d = radius_m + rng.choice([0.0, -0.001, 0.001, -0.05, 0.05])
        p = destination(lat, lng, rng.uniform(0, 360), max(d, 0.0))
        rows.append(row_at(rng, p.lat, p.lng))
    return rows


def brute_force(
    rows: list[PlacementRow],
    lat: float,
    lng: float,
    radius_m: float,
    kinds: frozenset[str] | None = None,
) -> list[tuple[float, str]]:
    """Every row within the radius as (geodesic distance, id), nearest first."""
    pool = [r for r in rows if r.active and (kinds is None or r.kind in kinds)]
    if not pool:
        return []
    lats = np.array([r.lat for r in pool])
    lngs = np.array([r.lng for r in pool])
    distances, _ = distances_and_bearings(lat, lng, lats, lngs)
    return sorted((float(d), r.id) for d, r in zip(distances, pool, strict=True) if d <= radius_m)
