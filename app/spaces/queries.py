"""All SQL for spaces, members, invitations and assets."""

import uuid
from collections.abc import Collection, Sequence

from geoalchemy2 import Geography
from sqlalchemy import Row, and_, cast, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.spaces.models import (
    AccessType,
    InvitationStatus,
    Space,
    SpaceAsset,
    SpaceInvitation,
    SpaceMember,
)
from app.users.models import Role, User


async def get_space(session: AsyncSession, space_id: uuid.UUID) -> Space | None:
    return await session.get(Space, space_id)


async def get_membership(
    session: AsyncSession, space_id: uuid.UUID, user_id: uuid.UUID
) -> SpaceMember | None:
    return await session.get(SpaceMember, (space_id, user_id))


async def member_counts(
    session: AsyncSession, space_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not space_ids:
        return {}
    rows = await session.execute(
        select(SpaceMember.space_id, func.count())
        .where(SpaceMember.space_id.in_(space_ids))
        .group_by(SpaceMember.space_id)
    )
    return {space_id: int(n) for space_id, n in rows.all()}


async def member_space_ids(
    session: AsyncSession, user_id: uuid.UUID, space_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not space_ids:
        return set()
    rows = await session.scalars(
        select(SpaceMember.space_id).where(
            SpaceMember.user_id == user_id, SpaceMember.space_id.in_(space_ids)
        )
    )
    return set(rows)


async def list_members(
    session: AsyncSession, space_id: uuid.UUID
) -> Sequence[Row[SpaceMember, str]]:
    result = await session.execute(
        select(SpaceMember, User.username)
        .join(User, User.id == SpaceMember.user_id)
        .where(SpaceMember.space_id == space_id)
        .order_by(SpaceMember.joined_at, SpaceMember.user_id)
    )
    return result.all()


async def spaces_near(
    session: AsyncSession,
    *,
    lat: float,
    lng: float,
    radius_m: float,
    limit: int,
    viewer_id: uuid.UUID | None,
) -> Sequence[Row[Space, float]]:
    """Anchored spaces within the radius, nearest first; private ones only for members."""
    here = cast(func.ST_SetSRID(func.ST_MakePoint(lng, lat), 4326), Geography)
    distance = func.ST_Distance(Space.anchor, here).label("distance_m")
    visible = Space.access_type != AccessType.PRIVATE.value
    if viewer_id is not None:
        is_member = (
            select(SpaceMember.space_id)
            .where(SpaceMember.space_id == Space.id, SpaceMember.user_id == viewer_id)
            .exists()
        )
        visible = or_(visible, is_member)
    result = await session.execute(
        select(Space, distance)
        .where(Space.anchor.is_not(None), func.ST_DWithin(Space.anchor, here, radius_m), visible)
        .order_by(distance, Space.id)
        .limit(limit)
    )
    return result.all()


async def spaces_of_user(session: AsyncSession, user_id: uuid.UUID) -> Sequence[Space]:
    result = await session.scalars(
        select(Space)
        .join(SpaceMember, SpaceMember.space_id == Space.id)
        .where(SpaceMember.user_id == user_id)
        .order_by(Space.created_at.desc(), Space.id)
    )
    return result.all()


async def get_invitation(
    session: AsyncSession, space_id: uuid.UUID, invitee_id: uuid.UUID
) -> SpaceInvitation | None:
    return await session.get(SpaceInvitation, (space_id, invitee_id))


async def pending_invitations(
    session: AsyncSession, invitee_id: uuid.UUID
) -> Sequence[Row[SpaceInvitation, str]]:
    result = await session.execute(
        select(SpaceInvitation, Space.name)
        .join(Space, Space.id == SpaceInvitation.space_id)
        .where(
            and_(
                SpaceInvitation.invitee_id == invitee_id,
                SpaceInvitation.status == InvitationStatus.PENDING.value,
            )
        )
        .order_by(SpaceInvitation.created_at.desc())
    )
    return result.all()


async def delete_invitation(
    session: AsyncSession, space_id: uuid.UUID, invitee_id: uuid.UUID
) -> int:
    result = await session.execute(
        delete(SpaceInvitation).where(
            SpaceInvitation.space_id == space_id, SpaceInvitation.invitee_id == invitee_id
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def list_assets(session: AsyncSession, space_id: uuid.UUID) -> Sequence[SpaceAsset]:
    result = await session.scalars(
        select(SpaceAsset)
        .where(SpaceAsset.space_id == space_id)
        .order_by(SpaceAsset.created_at, SpaceAsset.id)
    )
    return result.all()


async def get_asset(session: AsyncSession, asset_id: uuid.UUID) -> SpaceAsset | None:
    return await session.get(SpaceAsset, asset_id)


async def access_types(
    session: AsyncSession, space_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """access_type of each of these spaces that still exists."""
    if not space_ids:
        return {}
    rows = await session.execute(
        select(Space.id, Space.access_type).where(Space.id.in_(list(space_ids)))
    )
    return {space_id: access for space_id, access in rows.all()}


async def memberships_among(
    session: AsyncSession, space_ids: Collection[uuid.UUID], user_ids: Collection[uuid.UUID]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(space_id, user_id) memberships within these spaces and users."""
    if not space_ids or not user_ids:
        return set()
    rows = await session.execute(
        select(SpaceMember.space_id, SpaceMember.user_id).where(
            SpaceMember.space_id.in_(list(space_ids)), SpaceMember.user_id.in_(list(user_ids))
        )
    )
    return {(space_id, user_id) for space_id, user_id in rows.all()}


async def admins_among(session: AsyncSession, user_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    if not user_ids:
        return set()
    rows = await session.scalars(
        select(User.id).where(User.id.in_(list(user_ids)), User.roles.contains([Role.ADMIN.value]))
    )
    return set(rows)
