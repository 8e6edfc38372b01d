"""`GET /api/nearby` end to end: PostGIS rows -> index -> HTTP, checked against brute force."""

import random
import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.placements.models import Placement, PlacementKind
from app.placements.queries import PlacementRow
from app.placements.schemas import NearbyPageOut
from app.placements.service import new_placement
from geo.coords import LatLng
from geo.geodesy import destination
from tests.placements.helpers import HOTSPOTS, brute_force, edge_rows, random_rows


async def store(session: AsyncSession, rows: list[PlacementRow]) -> None:
    session.add_all(
        new_placement(
            placement_id=uuid.UUID(r.id),
            kind=PlacementKind(r.kind),
            title=r.title,
            point=LatLng(r.lat, r.lng),
            altitude_m=r.altitude_m,
        )
        for r in rows
    )
    await session.flush()


async def refresh(app: FastAPI) -> None:
    await app.state.resources.placement_sync.refresh()


async def test_nearby_endpoint_matches_brute_force(
    app: FastAPI, client: AsyncClient, session: AsyncSession
) -> None:
    rng = random.Random(11)
    rows = random_rows(rng, 2500)
    for lat, lng in HOTSPOTS:
        rows += edge_rows(rng, lat, lng, 500.0, 40)
    await store(session, rows)
    assert await session.scalar(select(func.count()).select_from(Placement)) == len(rows)
    await refresh(app)

    compared = 0
    for i in range(60):
        lat0, lng0 = HOTSPOTS[i % len(HOTSPOTS)]
        p = destination(lat0, lng0, rng.uniform(0, 360), rng.uniform(0, 1500)) if i >= 5 else None
        lat, lng = (p.lat, p.lng) if p else (lat0, lng0)
        radius = rng.choice([50.0, 500.0, 1500.0, 5000.0])
        response = await client.get(
            "/api/nearby", params={"lat": lat, "lng": lng, "radius_m": radius, "limit": 200}
        )
        assert response.status_code == 200, response.text
        page = NearbyPageOut.model_validate(response.json())
        expected = brute_force(rows, lat, lng, radius)
        assert [item.id for item in page.items] == [pid for _, pid in expected[:200]]
        for item, (distance, _) in zip(page.items, expected, strict=False):
            assert item.distance_m == pytest.approx(distance, abs=5e-4)
        compared += len(page.items)
    assert compared > 1000


async def test_nearby_item_carries_what_ar_needs(
    app: FastAPI, client: AsyncClient, session: AsyncSession
) -> None:
    north = destination(48.1371, 11.5754, 0.0, 100.0)
    east = destination(48.1371, 11.5754, 90.0, 200.0)
    session.add_all(
        [
            new_placement(kind=PlacementKind.NFT, title="north", point=north, altitude_m=530.5),
            new_placement(kind=PlacementKind.SPACE, title="east", point=east),
        ]
    )
    await session.flush()
    await refresh(app)
    response = await client.get("/api/nearby", params={"lat": 48.1371, "lng": 11.5754})
    body = response.json()
    assert [i["title"] for i in body["items"]] == ["north", "east"]
    first, second = body["items"]
    assert first["kind"] == "nft"
    assert first["altitude_m"] == 530.5
    assert first["distance_m"] == pytest.approx(100.0, abs=1e-3)
    assert first["bearing_deg"] == pytest.approx(0.0, abs=1e-3) or first["bearing_deg"] > 359.999
    assert second["distance_m"] == pytest.approx(200.0, abs=1e-3)
    assert second["bearing_deg"] == pytest.approx(90.0, abs=0.01)
    assert second["altitude_m"] is None
    assert body["next_cursor"] is None
    assert body["count"] == 2

    only_spaces = await client.get(
        "/api/nearby", params={"lat": 48.1371, "lng": 11.5754, "kinds": "space,portal"}
    )
    assert [i["title"] for i in only_spaces.json()["items"]] == ["east"]


async def test_cursor_pages_through_everything(
    app: FastAPI, client: AsyncClient, session: AsyncSession
) -> None:
    rng = random.Random(5)
    rows = random_rows(rng, 300, spread_m=400.0)
    munich = [r for r in rows if abs(r.lat - 48.1371) < 1]
    await store(session, rows)
    await refresh(app)
    params = {"lat": 48.1371, "lng": 11.5754, "radius_m": 1000, "limit": 7}
    ids: list[str] = []
    cursor = None
    for _ in range(100):
        response = await client.get(
            "/api/nearby", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        body = response.json()
        ids += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert ids == [pid for _, pid in brute_force(munich, 48.1371, 11.5754, 1000)]
    # A cursor only continues the query it came from.
    first = (await client.get("/api/nearby", params=params)).json()["next_cursor"]
    other = await client.get("/api/nearby", params={**params, "radius_m": 999, "cursor": first})
    assert other.status_code == 422
    assert other.json()["error"]["details"]["field"] == "cursor"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 91, "lng": 11}, "lat"),
        ({"lat": -90.0001, "lng": 11}, "lat"),
        ({"lat": "nan", "lng": 11}, "lat"),
        ({"lat": 48, "lng": "inf"}, "lng"),
        ({"lat": 48, "lng": 180.5}, "lng"),
        ({"lat": "north", "lng": 11}, "lat"),
        ({"lng": 11}, "lat"),
        ({"lat": 48, "lng": 11, "radius_m": 0}, "radius_m"),
        ({"lat": 48, "lng": 11, "radius_m": -5}, "radius_m"),
        ({"lat": 48, "lng": 11, "radius_m": 50_001}, "radius_m"),
        ({"lat": 48, "lng": 11, "radius_m": 1e308}, "radius_m"),
        ({"lat": 48, "lng": 11, "radius_m": "nan"}, "radius_m"),
        ({"lat": 48, "lng": 11, "limit": 0}, "limit"),
        ({"lat": 48, "lng": 11, "limit": 201}, "limit"),
        ({"lat": 48, "lng": 11, "kinds": "dragon"}, "kinds"),
        ({"lat": 48, "lng": 11, "cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_bad_input_gets_422_with_the_error_body(
    client: AsyncClient, params: dict[str, object], field: str
) -> None:
    response = await client.get("/api/nearby", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "invalid_input"
    assert field in error["message"] or field in str(error["details"])


async def test_unknown_route_and_method_use_the_error_body(client: AsyncClient) -> None:
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = await client.post("/api/nearby")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
