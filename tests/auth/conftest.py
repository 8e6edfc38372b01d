"""Fixtures for auth tests: an app built with settings overrides (tight limits, short
lifetimes), sharing the test's rolled-back transaction."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.settings import Settings

AppFactory = Callable[..., AbstractAsyncContextManager[FastAPI]]


@pytest.fixture
def app_with(
    test_settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AppFactory:
    """`async with app_with(auth_ip_limit=3) as app:` -- a fresh app and Redis prefix."""

    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[FastAPI]:
        prefix = f"{test_settings.redis_channel_prefix}-{uuid.uuid4().hex}"
        settings = Settings(
            **{**test_settings.model_dump(), "redis_channel_prefix": prefix, **overrides}
        )
        application = create_app(settings, session_factory=session_factory, background_sync=False)
        async with LifespanManager(application):
            yield application

    return build
