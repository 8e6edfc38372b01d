"""POST /api/locations end to end: real PostGIS, Redis stream, geofence engine."""

from typing import Any

from httpx import AsyncClient
from redis.asyncio import Redis

from app.locations.component import LocationComponent
from app.locations.schemas import LocationBatchOut
from app.users.models import User
from tests.locations.fixtures import AppFactory, headers_for, stream_events, ts
from tests.locations.helpers import create_fence, offset, square


def fix(
    east_m: float, seconds_ago: float, *, north_m: float = 0, accuracy: float = 10
) -> dict[str, Any]:
    lat, lng = offset(east_m, north_m)
    return {"lat": lat, "lng": lng, "accuracy_m": accuracy, "timestamp": ts(seconds_ago)}


async def post(
    client: AsyncClient, headers: dict[str, str], *updates: dict[str, Any]
) -> LocationBatchOut:
    response = await client.post("/api/locations", json={"updates": list(updates)}, headers=headers)
    assert response.status_code == 200, response.text
    return LocationBatchOut.model_validate(response.json())


def types(out: LocationBatchOut) -> list[str]:
    return [e.type for r in out.results for e in r.events]


async def test_enter_dwell_exit_with_jitter_on_a_border(
    app_factory: AppFactory, organizer: User, player: User, redis_client: Redis
) -> None:
    async with app_factory() as (app, client):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fence_id = await create_fence(
            client, org, square(0, 0, 100), name="Plaza", dwell_seconds=60
        )
        out = await post(
            client,
            me,
            fix(130, 600),
            fix(104, 590),
            fix(96, 580),  # inside by 4 m, less than the 10 m margin: not yet
            fix(50, 570),  # enter
            fix(103, 560),
            fix(97, 550),
            fix(106, 540),
            fix(95, 530),  # jitter on the edge: nothing
            fix(60, 500),  # 70 s inside: dwell
            fix(60, 490),
            fix(140, 480),  # exit
        )
        assert out.accepted == 11
        assert out.rejected == 0
        assert types(out) == ["geofence_enter", "geofence_dwell", "geofence_exit"]
        assert [r.index for r in out.results if r.events] == [3, 8, 10]
        enter = out.results[3].events[0]
        assert enter.fence_id == fence_id
        assert enter.fence_name == "Plaza"

        log = await client.get(f"/api/geofences/{fence_id}/events", headers=org)
        assert log.status_code == 200
        assert [e["type"] for e in log.json()["items"]] == [
            "geofence_exit",
            "geofence_dwell",
            "geofence_enter",
        ]
        # The log is the owner's: the player may not read it.
        assert (
            await client.get(f"/api/geofences/{fence_id}/events", headers=me)
        ).status_code == 403

        [published] = await stream_events(redis_client, app, "geofence_enter")
        assert set(published.user_ids) == {str(player.id), str(organizer.id)}
        assert published.data["username"] == player.username
        assert published.data["fence_id"] == fence_id
        [accepted] = await stream_events(redis_client, app, "_location_accepted")
        assert len(accepted.data["fixes"]) == 11
        assert {f["user_id"] for f in accepted.data["fixes"]} == {str(player.id)}

        # Position and state are stored.
        position = (await client.get("/api/locations/me", headers=me)).json()
        assert position["fence_ids"] == []
        assert abs(position["lat"] - offset(140, 0)[0]) < 1e-9


async def test_duplicates_and_out_of_order_updates_fire_nothing_twice(
    app_factory: AppFactory, organizer: User, player: User
) -> None:
    async with app_factory() as (_, client):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fence_id = await create_fence(client, org, square(0, 0, 100))
        inside = fix(0, 100)
        out = await post(client, me, inside)
        assert types(out) == ["geofence_enter"]
        # The same update again (a client retry): refused as a duplicate, no event.
        again = await post(client, me, inside)
        assert again.results[0].reason == "duplicate"
        assert types(again) == []
        # An older one arriving late: refused, never applied.
        late = await post(client, me, fix(300, 150))
        assert late.results[0].reason == "out_of_order"
        assert types(late) == []
        # A batch in reverse time order is applied in time order (leave, then come back).
        updates = [fix(0, 40), fix(300, 60), fix(0, 90)]
        batch = await post(client, me, *updates)
        assert [r.accepted for r in batch.results] == [True, True, True]
        assert [r.events[0].type if r.events else None for r in batch.results] == [
            "geofence_enter",
            "geofence_exit",
            None,
        ]
        # Retrying the whole batch changes nothing.
        retry = await post(client, me, *updates)
        assert types(retry) == []
        assert retry.accepted == 0
        log = (await client.get(f"/api/geofences/{fence_id}/events", headers=org)).json()["items"]
        assert [e["type"] for e in log] == ["geofence_enter", "geofence_exit", "geofence_enter"]


