"""Engines in other processes follow writes: Redis poke, poll fallback, change notifications."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from fastapi import FastAPI
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.geofences.component import GeofenceComponent
from app.geofences.engine import FenceChange, GeofenceEngine
from app.geofences.models import Geofence
from app.geofences.queries import get_geofence
from app.geofences.schemas import GeofenceIn
from app.geofences.service import create_geofence, delete_geofence
from app.geofences.sync import GeofenceSync
from app.settings import Settings
from app.users.models import User
from tests.factories import make_user
from tests.geofences.conftest import engine_of
from tests.geofences.test_router import create, square


@pytest_asyncio.fixture(loop_scope="session")
async def dead_redis() -> AsyncIterator[Redis]:
    # Nothing listens on port 1: every Redis call fails, as when Redis is down.
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    yield client
    await client.aclose()


async def caught_up(sync: GeofenceSync, fence_id: uuid.UUID, present: bool) -> None:
    for _ in range(400):
        if (sync.engine.get(fence_id) is not None) == present:
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the other engine never caught up")


async def test_other_processes_follow_poke_and_poll(
    engine: AsyncEngine, redis_client: Redis, dead_redis: Redis, test_settings: Settings
) -> None:
    # Real commits through a real pool (the per-test transaction cannot be shared by
    # concurrent sessions); the fence is removed again at the end.
    factory = async_sessionmaker(engine, expire_on_commit=False)
    channel = f"{test_settings.redis_channel_prefix}-{uuid.uuid4().hex}:geofences:changed"

    def process(redis: Redis, poll_seconds: float) -> GeofenceSync:
        return GeofenceSync(
            engine=GeofenceEngine(),
            session_factory=factory,
            redis=redis,
            channel=channel,
            poll_seconds=poll_seconds,
        )

    writer = process(redis_client, 60.0)
    poked = process(redis_client, 60.0)  # a long poll: only the poke can make it in time
    polled = process(dead_redis, 0.05)  # Redis down: only the poll can
    for sync in (writer, poked, polled):
        await sync.refresh()
    tasks = [asyncio.create_task(s.run()) for s in (poked, polled)]
    async with factory() as session:
        owner = await make_user(session, roles=("organizer",))
        await session.commit()
    try:
        await asyncio.sleep(0.2)  # let the follower subscribe
        async with factory() as session:
            body = GeofenceIn(name="synced", geometry=square(20, 20))
            out = await create_geofence(
                session=session, sync=writer, settings=test_settings, owner=owner, body=body
            )
            fence_id = out.id
        assert writer.engine.get(fence_id) is not None  # read-your-writes
        await caught_up(poked, fence_id, True)
        await caught_up(polled, fence_id, True)
        assert fence_id in polled.engine.containing(20.005, 20.005)
        async with factory() as session:
            fence = await get_geofence(session, fence_id)
            assert fence is not None
            await delete_geofence(session=session, sync=writer, fence=fence)
        await caught_up(poked, fence_id, False)
        await caught_up(polled, fence_id, False)
    finally:
        for task in tasks:
            task.cancel()
        async with factory() as session:
            await session.execute(delete(Geofence).where(Geofence.name == "synced"))
            await session.execute(delete(User).where(User.id == owner.id))
            await session.commit()


async def test_edit_while_inside_notifies_with_new_version(
    app: FastAPI, client: AsyncClient, organizer_headers: dict[str, str]
) -> None:
    engine = engine_of(app)
    seen: list[FenceChange] = []
    unsubscribe = engine.subscribe(seen.extend)
    fence = await create(client, organizer_headers, geometry=square(21, 21))
    inside = engine.classify(21.005, 21.005, 10.0)
    assert fence.id in inside.inside

    # The organizer shrinks the fence away from the player: version bump, shape swapped.
    await client.patch(
        f"/api/geofences/{fence.id}",
        json={"geometry": square(21.008, 21.008, 0.002)},
        headers=organizer_headers,
    )
    after = engine.classify(21.005, 21.005, 10.0, include=[fence.id])
    assert fence.id not in after.inside
    assert fence.id not in after.border
    await client.patch(
        f"/api/geofences/{fence.id}", json={"name": "renamed"}, headers=organizer_headers
    )
    await client.delete(f"/api/geofences/{fence.id}", headers=organizer_headers)
    unsubscribe()
    ours = [c for c in seen if c.fence_id == fence.id]
    assert [(c.kind, c.version) for c in ours] == [
        ("created", 1),
        ("updated", 2),
        ("updated", 3),
        ("deleted", 4),
    ]
    assert ours[1].geometry_changed
    assert not ours[2].geometry_changed
    assert engine.get(fence.id) is None
    assert engine.classify(21.009, 21.009, 1.0, include=[fence.id]).border == set()


async def test_rasters_are_made_in_the_background(
    app: FastAPI, client: AsyncClient, organizer_headers: dict[str, str]
) -> None:
    for i in range(3):
        await create(client, organizer_headers, geometry=square(11.5 + 0.02 * i, 48.1))
    engine = engine_of(app)
    assert len(engine) >= 3
    assert engine.index.lazy_nbytes()[0] < len(engine) * 1024  # nothing has tested them
    component = app.state.resources.component(GeofenceComponent)
    warming = asyncio.create_task(component.warm_rasters())
    try:
        for _ in range(400):
            if engine.index.lazy_nbytes()[0] >= len(engine) * 1024:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the rasters were never made")
        assert engine.index.warm(16) == 0
    finally:
        warming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await warming
