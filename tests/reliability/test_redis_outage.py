"""Redis stopped mid-run (our own redis-server, never the shared one): readiness says 503,
REST keeps serving — nearby from memory, authenticated reads, writes, location updates whose
geofence events land in PostgreSQL's durable log — and everything recovers when a fresh
Redis comes back, without restarting the app."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.events import RealtimeEvent, events_stream, publish
from app.core.outbox import relay_outbox
from app.main import create_app
from app.settings import Settings
from tests.factories import login_headers, make_user
from tests.reliability.faults import RedisServer

HERE = {"lat": 48.1371, "lng": 11.5754}
CIRCLE = {"type": "Point", "coordinates": [HERE["lng"], HERE["lat"]]}


@pytest_asyncio.fixture(loop_scope="session")
async def outage_app(
    test_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    redis_server: RedisServer,
) -> AsyncIterator[FastAPI]:
    settings = test_settings.model_copy(
        update={
            "redis_url": redis_server.url,
            "redis_channel_prefix": f"cyberspace-outage-{uuid.uuid4().hex[:8]}",
        }
    )
    app = create_app(settings, session_factory=session_factory, background_sync=False)
    async with LifespanManager(app):
        yield app


async def _ready(client: AsyncClient, *, want: int, attempts: int = 100) -> dict[str, str]:
    """Poll /readyz until it answers `want` (bounded attempts; no timing is asserted)."""
    body: dict[str, str] = {}
    for _ in range(attempts):
        response = await client.get("/readyz")
        payload = response.json()
        body = payload.get("checks") or payload["error"]["details"]["checks"]
        if response.status_code == want:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"/readyz never answered {want}: {body}")


async def test_rest_keeps_serving_while_redis_is_down_and_recovers(
    outage_app: FastAPI, session: AsyncSession, redis_server: RedisServer
) -> None:
    owner = await make_user(session, roles=("player", "organizer"))
    player = await make_user(session)
    await session.commit()
    async with AsyncClient(transport=ASGITransport(app=outage_app), base_url="http://t") as client:
        owner_h = await login_headers(client, owner)
        player_h = await login_headers(client, player)
        placed = await client.post(
            "/api/placements", json={"kind": "marker", "title": "Before", **HERE}, headers=owner_h
        )
        assert placed.status_code == 201, placed.text
        fence = await client.post(
            "/api/geofences",
            json={"name": "Plaza", "geometry": CIRCLE, "radius_m": 200},
            headers=owner_h,
        )
        assert fence.status_code == 201, fence.text
        fence_id = fence.json()["id"]
        assert (await _ready(client, want=200))["redis"] == "ok"

        redis_server.stop()  # ---------------------------------------------- Redis is gone
        checks = await _ready(client, want=503)
        assert checks["redis"] != "ok"
        assert checks["database"] == "ok"

        nearby = await client.get("/api/nearby", params={**HERE, "radius_m": 100})
        assert nearby.status_code == 200
        assert "Before" in {item["title"] for item in nearby.json()["items"]}
        me = await client.get("/api/users/me", headers=player_h)
        assert me.status_code == 200, me.text
        during = await client.post(
            "/api/placements", json={"kind": "marker", "title": "During", **HERE}, headers=owner_h
        )
        assert during.status_code == 201, during.text
        nearby = await client.get("/api/nearby", params={**HERE, "radius_m": 100})
        assert {"Before", "During"} <= {item["title"] for item in nearby.json()["items"]}
        entered = await client.post(
            "/api/locations", json={**HERE, "accuracy_m": 5}, headers=player_h
        )
        assert entered.status_code == 200, entered.text
        result = entered.json()["results"][0]
        assert result["accepted"], result
        assert [e["type"] for e in result["events"]] == ["geofence_enter"]
        # The durable log has the event although it could not be published.
        log = await client.get(f"/api/geofences/{fence_id}/events", headers=owner_h)
        assert log.status_code == 200
        assert [e["type"] for e in log.json()["items"]] == ["geofence_enter"]
        assert log.json()["items"][0]["event_id"] == result["events"][0]["event_id"]

        redis_server.start()  # ------------------------------------ a fresh, empty Redis
        checks = await _ready(client, want=200)
        assert checks == {"database": "ok", "redis": "ok", "placement_index": "ok"}
        resources = outage_app.state.resources
        # The enter event parked in the outbox during the outage reaches the stream now.
        prefix = resources.settings.redis_channel_prefix
        async with resources.session_factory() as outbox_session:
            relayed = await relay_outbox(
                redis=resources.redis, prefix=prefix, session=outbox_session
            )
        assert relayed >= 1
        streamed = [
            RealtimeEvent.decode(fields[b"event"])
            for _, fields in await resources.redis.xrange(events_stream(prefix))
        ]
        assert result["events"][0]["event_id"] in {e.data.get("event_id") for e in streamed}
        await publish(
            resources.redis,
            resources.settings.redis_channel_prefix,
            RealtimeEvent(type="_probe", data={"after": "outage"}),
        )
        after = await client.post(
            "/api/placements", json={"kind": "marker", "title": "After", **HERE}, headers=owner_h
        )
        assert after.status_code == 201
        # Logins use Redis (rate limits) again.
        assert (await login_headers(client, player))["Authorization"].startswith("Bearer ")
