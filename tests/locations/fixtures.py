"""Fixtures shared by tests/locations, tests/challenges and tests/webhooks (each conftest
imports them): accounts, and apps built with setting overrides."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.events import RealtimeEvent, events_stream
from app.main import create_app
from app.settings import Settings
from app.users.models import User
from tests.factories import login_headers, make_user

AppFactory = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, AsyncClient]]]


@pytest.fixture
def app_factory(
    test_settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AppFactory:
    """`async with app_factory(**setting_overrides) as (app, client)`: a whole app on the
    test's transaction. Apps built with the same `prefix` share Redis keys (a restart)."""

    @asynccontextmanager
    async def build(
        prefix: str | None = None, **overrides: Any
    ) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
        settings = test_settings.model_copy(
            update={
                "redis_channel_prefix": prefix
                or f"{test_settings.redis_channel_prefix}-{uuid.uuid4().hex}",
                **overrides,
            }
        )
        app = create_app(settings, session_factory=session_factory, background_sync=False)
        async with (
            LifespanManager(app),
            AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client,
        ):
            yield app, client

    return build


@pytest_asyncio.fixture(loop_scope="session")
async def organizer(session: AsyncSession) -> User:
    return await make_user(session, roles=("player", "organizer"))


@pytest_asyncio.fixture(loop_scope="session")
async def player(session: AsyncSession) -> User:
    return await make_user(session)


async def headers_for(client: AsyncClient, user: User) -> dict[str, str]:
    return await login_headers(client, user)


async def stream_events(
    redis: Redis, app: FastAPI, type_: str | None = None
) -> list[RealtimeEvent]:
    prefix = app.state.resources.settings.redis_channel_prefix
    entries = await redis.xrange(events_stream(prefix))
    events = [RealtimeEvent.decode(fields[b"event"]) for _, fields in entries]
    return [e for e in events if type_ is None or e.type == type_]


def ts(seconds_ago: float) -> str:
    return datetime.fromtimestamp(datetime.now(UTC).timestamp() - seconds_ago, tz=UTC).isoformat()
