"""Demo spaces and NovaProtocol portals around Marienplatz: a public CyberLounge (the seed's
space) with a 3D asset, an invite-only VIP club PlayerOne belongs to, a private backstage, and
two portals (one open, one needing an NFT). Idempotent: ids are derived from names."""

import uuid

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy.ext.asyncio import AsyncSession

from app.placements import queries as placement_queries
from app.placements.models import PlacementKind
from app.placements.service import new_placement
from app.portals.models import Portal
from app.settings import Settings
from app.spaces.models import AccessType, MemberRole, Space, SpaceAsset, SpaceMember
from app.users import queries as user_queries
from geo.coords import LatLng

_NAMESPACE = uuid.UUID("5d0c7a8e-1f4b-4c2a-8e6d-9b3f2a1c7e40")

# (name, description, access, lat, lng, radius_m)
SPACES = [
    ("CyberLounge", "Virtual meeting place", AccessType.PUBLIC, 48.1372, 11.5756, 40.0),
    ("VIP Club", "Members only, by invitation", AccessType.INVITE, 48.1360, 11.5770, 25.0),
    ("Backstage", "Organizers' private room", AccessType.PRIVATE, 48.1378, 11.5745, 15.0),
]
# (name, game_url, required nft id or None, lat, lng)
PORTALS = [
    ("NovaProtocol Arena", "novagame://portal/arena", None, 48.1352, 11.5763),
    ("NovaProtocol Vault", "https://nova.example.com/vault", "nft-weapon-01", 48.1425, 11.5775),
]


def _id(kind: str, name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}:{name}")


async def _place(
    session: AsyncSession,
    kind: PlacementKind,
    object_id: uuid.UUID,
    title: str,
    lat: float,
    lng: float,
    owner_id: uuid.UUID,
) -> None:
    if await placement_queries.get_placement(session, object_id) is None:
        session.add(
            new_placement(
                kind=kind,
                title=title,
                point=LatLng(lat, lng),
                placement_id=object_id,
                owner_id=owner_id,
            )
        )


async def seed(session: AsyncSession, settings: Settings) -> str:
    organizer = await user_queries.user_by_username(session, "DemoOrganizer")
    player = await user_queries.user_by_username(session, "PlayerOne")
    if organizer is None or player is None:
        return "spaces: demo accounts missing; skipped"
    added = 0
    for name, description, access, lat, lng, radius in SPACES:
        space_id = _id("space", name)
        if await session.get(Space, space_id) is not None:
            continue
        session.add(
            Space(
                id=space_id,
                owner_id=organizer.id,
                name=name,
                description=description,
                access_type=access.value,
                anchor=from_shape(Point(lng, lat), srid=4326),
                altitude_m=None,
                heading_deg=0.0,
                radius_m=radius,
            )
        )
        await session.flush()
        session.add(
            SpaceMember(space_id=space_id, user_id=organizer.id, role=MemberRole.OWNER.value)
        )
        if access is AccessType.INVITE:
            session.add(
                SpaceMember(space_id=space_id, user_id=player.id, role=MemberRole.MEMBER.value)
            )
        if access is not AccessType.PRIVATE:
            await _place(session, PlacementKind.SPACE, space_id, name, lat, lng, organizer.id)
        if name == "CyberLounge":
            session.add(
                SpaceAsset(
                    id=_id("asset", "lounge-sofa"),
                    space_id=space_id,
                    name="Neon sofa",
                    model_url="https://models.example.com/neon-sofa.glb",
                    transform={
                        "position": [2.0, 0.0, 1.5],
                        "rotation": [0, 0, 0, 1],
                        "scale": [1, 1, 1],
                    },
                    nft_id=None,
                )
            )
        added += 1
    for name, url, nft_id, lat, lng in PORTALS:
        portal_id = _id("portal", name)
        if await session.get(Portal, portal_id) is not None:
            continue
        session.add(
            Portal(
                id=portal_id,
                owner_id=organizer.id,
                name=name,
                game_url=url,
                required_nft=None if nft_id is None else {"nft_id": nft_id},
                space_id=None,
                location=from_shape(Point(lng, lat), srid=4326),
                active=True,
            )
        )
        await _place(session, PlacementKind.PORTAL, portal_id, name, lat, lng, organizer.id)
        added += 1
    await session.commit()
    return (
        f"spaces/portals: {added} added ({len(SPACES)} spaces, {len(PORTALS)} portals in the demo)"
    )
