"""Shared fixtures: a freshly migrated PostGIS database, per-test transactions, real Redis.

Each test runs inside a transaction that is rolled back afterwards (SQLAlchemy's "join a
session into an external transaction" recipe), so tests cannot see each other's rows.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
import pytest_asyncio
from alembic import command
from alembic.config import Config
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from redis.asyncio import Redis
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.main import create_app
from app.settings import Settings

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def admin_dsn(url: str) -> str:
    """A libpq DSN for the server's `postgres` database, from a SQLAlchemy URL."""
    u = make_url(url)
    host, port, user = u.host or "127.0.0.1", u.port or 5432, u.username or "postgres"
    return f"host={host} port={port} user={user} dbname=postgres"


def recreate_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(admin_dsn(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def alembic_config(url: str) -> Config:
    config = Config(os.path.join(ROOT, "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    return config


@pytest.fixture(scope="session")
def test_settings() -> Settings:
    return Settings(
        environment="test",
        database_url=TEST_DATABASE_URL,
        redis_url=TEST_REDIS_URL,
        log_level="WARNING",
        redis_channel_prefix=f"cyberspace-test-{uuid.uuid4().hex[:8]}",
        placement_index_poll_seconds=0.5,
        # Cheap argon2 so tests can log in often; production keeps the RFC 9106 defaults.
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
    )


@pytest.fixture(scope="session")
def migrated_database() -> Iterator[str]:
    recreate_database(TEST_DATABASE_URL)
    command.upgrade(alembic_config(TEST_DATABASE_URL), "head")
    u = make_url(TEST_DATABASE_URL)
    dsn = f"host={u.host} port={u.port} user={u.username} dbname={u.database}"
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'postgis'"
        ).fetchone()
    assert row is not None, "PostGIS must be installed in the test database"
    return TEST_DATABASE_URL


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(migrated_database: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(migrated_database, pool_size=5, max_overflow=5)
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
def session_factory(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest_asyncio.fixture(loop_scope="session")
async def session(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with session_factory() as s:
        yield s


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def redis_client(test_settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(test_settings.redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest_asyncio.fixture(loop_scope="session")
async def app(
    test_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    redis_client: Redis,
) -> AsyncIterator[FastAPI]:
    # A Redis key prefix per test, so rate limits and nonces never leak between tests.
    settings = test_settings.model_copy(
        update={"redis_channel_prefix": f"{test_settings.redis_channel_prefix}-{uuid.uuid4().hex}"}
    )
    application = create_app(settings, session_factory=session_factory, background_sync=False)
    async with LifespanManager(application):
        yield application


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c
