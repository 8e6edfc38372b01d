"""Organizer webhooks per geofence: registration (SSRF-checked), the outbox, delivery.

At least once: a delivery row is written in the same transaction as the event it carries
(the outbox), so a committed event always gets delivered, and a crash between sending and
recording the result only means the receiver sees it again, with the same Idempotency-Key
(the event id) to drop the repeat. Workers lease due rows with FOR UPDATE SKIP LOCKED, so
several processes never send the same attempt concurrently.
"""

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from prometheus_client import Counter
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden, NotFound
from app.geofences.component import GeofenceComponent
from app.locations.events import GeoEvent
from app.resources import Resources
from app.settings import Settings
from app.users.models import User
from app.webhooks.models import Webhook, WebhookDelivery
from app.webhooks.schemas import WebhookIn
from app.webhooks.signing import SIGNATURE_HEADER, new_secret, sign
from app.webhooks.ssrf import RefusedTarget, resolve_target

log = logging.getLogger("cyberspace.webhooks")

WEBHOOK_DELIVERIES = Counter(
    "cyberspace_webhook_deliveries_total",
    "Webhook delivery attempts by outcome (delivered, retry, failed, refused)",
    ["outcome"],
)


# --- registration -----------------------------------------------------------------------


def _owned_fence(resources: Resources, user: User, fence_id: uuid.UUID) -> None:
    info = resources.component(GeofenceComponent).engine.get(fence_id)
    if info is None:
        raise NotFound("No such geofence")
    if info.owner_id != user.id and not user.is_admin:
        raise Forbidden("This geofence belongs to another user", details={"kind": "geofence"})


async def create_webhook(
    *, resources: Resources, session: AsyncSession, user: User, fence_id: uuid.UUID, body: WebhookIn
) -> tuple[Webhook, str]:
    _owned_fence(resources, user, fence_id)
    await resolve_target(body.url, allow_private=resources.settings.webhook_allow_private_targets)
    secret = body.secret or new_secret()
    hook = Webhook(
        id=uuid.uuid4(),
        owner_id=user.id,
        fence_id=fence_id,
        url=body.url,
        secret=secret,
        event_types=list(dict.fromkeys(body.event_types)),
        active=True,
    )
    session.add(hook)
    await session.commit()
    await session.refresh(hook)
    return hook, secret


async def list_webhooks(
    *, resources: Resources, session: AsyncSession, user: User, fence_id: uuid.UUID
) -> list[Webhook]:
    _owned_fence(resources, user, fence_id)
    rows = await session.scalars(
        select(Webhook).where(Webhook.fence_id == fence_id).order_by(Webhook.created_at)
    )
    return list(rows)


async def _owned_webhook(session: AsyncSession, user: User, webhook_id: uuid.UUID) -> Webhook:
    hook = await session.get(Webhook, webhook_id)
    # Webhooks are private: someone else's is a 404, exactly like a missing one.
    if hook is None or (hook.owner_id != user.id and not user.is_admin):
        raise NotFound("No such webhook")
    return hook


async def delete_webhook(*, session: AsyncSession, user: User, webhook_id: uuid.UUID) -> None:
    await session.delete(await _owned_webhook(session, user, webhook_id))
    await session.commit()


async def list_deliveries(
    *, session: AsyncSession, user: User, webhook_id: uuid.UUID, limit: int
) -> list[WebhookDelivery]:
    await _owned_webhook(session, user, webhook_id)
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return list(rows)


# --- the outbox -------------------------------------------------------------------------


def payload_of(event: GeoEvent) -> dict[str, Any]:
    return {
        "id": str(event.event_id),
        "type": event.type,
        "created_at": datetime.now(UTC).isoformat(),
        "data": event.data(),
    }


