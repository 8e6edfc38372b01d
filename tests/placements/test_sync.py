"""Two indexes (as in two processes) kept in step with PostgreSQL through Redis.

These tests commit for real (the change feed reads committed rows) and delete what they wrote.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from redis.asyncio import Redis
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.db import make_session_factory
from app.placements.index import PlacementIndex
from app.placements.models import Placement, PlacementKind
from app.placements.service import create_placements, new_placement
from app.placements.sync import PlacementIndexSync
from app.settings import Settings
from geo.coords import LatLng

SPOT = LatLng(48.1371, 11.5754)


@pytest_asyncio.fixture(loop_scope="session")
async def committed(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    factory = make_session_factory(engine)
    yield factory
    async with factory() as session:
        await session.execute(delete(Placement))
        await session.commit()


def make_sync(
    factory: async_sessionmaker[AsyncSession], redis: Redis, channel: str, poll: float = 30.0
) -> PlacementIndexSync:
    return PlacementIndexSync(
        index=PlacementIndex(),
        session_factory=factory,
        redis=redis,
        channel=channel,
        poll_seconds=poll,
    )


async def wait_for(predicate: object, within_s: float = 5.0) -> bool:
    deadline = asyncio.get_running_loop().time() + within_s
    while asyncio.get_running_loop().time() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.02)
    return False


def ids_near(index: PlacementIndex) -> set[str]:
    return {h.id for h in index.nearby(SPOT.lat, SPOT.lng, radius_m=1000, limit=200).hits}


@contextlib.asynccontextmanager
async def following(sync: PlacementIndexSync) -> AsyncIterator[None]:
    task = asyncio.create_task(sync.run())
    try:
        await wait_for(lambda: sync.loaded)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_write_in_one_process_reaches_the_other(
    committed: async_sessionmaker[AsyncSession], redis_client: Redis, test_settings: Settings
) -> None:
    channel = f"{test_settings.redis_channel_prefix}:sync-{uuid.uuid4().hex[:6]}"
    writer = make_sync(committed, redis_client, channel)
    reader = make_sync(committed, redis_client, channel)  # polls only every 30 s
    await writer.refresh()
    async with following(reader):
        placement = new_placement(kind=PlacementKind.NFT, title="fresh", point=SPOT)
        async with committed() as session:
            await create_placements(session=session, sync=writer, placements=[placement])
        assert str(placement.id) in ids_near(writer.index)  # read-your-writes, no waiting
        # The other process learns through Redis long before its 30 s poll.
        assert await wait_for(lambda: str(placement.id) in ids_near(reader.index), within_s=3)

        async with committed() as session:
            row = await session.get(Placement, placement.id)
            assert row is not None
            row.active = False
            await session.commit()
        await writer.changed()
        assert await wait_for(lambda: str(placement.id) not in ids_near(reader.index), within_s=3)


async def test_polling_catches_up_without_redis_messages(
    committed: async_sessionmaker[AsyncSession], redis_client: Redis, test_settings: Settings
) -> None:
    reader = make_sync(committed, redis_client, f"{test_settings.redis_channel_prefix}:silent", 0.2)
    async with following(reader):
        placement = new_placement(kind=PlacementKind.SPACE, title="quiet", point=SPOT)
        async with committed() as session:
            session.add(placement)
            await session.commit()  # nobody publishes anything
        assert await wait_for(lambda: str(placement.id) in ids_near(reader.index), within_s=3)


async def test_a_transaction_committing_after_a_refresh_is_not_missed(
    committed: async_sessionmaker[AsyncSession], redis_client: Redis
) -> None:
    sync = make_sync(committed, redis_client, "unused")
    await sync.refresh()
    slow = new_placement(kind=PlacementKind.MARKER, title="slow", point=SPOT)
    fast = new_placement(kind=PlacementKind.MARKER, title="fast", point=SPOT)
    async with committed() as slow_session:
        slow_session.add(slow)
        await slow_session.flush()  # slow's transaction is open (it has a lower xid)...
        async with committed() as fast_session:
            fast_session.add(fast)
            await fast_session.commit()
        await sync.refresh()  # ...while a later transaction's row is read
        assert ids_near(sync.index) == {str(fast.id)}
        await slow_session.commit()
    await sync.refresh()
    assert ids_near(sync.index) == {str(fast.id), str(slow.id)}
