"""Space domain logic: create/read/update/delete, nearby, and the space's placement row.

Anchored spaces that are not private are also `placements` rows (kind "space", same id), so
/api/nearby and proximity alerts see them. Private spaces stay off that public map.
"""

import uuid
from typing import Any

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point, mapping
from shapely.geometry.polygon import Polygon
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import InvalidInput
from app.core.events import EventBus
from app.placements import queries as placement_queries
from app.placements import service as placement_service
from app.placements.models import PlacementKind
from app.placements.schemas import PlacementPatch
from app.placements.service import NearbyLimits, check_radius_and_limit
from app.placements.sync import PlacementIndexSync
from app.portals import queries as portal_queries
from app.spaces import queries
from app.spaces.access import SpaceAccess, load_access, require_manager, resolve_user_ref
from app.spaces.events import AccessChange, announce_access_change
from app.spaces.models import AccessType, MemberRole, Space, SpaceMember
from app.spaces.schemas import AnchorFields, AnchorOut, SpaceCreateIn, SpaceOut, SpacePatch
from app.users.models import User
from geo.coords import validate_lat_lng
from geo.polygons import polygon_from_geojson


def _extent_polygon(raw: dict[str, Any]) -> Polygon:
    geom = polygon_from_geojson(raw)
    if not isinstance(geom, Polygon):
        raise InvalidInput("polygon must be a single GeoJSON Polygon", details={"field": "polygon"})
    return geom


def _apply_anchor(space: Space, fields: AnchorFields, sent: set[str]) -> None:
    if fields.lat is not None and fields.lng is not None:
        point = validate_lat_lng(fields.lat, fields.lng)
        space.anchor = from_shape(Point(point.lng, point.lat), srid=4326)
    if "altitude_m" in sent:
        space.altitude_m = fields.altitude_m
    if "heading_deg" in sent:
        space.heading_deg = fields.heading_deg
    if fields.radius_m is not None:
        space.radius_m, space.extent = fields.radius_m, None
    if fields.polygon is not None:
        space.extent = from_shape(_extent_polygon(fields.polygon), srid=4326)
        space.radius_m = None
    if space.anchor is None and (space.radius_m is not None or space.extent is not None):
        raise InvalidInput("an extent needs an anchor (lat, lng)", details={"field": "lat"})


async def _sync_placement(session: AsyncSession, sync: PlacementIndexSync, space: Space) -> None:
    """Keep the space's placement row in step (call after the space is committed)."""
    placement = await placement_queries.get_placement(session, space.id)
    wanted = space.anchor is not None and space.access_type != AccessType.PRIVATE.value
    if not wanted:
        if placement is not None:
            await placement_service.withdraw_placement(
                session=session, sync=sync, placement=placement
            )
        return
    assert space.anchor is not None
    point = to_shape(space.anchor)
    if placement is None:
        await placement_service.create_placements(
            session=session,
            sync=sync,
            placements=[
                placement_service.new_placement(
                    kind=PlacementKind.SPACE,
                    title=space.name[:200],
                    point=validate_lat_lng(point.y, point.x),
                    altitude_m=space.altitude_m,
                    placement_id=space.id,
                    owner_id=space.owner_id,
                )
            ],
        )
        return
    placement.active = True
    await placement_service.update_placement(
        session=session,
        sync=sync,
        placement=placement,
        patch=PlacementPatch(
            title=space.name[:200], altitude_m=space.altitude_m, lat=point.y, lng=point.x
        ),
    )


async def create_space(
    *, session: AsyncSession, sync: PlacementIndexSync, actor: User, body: SpaceCreateIn
) -> Space:
    owner = await resolve_user_ref(session, actor, body.user_id)
    space = Space(
        id=uuid.uuid4(),
        owner_id=owner.id,
        name=body.space_name,
        description=body.description,
        access_type=body.access_type.value,
    )
    _apply_anchor(space, body, body.model_fields_set)
    session.add(space)
    await session.flush()
    session.add(SpaceMember(space_id=space.id, user_id=owner.id, role=MemberRole.OWNER.value))
    await session.commit()
    await _sync_placement(session, sync, space)
    return space