# --- delivery ---------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def backoff_seconds(attempts: int, settings: Settings, *, jitter: float | None = None) -> float:
    """Wait after the `attempts`-th failed attempt: base * 2**(attempts-1), capped, +-20%."""
    base = settings.webhook_backoff_base_s * 2 ** max(attempts - 1, 0)
    factor = 1 + (random.uniform(-0.2, 0.2) if jitter is None else jitter)  # noqa: S311
    return float(min(base, settings.webhook_backoff_max_s) * factor)


_LEASE = text(
    """
    UPDATE webhook_deliveries AS d
    SET next_attempt_at = :lease_until, attempts = d.attempts + 1
    FROM webhooks AS w
    WHERE w.id = d.webhook_id AND d.id IN (
        SELECT id FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= :now
        ORDER BY next_attempt_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    RETURNING d.id, d.event_id, d.event_type, d.payload, d.attempts, w.url, w.secret, w.active
    """
)


async def _send(
    client: httpx.AsyncClient, settings: Settings, row: Any, now: datetime
) -> tuple[bool, int | None, str | None]:
    """One attempt; (delivered, HTTP status, error)."""
    try:
        target = await resolve_target(row.url, allow_private=settings.webhook_allow_private_targets)
    except RefusedTarget as exc:
        WEBHOOK_DELIVERIES.labels("refused").inc()
        return False, None, exc.message
    body = orjson.dumps(row.payload)
    address = target.addresses[0]
    ip_host = f"[{address}]" if address.version == 6 else str(address)
    url = target.url._replace(netloc=f"{ip_host}:{target.port}").geturl()
    host_header = target.host if target.url.port is None else f"{target.host}:{target.port}"
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "CyberSpace-Webhooks/1",
        "Host": host_header,
        "Idempotency-Key": str(row.event_id),
        "X-CyberSpace-Event": row.event_type,
        "X-CyberSpace-Delivery": str(row.id),
        "X-CyberSpace-Attempt": str(row.attempts),
        SIGNATURE_HEADER: sign(row.secret, body, int(now.timestamp())),
    }
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    try:
        response = await client.post(url, content=body, headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        return False, None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return True, response.status_code, None
    return False, response.status_code, f"HTTP {response.status_code}"


async def deliver_pending(
    *, resources: Resources, now: datetime | None = None, limit: int | None = None
) -> DeliveryReport:
    """Send every due delivery once (tests await this; the worker loops on it)."""
    settings = resources.settings
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    lease_until = now + timedelta(seconds=settings.webhook_timeout_s * 3)
    async with resources.session_factory() as session:
        rows = list(
            await session.execute(
                _LEASE,
                {
                    "now": now,
                    "lease_until": lease_until,
                    "limit": limit or settings.webhook_batch_size,
                },
            )
        )
        await session.commit()
        if not rows:
            return report
        async with httpx.AsyncClient(
            timeout=settings.webhook_timeout_s, follow_redirects=False, trust_env=False
        ) as client:
            outcomes = await asyncio.gather(
                *(
                    _send(client, settings, r, now)
                    if r.active
                    else asyncio.sleep(0, (False, None, "webhook disabled"))
                    for r in rows
                )
            )
        for row, (ok, status_code, error) in zip(rows, outcomes, strict=True):
            delivery = await session.get(WebhookDelivery, row.id)
            if delivery is None:
                continue
            delivery.last_status_code = status_code
            delivery.last_error = error
            if ok:
                delivery.status = "delivered"
                delivery.delivered_at = datetime.now(UTC)
                report.delivered += 1
                WEBHOOK_DELIVERIES.labels("delivered").inc()
            elif row.attempts >= settings.webhook_max_attempts:
                delivery.status = "failed"
                report.failed += 1
                WEBHOOK_DELIVERIES.labels("failed").inc()
            else:
                delivery.next_attempt_at = now + timedelta(
                    seconds=backoff_seconds(row.attempts, settings)
                )
                report.retried += 1
                WEBHOOK_DELIVERIES.labels("retry").inc()
        await session.commit()
    return report