async def test_implausible_updates_are_refused_and_never_applied(
    app_factory: AppFactory, player: User
) -> None:
    async with app_factory() as (_, client):
        me = await headers_for(client, player)
        start = await post(client, me, fix(0, 100))
        assert start.accepted == 1
        # 10 km in 10 seconds: a teleport.
        teleport = await post(client, me, fix(10_000, 90))
        assert teleport.results[0].reason == "too_fast"
        future = await post(client, me, fix(0, -3600))
        assert future.results[0].reason == "future"
        old = await post(client, me, fix(0, 7200))
        # Older than the last accepted fix too: out of order wins (it is never applied).
        assert old.results[0].reason == "out_of_order"
        bad = await post(client, me, fix(5, 80, accuracy=5000))
        assert bad.results[0].reason == "inaccurate"
        position = (await client.get("/api/locations/me", headers=me)).json()
        assert abs(position["lng"] - offset(0, 0)[1]) < 1e-9
        # Walking on from the last accepted fix is fine; Unix seconds work as timestamps.
        lat, lng = offset(20, 0)
        import time

        single = await client.post(
            "/api/locations",
            json={"lat": lat, "lng": lng, "accuracy_m": 5, "timestamp": time.time() - 80},
            headers=me,
        )
        assert single.status_code == 200
        assert single.json()["accepted"] == 1


async def test_first_fix_too_old_and_batch_limits(app_factory: AppFactory, player: User) -> None:
    async with app_factory(location_max_batch=3) as (_, client):
        me = await headers_for(client, player)
        old = await post(client, me, fix(0, 7200))
        assert old.results[0].reason == "too_old"
        too_many = await client.post(
            "/api/locations", json=[fix(0, 50), fix(0, 40), fix(0, 30), fix(0, 20)], headers=me
        )
        assert too_many.status_code == 422
        assert too_many.json()["error"]["details"]["max_batch"] == 3
        malformed = await client.post("/api/locations", json={"lat": 91, "lng": 0}, headers=me)
        assert malformed.status_code == 422
        anonymous = await client.post("/api/locations", json=fix(0, 10))
        assert anonymous.status_code == 401


async def test_fence_edited_or_deleted_while_players_are_inside(
    app_factory: AppFactory, organizer: User, player: User, redis_client: Redis
) -> None:
    from tests.factories import make_user

    async with app_factory() as (app, client):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fence_id = await create_fence(client, org, square(0, 0, 100))
        # The player is in the west half, a second player in the east half.
        assert types(await post(client, me, fix(-50, 100))) == ["geofence_enter"]
        session = app.state.resources.session_factory
        async with session() as s:
            other = await make_user(s)
            await s.commit()
        them = await headers_for(client, other)
        assert types(await post(client, them, fix(50, 100))) == ["geofence_enter"]

        # Shrink the fence to its east half: the first player is now outside.
        from tests.locations.helpers import polygon_geojson

        patched = await client.patch(
            f"/api/geofences/{fence_id}",
            json={"geometry": polygon_geojson(square(50, 0, 50))},
            headers=org,
        )
        assert patched.status_code == 200, patched.text
        component = app.state.resources.component(LocationComponent)
        assert await component.process_fence_changes() == 1
        log = (await client.get(f"/api/geofences/{fence_id}/events", headers=org)).json()["items"]
        assert log[0]["type"] == "geofence_exit"
        assert log[0]["user_id"] == str(player.id)
        assert log[0]["data"]["reason"] == "fence_changed"
        assert (await client.get("/api/locations/me", headers=me)).json()["fence_ids"] == []
        inside = (await client.get("/api/locations/me", headers=them)).json()["fence_ids"]
        assert inside == [fence_id]
        # Running it again (another process saw the same change) does nothing.
        assert await component.process_fence_changes() == 0

        # Deleting the fence takes the remaining player out.
        assert (await client.delete(f"/api/geofences/{fence_id}", headers=org)).status_code == 204
        assert await component.process_fence_changes() == 1
        exits = await stream_events(redis_client, app, "geofence_exit")
        assert [e.data["reason"] for e in exits] == ["fence_changed", "fence_deleted"]
        assert (await client.get("/api/locations/me", headers=them)).json()["fence_ids"] == []


async def test_player_position_goes_to_fence_owners(
    app_factory: AppFactory, organizer: User, player: User, redis_client: Redis
) -> None:
    async with app_factory() as (app, client):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fence_id = await create_fence(client, org, square(0, 0, 100))
        await post(client, me, fix(500, 100))  # outside every fence: no live view event
        assert await stream_events(redis_client, app, "player_position") == []
        await post(client, me, fix(450, 90), fix(0, 10))
        [event] = await stream_events(redis_client, app, "player_position")
        assert event.user_ids == (str(organizer.id),)
        assert event.data["fence_ids"] == [fence_id]
        assert event.data["username"] == player.username


async def test_history_is_bounded(app_factory: AppFactory, player: User) -> None:
    from sqlalchemy import func, select

    from app.locations.models import LocationHistory

    async with app_factory(location_history_size=3) as (app, client):
        me = await headers_for(client, player)
        for k in range(6):
            await post(client, me, fix(10 * k, 100 - 10 * k))
        async with app.state.resources.session_factory() as s:
            count = await s.scalar(
                select(func.count())
                .select_from(LocationHistory)
                .where(LocationHistory.user_id == player.id)
            )
            newest = await s.scalar(
                select(func.max(LocationHistory.fix_at)).where(LocationHistory.user_id == player.id)
            )
        # At most the kept size plus the batch being written.
        assert count == 4
        position = (await client.get("/api/locations/me", headers=me)).json()
        assert newest is not None
        assert newest.isoformat() == position["timestamp"].replace("Z", "+00:00")
