"""OWASP API7 (server-side request forgery): webhook URLs are the only URLs the server
itself fetches. Every private, loopback, link-local or odd-scheme target is refused at
registration (422); app/webhooks re-checks the resolved address at delivery time too
(DNS rebinding), covered in tests/webhooks."""

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import login_headers, make_user
from tests.security.test_object_level import ROLES

TARGETS = [
    "http://127.0.0.1/hook",
    "http://localhost/hook",
    "http://localhost.:8000/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://10.0.0.1/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://0.0.0.0/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://017700000001/hook",
    "http://100.64.0.1/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://user:pass@127.0.0.1/hook",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "ftp://93.184.216.34/hook",
    "javascript:alert(1)",
]


@pytest.fixture
async def fence(client: AsyncClient, session: AsyncSession) -> tuple[str, dict[str, str]]:
    user = await make_user(session, roles=ROLES)
    await session.commit()
    headers = await login_headers(client, user)
    created = await client.post(
        "/api/geofences",
        json={"name": "F", "geometry": {"type": "Point", "coordinates": [11.57, 48.13]},
              "radius_m": 100},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    return created.json()["id"], headers


async def test_private_and_odd_webhook_targets_are_refused(
    client: AsyncClient, fence: tuple[str, dict[str, str]]
) -> None:
    fence_id, headers = fence
    accepted = []
    for url in TARGETS:
        response = await client.post(
            f"/api/geofences/{fence_id}/webhooks", json={"url": url}, headers=headers
        )
        if response.status_code != 422:
            accepted.append(f"{url} -> {response.status_code}")
        else:
            assert set(response.json()["error"]) == {"code", "message", "details"}
    assert not accepted, f"SSRF targets not refused: {accepted}"
    listed = await client.get(f"/api/geofences/{fence_id}/webhooks", headers=headers)
    assert listed.json()["items"] == []


async def test_a_public_address_is_accepted(
    client: AsyncClient, fence: tuple[str, dict[str, str]]
) -> None:
    fence_id, headers = fence
    response = await client.post(
        f"/api/geofences/{fence_id}/webhooks",
        json={"url": "https://93.184.216.34/hook"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
