"""OWASP API4 (unrestricted resource consumption): every `limit` has a cap (422 beyond),
every write route refuses bodies over MAX_REQUEST_BODY_BYTES with 413, polygons and batches
are bounded. Routes come from the app, so new ones are checked as they appear."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import login_headers, make_user
from tests.fuzz.cases import openapi_spec
from tests.fuzz.conftest import FuzzTarget
from tests.security.routes import WRITE_ROUTES, RouteKey, fill_path
from tests.security.test_object_level import ROLES, own_everything

SPEC = openapi_spec()
LIMITED = sorted(
    (path, method)
    for path, operations in SPEC["paths"].items()
    for method, operation in operations.items()
    if any(p["name"] == "limit" for p in operation.get("parameters", []))
)
# Path parameter -> the key of the object own_everything() creates.
PATH_OBJECTS = {
    "fence_id": "fence",
    "challenge_id": "challenge",
    "webhook_id": "webhook",
    "space_id": "space",
    "portal_id": "portal",
}


@pytest.fixture
async def owner(
    client: AsyncClient, session: AsyncSession
) -> tuple[dict[str, str], dict[str, str]]:
    user = await make_user(session, roles=ROLES)
    await session.commit()
    headers = await login_headers(client, user)
    return headers, await own_everything(client, headers, str(user.id))


async def test_every_limit_parameter_is_capped(
    client: AsyncClient, owner: tuple[dict[str, str], dict[str, str]]
) -> None:
    headers, ids = owner
    assert LIMITED, "no paginated routes found"
    uncapped = []
    for path, method in LIMITED:
        url = path
        for name, key in PATH_OBJECTS.items():
            url = url.replace("{" + name + "}", ids[key])
        assert "{" not in url, f"add {path}'s path parameter to PATH_OBJECTS"
        params: dict[str, Any] = {"limit": 1_000_000, "lat": 48.1371, "lng": 11.5754}
        response = await client.request(method, url, params=params, headers=headers)
        if response.status_code != 422:
            uncapped.append(f"{method.upper()} {path} limit=1e6 -> {response.status_code}")
    assert not uncapped, uncapped


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=str)
async def test_oversized_body_is_refused_on_every_write_route(
    fuzz_target: FuzzTarget, route: RouteKey
) -> None:
    client = fuzz_target.client
    cap = fuzz_target.app.state.resources.settings.max_request_body_bytes
    response = await client.request(
        route.method,
        fill_path(route.path, "00000000-0000-0000-0000-000000000000"),
        content=b"[" + b"0," * (cap // 2) + b"0]",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413, f"{route}: {response.status_code}"
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_polygons_batches_and_radii_are_bounded(
    client: AsyncClient, owner: tuple[dict[str, str], dict[str, str]]
) -> None:
    headers, _ = owner
    # A 2,500-vertex ring around Marienplatz: over the documented 2,000-vertex cap.
    import math

    ring = [
        [
            11.5754 + 0.01 * math.cos(2 * math.pi * i / 2500),
            48.1371 + 0.01 * math.sin(2 * math.pi * i / 2500),
        ]
        for i in range(2500)
    ]
    ring.append(ring[0])
    fence = await client.post(
        "/api/geofences",
        json={"name": "huge", "geometry": {"type": "Polygon", "coordinates": [ring]}},
        headers=headers,
    )
    assert fence.status_code == 422
    assert fence.json()["error"]["details"]["reason"] == "too_many_vertices"

    updates = [{"lat": 48.1371, "lng": 11.5754, "accuracy_m": 5}] * 101
    batch = await client.post("/api/locations", json={"updates": updates}, headers=headers)
    assert batch.status_code == 422, batch.text

    for url in ("/api/nearby", "/api/spaces/nearby", "/api/portals/nearby", "/api/nfts/nearby"):
        far = await client.get(
            url, params={"lat": 48.1, "lng": 11.5, "radius_m": 10_000_000}, headers=headers
        )
        assert far.status_code == 422, f"{url}: {far.status_code}"
