"""Geofence CRUD over HTTP: roles, ownership, validation messages, bbox pages, point queries."""

from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.geofences.schemas import GeofenceOut, GeofencePageOut
from tests.geofences.conftest import engine_of

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[11.0, 48.0], [11.01, 48.0], [11.01, 48.01], [11.0, 48.01], [11.0, 48.0]]],
}


def square(lng: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


async def create(client: AsyncClient, headers: dict[str, str], **body: Any) -> GeofenceOut:
    payload = {"name": "Old town", "geometry": SQUARE, **body}
    response = await client.post("/api/geofences", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return GeofenceOut.model_validate(response.json())


async def test_create_get_patch_put_delete(
    app: FastAPI, client: AsyncClient, organizer_headers: dict[str, str]
) -> None:
    fence = await create(
        client,
        organizer_headers,
        tags=["festival"],
        metadata={"colour": "red"},
        active_from="2026-01-01T00:00:00Z",
        active_until="2027-01-01T00:00:00Z",
        dwell_seconds=600,
    )
    assert fence.kind == "polygon"
    assert fence.version == 1
    assert fence.dwell_seconds == 600
    assert fence.geometry["type"] == "Polygon"
    assert 0.8e6 < fence.area_m2 < 0.86e6
    engine = engine_of(app)
    assert fence.id in engine.containing(48.005, 11.005)
    info = engine.get(fence.id)
    assert info is not None
    assert info.dwell_seconds == 600
    assert info.version == 1
    assert not info.is_active_at(0.0)

    got = await client.get(f"/api/geofences/{fence.id}", headers=organizer_headers)
    assert GeofenceOut.model_validate(got.json()) == fence

    patched = await client.patch(
        f"/api/geofences/{fence.id}",
        json={"name": "Moved", "geometry": square(12.0, 48.0), "dwell_seconds": None},
        headers=organizer_headers,
    )
    assert patched.status_code == 200, patched.text
    moved = GeofenceOut.model_validate(patched.json())
    assert (moved.name, moved.version, moved.dwell_seconds) == ("Moved", 2, None)
    assert moved.tags == ["festival"]
    assert moved.metadata == {"colour": "red"}
    assert fence.id not in engine.containing(48.005, 11.005)
    assert fence.id in engine.containing(48.005, 12.005)

    put = await client.put(
        f"/api/geofences/{fence.id}",
        json={
            "name": "Circle",
            "geometry": {"type": "Point", "coordinates": [13.0, 48.0]},
            "radius_m": 100,
        },
        headers=organizer_headers,
    )
    assert put.status_code == 200, put.text
    circle = GeofenceOut.model_validate(put.json())
    assert circle.kind == "circle"
    assert circle.radius_m == 100
    assert circle.version == 3
    assert circle.center is not None
    assert (circle.center.lat, circle.center.lng) == (48.0, 13.0)
    assert circle.tags == []
    assert circle.active_from is None
    assert fence.id in engine.containing(48.0, 13.0)

    grown = await client.patch(
        f"/api/geofences/{fence.id}", json={"radius_m": 300}, headers=organizer_headers
    )
    assert grown.status_code == 200
    assert grown.json()["radius_m"] == 300
    assert fence.id in engine.containing(48.0025, 13.0)  # ~278 m north

    deleted = await client.delete(f"/api/geofences/{fence.id}", headers=organizer_headers)
    assert deleted.status_code == 204
    assert engine.get(fence.id) is None
    assert fence.id not in engine.containing(48.0, 13.0)
    gone = await client.get(f"/api/geofences/{fence.id}", headers=organizer_headers)
    assert gone.status_code == 404


async def test_feature_body_and_feature_geometry(
    client: AsyncClient, organizer_headers: dict[str, str]
) -> None:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [11.5, 48.1]},
        "properties": {"name": "Stage", "radius_m": 50, "tags": ["stage"], "dwell_seconds": 60},
    }
    response = await client.post("/api/geofences", json=feature, headers=organizer_headers)
    assert response.status_code == 201, response.text
    body = GeofenceOut.model_validate(response.json())
    assert (body.name, body.kind, body.radius_m, body.tags) == ("Stage", "circle", 50, ["stage"])
    # The stored circle has the configured number of vertices, all at the radius.
    assert len(body.geometry["coordinates"][0]) == 129

    wrapped = await create(
        client, organizer_headers, geometry={"type": "Feature", "geometry": SQUARE}
    )
    assert wrapped.kind == "polygon"


