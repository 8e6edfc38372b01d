"""NovaProtocol portals: create, discover, withdraw, and enter (NFT check + signed pass).

Portals are also `placements` rows (kind "portal", same id) unless they sit inside a private
space, so /api/nearby and proximity alerts see them.
"""

import uuid

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.tokens import KeyRing
from app.core.errors import Forbidden, InvalidInput, NotFound
from app.placements import queries as placement_queries
from app.placements import service as placement_service
from app.placements.models import PlacementKind
from app.placements.service import NearbyLimits, check_radius_and_limit
from app.placements.sync import PlacementIndexSync
from app.portals import queries
from app.portals.models import Portal
from app.portals.nft_gate import holds_nft
from app.portals.passes import issue_pass
from app.portals.schemas import PortalIn, PortalOut, PortalPassOut, RequiredNft
from app.settings import Settings
from app.spaces.access import load_access, require_entry, require_manager
from app.spaces.models import AccessType
from app.users.models import User
from geo.coords import validate_lat_lng


def portal_out(portal: Portal, distance_m: float | None = None) -> PortalOut:
    point = to_shape(portal.location)
    return PortalOut(
        id=portal.id,
        owner_id=portal.owner_id,
        name=portal.name,
        game_url=portal.game_url,
        required_nft=None if portal.required_nft is None else RequiredNft(**portal.required_nft),
        space_id=portal.space_id,
        lat=point.y,
        lng=point.x,
        altitude_m=portal.altitude_m,
        active=portal.active,
        created_at=portal.created_at,
        distance_m=None if distance_m is None else round(distance_m, 3),
    )


async def create_portal(
    *, session: AsyncSession, sync: PlacementIndexSync, actor: User, body: PortalIn
) -> PortalOut:
    lat, lng, altitude = body.lat, body.lng, body.altitude_m
    public = True
    if body.space_id is not None:
        # Only the space's owner puts portals into it.
        access = await require_manager(session, body.space_id, actor)
        public = access.space.access_type != AccessType.PRIVATE.value
        if lat is None:
            if access.space.anchor is None:
                raise InvalidInput(
                    "This space has no anchor: give the portal lat and lng",
                    details={"field": "lat"},
                )
            anchor = to_shape(access.space.anchor)
            lat, lng = anchor.y, anchor.x
            altitude = altitude if altitude is not None else access.space.altitude_m
    assert lat is not None
    assert lng is not None
    point = validate_lat_lng(lat, lng)
    portal = Portal(
        id=uuid.uuid4(),
        owner_id=actor.id,
        name=body.name,
        game_url=body.game_url,
        required_nft=None if body.required_nft is None else body.required_nft.model_dump(),
        space_id=body.space_id,
        location=from_shape(Point(point.lng, point.lat), srid=4326),
        altitude_m=altitude,
        active=True,
    )
    session.add(portal)
    await session.commit()
    await session.refresh(portal)
    if public:
        await placement_service.create_placements(
            session=session,
            sync=sync,
            placements=[
                placement_service.new_placement(
                    kind=PlacementKind.PORTAL,
                    title=portal.name,
                    point=point,
                    altitude_m=altitude,
                    placement_id=portal.id,
                    owner_id=actor.id,
                )
            ],
        )
    return portal_out(portal)


async def _visible_portal(
    session: AsyncSession, portal_id: uuid.UUID, viewer: User | None
) -> Portal:
    portal = await queries.get_portal(session, portal_id)
    if portal is None or not portal.active:
        raise NotFound("No such portal")
    if portal.space_id is not None:
        # Raises NotFound for a private space the viewer may not see.
        await load_access(session, portal.space_id, viewer)
    return portal


async def get_portal(
    *, session: AsyncSession, viewer: User | None, portal_id: uuid.UUID
) -> PortalOut:
    return portal_out(await _visible_portal(session, portal_id, viewer))


async def nearby_portals(
    *,
    session: AsyncSession,
    limits: NearbyLimits,
    viewer: User | None,
    lat: float,
    lng: float,
    radius_m: float,
    limit: int,
) -> list[PortalOut]:
    # The same limits as every nearby query (NEARBY_MAX_RADIUS_M, NEARBY_MAX_LIMIT).
    radius_m, limit = check_radius_and_limit(limits, radius_m, limit)
    point = validate_lat_lng(lat, lng)
    rows = await queries.portals_near(
        session,
        lat=point.lat,
        lng=point.lng,
        radius_m=radius_m,
        limit=limit,
        viewer_id=None if viewer is None else viewer.id,
    )
    return [portal_out(portal, float(distance)) for portal, distance in rows]


async def withdraw_portal(
    *, session: AsyncSession, sync: PlacementIndexSync, actor: User, portal_id: uuid.UUID
) -> None:
    portal = await _visible_portal(session, portal_id, actor)
    if portal.owner_id != actor.id and not actor.is_admin:
        raise Forbidden("This portal belongs to another user", details={"kind": "portal"})
    portal.active = False
    await session.commit()
    await withdraw_placements(session=session, sync=sync, ids=[portal.id])


async def withdraw_placements(
    *, session: AsyncSession, sync: PlacementIndexSync, ids: list[uuid.UUID]
) -> None:
    for placement_id in ids:
        placement = await placement_queries.get_placement(session, placement_id)
        if placement is not None:
            await placement_service.withdraw_placement(
                session=session, sync=sync, placement=placement
            )


async def enter_portal(
    *,
    session: AsyncSession,
    keys: KeyRing,
    settings: Settings,
    user: User,
    portal_id: uuid.UUID,
) -> PortalPassOut:
    portal = await _visible_portal(session, portal_id, user)
    if portal.space_id is not None:
        await require_entry(session, portal.space_id, user)
    nft_id = None if portal.required_nft is None else str(portal.required_nft["nft_id"])
    if nft_id is not None and not await holds_nft(session=session, user_id=user.id, nft_id=nft_id):
        raise Forbidden(
            "This portal requires an NFT you do not hold",
            details={"reason": "nft_required", "nft_id": nft_id},
        )
    token, lifetime = issue_pass(
        keys=keys,
        settings=settings,
        user_id=user.id,
        username=user.username,
        portal_id=portal.id,
        game_url=portal.game_url,
        nft_id=nft_id,
    )
    return PortalPassOut(
        **{"pass": token}, expires_in=lifetime, portal_id=portal.id, game_url=portal.game_url
    )
