"""All SQL for device sessions and refresh tokens."""

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.apps.models import DeveloperApp
from app.auth.models import AuthSession, RefreshToken


async def add_session(session: AsyncSession, auth_session: AuthSession) -> None:
    session.add(auth_session)
    await session.flush()


async def get_session(session: AsyncSession, session_id: uuid.UUID) -> AuthSession | None:
    return await session.get(AuthSession, session_id)


async def live_sessions(session: AsyncSession, user_id: uuid.UUID) -> list[AuthSession]:
    rows = await session.scalars(
        select(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .order_by(AuthSession.last_seen_at.desc())
    )
    return list(rows)


async def revoke_session(session: AsyncSession, session_id: uuid.UUID, reason: str) -> bool:
    """Mark a session revoked; False if it already was (or does not exist)."""
    result = await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoke_reason=reason)
        .returning(AuthSession.id)
    )
    return result.scalar_one_or_none() is not None


async def add_refresh_token(
    session: AsyncSession, *, token_hash: bytes, session_id: uuid.UUID, expires_at: datetime
) -> None:
    session.add(RefreshToken(token_hash=token_hash, session_id=session_id, expires_at=expires_at))
    await session.flush()


async def spend_refresh_token(
    session: AsyncSession, token_hash: bytes
) -> tuple[RefreshToken | None, bool]:
    """Atomically mark a refresh token spent.

    Returns (token, spent_now): spent_now is False when it had been spent before, which is
    the reuse signal. The conditional UPDATE makes two concurrent refreshes with one token
    see exactly one winner.
    """
    spent = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.spent_at.is_(None))
        .values(spent_at=func.now())
        .returning(RefreshToken.session_id)
    )
    if spent.scalar_one_or_none() is not None:
        return await session.get(RefreshToken, token_hash), True
    return await session.get(RefreshToken, token_hash), False


async def touch_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(
        update(AuthSession).where(AuthSession.id == session_id).values(last_seen_at=func.now())
    )


async def is_revoked(session: AsyncSession, *, kind: str, ref_id: uuid.UUID) -> bool:
    """The database's answer to "is this session / app revoked?" (Redis is the fast path)."""
    column = AuthSession.revoked_at if kind == "user" else DeveloperApp.revoked_at
    key = AuthSession.id if kind == "user" else DeveloperApp.id
    row = await session.execute(select(column).where(key == ref_id))
    found = row.first()
    return found is None or found[0] is not None


async def prune_refresh_tokens(session: AsyncSession, session_id: uuid.UUID) -> None:
    """Drop a session's expired refresh tokens: past expiry, a replay is refused anyway, so
    keeping them for reuse detection buys nothing."""
    await session.execute(
        delete(RefreshToken).where(
            RefreshToken.session_id == session_id, RefreshToken.expires_at < func.now()
        )
    )
