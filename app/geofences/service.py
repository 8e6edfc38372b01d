"""Geofence domain logic: validated shapes with stored covers, owned writes, lookups.

Circles are stored as polygons: `geofence_circle_segments` vertices at exactly the geodesic
radius (pyproj), so the stored shape lies inside the true circle by at most
radius * (1 - cos(pi / n)) (0.03% of the radius at n = 128). Everything that answers "is
this point inside" — PostGIS ST_Covers and the engine — then uses the same polygon.
"""

import uuid
from datetime import UTC, datetime
from typing import Any, TypeAlias

import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cursor import decode_cursor, encode_cursor
from app.core.errors import InvalidInput
from app.geofences import queries
from app.geofences.engine import GeofenceEngine
from app.geofences.models import FenceKind, Geofence
from app.geofences.schemas import GeofenceIn, GeofenceOut, GeofencePageOut, GeofencePatch, LatLngOut
from app.geofences.sync import GeofenceSync
from app.settings import Settings
from app.users.models import User
from geo.coords import validate_lat_lng
from geo.errors import InvalidCoordinate, InvalidGeometry
from geo.fence_cover import cells_to_bytes, fence_cover
from geo.h3cells import shard_cell_of
from geo.nearest import After
from geo.polygons import circle_polygon, geodesic_area_m2, polygon_from_geojson

Shape: TypeAlias = Polygon | MultiPolygon


class FenceShapeIn:
    """A checked shape: what to store for one geometry input."""

    def __init__(
        self,
        kind: FenceKind,
        geom: Shape,
        center: tuple[float, float] | None,
        radius_m: float | None,
    ) -> None:
        self.kind, self.geom, self.center, self.radius_m = kind, geom, center, radius_m


def checked_shape(
    geometry: dict[str, Any], radius_m: float | None, settings: Settings
) -> FenceShapeIn:
    """Validate GeoJSON (Polygon, MultiPolygon, or Point + radius_m) with `geo`; geo errors
    become 422s that say what is wrong and where."""
    geom_type = geometry.get("type")
    if geom_type == "Point":
        coords = geometry.get("coordinates")
        if not isinstance(coords, list | tuple) or len(coords) < 2:
            raise InvalidGeometry(
                "malformed coordinates: a Point needs [lng, lat]",
                {"reason": "malformed_coordinates", "path": "coordinates"},
            )
        if radius_m is None:
            raise InvalidGeometry(
                "a Point geofence is a circle: give radius_m (metres)",
                {"reason": "missing_radius"},
            )
        try:
            centre = validate_lat_lng(coords[1], coords[0])
        except InvalidCoordinate as exc:
            raise InvalidGeometry(
                f"circle centre: {exc.message}",
                {
                    **exc.details,
                    "reason": "invalid_coordinate",
                    "detail": exc.details.get("reason"),
                },
            ) from exc
        segments = settings.geofence_circle_segments
        geom: Shape = circle_polygon(centre.lat, centre.lng, radius_m, segments=segments)
        return FenceShapeIn(FenceKind.CIRCLE, geom, (centre.lat, centre.lng), float(radius_m))
    if radius_m is not None:
        raise InvalidGeometry(
            "radius_m applies only to a Point (circle) geometry",
            {"reason": "unexpected_radius", "type": repr(geom_type)},
        )
    geom = polygon_from_geojson(
        geometry,
        max_vertices=settings.geofence_max_vertices,
        min_area_m2=settings.geofence_min_area_m2,
        max_area_m2=settings.geofence_max_area_m2,
    )
    return FenceShapeIn(FenceKind.POLYGON, geom, None, None)


def set_shape(fence: Geofence, shape: FenceShapeIn) -> None:
    cover = fence_cover(shape.geom)
    fence.kind = shape.kind.value
    fence.geom = from_shape(shape.geom, srid=4326)
    fence.center_lat, fence.center_lng = shape.center or (None, None)
    fence.radius_m = shape.radius_m
    fence.area_m2 = geodesic_area_m2(shape.geom)
    fence.cover_res = cover.res
    fence.cover_interior = cells_to_bytes(cover.interior)
    fence.cover_boundary = cells_to_bytes(cover.boundary)
    centroid = shape.geom.centroid
    fence.shard_cell = shard_cell_of(centroid.y, centroid.x)


def geofence_out(fence: Geofence) -> GeofenceOut:
    center = None
    if fence.center_lat is not None and fence.center_lng is not None:
        center = LatLngOut(lat=fence.center_lat, lng=fence.center_lng)
    return GeofenceOut(
        id=fence.id,
        owner_id=fence.owner_id,
        name=fence.name,
        tags=list(fence.tags or []),
        metadata=dict(fence.meta or {}),
        kind=FenceKind(fence.kind),
        geometry=shapely.geometry.mapping(to_shape(fence.geom)),
        center=center,
        radius_m=fence.radius_m,
        active_from=fence.active_from,
        active_until=fence.active_until,
        dwell_seconds=fence.dwell_seconds,
        version=fence.version,
        area_m2=fence.area_m2,
        created_at=fence.created_at,
        updated_at=fence.updated_at,
    )


async def _committed(session: AsyncSession, sync: GeofenceSync, fence: Geofence) -> GeofenceOut:
    await session.commit()
    # Reload server-set columns, then bring this process's engine (and, through Redis, the
    # others') up to date before answering: read-your-writes for ?lat&lng.
    await session.refresh(fence)
    await sync.changed()
    return geofence_out(fence)


