"""Migration 0008: every geo row carries its shard key, whichever way it was written."""

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from geo.h3cells import cell_of, shard_cell_of
from tests.factories import login_headers, make_user

# Two places in different resolution-3 cells: a move between them must move the key.
MUNICH = (48.1372, 11.5756)
BERLIN = (52.5163, 13.3777)


async def _shard_cell(session: AsyncSession, table: str, key: str, row_id: str) -> int | None:
    value = await session.scalar(
        text(f"SELECT shard_cell FROM {table} WHERE {key} = CAST(:id AS uuid)"), {"id": row_id}
    )
    return None if value is None else int(value)


async def test_placements_spaces_and_geofences_get_their_shard_cell(
    client: AsyncClient, session: AsyncSession
) -> None:
    organizer = await make_user(session, username="shardy", roles=("player", "organizer"))
    headers = await login_headers(client, organizer)
    lat, lng = MUNICH
    created = await client.post(
        "/api/spaces/create",
        headers=headers,
        json={
            "user_id": "shardy",
            "space_name": "Shard lounge",
            "description": "",
            "access_type": "public",
            "lat": lat,
            "lng": lng,
        },
    )
    assert created.status_code == 201, created.text
    space_id = created.json()["space_id"]
    expected = shard_cell_of(lat, lng)
    assert await _shard_cell(session, "placements", "id", space_id) == expected
    assert await _shard_cell(session, "spaces", "id", space_id) == expected

    # Moving the placement moves the key of the row that shares its id.
    b_lat, b_lng = BERLIN
    await session.execute(
        text(
            "UPDATE placements SET h3_cell = :cell, location = "
            "ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)::geography WHERE id = CAST(:id AS uuid)"
        ),
        {"cell": cell_of(b_lat, b_lng), "lat": b_lat, "lng": b_lng, "id": space_id},
    )
    moved = await _shard_cell(session, "spaces", "id", space_id)
    assert moved == shard_cell_of(b_lat, b_lng) != expected

    fence = await client.post(
        "/api/geofences",
        headers=headers,
        json={
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lng, lat]},
            "properties": {"name": "Shard circle", "radius_m": 50},
        },
    )
    assert fence.status_code == 201, fence.text
    assert await _shard_cell(session, "geofences", "id", fence.json()["id"]) == expected
