"""Fixtures for geofence tests: an organizer, another organizer, a player, and their headers."""

import pytest_asyncio
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.geofences.component import GeofenceComponent
from app.geofences.engine import GeofenceEngine
from app.users.models import User
from tests.factories import login_headers, make_user


@pytest_asyncio.fixture(loop_scope="session")
async def organizer(session: AsyncSession) -> User:
    return await make_user(session, roles=("player", "organizer"))


@pytest_asyncio.fixture(loop_scope="session")
async def organizer_headers(client: AsyncClient, organizer: User) -> dict[str, str]:
    return await login_headers(client, organizer)


@pytest_asyncio.fixture(loop_scope="session")
async def other_headers(client: AsyncClient, session: AsyncSession) -> dict[str, str]:
    return await login_headers(client, await make_user(session, roles=("organizer",)))


@pytest_asyncio.fixture(loop_scope="session")
async def player_headers(client: AsyncClient, session: AsyncSession) -> dict[str, str]:
    return await login_headers(client, await make_user(session))


@pytest_asyncio.fixture(loop_scope="session")
async def admin_headers(client: AsyncClient, session: AsyncSession) -> dict[str, str]:
    return await login_headers(client, await make_user(session, roles=("admin",)))


def engine_of(app: FastAPI) -> GeofenceEngine:
    return app.state.resources.component(GeofenceComponent).engine  # type: ignore[no-any-return]