async def create_geofence(
    *, session: AsyncSession, sync: GeofenceSync, settings: Settings, owner: User, body: GeofenceIn
) -> GeofenceOut:
    shape = checked_shape(body.geometry, body.radius_m, settings)
    fence = Geofence(
        id=uuid.uuid4(),
        owner_id=owner.id,
        name=body.name,
        tags=list(body.tags),
        meta=dict(body.metadata),
        active_from=body.active_from,
        active_until=body.active_until,
        dwell_seconds=body.dwell_seconds,
        version=1,
    )
    set_shape(fence, shape)
    await queries.add_geofence(session, fence)
    return await _committed(session, sync, fence)


async def update_geofence(
    *,
    session: AsyncSession,
    sync: GeofenceSync,
    settings: Settings,
    fence: Geofence,
    patch: GeofencePatch | GeofenceIn,
) -> GeofenceOut:
    """Apply the fields sent (PATCH) or all of them (PUT, a GeofenceIn); bumps `version`.
    The caller has checked ownership."""
    replace = isinstance(patch, GeofenceIn)
    sent = patch.model_fields_set if not replace else set(GeofenceIn.model_fields)
    if "geometry" in sent and patch.geometry is not None:
        set_shape(fence, checked_shape(patch.geometry, patch.radius_m, settings))
    elif "radius_m" in sent and patch.radius_m is not None:
        if fence.kind != FenceKind.CIRCLE or fence.center_lat is None or fence.center_lng is None:
            raise InvalidInput(
                "radius_m can change only on a circle; send a geometry to reshape",
                details={"field": "radius_m"},
            )
        point = {"type": "Point", "coordinates": [fence.center_lng, fence.center_lat]}
        set_shape(fence, checked_shape(point, patch.radius_m, settings))
    for name in ("name", "tags"):
        if name in sent:
            value = getattr(patch, name)
            if value is None:
                raise InvalidInput(f"{name} cannot be null", details={"field": name})
            setattr(fence, name, list(value) if name == "tags" else value)
    if "metadata" in sent:
        fence.meta = dict(patch.metadata or {})
    # Null clears these: no window, no dwell threshold.
    for name in ("dwell_seconds", "active_from", "active_until"):
        if name in sent:
            setattr(fence, name, getattr(patch, name))
    if fence.active_from and fence.active_until and fence.active_from >= fence.active_until:
        raise InvalidInput(
            "active_from must be before active_until", details={"field": "active_from"}
        )
    fence.version += 1
    return await _committed(session, sync, fence)


async def delete_geofence(*, session: AsyncSession, sync: GeofenceSync, fence: Geofence) -> None:
    """Soft delete: the fence leaves the API and the engine; logs may still refer to it."""
    fence.deleted_at = datetime.now(UTC)
    fence.version += 1
    await session.commit()
    await sync.changed()


def parse_bbox(bbox: str) -> tuple[float, float, float, float]:
    parts = bbox.split(",")
    invalid = InvalidInput(
        "bbox must be minLng,minLat,maxLng,maxLat with lng in [-180, 180], lat in [-90, 90] "
        "and min <= max",
        details={"field": "bbox", "value": bbox},
    )
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise invalid from exc
    if len(values) != 4:
        raise invalid
    min_lng, min_lat, max_lng, max_lat = values
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):  # NaN fails too
        raise invalid
    return min_lng, min_lat, max_lng, max_lat


def _limit(settings: Settings, limit: int | None) -> int:
    size = 50 if limit is None else limit
    if not 1 <= size <= settings.geofence_page_max:
        raise InvalidInput(
            f"limit must be between 1 and {settings.geofence_page_max}",
            details={"field": "limit", "value": size},
        )
    return size


async def list_geofences(
    *,
    session: AsyncSession,
    engine: GeofenceEngine,
    settings: Settings,
    user: User | None,
    bbox: str | None,
    lat: float | None,
    lng: float | None,
    mine: bool,
    limit: int | None,
    cursor: str | None,
) -> GeofencePageOut:
    """Fences in a bbox (paged by id), or covering a point (from the engine), or mine."""
    size = _limit(settings, limit)
    owner_id = user.id if mine and user is not None else None
    if (lat is None) != (lng is None):
        raise InvalidInput("lat and lng come together", details={"field": "lat"})
    if lat is not None and lng is not None:
        if bbox is not None:
            raise InvalidInput("give either bbox or lat/lng, not both", details={"field": "bbox"})
        point = validate_lat_lng(lat, lng)
        ids = sorted(engine.containing(point.lat, point.lng))
        if not engine.loaded:
            ids = await queries.geofence_ids_covering(session, point.lat, point.lng)
        fences = await queries.geofences_by_ids(session, ids)
        if owner_id is not None:
            fences = [f for f in fences if f.owner_id == owner_id]
        fences.sort(key=lambda f: f.id)
        items = [geofence_out(f) for f in fences[:size]]
        return GeofencePageOut(items=items, count=len(items), next_cursor=None)
    box = parse_bbox(bbox) if bbox is not None else (-180.0, -90.0, 180.0, 90.0)
    query_key: list[Any] = [list(box), str(owner_id) if owner_id else None, size]
    after = uuid.UUID(decode_cursor(cursor, query_key).key) if cursor else None
    fences = await queries.geofences_in_bbox(
        session, bbox=box, after=after, limit=size + 1, owner_id=owner_id
    )
    more = len(fences) > size
    fences = fences[:size]
    next_cursor = (
        encode_cursor(After(0.0, str(fences[-1].id)), query_key) if more and fences else None
    )
    items = [geofence_out(f) for f in fences]
    return GeofencePageOut(items=items, count=len(items), next_cursor=next_cursor)
