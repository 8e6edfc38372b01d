"""Who may see and enter a space, and who a request's `user_id` names. One place, used by
the REST routes, the Socket.IO handlers and portals."""

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden, InvalidInput, NotFound
from app.spaces import queries
from app.spaces.models import AccessType, MemberRole, Space, SpaceMember
from app.users import queries as user_queries
from app.users.models import User


@dataclass(frozen=True, slots=True)
class SpaceAccess:
    space: Space
    membership: SpaceMember | None
    is_admin: bool

    @property
    def is_owner(self) -> bool:
        return self.membership is not None and self.membership.role == MemberRole.OWNER.value

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def can_view(self) -> bool:
        # Private spaces are invisible to outsiders; the others show on the map anyway.
        return self.space.access_type != AccessType.PRIVATE.value or self.is_member or self.is_admin

    @property
    def can_enter(self) -> bool:
        return self.space.access_type == AccessType.PUBLIC.value or self.is_member or self.is_admin

    @property
    def can_manage(self) -> bool:
        return self.is_owner or self.is_admin


def parse_space_id(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise NotFound("No such space") from None


async def load_access(session: AsyncSession, space_id: uuid.UUID, user: User | None) -> SpaceAccess:
    """The space and the viewer's standing in it; 404 for unknown ids and for private spaces
    the viewer may not see (their existence is private)."""
    space = await queries.get_space(session, space_id)
    if space is None:
        raise NotFound("No such space")
    membership = None if user is None else await queries.get_membership(session, space.id, user.id)
    access = SpaceAccess(space, membership, is_admin=user is not None and user.is_admin)
    if not access.can_view:
        raise NotFound("No such space")
    return access


async def require_manager(session: AsyncSession, space_id: uuid.UUID, user: User) -> SpaceAccess:
    access = await load_access(session, space_id, user)
    if not (access.space.owner_id == user.id or user.is_admin):
        raise Forbidden("Only the space's owner may do this", details={"kind": "space"})
    return access


async def require_entry(session: AsyncSession, space_id: uuid.UUID, user: User) -> SpaceAccess:
    """For join_space and portals: may this user be inside the space right now?"""
    access = await load_access(session, space_id, user)
    if not access.can_enter:
        raise Forbidden(
            "This space is open to its members only",
            details={"kind": "space", "access_type": access.space.access_type},
        )
    return access


async def resolve_user_ref(session: AsyncSession, actor: User, ref: str) -> User:
    """The seed sends `"user_id": "12345"`: it must name the caller, by id or username
    (case-insensitive). Admins may name any existing user and act for them."""
    ref = ref.strip()
    if ref == str(actor.id) or ref.lower() == actor.username.lower():
        return actor
    if not actor.is_admin:
        raise Forbidden(
            "user_id must be your own user id or username",
            details={"field": "user_id"},
        )
    target: User | None
    try:
        target = await user_queries.get_user(session, uuid.UUID(ref))
    except ValueError:
        target = await user_queries.user_by_username(session, ref)
    if target is None or not target.is_active:
        raise NotFound("No such user", details={"field": "user_id"})
    return target


async def find_user(session: AsyncSession, ref: str) -> User:
    """Someone else named by id or username (invitations, member removal)."""
    target: User | None
    try:
        target = await user_queries.get_user(session, uuid.UUID(ref.strip()))
    except ValueError:
        if not ref.strip():
            raise InvalidInput("user_id is empty", details={"field": "user_id"}) from None
        target = await user_queries.user_by_username(session, ref.strip())
    if target is None or not target.is_active:
        raise NotFound("No such user", details={"field": "user_id"})
    return target


async def who_may_stay(
    session: AsyncSession, inside: Mapping[uuid.UUID, Collection[uuid.UUID]]
) -> dict[uuid.UUID, set[uuid.UUID] | None]:
    """For the real-time side after a membership or access change: of the users inside each
    space, those still allowed in (the rule of SpaceAccess.can_enter: public, member or
    admin); None for a space that no longer exists. Three queries for any number of spaces."""
    users = {u for members in inside.values() for u in members}
    access = await queries.access_types(session, inside.keys())
    closed = [s for s, kind in access.items() if kind != AccessType.PUBLIC.value]
    members = await queries.memberships_among(session, closed, users)
    admins = await queries.admins_among(session, users) if closed else set()
    result: dict[uuid.UUID, set[uuid.UUID] | None] = {}
    for space_id, present in inside.items():
        kind = access.get(space_id)
        if kind is None:
            result[space_id] = None
        elif kind == AccessType.PUBLIC.value:
            result[space_id] = set(present)
        else:
            result[space_id] = {u for u in present if u in admins or (space_id, u) in members}
    return result