async def test_roles_and_ownership(
    client: AsyncClient,
    organizer_headers: dict[str, str],
    other_headers: dict[str, str],
    player_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    refused = await client.post(
        "/api/geofences", json={"name": "x", "geometry": SQUARE}, headers=player_headers
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    anonymous = await client.post("/api/geofences", json={"name": "x", "geometry": SQUARE})
    assert anonymous.status_code == 401

    fence = await create(client, organizer_headers)
    url = f"/api/geofences/{fence.id}"
    for headers in (other_headers, player_headers):
        assert (await client.patch(url, json={"name": "mine"}, headers=headers)).status_code == 403
        assert (await client.delete(url, headers=headers)).status_code == 403
    # Anyone logged in may read it.
    assert (await client.get(url, headers=player_headers)).status_code == 200
    admin_edit = await client.patch(url, json={"name": "Renamed"}, headers=admin_headers)
    assert admin_edit.status_code == 200
    assert admin_edit.json()["name"] == "Renamed"
    missing = "/api/geofences/00000000-0000-4000-8000-000000000000"
    assert (
        await client.patch(missing, json={"name": "x"}, headers=admin_headers)
    ).status_code == 404


def ring(*points: tuple[float, float]) -> list[list[float]]:
    return [[x, y] for x, y in points]


@pytest.mark.parametrize(
    ("geometry", "extra", "reason", "words"),
    [
        (
            {
                "type": "Polygon",
                "coordinates": [ring((11, 48), (11.01, 48), (11.01, 48.01), (11, 48.01))],
            },
            {},
            "unclosed_ring",
            "not closed",
        ),
        (
            # A bow tie: edges cross at (11.005, 48.005).
            {
                "type": "Polygon",
                "coordinates": [ring((11, 48), (11.01, 48.01), (11.01, 48), (11, 48.01), (11, 48))],
            },
            {},
            "self_intersection",
            "Self-intersection",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [ring((11, 48), (11, 48.01), (11.01, 48.01), (11.01, 48), (11, 48))],
            },
            {},
            "wrong_winding",
            "counter-clockwise",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    ring((179.9, 10), (-179.9, 10), (-179.9, 10.1), (179.9, 10.1), (179.9, 10))
                ],
            },
            {},
            "antimeridian_crossing",
            "antimeridian",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [ring((11, 48), (11.000001, 48), (11.000001, 48.000001), (11, 48))],
            },
            {},
            "area_too_small",
            "area",
        ),
        (
            {"type": "Polygon", "coordinates": [ring((0, 0), (40, 0), (40, 40), (0, 40), (0, 0))]},
            {},
            "area_too_large",
            "area",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[11 + i * 1e-4, 48.0] for i in range(2500)] + [[11, 48.1], [11, 48.0]]
                ],
            },
            {},
            "too_many_vertices",
            "vertices",
        ),
        ({"type": "Point", "coordinates": [11, 48]}, {}, "missing_radius", "radius_m"),
        (
            {"type": "Point", "coordinates": [11, 48]},
            {"radius_m": 60000},
            "invalid_radius",
            "radius",
        ),
        ({"type": "Point", "coordinates": [11, 95]}, {"radius_m": 10}, "invalid_coordinate", "lat"),
        (
            {"type": "LineString", "coordinates": [[11, 48], [12, 48]]},
            {},
            "unsupported_type",
            "type",
        ),
        (SQUARE, {"radius_m": 10}, "unexpected_radius", "radius_m"),
    ],
)
async def test_validation_says_what_and_where(
    client: AsyncClient,
    organizer_headers: dict[str, str],
    geometry: dict[str, Any],
    extra: dict[str, Any],
    reason: str,
    words: str,
) -> None:
    response = await client.post(
        "/api/geofences",
        json={"name": "bad", "geometry": geometry, **extra},
        headers=organizer_headers,
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_geometry"
    assert error["details"]["reason"] == reason
    assert words.lower() in error["message"].lower()
    if reason == "self_intersection":
        where = error["details"]["location"]
        assert where == pytest.approx({"lng": 11.005, "lat": 48.005})


async def test_window_must_be_ordered(
    client: AsyncClient, organizer_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/geofences",
        json={
            "name": "w",
            "geometry": SQUARE,
            "active_from": "2026-02-01T00:00:00Z",
            "active_until": "2026-01-01T00:00:00Z",
        },
        headers=organizer_headers,
    )
    assert response.status_code == 422


async def test_bbox_pages_and_point_query(
    client: AsyncClient, organizer_headers: dict[str, str], other_headers: dict[str, str]
) -> None:
    mine = [
        await create(client, organizer_headers, geometry=square(30 + i * 0.02, 10))
        for i in range(5)
    ]
    theirs = await create(client, other_headers, geometry=square(30.0, 10.0, 0.05))
    await create(client, organizer_headers, geometry=square(35, 10))  # outside the box

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"bbox": "29.9,9.9,30.2,10.2", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/api/geofences", params=params, headers=organizer_headers)
        assert response.status_code == 200, response.text
        page = GeofencePageOut.model_validate(response.json())
        seen += [str(f.id) for f in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(str(f.id) for f in [*mine, theirs])

    only_mine = await client.get(
        "/api/geofences",
        params={"bbox": "29.9,9.9,30.2,10.2", "mine": "true"},
        headers=organizer_headers,
    )
    assert {f["id"] for f in only_mine.json()["items"]} == {str(f.id) for f in mine}

    point = await client.get(
        "/api/geofences", params={"lat": 10.005, "lng": 30.005}, headers=organizer_headers
    )
    assert {f["id"] for f in point.json()["items"]} == {str(mine[0].id), str(theirs.id)}

    for bad in ("1,2,3", "a,b,c,d", "10,0,5,1", "0,-91,1,1"):
        response = await client.get(
            "/api/geofences", params={"bbox": bad}, headers=organizer_headers
        )
        assert response.status_code == 422, bad
    stale = await client.get(
        "/api/geofences", params={"bbox": "0,0,1,1", "cursor": "bogus"}, headers=organizer_headers
    )
    assert stale.status_code == 422
    assert (await client.get("/api/geofences")).status_code == 401
