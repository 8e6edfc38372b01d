"""The batched ingest's statements that run straight on psycopg (app.core.driver): history
pruning, exact timestamps through JSON, lock-then-read in one round trip, active users."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.driver import array_literal, driver
from app.locations import queries
from app.users import queries as user_queries
from tests.factories import make_user

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def position(user_id: uuid.UUID, at: datetime, **extra: float | None) -> queries.NewPosition:
    fields: dict[str, float | None] = {"speed_mps": None, "heading_deg": None, **extra}
    return queries.NewPosition(
        user_id=user_id,
        lat=48.1,
        lng=11.5,
        accuracy_m=5.0,
        speed_mps=fields["speed_mps"],
        heading_deg=fields["heading_deg"],
        fix_at=at,
        received_at=at + timedelta(milliseconds=3),
    )


def fix(user_id: uuid.UUID, at: datetime, lat: float = 48.1) -> queries.NewFix:
    return queries.NewFix(user_id, lat, 11.5, 5.0, at)


async def history(session: AsyncSession, user_id: uuid.UUID) -> list[datetime]:
    rows = await session.scalars(
        text("SELECT fix_at FROM location_history WHERE user_id = :u ORDER BY fix_at"),
        {"u": user_id},
    )
    return list(rows)


async def test_history_keeps_the_newest_fixes_plus_one_batch(session: AsyncSession) -> None:
    user = await make_user(session)
    other = await make_user(session)
    conn = await driver(session)
    times = [T0 + timedelta(seconds=s) for s in range(6)]
    batches = [times[0:2], times[2:4], times[4:5], times[5:6]]
    kept = []
    for batch in batches:
        await queries.save_fixes(
            conn,
            positions=[position(user.id, batch[-1]), position(other.id, batch[-1])],
            history=[fix(u, t) for u in (user.id, other.id) for t in batch],
            keep=3,
        )
        kept.append(await history(session, user.id))
    # The cut is the keep-th newest fix before the statement: at most keep + one batch stay.
    assert kept[0] == times[0:2]
    assert kept[1] == times[0:4]
    assert kept[2] == times[1:5]
    assert kept[3] == times[2:6]
    assert await history(session, other.id) == times[2:6]


async def test_positions_round_trip_exactly(session: AsyncSession) -> None:
    user = await make_user(session)
    conn = await driver(session)
    # Another offset, microseconds, and a float that needs all its digits.
    at = datetime(2026, 3, 1, 14, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=2)))
    await queries.save_fixes(
        conn,
        positions=[position(user.id, at, speed_mps=1.1, heading_deg=None)],
        history=[fix(user.id, at, lat=0.1 + 0.2)],
        keep=10,
    )
    stored = await queries.get_position(session, user.id)
    assert stored is not None
    assert stored.fix_at == at
    assert stored.received_at == at + timedelta(milliseconds=3)
    assert (stored.speed_mps, stored.heading_deg) == (1.1, None)
    lat = await session.scalar(
        text("SELECT lat FROM location_history WHERE user_id = :u"), {"u": user.id}
    )
    assert lat == 0.1 + 0.2
    states = await queries.lock_and_read_states(conn, [user.id, uuid.uuid4()])
    assert list(states) == [user.id]
    assert states[user.id].position == queries.StoredFix(48.1, 11.5, 5.0, at)


async def test_active_users_skips_disabled_accounts(session: AsyncSession) -> None:
    active, disabled = await make_user(session), await make_user(session)
    disabled.is_active = False
    await session.flush()
    found = await user_queries.active_users(session, [active.id, disabled.id, uuid.uuid4()])
    assert [(u.id, u.username) for u in found] == [(active.id, active.username)]


def test_array_literal_is_a_postgres_array() -> None:
    ids = [uuid.UUID(int=1), uuid.UUID(int=2**128 - 1)]
    assert array_literal(ids) == (
        '{"00000000-0000-0000-0000-000000000001","ffffffff-ffff-ffff-ffff-ffffffffffff"}'
    )
    assert array_literal([-(2**63), 0, 2**63 - 1]) == "{-9223372036854775808,0,9223372036854775807}"


async def test_the_read_sees_what_the_lock_holder_committed(migrated_database: str) -> None:
    """The lock and the read travel in one query, yet the read is taken after the lock is
    granted: a fix committed by the holder meanwhile is what the next update is checked
    against (separate connections, real commits)."""
    u = make_url(migrated_database)
    dsn = f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"
    user_id = uuid.uuid4()
    async with (
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as admin,
        await psycopg.AsyncConnection.connect(dsn) as holder,
        await psycopg.AsyncConnection.connect(dsn) as waiter,
    ):
        await admin.execute(
            "INSERT INTO users (id, username, email, password_hash, roles)"
            " VALUES (%s, %s, %s, 'x', ARRAY['player'])",
            (user_id, f"lock_{user_id.hex[:10]}", f"lock_{user_id.hex[:10]}@example.com"),
        )
        try:
            await queries.lock_and_read_states(holder, [user_id])  # holds the lock
            reading = asyncio.ensure_future(queries.lock_and_read_states(waiter, [user_id]))
            await wait_for_lock_wait(admin, waiter.info.backend_pid)
            await queries.save_fixes(
                holder, positions=[position(user_id, T0)], history=[fix(user_id, T0)], keep=5
            )
            await holder.commit()
            states = await reading
            assert states[user_id].position == queries.StoredFix(48.1, 11.5, 5.0, T0)
            await waiter.rollback()
        finally:
            await admin.execute("DELETE FROM users WHERE id = %s", (user_id,))


async def wait_for_lock_wait(admin: psycopg.AsyncConnection[object], pid: int) -> None:
    """Until that backend waits for an advisory lock (no timing assumptions)."""
    while True:
        cursor = await admin.execute(
            "SELECT 1 FROM pg_locks WHERE pid = %s AND locktype = 'advisory' AND NOT granted",
            (pid,),
        )
        if await cursor.fetchone():
            return
        await asyncio.sleep(0.01)
