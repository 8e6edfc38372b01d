"""SQL of the locations aggregate: positions, history, per-fence state, the event log."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.driver import Driver, array_literal, driver
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


@dataclass(frozen=True, slots=True)
class StoredFix:
    lat: float
    lng: float
    accuracy_m: float
    fix_at: datetime


@dataclass(frozen=True, slots=True)
class PlayerState:
    """What a location update is decided against: the last accepted fix and the visits."""

    position: StoredFix | None
    visits: dict[uuid.UUID, Visit]


# Two statements in one simple-protocol query: one round trip (a round trip costs this
# process more CPU than either statement), and, as each statement of a READ COMMITTED
# transaction takes its own snapshot, the read still sees what was committed while the locks
# were awaited. The keys are taken in sorted order (the subquery sorts before the function
# runs), so two batches sharing players cannot deadlock; a single-player lock cannot either.
# Without parameters (the simple protocol allows none), the arrays are inlined as literals
# of integers and UUIDs, which array_literal writes and nothing in them needs quoting.
_LOCK_AND_READ = """
    SELECT pg_advisory_xact_lock(k)
    FROM (SELECT k FROM unnest(CAST('{keys}' AS bigint[])) AS k ORDER BY k) AS sorted;
    SELECT p.user_id, p.lat, p.lng, p.accuracy_m, p.fix_at,
           s.fence_id, s.entered_at, s.dwell_fired
    FROM player_positions AS p
    LEFT JOIN player_fence_states AS s ON s.user_id = p.user_id
    WHERE p.user_id = ANY(CAST('{ids}' AS uuid[]))
"""


async def lock_and_read_states(
    conn: Driver, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, PlayerState]:
    """`lock_player` for several players, then their last positions and visits, in one
    round trip (players without an accepted fix yet are absent: they have no visits
    either)."""
    keys = array_literal(sorted({_lock_key(u) for u in user_ids}))
    query = _LOCK_AND_READ.format(keys=keys, ids=array_literal(list(user_ids)))
    # prepare=False: a multi-statement query cannot be a prepared statement. Bytes: psycopg
    # takes a composed query as bytes (a str must be a literal).
    cursor = await conn.execute(query.encode(), prepare=False)
    cursor.nextset()
    states: dict[uuid.UUID, PlayerState] = {}
    for row in await cursor.fetchall():
        user_id, lat, lng, accuracy_m, fix_at, fence_id, entered_at, dwell_fired = row
        state = states.get(user_id)
        if state is None:
            position = StoredFix(lat, lng, accuracy_m, fix_at)
            state = states[user_id] = PlayerState(position, {})
        if fence_id is not None:
            state.visits[fence_id] = Visit(
                entered_at=entered_at.timestamp(), dwell_fired=dwell_fired
            )
    return states


# One round trip for the hot path's writes, for any number of players: the position upserts,
# the history rows and the pruning. The DELETE sees the table as it was before this
# statement, so a player keeps at most `keep` + one batch of fixes; fix times are strictly
# increasing per player (older ones are refused), so the keep-th newest fix_at is a clean cut.
# The rows travel as JSON (orjson writes dataclasses, UUIDs and datetimes in C; PostgreSQL
# reads the timestamps back exactly) rather than as arrays psycopg dumps element by element.
_SAVE_FIXES = """
    WITH fix AS (
        SELECT * FROM json_to_recordset(CAST(%(positions)s AS json)) AS r(
            user_id uuid, lat float8, lng float8, accuracy_m float8, speed_mps float8,
            heading_deg float8, fix_at timestamptz, received_at timestamptz)
    ), pos AS (
        INSERT INTO player_positions
            (user_id, lat, lng, accuracy_m, speed_mps, heading_deg, fix_at, received_at)
        SELECT user_id, lat, lng, accuracy_m, speed_mps, heading_deg, fix_at, received_at
        FROM fix
        ON CONFLICT (user_id) DO UPDATE SET
            lat = EXCLUDED.lat, lng = EXCLUDED.lng, accuracy_m = EXCLUDED.accuracy_m,
            speed_mps = EXCLUDED.speed_mps, heading_deg = EXCLUDED.heading_deg,
            fix_at = EXCLUDED.fix_at, received_at = EXCLUDED.received_at
    ), hist AS (
        INSERT INTO location_history (user_id, lat, lng, accuracy_m, fix_at)
        SELECT user_id, lat, lng, accuracy_m, fix_at
        FROM json_to_recordset(CAST(%(history)s AS json)) AS r(
            user_id uuid, lat float8, lng float8, accuracy_m float8, fix_at timestamptz)
    )
    DELETE FROM location_history AS h
    USING (
        SELECT f.user_id, (
            SELECT fix_at FROM location_history
            WHERE user_id = f.user_id ORDER BY fix_at DESC OFFSET %(skip)s LIMIT 1
        ) AS cut
        FROM fix AS f
    ) AS c
    WHERE h.user_id = c.user_id AND h.fix_at < c.cut
