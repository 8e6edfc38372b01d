"""All SQL for portals."""

import uuid
from collections.abc import Sequence

from geoalchemy2 import Geography
from sqlalchemy import Row, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.portals.models import Portal
from app.spaces.models import AccessType, Space, SpaceMember


async def get_portal(session: AsyncSession, portal_id: uuid.UUID) -> Portal | None:
    return await session.get(Portal, portal_id)


async def portal_ids_in_space(session: AsyncSession, space_id: uuid.UUID) -> Sequence[uuid.UUID]:
    result = await session.scalars(select(Portal.id).where(Portal.space_id == space_id))
    return result.all()


async def portals_near(
    session: AsyncSession,
    *,
    lat: float,
    lng: float,
    radius_m: float,
    limit: int,
    viewer_id: uuid.UUID | None,
) -> Sequence[Row[Portal, float]]:
    """Active portals within the radius, nearest first; those inside private spaces only for
    the space's members."""
    here = cast(func.ST_SetSRID(func.ST_MakePoint(lng, lat), 4326), Geography)
    distance = func.ST_Distance(Portal.location, here).label("distance_m")
    private_space = (
        select(Space.id)
        .where(Space.id == Portal.space_id, Space.access_type == AccessType.PRIVATE.value)
        .exists()
    )
    visible = ~private_space
    if viewer_id is not None:
        member = (
            select(SpaceMember.space_id)
            .where(SpaceMember.space_id == Portal.space_id, SpaceMember.user_id == viewer_id)
            .exists()
        )
        visible = or_(visible, member)
    result = await session.execute(
        select(Portal, distance)
        .where(Portal.active, func.ST_DWithin(Portal.location, here, radius_m), visible)
        .order_by(distance, Portal.id)
        .limit(limit)
    )
    return result.all()
