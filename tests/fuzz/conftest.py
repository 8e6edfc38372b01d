"""One app for the whole fuzz module: building an app per generated case (or per operation)
would cost more than the requests. It shares one rolled-back transaction, like every test."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.main import create_app
from app.settings import Settings
from tests.factories import bearer, login, make_user


@dataclass
class FuzzTarget:
    app: FastAPI
    client: AsyncClient
    headers: dict[str, str]  # a real user's bearer token (player, organizer, developer)
    user_id: uuid.UUID


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fuzz_target(engine: AsyncEngine, test_settings: Settings) -> AsyncIterator[FuzzTarget]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        factory = async_sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        settings = test_settings.model_copy(
            update={
                "redis_channel_prefix": f"{test_settings.redis_channel_prefix}-fuzz-"
                f"{uuid.uuid4().hex[:8]}",
                # Long fuzz runs (FUZZ_EXAMPLES) outlast the default 10-minute token.
                "access_token_seconds": 3600,
                # The fuzzer hammers auth endpoints from one address; the limits have their
                # own tests (tests/auth/test_rate_limit.py) and would only turn cases into 429s.
                "auth_ip_limit": 1_000_000,
                "auth_account_limit": 1_000_000,
                "login_failures_before_lockout": 1_000_000,
            }
        )
        app = create_app(settings, session_factory=factory, background_sync=False)
        async with LifespanManager(app):
            async with factory() as session:
                user = await make_user(session, roles=("player", "organizer", "developer"))
                await session.commit()
            # raise_app_exceptions=False would hide tracebacks; the test catches them instead.
            async with AsyncClient(
                transport=ASGITransport(app=app), base_url="http://test"
            ) as client:
                tokens = await login(client, user.username)
                yield FuzzTarget(
                    app=app,
                    client=client,
                    headers=bearer(tokens["access_token"]),
                    user_id=user.id,
                )
        if transaction.is_active:
            await transaction.rollback()