"""


@dataclass(frozen=True, slots=True)
class NewPosition:
    user_id: uuid.UUID
    lat: float
    lng: float
    accuracy_m: float
    speed_mps: float | None
    heading_deg: float | None
    fix_at: datetime
    received_at: datetime


@dataclass(frozen=True, slots=True)
class NewFix:
    """One accepted fix for the history."""

    user_id: uuid.UUID
    lat: float
    lng: float
    accuracy_m: float
    fix_at: datetime


async def save_fixes(
    conn: Driver,
    *,
    positions: Sequence[NewPosition],
    history: Sequence[NewFix],
    keep: int,
) -> None:
    """Upsert each player's last position, append the accepted fixes to the history, prune
    it (one player per position)."""
    if not positions:
        return
    await conn.execute(
        _SAVE_FIXES,
        {
            "positions": orjson.dumps(positions).decode(),
            "history": orjson.dumps(history).decode(),
            "skip": keep - 1,
        },
    )


async def get_visits(session: AsyncSession, user_id: uuid.UUID) -> dict[uuid.UUID, Visit]:
    rows = await session.execute(
        select(
            PlayerFenceState.fence_id, PlayerFenceState.entered_at, PlayerFenceState.dwell_fired
        ).where(PlayerFenceState.user_id == user_id)
    )
    return {f: Visit(entered_at=e.timestamp(), dwell_fired=d) for f, e, d in rows}


@dataclass(frozen=True, slots=True)
class VisitChange:
    """A player's visits before and after an update (only the difference is written)."""

    user_id: uuid.UUID
    before: dict[uuid.UUID, Visit]
    after: dict[uuid.UUID, Visit]
    fix_at: datetime


