"""Account logic: registration, profiles, roles and wallet links."""

import uuid

from eth_utils.address import to_checksum_address
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import queries as auth_queries
from app.auth.context import AuthContext
from app.auth.passwords import Passwords
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.events import EventBus
from app.core.outbox import publish_or_defer
from app.users import queries
from app.users.events import user_disabled
from app.users.models import Role, User
from app.users.schemas import AccountStatusOut, ProfilePatch, PublicUserOut, UserOut


async def _ensure_free(session: AsyncSession, *, username: str | None, email: str | None) -> None:
    taken = await queries.taken_fields(session, username=username, email=email)
    if taken:
        raise Conflict(f"Already taken: {', '.join(taken)}", details={"fields": taken})


async def register(
    *,
    session: AsyncSession,
    passwords: Passwords,
    username: str,
    email: str,
    password: str,
    roles: list[Role] | None = None,
) -> User:
    """Create an account (role `player` unless told otherwise). Duplicates -> Conflict."""
    await _ensure_free(session, username=username, email=email)
    user = User(
        id=uuid.uuid4(),
        username=username,
        email=email,
        password_hash=await passwords.hash(password),
        roles=[r.value for r in roles or [Role.PLAYER]],
        is_active=True,
    )
    try:
        await queries.add_user(session, user)
        await session.commit()
    except IntegrityError as exc:
        # Lost a race with another registration between the check and the insert.
        await session.rollback()
        raise Conflict("Username or email already taken") from exc
    await session.refresh(user)
    return user


async def profile(*, session: AsyncSession, user: User) -> UserOut:
    wallets = await queries.wallet_addresses(session, user.id)
    return UserOut(
        id=user.id,
        username=user.username,
        email=user.email,
        display_name=user.display_name,
        bio=user.bio,
        roles=[Role(r) for r in user.roles],
        created_at=user.created_at,
        wallets=[to_checksum_address(a) for a in wallets],
    )


def public_profile(user: User) -> PublicUserOut:
    return PublicUserOut(
        username=user.username,
        display_name=user.display_name,
        bio=user.bio,
        roles=[Role(r) for r in user.roles],
        created_at=user.created_at,
    )


async def get_by_username(*, session: AsyncSession, username: str) -> User:
    user = await queries.user_by_username(session, username)
    if user is None or not user.is_active:
        raise NotFound(f"No user named {username!r}")
    return user


async def update_profile(*, session: AsyncSession, user: User, patch: ProfilePatch) -> UserOut:
    # Only fields the schema allows reach here; `exclude_unset` keeps omitted ones as they are.
    changes = patch.model_dump(exclude_unset=True)
    if changes.get("email") is None:
        changes.pop("email", None)
    elif changes["email"].lower() != user.email.lower():
        await _ensure_free(session, username=None, email=changes["email"])
    for field, value in changes.items():
        setattr(user, field, value)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("Email already taken", details={"fields": ["email"]}) from exc
    await session.refresh(user)
    return await profile(session=session, user=user)


async def set_roles(
    *, session: AsyncSession, admin: User, username: str, roles: list[Role]
) -> PublicUserOut:
    """Admins grant and withdraw roles; an admin cannot drop their own admin role (that
    is how the last admin would lock everyone out of role management)."""
    target = await get_by_username(session=session, username=username)
    wanted = sorted({r.value for r in roles})
    if target.id == admin.id and Role.ADMIN.value not in wanted:
        raise InvalidInput("Admins cannot remove their own admin role", details={"field": "roles"})
    target.roles = wanted
    await session.commit()
    await session.refresh(target)
    return public_profile(target)


async def set_active(
    *,
    session: AsyncSession,
    auth: AuthContext,
    bus: EventBus,
    admin: User,
    username: str,
    active: bool,
) -> AccountStatusOut:
    """Admins disable and re-enable accounts. Disabling ends every device session (refresh
    stops; live access tokens fail at once through the revocation marker) and closes the
    account's sockets on every process. An admin cannot disable their own account."""
    # Disabled accounts are invisible to get_by_username; re-enabling has to find them.
    target = await queries.user_by_username(session, username)
    if target is None:
        raise NotFound(f"No user named {username!r}")
    if target.id == admin.id and not active:
        raise InvalidInput("Admins cannot disable their own account", details={"field": "active"})
    target.is_active = active
    ended: list[uuid.UUID] = []
    if not active:
        for live in await auth_queries.live_sessions(session, target.id):
            if await auth_queries.revoke_session(session, live.id, "account_disabled"):
                ended.append(live.id)
    await session.commit()
    for session_id in ended:
        await auth.tokens.mark_revoked(session_id)
    if not active:
        # After the commit: the real-time side re-checks against the database.
        await publish_or_defer(
            redis=bus.redis, prefix=bus.prefix, session=session, events=[user_disabled(target.id)]
        )
    return AccountStatusOut(username=target.username, active=active, sessions_revoked=len(ended))


async def link_wallet(*, session: AsyncSession, user: User, address: str) -> list[str]:
    """Link a proven address; idempotent for its owner, Conflict if another account has it."""
    existing = await queries.get_wallet(session, address)
    if existing is not None and existing.user_id != user.id:
        raise Conflict("This address is linked to another account", details={"field": "address"})
    if existing is None:
        try:
            await queries.add_wallet(session, address=address, user_id=user.id)
            await session.commit()
        except IntegrityError as exc:
            await session.rollback()
            raise Conflict("This address is linked to another account") from exc
    return [to_checksum_address(a) for a in await queries.wallet_addresses(session, user.id)]


async def user_for_wallet(*, session: AsyncSession, address: str) -> User | None:
    wallet = await queries.get_wallet(session, address)
    if wallet is None:
        return None
    user = await queries.get_user(session, wallet.user_id)
    return user if user is not None and user.is_active else None
