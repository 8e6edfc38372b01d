"""Fences for engine-level tests (built in memory exactly as the database stores them), and
REST helpers for the API tests."""

import math
import uuid
from datetime import datetime
from typing import Any

from httpx import AsyncClient
from shapely.geometry import Polygon, box

from app.geofences.engine import GeofenceEngine
from app.geofences.queries import FenceRow
from geo.fence_cover import cells_to_bytes, fence_cover

LAT0, LNG0 = 48.137, 11.575
M_PER_DEG_LAT = 111_195.0
M_PER_DEG_LNG = M_PER_DEG_LAT * math.cos(math.radians(LAT0))


def offset(
    east_m: float, north_m: float, lat: float = LAT0, lng: float = LNG0
) -> tuple[float, float]:
    """(lat, lng) `east_m`/`north_m` metres from a point (local flat approximation)."""
    return lat + north_m / M_PER_DEG_LAT, lng + east_m / M_PER_DEG_LNG


def square(center_east_m: float, center_north_m: float, half_m: float) -> Polygon:
    s_lat, w_lng = offset(center_east_m - half_m, center_north_m - half_m)
    n_lat, e_lng = offset(center_east_m + half_m, center_north_m + half_m)
    return box(w_lng, s_lat, e_lng, n_lat)


def fence_row(
    geom: Polygon,
    *,
    fence_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    name: str = "fence",
    version: int = 1,
    dwell_seconds: int | None = None,
    active_from: datetime | None = None,
    active_until: datetime | None = None,
    deleted: bool = False,
) -> FenceRow:
    cover = fence_cover(geom)
    return FenceRow(
        id=fence_id or uuid.uuid4(),
        owner_id=owner_id,
        name=name,
        kind="polygon",
        version=version,
        active_from=active_from,
        active_until=active_until,
        dwell_seconds=dwell_seconds,
        tags=[],
        deleted=deleted,
        wkb=None if deleted else geom.wkb,
        cover_res=cover.res,
        cover_interior=cells_to_bytes(cover.interior),
        cover_boundary=cells_to_bytes(cover.boundary),
    )


def engine_with(*rows: FenceRow) -> GeofenceEngine:
    engine = GeofenceEngine()
    engine.load(list(rows))
    return engine


def polygon_geojson(geom: Polygon) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(c) for c in geom.exterior.coords]]}


async def create_fence(
    client: AsyncClient,
    headers: dict[str, str],
    geom: Polygon,
    *,
    name: str = "fence",
    dwell_seconds: int | None = None,
) -> str:
    body: dict[str, Any] = {"name": name, "geometry": polygon_geojson(geom)}
    if dwell_seconds is not None:
        body["dwell_seconds"] = dwell_seconds
    response = await client.post("/api/geofences", json=body, headers=headers)
    assert response.status_code == 201, response.text
    fence_id: str = response.json()["id"]
    return fence_id
