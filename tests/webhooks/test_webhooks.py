"""Webhooks: signing, SSRF refusal, delivery to a real local receiver, retries."""

import ipaddress
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from httpx import AsyncClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.users.models import User
from app.webhooks.component import WebhookComponent
from app.webhooks.models import Webhook, WebhookDelivery
from app.webhooks.service import backoff_seconds
from app.webhooks.signing import SIGNATURE_HEADER, sign, verify
from app.webhooks.ssrf import is_public
from tests.locations.fixtures import AppFactory, headers_for, ts
from tests.locations.helpers import create_fence, offset, square


@dataclass
class Receiver:
    url: str
    fail_first: int = 0
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        if len(self.requests) <= self.fail_first:
            return web.Response(status=503, text="busy")
        return web.Response(status=204)


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    """A real HTTP server on a random loopback port."""
    app = web.Application()
    rec = Receiver(url="")
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    rec.url = f"http://127.0.0.1:{port}/hook"
    yield rec
    await runner.cleanup()


def test_signature_roundtrip_and_tamper() -> None:
    body = b'{"a": 1}'
    header = sign("s3cret-s3cret-s3cret", body, 1_800_000_000)
    assert verify("s3cret-s3cret-s3cret", body, header, tolerance_s=300, now=1_800_000_100)
    assert not verify(
        "s3cret-s3cret-s3cret", b'{"a": 2}', header, tolerance_s=300, now=1_800_000_100
    )
    assert not verify("other-secret-value!!", body, header, tolerance_s=300, now=1_800_000_100)
    # Replayed later than the tolerance.
    assert not verify("s3cret-s3cret-s3cret", body, header, tolerance_s=300, now=1_800_001_000)
    assert not verify("s3cret-s3cret-s3cret", body, "garbage", tolerance_s=300)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_address_classes(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_backoff_grows_and_is_capped(test_settings: Any) -> None:
    s = test_settings.model_copy(update={"webhook_backoff_base_s": 5, "webhook_backoff_max_s": 60})
    assert [backoff_seconds(n, s, jitter=0) for n in (1, 2, 3, 4, 5, 6)] == [5, 10, 20, 40, 60, 60]


async def _fence(client: AsyncClient, org: dict[str, str]) -> str:
    return await create_fence(client, org, square(0, 0, 100), name="Gate")


async def _enter(client: AsyncClient, me: dict[str, str]) -> str:
    lat, lng = offset(0, 0)
    response = await client.post(
        "/api/locations",
        json={"lat": lat, "lng": lng, "accuracy_m": 5, "timestamp": ts(10)},
        headers=me,
    )
    [event] = response.json()["results"][0]["events"]
    event_id: str = event["event_id"]
    return event_id


async def test_private_targets_are_refused(
    app_factory: AppFactory, organizer: User, player: User, receiver: Receiver
) -> None:
    async with app_factory() as (_, client):
        org = await headers_for(client, organizer)
        fence_id = await _fence(client, org)
        for url in (
            receiver.url,
            "http://localhost/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.7/hook",
            "http://[::1]/hook",
            "ftp://example.com/hook",
            "http://user:pw@8.8.8.8/hook",
        ):
            response = await client.post(
                f"/api/geofences/{fence_id}/webhooks", json={"url": url}, headers=org
            )
            assert response.status_code == 422, url
            assert response.json()["error"]["code"] == "webhook_target_refused"
        # Only the fence's owner registers webhooks.
        me = await headers_for(client, player)
        response = await client.post(
            f"/api/geofences/{fence_id}/webhooks", json={"url": "http://8.8.8.8/x"}, headers=me
        )
        assert response.status_code == 403


async def test_signed_delivery_with_retry_after_failure(
    app_factory: AppFactory, organizer: User, player: User, receiver: Receiver
) -> None:
    receiver.fail_first = 1
    async with app_factory(webhook_allow_private_targets=True) as (app, client):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fence_id = await _fence(client, org)
        created = await client.post(
            f"/api/geofences/{fence_id}/webhooks",
            json={"url": receiver.url, "event_types": ["geofence_enter"]},
            headers=org,
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        hook_id = created.json()["id"]
        listed = await client.get(f"/api/geofences/{fence_id}/webhooks", headers=org)
        assert "secret" not in listed.json()["items"][0]

        event_id = await _enter(client, me)
        worker = app.state.resources.component(WebhookComponent)
        first = await worker.deliver_pending()
        assert (first.delivered, first.retried) == (0, 1)
        # Not due again until the backoff has passed.
        assert (await worker.deliver_pending()).retried == 0
        later = datetime.now(UTC) + timedelta(hours=1)
        second = await worker.deliver_pending(now=later)
        assert second.delivered == 1
        assert (await worker.deliver_pending(now=later + timedelta(hours=1))).delivered == 0

        assert len(receiver.requests) == 2
        for headers, body in receiver.requests:
            assert headers["Idempotency-Key"] == event_id
            assert headers["X-CyberSpace-Event"] == "geofence_enter"
            signature = headers[SIGNATURE_HEADER]
            signed_at = int(signature.split(",")[0][2:])
            assert verify(secret, body, signature, tolerance_s=300, now=signed_at)
            payload = json.loads(body)
            assert payload["id"] == event_id
            assert payload["data"]["fence_id"] == fence_id
            assert payload["data"]["user_id"] == str(player.id)
        assert [h["X-CyberSpace-Attempt"] for h, _ in receiver.requests] == ["1", "2"]

        deliveries = (await client.get(f"/api/webhooks/{hook_id}/deliveries", headers=org)).json()
        [delivery] = deliveries["items"]
        assert delivery["status"] == "delivered"
        assert delivery["attempts"] == 2
        # Someone else's webhook does not exist for them.
        other = await client.get(f"/api/webhooks/{hook_id}/deliveries", headers=me)
        assert other.status_code == 404


async def test_gives_up_after_max_attempts_and_rechecks_targets(
    app_factory: AppFactory, organizer: User, player: User, receiver: Receiver
) -> None:
    receiver.fail_first = 100
    async with app_factory(webhook_allow_private_targets=True, webhook_max_attempts=2) as (
        app,
        client,
    ):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fence_id = await _fence(client, org)
        await client.post(
            f"/api/geofences/{fence_id}/webhooks", json={"url": receiver.url}, headers=org
        )
        await _enter(client, me)
        worker = app.state.resources.component(WebhookComponent)
        assert (await worker.deliver_pending()).retried == 1
        later = datetime.now(UTC) + timedelta(days=1)
        assert (await worker.deliver_pending(now=later)).failed == 1
        assert (await worker.deliver_pending(now=later + timedelta(days=1))).failed == 0
        assert len(receiver.requests) == 2

    # A webhook registered while loopback was allowed is still refused at delivery time
    # once the setting is off (checked again before every attempt).
    receiver.requests.clear()
    async with app_factory(webhook_allow_private_targets=False) as (app, client):
        me = await headers_for(client, player)
        lat, lng = offset(300, 0)
        await client.post(
            "/api/locations",
            json={"lat": lat, "lng": lng, "accuracy_m": 5, "timestamp": ts(5)},
            headers=me,
        )
        worker = app.state.resources.component(WebhookComponent)
        report = await worker.deliver_pending()
        assert report.retried == 1  # the exit event, refused
        assert receiver.requests == []


async def test_each_hook_gets_the_event_types_it_asked_for(
    app_factory: AppFactory,
    organizer: User,
    player: User,
    receiver: Receiver,
    session: AsyncSession,
) -> None:
    """An enter and an exit decided in one request: each active hook on the fence gets a
    delivery for the types it subscribed to, an inactive one none, and the fence's log has
    both events in the order they happened."""
    async with app_factory(webhook_allow_private_targets=True) as (_, client):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fence_id = await _fence(client, org)
        hooks = {}
        for name, types in [
            ("enter", ["geofence_enter"]),
            ("exit", ["geofence_exit"]),
            ("both", ["geofence_enter", "geofence_exit"]),
            ("paused", ["geofence_enter", "geofence_exit"]),
        ]:
            created = await client.post(
                f"/api/geofences/{fence_id}/webhooks",
                json={"url": receiver.url, "event_types": types},
                headers=org,
            )
            assert created.status_code == 201, created.text
            hooks[name] = created.json()["id"]
        await session.execute(
            update(Webhook).where(Webhook.id == hooks["paused"]).values(active=False)
        )

        fixes = [(300, 180), (0, 120), (300, 60)]  # outside, inside, outside again
        response = await client.post(
            "/api/locations",
            json={
                "updates": [
                    {"lat": offset(e, 0)[0], "lng": offset(e, 0)[1], "accuracy_m": 5,
                     "timestamp": ts(ago)}
                    for e, ago in fixes
                ]
            },
            headers=me,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        decided = [ev for r in response.json()["results"] for ev in r["events"]]
        assert [ev["type"] for ev in decided] == ["geofence_enter", "geofence_exit"]
        ids = {ev["type"]: ev["event_id"] for ev in decided}

        rows = await session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.event_type, WebhookDelivery.event_id)
        )
        got = {(str(w), t, str(e)) for w, t, e in rows}
        assert got == {
            (hooks["enter"], "geofence_enter", ids["geofence_enter"]),
            (hooks["exit"], "geofence_exit", ids["geofence_exit"]),
            (hooks["both"], "geofence_enter", ids["geofence_enter"]),
            (hooks["both"], "geofence_exit", ids["geofence_exit"]),
        }
        log = (await client.get(f"/api/geofences/{fence_id}/events", headers=org)).json()
        # Newest first.
        assert [e["type"] for e in log["items"]] == ["geofence_exit", "geofence_enter"]
