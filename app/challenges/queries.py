"""SQL of the challenges aggregate."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.challenges.models import Challenge, ChallengeParticipant
from app.core.driver import array_literal, driver
from app.users.models import User


async def get_challenge(
    session: AsyncSession, challenge_id: uuid.UUID, *, lock: bool = False
) -> Challenge | None:
    stmt = select(Challenge).where(Challenge.id == challenge_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def list_challenges(
    session: AsyncSession, *, owner_id: uuid.UUID | None, fence_id: uuid.UUID | None, limit: int
) -> list[Challenge]:
    stmt = select(Challenge)
    if owner_id is not None:
        stmt = stmt.where(Challenge.owner_id == owner_id)
    if fence_id is not None:
        stmt = stmt.where(Challenge.fence_ids.contains([fence_id]))
    return list(await session.scalars(stmt.order_by(Challenge.created_at.desc()).limit(limit)))


async def get_participant(
    session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
) -> ChallengeParticipant | None:
    stmt = select(ChallengeParticipant).where(
        ChallengeParticipant.challenge_id == challenge_id, ChallengeParticipant.user_id == user_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt.execution_options(populate_existing=True))


async def count_participants(session: AsyncSession, challenge_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(ChallengeParticipant)
            .where(ChallengeParticipant.challenge_id == challenge_id)
        )
        or 0
    )


# Whether any of the players has an unfinished challenge (of the kinds, NULL: any kind).
_ANY_ACTIVE = """
    SELECT 1
    FROM challenge_participants AS p
    JOIN challenges AS c ON c.id = p.challenge_id
    WHERE p.user_id = ANY(CAST(%(users)s AS uuid[])) AND p.completed_at IS NULL
      AND (CAST(%(kinds)s AS text[]) IS NULL OR c.kind = ANY(CAST(%(kinds)s AS text[])))
    LIMIT 1
"""


async def active_participations(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], *, kinds: Sequence[str] | None = None
) -> list[tuple[Challenge, ChallengeParticipant]]:
    """The players' unfinished challenges (partial index on user_id WHERE not completed),
    locked for the caller's transaction."""
    if not await _any_active(session, user_ids, kinds):
        return []
    stmt = (
        select(Challenge, ChallengeParticipant)
        .join(ChallengeParticipant, ChallengeParticipant.challenge_id == Challenge.id)
        .where(
            ChallengeParticipant.user_id.in_(list(user_ids)),
            ChallengeParticipant.completed_at.is_(None),
        )
        .order_by(ChallengeParticipant.user_id, ChallengeParticipant.challenge_id)
        .with_for_update(of=ChallengeParticipant)
        .execution_options(populate_existing=True)
    )
    if kinds is not None:
        stmt = stmt.where(Challenge.kind.in_(list(kinds)))
    return [(c, p) for c, p in (await session.execute(stmt)).all()]


async def _any_active(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], kinds: Sequence[str] | None
) -> bool:
    """A cheap look on the driver before the ORM query, which costs several times more CPU
    even when it finds nothing, as it does for most location batches. A participation
    committed between the two is one joined a moment later. With ORM changes pending (the
    query's autoflush would write them first) it answers yes and lets the query look."""
    if session.new or session.dirty or session.deleted:
        return True
    conn = await driver(session)
    cursor = await conn.execute(
        _ANY_ACTIVE,
        {
            "users": array_literal(list(user_ids)),
            "kinds": None if kinds is None else list(kinds),
        },
    )
    return await cursor.fetchone() is not None


async def all_participants(
    session: AsyncSession, challenge_id: uuid.UUID
) -> list[ChallengeParticipant]:
    return list(
        await session.scalars(
            select(ChallengeParticipant).where(ChallengeParticipant.challenge_id == challenge_id)
        )
    )


async def participants_with_names(
    session: AsyncSession, challenge_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[ChallengeParticipant, str]]:
    rows = await session.execute(
        select(ChallengeParticipant, User.username)
        .join(User, User.id == ChallengeParticipant.user_id)
        .where(
            ChallengeParticipant.challenge_id == challenge_id,
            ChallengeParticipant.user_id.in_(list(user_ids)),
        )
    )
    return {p.user_id: (p, name) for p, name in rows.all()}


async def pending_rewards(session: AsyncSession, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    rows = await session.execute(
        select(ChallengeParticipant.challenge_id, ChallengeParticipant.user_id)
        .where(ChallengeParticipant.reward_status == "pending")
        .limit(limit)
    )
    return [(c, u) for c, u in rows]
