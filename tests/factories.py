"""Small factories for accounts and tokens: rows are flushed into the test's transaction."""

import uuid
from collections.abc import Sequence

from argon2 import PasswordHasher
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.users.models import User

PASSWORD = "correct horse battery staple"
# The same cheap parameters as test_settings, so logins do not rehash.
_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_hash = _hasher.hash(PASSWORD)


async def make_user(
    session: AsyncSession,
    *,
    username: str | None = None,
    roles: Sequence[str] = ("player",),
    password: str = PASSWORD,
) -> User:
    name = username or f"user_{uuid.uuid4().hex[:10]}"
    user = User(
        id=uuid.uuid4(),
        username=name,
        email=f"{name.lower()}@example.com",
        password_hash=_hash if password == PASSWORD else _hasher.hash(password),
        roles=list(roles),
        is_active=True,
    )
    session.add(user)
    await session.flush()
    return user


async def login(
    client: AsyncClient,
    username: str,
    password: str = PASSWORD,
    *,
    device: str = "web",
    device_label: str | None = None,
) -> dict[str, str]:
    """Password grant; returns the token response body (asserts success)."""
    form = {"grant_type": "password", "username": username, "password": password, "device": device}
    if device_label:
        form["device_label"] = device_label
    response = await client.post("/api/auth/token", data=form)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login_headers(client: AsyncClient, user: User) -> dict[str, str]:
    return bearer((await login(client, user.username))["access_token"])


def client_from(app: FastAPI, ip: str) -> AsyncClient:
    """A client whose requests come from `ip` (rate limits and lockouts key on it)."""
    return AsyncClient(transport=ASGITransport(app=app, client=(ip, 40000)), base_url="http://test")
