"""The first events after a fresh Redis reach sockets on every process.

Two service instances (in-process uvicorn servers) on one private redis-server: A runs the
event-stream consumer, B only holds the client's socket, so everything B's socket gets
travels over pub/sub from A (the stream consumer's emit channel, app/realtime/emit_bus.py;
chat and presence over python-socketio's). Redis is killed and a new, empty one
started; the very first event published afterwards must reach the socket on B.

With python-socketio's stock Redis manager this failed: its listener sleeps 1, 2, 4, ... s
between attempts (after redis-py's own retries), and measured on this box it was deaf for
1-6 s after Redis answered again (2-25 s outages), while the consumer was back sooner
and emitted into the void. Now the listener is back within ~0.5 s and the consumer holds
events for RESUBSCRIBE_GRACE_S after an outage (app/realtime/pubsub.py).

The space-access listener comes back too: a member removed over REST after the restart is
evicted from the room on B (it re-subscribes and re-checks).
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis

from app.core.events import RealtimeEvent, publish
from app.realtime.component import RealtimeComponent
from app.realtime.pubsub import ResilientRedisManager
from app.resources import Resources
from app.settings import Settings
from app.spaces.models import SpaceMember
from tests.factories import bearer, login_headers, make_user
from tests.realtime.conftest import connect, start_server
from tests.reliability.faults import RedisServer


@dataclass
class Instance:
    url: str
    app: FastAPI
    server: uvicorn.Server
    task: "asyncio.Task[None]"
    jobs: list["asyncio.Task[None]"]

    @property
    def resources(self) -> Resources:
        resources: Resources = self.app.state.resources
        return resources

    @property
    def component(self) -> RealtimeComponent:
        return self.resources.component(RealtimeComponent)


@pytest_asyncio.fixture
async def two_instances(
    test_settings: Settings, migrated_database: str, redis_server: RedisServer
) -> AsyncIterator[tuple[Instance, Instance, Settings]]:
    settings = test_settings.model_copy(
        update={
            "redis_url": redis_server.url,
            "redis_channel_prefix": f"resub-{uuid.uuid4().hex[:8]}",
            "socketio_manager": "redis",
        }
    )
    instances: list[Instance] = []
    try:
        for role in ("consumer", "holder"):
            server, task, app, url = await start_server(settings)
            instance = Instance(url, app, server, task, [])
            instances.append(instance)
            component = instance.component
            # A consumes the stream; B only listens (emits from A, space-access changes).
            coros = (
                component.background()
                if role == "consumer"
                else [component.evictions.run(), component.emits.run()]
            )
            instance.jobs.extend(asyncio.create_task(c) for c in coros)
        yield instances[0], instances[1], settings
    finally:
        for instance in instances:
            for job in instance.jobs:
                job.cancel()
            await asyncio.wait(instance.jobs, timeout=10)
            instance.server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(instance.task), timeout=30)


@pytest.mark.timeout(180)
async def test_the_first_event_after_a_fresh_redis_reaches_another_process(
    two_instances: tuple[Instance, Instance, Settings], redis_server: RedisServer
) -> None:
    a, b, settings = two_instances
    async with a.resources.session_factory() as session:
        owner, member = await make_user(session), await make_user(session)
        await session.commit()

    def token(instance: Instance, user_id: uuid.UUID) -> str:
        issued, _ = instance.resources.auth.tokens.issue_user_token(
            user_id=user_id, session_id=uuid.uuid4()
        )
        return issued

    player = await connect(b.url, token(b, member.id), user=member)
    host = await connect(a.url, token(a, owner.id), user=owner)
    manager = b.component.server.sio.manager
    assert isinstance(manager, ResilientRedisManager)
    prefix = settings.redis_channel_prefix

    async def probe(redis: Redis, n: int) -> None:
        event = RealtimeEvent("challenge_progress", {"probe": n}, user_ids=(str(member.id),))
        await publish(redis, prefix, event)

    try:
        async with httpx.AsyncClient(base_url=a.url) as http:
            r = await http.post(
                "/api/spaces/create",
                json={"user_id": str(owner.id), "space_name": "Vault", "access_type": "invite"},
                headers=bearer(token(a, owner.id)),
            )
            assert r.status_code == 201, r.text
            space_id = r.json()["space_id"]
        async with a.resources.session_factory() as session:
            session.add(SpaceMember(space_id=uuid.UUID(space_id), user_id=member.id, role="member"))
            await session.commit()
        for p in (host, player):
            ack = await p.call("join_space", {"space_id": space_id})
            assert ack["ok"] is True, ack

        before = Redis.from_url(redis_server.url)
        await probe(before, -1)
        await player.wait_for("challenge_progress", lambda d: d["probe"] == -1, within=20)
        await before.aclose()

        redis_server.stop()  # ----------------------------------------------------------
        await asyncio.sleep(4.5)  # long enough for every back-off to have grown
        redis_server.start()  # ---------------------------------------------------------
        fresh = Redis.from_url(redis_server.url)
        # The very first thing the new Redis sees: nobody has re-subscribed yet.
        await probe(fresh, 0)
        got = await player.wait_for("challenge_progress", lambda d: d["probe"] == 0, within=30)
        assert got == {"probe": 0}
        assert manager.listening.is_set()
        assert b.component.emits.subscribed.is_set()

        # Access changes are heard again on B as well. (The shared REST client's pooled
        # connections all died with Redis and each would fail its next command once:
        # app/core/redis.py has no retry. Not what this test is about, so drop them.)
        for instance in (a, b):
            await instance.resources.redis.connection_pool.disconnect()
        async with httpx.AsyncClient(base_url=a.url) as http:
            # A real login: the made-up device sessions above exist only in Redis's markers.
            headers = await login_headers(http, owner)
            r = await http.delete(f"/api/spaces/{space_id}/members/{member.id}", headers=headers)
            assert r.status_code == 204, r.text
        removed = await player.wait_for("space_removed", within=30)
        assert removed == {"space_id": space_id, "reason": "removed"}
        await fresh.aclose()
    finally:
        await player.close()
        await host.close()
