"""Placement writes: a token is required, the caller owns what they place, and only the
owner (or an admin) edits or withdraws it. The nearby index follows every write."""

import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.placements.models import PlacementKind
from app.placements.schemas import NearbyPageOut, PlacementOut
from app.placements.service import new_placement
from geo.coords import LatLng
from tests.factories import login_headers, make_user

MUNICH = {"lat": 48.1371, "lng": 11.5754}
NEW = {"kind": "nft", "title": "Golden cache", **MUNICH, "altitude_m": 520.0}


async def nearby_titles(
    client: AsyncClient, lat: float = 48.1371, lng: float = 11.5754
) -> list[str]:
    response = await client.get("/api/nearby", params={"lat": lat, "lng": lng, "radius_m": 2000})
    return [item.title for item in NearbyPageOut.model_validate(response.json()).items]


async def place(client: AsyncClient, headers: dict[str, str], **changes: object) -> PlacementOut:
    response = await client.post("/api/placements", json={**NEW, **changes}, headers=headers)
    assert response.status_code == 201, response.text
    return PlacementOut.model_validate(response.json())


async def test_create_requires_a_token(client: AsyncClient) -> None:
    response = await client.post("/api/placements", json=NEW)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_create_edit_move_withdraw(client: AsyncClient, session: AsyncSession) -> None:
    owner = await make_user(session)
    headers = await login_headers(client, owner)
    created = await place(client, headers)
    assert created.owner_id == owner.id
    assert created.active
    assert created.altitude_m == 520.0
    assert (created.lat, created.lng) == (48.1371, 11.5754)
    assert await nearby_titles(client) == ["Golden cache"]

    moved = await client.patch(
        f"/api/placements/{created.id}",
        json={"title": "Moved cache", "lat": 48.15, "lng": 11.58, "altitude_m": None},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    body = PlacementOut.model_validate(moved.json())
    assert (body.title, body.lat, body.lng, body.altitude_m) == ("Moved cache", 48.15, 11.58, None)
    # The index saw the move: found from the new spot, not from the old one beyond range.
    assert await nearby_titles(client, 48.15, 11.58) == ["Moved cache"]
    assert await nearby_titles(client, 48.10, 11.50) == []

    withdrawn = await client.delete(f"/api/placements/{created.id}", headers=headers)
    assert withdrawn.status_code == 204
    assert await nearby_titles(client, 48.15, 11.58) == []
    assert (
        await client.delete(f"/api/placements/{created.id}", headers=headers)
    ).status_code == 204


async def test_someone_elses_placement_is_403_on_every_write(
    client: AsyncClient, session: AsyncSession
) -> None:
    owner, intruder = await make_user(session), await make_user(session)
    created = await place(client, await login_headers(client, owner))
    intruder_headers = await login_headers(client, intruder)
    for method, body in [("PATCH", {"title": "Mine now"}), ("PATCH", MUNICH), ("DELETE", None)]:
        response = await client.request(
            method, f"/api/placements/{created.id}", json=body, headers=intruder_headers
        )
        # Placements are public in /api/nearby, so a 404 would hide nothing: 403.
        assert response.status_code == 403, (method, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    assert await nearby_titles(client) == ["Golden cache"]


async def test_admins_may_edit_anyones_placement(
    client: AsyncClient, session: AsyncSession
) -> None:
    owner = await make_user(session)
    admin = await make_user(session, roles=["player", "admin"])
    created = await place(client, await login_headers(client, owner))
    response = await client.patch(
        f"/api/placements/{created.id}",
        json={"title": "Moderated"},
        headers=await login_headers(client, admin),
    )
    assert response.status_code == 200
    assert response.json()["owner_id"] == str(owner.id)


async def test_legacy_placements_without_owner_are_admin_only(
    app: FastAPI, client: AsyncClient, session: AsyncSession
) -> None:
    legacy = new_placement(kind=PlacementKind.MARKER, title="Old", point=LatLng(48.1, 11.5))
    session.add(legacy)
    await session.flush()
    player = await make_user(session)
    admin = await make_user(session, roles=["admin"])
    path = f"/api/placements/{legacy.id}"
    assert (
        await client.delete(path, headers=await login_headers(client, player))
    ).status_code == 403
    assert (
        await client.delete(path, headers=await login_headers(client, admin))
    ).status_code == 204


async def test_unknown_placement_is_404(client: AsyncClient, session: AsyncSession) -> None:
    headers = await login_headers(client, await make_user(session))
    response = await client.patch(
        f"/api/placements/{uuid.uuid4()}", json={"title": "x"}, headers=headers
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW, "lat": 91}, "lat"),
        ({**NEW, "lng": -180.5}, "lng"),
        ({**NEW, "kind": "dragon"}, "kind"),
        ({**NEW, "title": "  "}, "title"),
        ({**NEW, "altitude_m": 1e9}, "altitude_m"),
        ({**NEW, "owner_id": str(uuid.uuid4())}, "owner_id"),
        ({"kind": "nft", "title": "x", "lat": 48.0}, "lng"),
    ],
)
async def test_bad_create_input_is_422(
    client: AsyncClient, session: AsyncSession, body: dict[str, object], field: str
) -> None:
    headers = await login_headers(client, await make_user(session))
    response = await client.post("/api/placements", json=body, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"lat": 48.0},
        {"title": None},
        {"owner_id": str(uuid.uuid4())},
        {"active": True},
        {"kind": "space"},
    ],
)
async def test_bad_patch_input_is_422(
    client: AsyncClient, session: AsyncSession, body: dict[str, object]
) -> None:
    headers = await login_headers(client, await make_user(session))
    created = await place(client, headers)
    response = await client.patch(f"/api/placements/{created.id}", json=body, headers=headers)
    assert response.status_code == 422, response.text