# One round trip for whatever the engine decided, for any number of players: the visits
# gone and those new or changed (disjoint per player, so the DELETE and the upsert never
# meet), the durable event log in decision order, and the webhook outbox (an active hook on
# the event's fence that asked for its type; a delivery already queued is left alone). Each
# used to be a statement through the ORM session: a batch with events paid four round trips,
# each a turn of a busy event loop, and a compile for every new number of rows.
_SAVE_TRANSITIONS = """
    WITH gone AS (
        DELETE FROM player_fence_states AS s
        USING json_to_recordset(CAST(%(gone)s AS json)) AS g(user_id uuid, fence_id uuid)
        WHERE s.user_id = g.user_id AND s.fence_id = g.fence_id
    ), visits AS (
        INSERT INTO player_fence_states (user_id, fence_id, entered_at, last_fix_at, dwell_fired)
        SELECT user_id, fence_id, entered_at, last_fix_at, dwell_fired
        FROM json_to_recordset(CAST(%(visits)s AS json)) AS v(
            user_id uuid, fence_id uuid, entered_at timestamptz, last_fix_at timestamptz,
            dwell_fired boolean)
        ON CONFLICT (user_id, fence_id) DO UPDATE SET
            entered_at = EXCLUDED.entered_at, last_fix_at = EXCLUDED.last_fix_at,
            dwell_fired = EXCLUDED.dwell_fired
    ), ev AS (
        SELECT * FROM ROWS FROM (json_to_recordset(CAST(%(events)s AS json)) AS (
            event_id uuid, type text, fence_id uuid, user_id uuid, lat float8, lng float8,
            accuracy_m float8, fix_at timestamptz, data jsonb, fence_version integer,
            payload jsonb)) WITH ORDINALITY AS e(
            event_id, type, fence_id, user_id, lat, lng, accuracy_m, fix_at, data,
            fence_version, payload, n)
    ), logged AS (
        INSERT INTO geofence_events
            (event_id, type, fence_id, user_id, lat, lng, accuracy_m, fix_at, data, fence_version)
        SELECT event_id, type, fence_id, user_id, lat, lng, accuracy_m, fix_at, data,
            fence_version
        FROM ev ORDER BY n
    )
    INSERT INTO webhook_deliveries
        (webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at)
    SELECT h.id, ev.event_id, ev.type, ev.payload, 'pending', 0, now()
    FROM ev JOIN webhooks AS h
        ON h.fence_id = ev.fence_id AND h.active AND ev.type = ANY(h.event_types)
    ORDER BY ev.n
    ON CONFLICT DO NOTHING
"""


@dataclass(frozen=True, slots=True)
class _VisitRow:
    user_id: uuid.UUID
    fence_id: uuid.UUID
    entered_at: datetime
    last_fix_at: datetime
    dwell_fired: bool


async def save_transitions(
    session: AsyncSession,
    changes: Sequence[VisitChange],
    events: Sequence[dict[str, Any]],
) -> None:
    """Write the difference between two states of players' visits, log the events and queue
    their webhook deliveries, in one statement (none when nothing changed, as for most
    players on most fixes). `events` are `GeoEvent.row()`s, each with the `payload` its
    webhooks will be sent."""
    gone = [
        {"user_id": c.user_id, "fence_id": f} for c in changes for f in c.before if f not in c.after
    ]
    visits = [
        _VisitRow(
            c.user_id, f, datetime.fromtimestamp(v.entered_at, tz=UTC), c.fix_at, v.dwell_fired
        )
        for c in changes
        for f, v in c.after.items()
        # A fence left and re-entered within one batch keeps its row with a new entered_at.
        if f not in c.before
        or c.before[f].entered_at != v.entered_at
        or c.before[f].dwell_fired != v.dwell_fired
    ]
    if not (gone or visits or events):
        return
    conn = await driver(session)
    await conn.execute(
        _SAVE_TRANSITIONS,
        {
            "gone": orjson.dumps(gone).decode(),
            "visits": orjson.dumps(visits).decode(),
            "events": orjson.dumps(events).decode(),
        },
    )


_DWELLS_DUE = text(
    """
    SELECT DISTINCT s.user_id
    FROM player_fence_states AS s
    JOIN geofences AS g ON g.id = s.fence_id
    JOIN player_positions AS p ON p.user_id = s.user_id
    WHERE NOT s.dwell_fired
      AND g.dwell_seconds IS NOT NULL
      AND s.entered_at + make_interval(secs => g.dwell_seconds) <= :now
      AND p.fix_at >= :fresh_since
    LIMIT :limit
    """
)


async def players_with_dwells_due(
    session: AsyncSession, *, now: datetime, fresh_since: datetime, limit: int
) -> list[uuid.UUID]:
    """Players inside a fence for at least its dwell threshold without a dwell yet, whose
    last accepted fix is no older than `fresh_since` (the dwell sweep's candidates)."""
    rows = await session.execute(
        _DWELLS_DUE, {"now": now, "fresh_since": fresh_since, "limit": limit}
    )
    return list(rows.scalars())


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
