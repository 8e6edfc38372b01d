"""All SQL for users and wallets."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.driver import array_literal, driver
from app.users.models import User, Wallet
from app.users.refs import ActiveUser


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


_ACTIVE_USERS = "SELECT id, username FROM users WHERE id = ANY(CAST(%s AS uuid[])) AND is_active"


async def active_users(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> list[ActiveUser]:
    """The active ones among these users, without loading ORM objects (hot path: every
    location batch, so straight on the driver, one statement text for any number of ids)."""
    conn = await driver(session)
    cursor = await conn.execute(_ACTIVE_USERS, (array_literal(list(user_ids)),))
    return [ActiveUser(user_id, username) for user_id, username in await cursor.fetchall()]


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.scalars(
        select(User).where(func.lower(User.username) == username.lower())
    )
    return result.first()


async def taken_fields(
    session: AsyncSession, *, username: str | None, email: str | None
) -> list[str]:
    """Which of username / email another account already has (case-insensitive)."""
    taken = []
    if username is not None and await session.scalar(
        select(func.count()).where(func.lower(User.username) == username.lower())
    ):
        taken.append("username")
    if email is not None and await session.scalar(
        select(func.count()).where(func.lower(User.email) == email.lower())
    ):
        taken.append("email")
    return taken


async def add_user(session: AsyncSession, user: User) -> None:
    session.add(user)
    await session.flush()


async def wallet_addresses(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(
        select(Wallet.address).where(Wallet.user_id == user_id).order_by(Wallet.linked_at)
    )
    return list(rows)


async def get_wallet(session: AsyncSession, address: str) -> Wallet | None:
    return await session.get(Wallet, address.lower())


async def add_wallet(session: AsyncSession, *, address: str, user_id: uuid.UUID) -> None:
    session.add(Wallet(address=address.lower(), user_id=user_id))
    await session.flush()
