"""Device sessions and the user grants: password login, refresh rotation, logout, revoke.

A device session is one row per login (web, mobile, vr). Access tokens name it in `sid`;
refresh tokens belong to it and are single use. Presenting a spent refresh token means
two parties hold it, so the whole session is revoked (RFC 6819 section 5.2.2.3).
"""

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import queries
from app.auth.context import AuthContext
from app.auth.errors import InvalidGrant
from app.auth.models import AuthSession, Device
from app.auth.permissions import ensure_owner
from app.auth.schemas import SessionOut, TokenOut
from app.auth.tokens import Principal
from app.core.errors import Forbidden
from app.users import queries as user_queries
from app.users.models import User

REFRESH_PREFIX = "rt_"


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def _new_refresh_token(
    session: AsyncSession, auth: AuthContext, session_id: uuid.UUID
) -> str:
    token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(days=auth.settings.refresh_token_days)
    await queries.add_refresh_token(
        session, token_hash=_hash(token), session_id=session_id, expires_at=expires_at
    )
    return token


async def start_session(
    *,
    session: AsyncSession,
    auth: AuthContext,
    user: User,
    device: Device,
    device_label: str | None,
    method: str,
) -> TokenOut:
    """Open a device session for an authenticated user and return its first token pair."""
    auth_session = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        device=device.value,
        device_label=device_label,
        auth_method=method,
    )
    await queries.add_session(session, auth_session)
    refresh_token = await _new_refresh_token(session, auth, auth_session.id)
    await session.commit()
    access, expires_in = auth.tokens.issue_user_token(user_id=user.id, session_id=auth_session.id)
    return TokenOut(access_token=access, expires_in=expires_in, refresh_token=refresh_token)


async def password_grant(
    *,
    session: AsyncSession,
    auth: AuthContext,
    username: str,
    password: str,
    device: Device,
    device_label: str | None,
    client_ip: str,
) -> TokenOut:
    await auth.limiter.check_login_allowed(username, client_ip)
    user = await user_queries.user_by_username(session, username)
    # Always verify, against a dummy hash when there is no such user: equal timing.
    ok = await auth.passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        await auth.limiter.record_failure(username, client_ip)
        raise InvalidGrant("Wrong username or password")
    await auth.limiter.record_success(username, client_ip)
    if auth.passwords.needs_rehash(user.password_hash):
        # Cost parameters were raised since this hash was made: upgrade it now.
        user.password_hash = await auth.passwords.hash(password)
    return await start_session(
        session=session,
        auth=auth,
        user=user,
        device=device,
        device_label=device_label,
        method="password",
    )


async def refresh(*, session: AsyncSession, auth: AuthContext, refresh_token: str) -> TokenOut:
    """Rotate: spend the presented refresh token and return a new pair for its session."""
    row, spent_now = await queries.spend_refresh_token(session, _hash(refresh_token))
    if row is None:
        raise InvalidGrant("Unknown refresh token")
    auth_session = await queries.get_session(session, row.session_id)
    assert auth_session is not None  # the foreign key guarantees it
    if not spent_now:
        if await queries.revoke_session(session, auth_session.id, "refresh_token_reuse"):
            await session.commit()
            await auth.tokens.mark_revoked(auth_session.id)
        raise InvalidGrant(
            "Refresh token already used: the session has been revoked, log in again",
            details={"reason": "reuse_detected"},
        )
    if auth_session.revoked_at is not None:
        raise InvalidGrant("Session revoked", details={"reason": "session_revoked"})
    if row.expires_at <= datetime.now(UTC):
        raise InvalidGrant("Refresh token expired", details={"reason": "expired"})
    user = await user_queries.get_user(session, auth_session.user_id)
    if user is None or not user.is_active:
        raise InvalidGrant("Account disabled")
    new_refresh = await _new_refresh_token(session, auth, auth_session.id)
    await queries.touch_session(session, auth_session.id)
    await queries.prune_refresh_tokens(session, auth_session.id)
    await session.commit()
    access, expires_in = auth.tokens.issue_user_token(user_id=user.id, session_id=auth_session.id)
    return TokenOut(access_token=access, expires_in=expires_in, refresh_token=new_refresh)


async def revoke(
    *, session: AsyncSession, auth: AuthContext, session_id: uuid.UUID, reason: str
) -> None:
    """Revoke in the database (refresh stops at once), then set the access-token marker."""
    if await queries.revoke_session(session, session_id, reason):
        await session.commit()
    await auth.tokens.mark_revoked(session_id)


async def logout(*, session: AsyncSession, auth: AuthContext, principal: Principal) -> None:
    if principal.session_id is None:
        raise Forbidden("App tokens have no session to log out of")
    await revoke(session=session, auth=auth, session_id=principal.session_id, reason="logout")


async def list_sessions(
    *, session: AsyncSession, user: User, current_session_id: uuid.UUID | None
) -> list[SessionOut]:
    return [
        SessionOut(
            id=s.id,
            device=Device(s.device),
            device_label=s.device_label,
            auth_method=s.auth_method,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            current=s.id == current_session_id,
        )
        for s in await queries.live_sessions(session, user.id)
    ]


async def revoke_own_session(
    *, session: AsyncSession, auth: AuthContext, user: User, session_id: uuid.UUID
) -> None:
    """A user ends one of their device sessions. Someone else's is a 404: session ids are
    private, and admins do not get to end other people's sessions through /me."""
    auth_session = await queries.get_session(session, session_id)
    ensure_owner(user, auth_session, kind="session", hide=True, admin_override=False)
    await revoke(session=session, auth=auth, session_id=session_id, reason="revoked_by_user")
