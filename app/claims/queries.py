"""SQL of the claims aggregate: attempts, and the row lock that elects one winner."""

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.claims.models import ClaimAttempt
from app.nfts.models import Nft, NftPlacement, NftPlacementState


async def last_trusted_attempt(session: AsyncSession, user_id: uuid.UUID) -> ClaimAttempt | None:
    stmt = (
        select(ClaimAttempt)
        .where(ClaimAttempt.user_id == user_id, ClaimAttempt.trusted_position.is_(True))
        .order_by(ClaimAttempt.created_at.desc())
        .limit(1)
    )
    found: ClaimAttempt | None = await session.scalar(stmt)
    return found


async def lock_active_placement(
    session: AsyncSession, placement_id: uuid.UUID
) -> NftPlacement | None:
    """Lock the placement if it is still active and nobody else holds its lock.

    SKIP LOCKED: a concurrent claimer that lost the lock is answered at once (409) instead of
    queueing behind the winner's chain transfer while holding a pooled connection.
    """
    stmt = (
        select(NftPlacement)
        .where(
            NftPlacement.placement_id == placement_id,
            NftPlacement.state == NftPlacementState.ACTIVE.value,
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    found: NftPlacement | None = await session.scalar(stmt)
    return found


async def placement_state(session: AsyncSession, placement_id: uuid.UUID) -> str | None:
    state: str | None = await session.scalar(
        select(NftPlacement.state).where(NftPlacement.placement_id == placement_id)
    )
    return state


async def last_closed_state(session: AsyncSession, nft_id: str) -> str | None:
    """State of the NFT's most recently closed placement ('claimed', 'withdrawn'), or None."""
    state: str | None = await session.scalar(
        select(NftPlacement.state)
        .where(NftPlacement.nft_id == nft_id, NftPlacement.closed_at.is_not(None))
        .order_by(NftPlacement.closed_at.desc())
        .limit(1)
    )
    return state


async def add_attempt(
    session: AsyncSession,
    *,
    nft_id: str,
    placement_id: uuid.UUID | None,
    user_id: uuid.UUID,
    lat: float,
    lng: float,
    accuracy_m: float,
    outcome: str,
    trusted_position: bool,
    distance_m: float | None = None,
    tx_hash: str | None = None,
    created_at: datetime | None = None,
) -> ClaimAttempt:
    attempt = ClaimAttempt(
        nft_id=nft_id,
        placement_id=placement_id,
        user_id=user_id,
        lat=lat,
        lng=lng,
        accuracy_m=accuracy_m,
        outcome=outcome,
        trusted_position=trusted_position,
        distance_m=distance_m,
        tx_hash=tx_hash,
    )
    if created_at is not None:
        attempt.created_at = created_at
    session.add(attempt)
    await session.flush()
    return attempt


async def attempts_of(session: AsyncSession, nft_id: str) -> list[ClaimAttempt]:
    rows = await session.scalars(
        select(ClaimAttempt)
        .where(ClaimAttempt.nft_id == nft_id)
        .order_by(ClaimAttempt.created_at, ClaimAttempt.id)
    )
    return list(rows)


async def clear_custody(session: AsyncSession, *, nft_id: str, was: uuid.UUID) -> None:
    """Conditional: only if custody still names `was` (the indexer may have moved on)."""
    await session.execute(
        update(Nft)
        .where(Nft.id == nft_id, Nft.custody_user_id == was)
        .values(custody_user_id=None)
        .execution_options(synchronize_session=False)
    )