async def update_space(
    *,
    session: AsyncSession,
    sync: PlacementIndexSync,
    bus: EventBus,
    actor: User,
    space_id: uuid.UUID,
    patch: SpacePatch,
) -> SpaceOut:
    access = await require_manager(session, space_id, actor)
    space = access.space
    previous_access = space.access_type
    sent = patch.model_fields_set
    if patch.space_name is not None:
        space.name = patch.space_name
    if patch.description is not None:
        space.description = patch.description
    if patch.access_type is not None:
        space.access_type = patch.access_type.value
    _apply_anchor(space, patch, sent)
    await session.commit()
    if space.access_type != previous_access:
        # public -> invite/private shuts out non-members who are inside right now.
        await announce_access_change(
            bus=bus,
            session=session,
            space_id=space_id,
            user_ids=None,
            reason=AccessChange.ACCESS_CHANGED,
        )
    await session.refresh(space)
    await _sync_placement(session, sync, space)
    return await space_out(session, access)


async def delete_space(
    *,
    session: AsyncSession,
    sync: PlacementIndexSync,
    bus: EventBus,
    actor: User,
    space_id: uuid.UUID,
) -> None:
    access = await require_manager(session, space_id, actor)
    # The portals inside go with it (FK cascade); their placement rows must go too.
    portal_ids = list(await portal_queries.portal_ids_in_space(session, space_id))
    await session.delete(access.space)
    await session.commit()
    await announce_access_change(
        bus=bus, session=session, space_id=space_id, user_ids=None, reason=AccessChange.DELETED
    )
    for placement_id in [space_id, *portal_ids]:
        placement = await placement_queries.get_placement(session, placement_id)
        if placement is not None:
            await placement_service.withdraw_placement(
                session=session, sync=sync, placement=placement
            )


def _extent_out(space: Space) -> dict[str, Any] | None:
    if space.radius_m is not None:
        return {"radius_m": space.radius_m}
    if space.extent is not None:
        return {"polygon": mapping(to_shape(space.extent))}
    return None


def _space_out(
    space: Space,
    *,
    member_count: int,
    is_member: bool,
    can_enter: bool,
    distance_m: float | None = None,
) -> SpaceOut:
    anchor = None
    if space.anchor is not None:
        point = to_shape(space.anchor)
        anchor = AnchorOut(
            lat=point.y, lng=point.x, altitude_m=space.altitude_m, heading_deg=space.heading_deg
        )
    return SpaceOut(
        id=space.id,
        owner_id=space.owner_id,
        space_name=space.name,
        description=space.description,
        access_type=AccessType(space.access_type),
        anchor=anchor,
        extent=_extent_out(space),
        member_count=member_count,
        is_member=is_member,
        can_enter=can_enter,
        created_at=space.created_at,
        updated_at=space.updated_at,
        distance_m=None if distance_m is None else round(distance_m, 3),
    )


async def space_out(session: AsyncSession, access: SpaceAccess) -> SpaceOut:
    counts = await queries.member_counts(session, [access.space.id])
    return _space_out(
        access.space,
        member_count=counts.get(access.space.id, 0),
        is_member=access.is_member,
        can_enter=access.can_enter,
    )


async def get_space(*, session: AsyncSession, viewer: User | None, space_id: uuid.UUID) -> SpaceOut:
    return await space_out(session, await load_access(session, space_id, viewer))


async def nearby_spaces(
    *,
    session: AsyncSession,
    limits: NearbyLimits,
    viewer: User | None,
    lat: float,
    lng: float,
    radius_m: float,
    limit: int,
) -> list[SpaceOut]:
    # The same limits as every nearby query (NEARBY_MAX_RADIUS_M, NEARBY_MAX_LIMIT).
    radius_m, limit = check_radius_and_limit(limits, radius_m, limit)
    point = validate_lat_lng(lat, lng)
    rows = await queries.spaces_near(
        session,
        lat=point.lat,
        lng=point.lng,
        radius_m=radius_m,
        limit=limit,
        viewer_id=None if viewer is None else viewer.id,
    )
    ids = [space.id for space, _ in rows]
    counts = await queries.member_counts(session, ids)
    mine = set() if viewer is None else await queries.member_space_ids(session, viewer.id, ids)
    admin = viewer is not None and viewer.is_admin
    return [
        _space_out(
            space,
            member_count=counts.get(space.id, 0),
            is_member=space.id in mine,
            can_enter=space.access_type == AccessType.PUBLIC.value or space.id in mine or admin,
            distance_m=float(distance),
        )
        for space, distance in rows
    ]


async def my_spaces(*, session: AsyncSession, user: User) -> list[SpaceOut]:
    spaces = await queries.spaces_of_user(session, user.id)
    counts = await queries.member_counts(session, [s.id for s in spaces])
    return [
        _space_out(s, member_count=counts.get(s.id, 0), is_member=True, can_enter=True)
        for s in spaces
    ]
