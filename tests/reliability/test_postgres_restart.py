"""PostgreSQL "restarted" under a running app: a TCP proxy we control sits between the app's
own connection pool and the shared server, drops every connection and refuses new ones,
then accepts again. Readiness goes 503 while the database is away (nearby keeps answering
from memory) and comes back by itself: same process, same pool, no restart."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.engine import make_url

from app.main import create_app
from app.settings import Settings
from tests.reliability.faults import TcpProxy

HERE = {"lat": 48.1371, "lng": 11.5754}


@pytest_asyncio.fixture(loop_scope="session")
async def proxy(migrated_database: str) -> AsyncIterator[TcpProxy]:
    url = make_url(migrated_database)
    tcp = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await tcp.start()
    yield tcp
    await tcp.close()


@pytest_asyncio.fixture(loop_scope="session")
async def proxied_app(
    test_settings: Settings, migrated_database: str, proxy: TcpProxy
) -> AsyncIterator[FastAPI]:
    url = make_url(migrated_database).set(host="127.0.0.1", port=proxy.port)
    settings = test_settings.model_copy(
        update={
            # The app's own engine and pool (not the test's rolled-back transaction): this
            # is about real connections dying.
            "database_url": url.render_as_string(hide_password=False),
            "db_pool_size": 2,
            "redis_channel_prefix": f"cyberspace-pgrestart-{uuid.uuid4().hex[:8]}",
        }
    )
    app = create_app(settings, background_sync=False)
    async with LifespanManager(app):
        yield app


async def _ready(client: AsyncClient, *, want: int, attempts: int = 200) -> dict[str, str]:
    body: dict[str, str] = {}
    for _ in range(attempts):
        response = await client.get("/readyz")
        payload = response.json()
        body = payload.get("checks") or payload["error"]["details"]["checks"]
        if response.status_code == want:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"/readyz never answered {want}: {body}")


async def test_readiness_follows_the_database_and_recovers_without_restart(
    proxied_app: FastAPI, proxy: TcpProxy, migrated_database: str
) -> None:
    username = f"pg_{uuid.uuid4().hex[:10]}"
    try:
        async with AsyncClient(
            # Starlette re-raises after answering 500; see the answer, as a client would.
            transport=ASGITransport(
                app=proxied_app, client=("10.9.0.1", 1), raise_app_exceptions=False
            ),
            base_url="http://t",
        ) as client:
            assert (await _ready(client, want=200))["database"] == "ok"
            nearby_before = await client.get("/api/nearby", params=HERE)
            assert nearby_before.status_code == 200
            used = proxy.connections

            await proxy.cut()  # ------------------------------- PostgreSQL goes away
            checks = await _ready(client, want=503)
            assert checks["database"] != "ok"
            assert checks["redis"] == "ok"
            # Reads from memory still answer, identically.
            nearby = await client.get("/api/nearby", params=HERE)
            assert nearby.status_code == 200
            assert nearby.json() == nearby_before.json()
            # A request that needs the database fails cleanly: a 5xx in the error shape,
            # never a hang. (It is a 500 today; a 503 + Retry-After would be kinder, see
            # docs/RELIABILITY.md.)
            down = await client.post(
                "/api/auth/register",
                json={"username": username, "email": f"{username}@example.com",
                      "password": "a long passphrase"},
            )  # fmt: skip
            assert down.status_code >= 500
            assert set(down.json()["error"]) == {"code", "message", "details"}

            await proxy.restore()  # ---------------------------------- it is back
            assert await _ready(client, want=200) == {
                "database": "ok",
                "redis": "ok",
                "placement_index": "ok",
            }
            registered = await client.post(
                "/api/auth/register",
                json={"username": username, "email": f"{username}@example.com",
                      "password": "a long passphrase"},
            )  # fmt: skip
            assert registered.status_code == 201, registered.text
            assert proxy.connections > used, "the pool reconnected through the proxy"
    finally:
        url = make_url(migrated_database)
        dsn = f"host={url.host} port={url.port} user={url.username} dbname={url.database}"
        with psycopg.connect(dsn) as conn:
            conn.execute("DELETE FROM users WHERE username = %s", (username,))
