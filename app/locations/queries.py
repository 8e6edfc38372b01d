"""SQL of the locations aggregate: positions, history, per-fence state, the event log."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.locations.models import GeofenceEvent, PlayerFenceState, PlayerPosition
from app.locations.transitions import Visit


def _lock_key(user_id: uuid.UUID) -> int:
    # Signed 64-bit key from the UUID's first 8 bytes (collisions only serialise two players).
    return int.from_bytes(user_id.bytes[:8], "big", signed=True)


async def lock_player(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Serialise one player's updates (REST, Socket.IO, sweeps, every process) until commit.

    An advisory lock rather than SELECT FOR UPDATE: it also covers a player's first fix,
    when there is no row to lock yet.
    """
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(user_id)})


async def get_position(session: AsyncSession, user_id: uuid.UUID) -> PlayerPosition | None:
    return await session.get(PlayerPosition, user_id, populate_existing=True)


# One round trip for the hot path's writes: the position upsert, the history rows and the
# pruning. The DELETE sees the table as it was before this statement, so a player keeps at
# most `keep` + one batch of fixes; fix times are strictly increasing per player (older ones
# are refused), so the keep-th newest fix_at is a clean cut.
_SAVE_FIXES = text(
    """
    WITH pos AS (
        INSERT INTO player_positions
            (user_id, lat, lng, accuracy_m, speed_mps, heading_deg, fix_at, received_at)
        VALUES (:user_id, :lat, :lng, :accuracy_m, :speed_mps, :heading_deg, :fix_at,
                :received_at)
        ON CONFLICT (user_id) DO UPDATE SET
            lat = EXCLUDED.lat, lng = EXCLUDED.lng, accuracy_m = EXCLUDED.accuracy_m,
            speed_mps = EXCLUDED.speed_mps, heading_deg = EXCLUDED.heading_deg,
            fix_at = EXCLUDED.fix_at, received_at = EXCLUDED.received_at
    ), hist AS (
        INSERT INTO location_history (user_id, lat, lng, accuracy_m, fix_at)
        SELECT :user_id, h.lat, h.lng, h.accuracy_m, h.fix_at
        FROM unnest(CAST(:lats AS float8[]), CAST(:lngs AS float8[]),
                    CAST(:accuracies AS float8[]), CAST(:fix_ats AS timestamptz[]))
             AS h(lat, lng, accuracy_m, fix_at)
    )
    DELETE FROM location_history
    WHERE user_id = :user_id AND fix_at < (
        SELECT fix_at FROM location_history WHERE user_id = :user_id
        ORDER BY fix_at DESC OFFSET :skip LIMIT 1
    )
    """
)


async def save_fixes(
    session: AsyncSession,
    *,
    position: dict[str, Any],
    history: Sequence[tuple[float, float, float, datetime]],
    keep: int,
) -> None:
    """Upsert the last position, append the accepted fixes to the history, prune it."""
    lats, lngs, accuracies, fix_ats = (list(column) for column in zip(*history, strict=True))
    await session.execute(
        _SAVE_FIXES,
        {
            **position,
            "lats": lats,
            "lngs": lngs,
            "accuracies": accuracies,
            "fix_ats": fix_ats,
            "skip": keep - 1,
        },
    )


async def player_state(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[PlayerPosition | None, dict[uuid.UUID, Visit]]:
    """The last position and the fences the player is in, in one round trip."""
    rows = (
        await session.execute(
            select(PlayerPosition, PlayerFenceState)
            .select_from(PlayerPosition)
            .join(
                PlayerFenceState,
                PlayerFenceState.user_id == PlayerPosition.user_id,
                isouter=True,
            )
            .where(PlayerPosition.user_id == user_id)
            .execution_options(populate_existing=True)
        )
    ).all()
    if not rows:
        return None, {}
    visits = {
        s.fence_id: Visit(entered_at=s.entered_at.timestamp(), dwell_fired=s.dwell_fired)
        for _, s in rows
        if s is not None
    }
    return rows[0][0], visits


async def get_visits(session: AsyncSession, user_id: uuid.UUID) -> dict[uuid.UUID, Visit]:
    rows = await session.execute(
        select(
            PlayerFenceState.fence_id, PlayerFenceState.entered_at, PlayerFenceState.dwell_fired
        ).where(PlayerFenceState.user_id == user_id)
    )
    return {f: Visit(entered_at=e.timestamp(), dwell_fired=d) for f, e, d in rows}


async def save_visits(
    session: AsyncSession,
    user_id: uuid.UUID,
    before: dict[uuid.UUID, Visit],
    after: dict[uuid.UUID, Visit],
    fix_at: datetime,
) -> None:
    """Write the difference between two states of a player's visits."""
    gone = [f for f in before if f not in after]
    if gone:
        await session.execute(
            delete(PlayerFenceState).where(
                PlayerFenceState.user_id == user_id, PlayerFenceState.fence_id.in_(gone)
            )
        )
    changed = [
        f
        for f, v in after.items()
        if f not in before
        or before[f].entered_at != v.entered_at
        or before[f].dwell_fired != v.dwell_fired
    ]
    if changed:
        # A fence left and re-entered within one batch keeps its row with a new entered_at.
        stmt = insert(PlayerFenceState).values(
            [
                {
                    "user_id": user_id,
                    "fence_id": f,
                    "entered_at": datetime.fromtimestamp(after[f].entered_at, tz=UTC),
                    "last_fix_at": fix_at,
                    "dwell_fired": after[f].dwell_fired,
                }
                for f in changed
            ]
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[PlayerFenceState.user_id, PlayerFenceState.fence_id],
                set_={
                    "entered_at": stmt.excluded.entered_at,
                    "last_fix_at": stmt.excluded.last_fix_at,
                    "dwell_fired": stmt.excluded.dwell_fired,
                },
            )
        )


async def add_events(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(GeofenceEvent), list(rows))


async def players_in_fences(
    session: AsyncSession, fence_ids: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(PlayerFenceState.user_id)
        .where(PlayerFenceState.fence_id.in_(list(fence_ids)))
        .distinct()
    )
    return list(rows)


async def fence_events(
    session: AsyncSession, fence_id: uuid.UUID, *, limit: int, before_id: int | None
) -> list[GeofenceEvent]:
    stmt = select(GeofenceEvent).where(GeofenceEvent.fence_id == fence_id)
    if before_id is not None:
        stmt = stmt.where(GeofenceEvent.id < before_id)
    rows = await session.scalars(stmt.order_by(GeofenceEvent.id.desc()).limit(limit))
    return list(rows)
