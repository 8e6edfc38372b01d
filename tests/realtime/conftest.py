"""A real uvicorn server (REST + Socket.IO) on a random port, in the test's event loop, with
committed data in the test database; and python-socketio clients that record what they get."""

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
import socketio
import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.realtime.asgi import with_socketio
from app.realtime.component import RealtimeComponent
from app.resources import Resources
from app.settings import Settings
from app.users.models import User
from tests.factories import make_user

MUNICH = (48.1371, 11.5754)


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    settings: Settings

    @property
    def resources(self) -> Resources:
        resources: Resources = self.app.state.resources
        return resources

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.resources.session_factory

    async def user(self, **kwargs: Any) -> User:
        async with self.sessions() as session:
            user = await make_user(session, **kwargs)
            await session.commit()
            return user

    def token(self, user: User, device: uuid.UUID | None = None) -> str:
        token, _ = self.resources.auth.tokens.issue_user_token(
            user_id=user.id, session_id=device or uuid.uuid4()
        )
        return token


@dataclass
class Player:
    """A Socket.IO client that records every event it receives."""

    client: socketio.AsyncClient
    user: User | None = None
    events: list[tuple[str, Any]] = field(default_factory=list)

    def of(self, name: str) -> list[Any]:
        return [data for event, data in self.events if event == name]

    async def wait_for(
        self, name: str, where: Callable[[Any], bool] = lambda _: True, within: float = 10.0
    ) -> Any:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for data in self.of(name):
                if where(data):
                    return data
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {name} event matching; got {self.events!r}")

    async def call(self, event: str, data: Any) -> Any:
        return await self.client.call(event, data, timeout=10)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.disconnect()


async def connect(url: str, token: str | None, *, user: User | None = None) -> Player:
    client = socketio.AsyncClient(reconnection=False)
    player = Player(client, user)

    @client.on("*")
    async def record(event: str, data: Any = None) -> None:
        player.events.append((event, data))

    refusals: list[Any] = []

    @client.on("connect_error")
    async def refused(data: Any = None) -> None:
        refusals.append(data)

    auth = None if token is None else {"token": token}
    try:
        await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    except socketio.exceptions.ConnectionError as exc:
        raise Refused(refusals[0] if refusals else None) from exc
    return player


class Refused(Exception):
    """The server refused the connection; `data` is the connect_error payload."""

    def __init__(self, data: Any) -> None:
        super().__init__(repr(data))
        self.data = data


class Fixes:
    """Plausible timestamps for a sequence of location updates: one step = 30 s, starting
    half an hour ago, so test walks never look like teleports or stale fixes."""

    def __init__(self) -> None:
        self.t = time.time() - 1800

    def at(self, lat: float, lng: float) -> dict[str, float]:
        self.t += 30
        return {"lat": lat, "lng": lng, "accuracy_m": 5.0, "timestamp": self.t}


async def start_server(
    settings: Settings,
) -> tuple[uvicorn.Server, asyncio.Task[None], FastAPI, str]:
    app = create_app(settings, background_sync=False)
    config = uvicorn.Config(
        with_socketio(app),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        # Don't wait forever for a client that did not hang up.
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, app, f"http://127.0.0.1:{port}"


@pytest_asyncio.fixture
async def live(
    test_settings: Settings, migrated_database: str, redis_client: Redis
) -> AsyncIterator[LiveServer]:
    prefix = f"{test_settings.redis_channel_prefix}-rt-{uuid.uuid4().hex[:8]}"
    settings = test_settings.model_copy(update={"redis_channel_prefix": prefix})
    server, task, app, url = await start_server(settings)
    resources: Resources = app.state.resources
    # Only this feature's background work (and the placement index follower): the other
    # features' loops are theirs to test.
    jobs = [
        asyncio.create_task(coro) for coro in resources.component(RealtimeComponent).background()
    ]
    jobs.append(asyncio.create_task(resources.placement_sync.run()))
    try:
        yield LiveServer(url=url, app=app, settings=settings)
    finally:
        for job in jobs:
            job.cancel()
        _, stuck = await asyncio.wait(jobs, timeout=10)
        for job in stuck:
            job.print_stack(limit=10)
        assert not stuck, "background jobs ignored cancellation"
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=30)
        except TimeoutError:
            for t in asyncio.all_tasks():
                t.print_stack(limit=8)
            raise
