"""Members, invitations and assets of a space, with their permission checks."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, Forbidden, NotFound
from app.core.events import EventBus
from app.spaces import queries
from app.spaces.access import find_user, load_access, require_manager
from app.spaces.events import AccessChange, announce_access_change
from app.spaces.models import (
    AccessType,
    InvitationStatus,
    MemberRole,
    SpaceAsset,
    SpaceInvitation,
    SpaceMember,
)
from app.spaces.schemas import (
    AssetIn,
    AssetOut,
    InvitationOut,
    MemberOut,
)
from app.users.models import User


async def list_members(
    *, session: AsyncSession, viewer: User, space_id: uuid.UUID
) -> list[MemberOut]:
    access = await load_access(session, space_id, viewer)
    if not access.can_enter:
        raise Forbidden("Only members see who is in this space", details={"kind": "space"})
    return [
        MemberOut(user_id=m.user_id, username=name, role=m.role, joined_at=m.joined_at)
        for m, name in await queries.list_members(session, space_id)
    ]


async def join(*, session: AsyncSession, user: User, space_id: uuid.UUID) -> MemberOut:
    """Public spaces: anyone joins. Others: only with a pending invitation (accepted here)."""
    access = await load_access(session, space_id, user)
    if access.membership is not None:
        m = access.membership
        return MemberOut(
            user_id=m.user_id, username=user.username, role=m.role, joined_at=m.joined_at
        )
    invitation = await queries.get_invitation(session, space_id, user.id)
    pending = invitation is not None and invitation.status == InvitationStatus.PENDING.value
    if access.space.access_type != AccessType.PUBLIC.value and not pending:
        raise Forbidden("This space takes members by invitation only", details={"kind": "space"})
    if invitation is not None and pending:
        invitation.status = InvitationStatus.ACCEPTED.value
    member = SpaceMember(space_id=space_id, user_id=user.id, role=MemberRole.MEMBER.value)
    session.add(member)
    await session.commit()
    await session.refresh(member)
    return MemberOut(
        user_id=user.id, username=user.username, role=member.role, joined_at=member.joined_at
    )


async def leave(*, session: AsyncSession, bus: EventBus, user: User, space_id: uuid.UUID) -> None:
    access = await load_access(session, space_id, user)
    if access.membership is None:
        raise NotFound("You are not a member of this space")
    if access.membership.role == MemberRole.OWNER.value:
        raise Conflict("The owner cannot leave; delete the space instead")
    await session.delete(access.membership)
    await session.commit()
    # Outside a public space, giving up membership also means leaving the room.
    await announce_access_change(
        bus=bus, session=session, space_id=space_id, user_ids=[user.id], reason=AccessChange.LEFT
    )


async def remove_member(
    *, session: AsyncSession, bus: EventBus, actor: User, space_id: uuid.UUID, user_ref: str
) -> None:
    await require_manager(session, space_id, actor)
    target = await find_user(session, user_ref)
    membership = await queries.get_membership(session, space_id, target.id)
    if membership is None:
        raise NotFound("No such member")
    if membership.role == MemberRole.OWNER.value:
        raise Conflict("The owner cannot be removed")
    await session.delete(membership)
    await session.commit()
    await announce_access_change(
        bus=bus,
        session=session,
        space_id=space_id,
        user_ids=[target.id],
        reason=AccessChange.REMOVED,
    )


def _invitation_out(invitation: SpaceInvitation, space_name: str) -> InvitationOut:
    return InvitationOut(
        space_id=invitation.space_id,
        space_name=space_name,
        invitee_id=invitation.invitee_id,
        inviter_id=invitation.inviter_id,
        status=invitation.status,
        created_at=invitation.created_at,
    )


async def invite(
    *, session: AsyncSession, actor: User, space_id: uuid.UUID, user_ref: str
) -> InvitationOut:
    access = await require_manager(session, space_id, actor)
    target = await find_user(session, user_ref)
    if await queries.get_membership(session, space_id, target.id) is not None:
        raise Conflict("Already a member", details={"user_id": str(target.id)})
    invitation = await queries.get_invitation(session, space_id, target.id)
    if invitation is None:
        invitation = SpaceInvitation(space_id=space_id, invitee_id=target.id)
        session.add(invitation)
    # Re-inviting after a decline is the owner's call; it simply becomes pending again.
    invitation.inviter_id = actor.id
    invitation.status = InvitationStatus.PENDING.value
    await session.commit()
    await session.refresh(invitation)
    return _invitation_out(invitation, access.space.name)


async def my_invitations(*, session: AsyncSession, user: User) -> list[InvitationOut]:
    return [
        _invitation_out(inv, name)
        for inv, name in await queries.pending_invitations(session, user.id)
    ]


async def decline(*, session: AsyncSession, user: User, space_id: uuid.UUID) -> None:
    invitation = await queries.get_invitation(session, space_id, user.id)
    if invitation is None or invitation.status != InvitationStatus.PENDING.value:
        raise NotFound("No pending invitation to this space")
    invitation.status = InvitationStatus.DECLINED.value
    await session.commit()


async def revoke_invitation(
    *, session: AsyncSession, bus: EventBus, actor: User, space_id: uuid.UUID, user_ref: str
) -> None:
    await require_manager(session, space_id, actor)
    target = await find_user(session, user_ref)
    if not await queries.delete_invitation(session, space_id, target.id):
        raise NotFound("No invitation for this user")
    await session.commit()
    # A pending invitation grants no entry and an accepted one became a membership, which
    # this leaves alone; the re-check keeps "every access change is re-checked live" true
    # without this function having to know that.
    await announce_access_change(
        bus=bus,
        session=session,
        space_id=space_id,
        user_ids=[target.id],
        reason=AccessChange.INVITATION_REVOKED,
    )


def _asset_out(asset: SpaceAsset) -> AssetOut:
    return AssetOut(
        id=asset.id,
        space_id=asset.space_id,
        name=asset.name,
        model_url=asset.model_url,
        transform=asset.transform,
        nft_id=asset.nft_id,
        created_at=asset.created_at,
    )


async def list_assets(
    *, session: AsyncSession, viewer: User | None, space_id: uuid.UUID
) -> list[AssetOut]:
    access = await load_access(session, space_id, viewer)
    if not access.can_enter:
        raise Forbidden("Only members see this space's contents", details={"kind": "space"})
    return [_asset_out(a) for a in await queries.list_assets(session, space_id)]


async def add_asset(
    *, session: AsyncSession, actor: User, space_id: uuid.UUID, body: AssetIn
) -> AssetOut:
    await require_manager(session, space_id, actor)
    asset = SpaceAsset(
        id=uuid.uuid4(),
        space_id=space_id,
        name=body.name,
        model_url=body.model_url,
        transform=body.transform.model_dump(),
        nft_id=body.nft_id,
    )
    session.add(asset)
    await session.commit()
    await session.refresh(asset)
    return _asset_out(asset)


async def delete_asset(
    *, session: AsyncSession, actor: User, space_id: uuid.UUID, asset_id: uuid.UUID
) -> None:
    await require_manager(session, space_id, actor)
    asset = await queries.get_asset(session, asset_id)
    if asset is None or asset.space_id != space_id:
        raise NotFound("No such asset")
    await session.delete(asset)
    await session.commit()
