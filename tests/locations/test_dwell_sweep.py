"""Dwell events for players who went quiet inside a fence (app/locations/dwell_sweep.py)."""

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.locations.dwell_sweep import sweep_dwells
from app.users.models import User
from tests.factories import make_user
from tests.locations.fixtures import AppFactory, headers_for, stream_events, ts
from tests.locations.helpers import create_fence, offset, square


async def test_a_quiet_player_gets_the_dwell_once_and_a_stale_one_none(
    app_factory: AppFactory,
    organizer: User,
    player: User,
    session: AsyncSession,
    redis_client: Redis,
) -> None:
    gone = await make_user(session)
    async with app_factory() as (app, client):
        resources = app.state.resources
        org = await headers_for(client, organizer)
        fence_id = await create_fence(
            client, org, square(0, 0, 100), name="Stage", dwell_seconds=60
        )
        lat, lng = offset(0, 0)

        async def fix(user: User, seconds_ago: float) -> list[str]:
            body = {
                "updates": [{"lat": lat, "lng": lng, "accuracy_m": 5, "timestamp": ts(seconds_ago)}]
            }
            r = await client.post(
                "/api/locations", json=body, headers=await headers_for(client, user)
            )
            assert r.status_code == 200, r.text
            return [e["type"] for res in r.json()["results"] for e in res["events"]]

        now = datetime.now(UTC)
        assert await fix(player, 30) == ["geofence_enter"]
        # Entered 400 s ago and silent since: due, but not known to be there any more.
        assert await fix(gone, 400) == ["geofence_enter"]

        async def sweep(at: datetime) -> int:
            async with resources.session_factory() as s:
                return await sweep_dwells(resources=resources, session=s, now=at)

        assert await sweep(now) == 0  # 30 s inside: not yet
        assert await sweep(now + timedelta(seconds=40)) == 1  # 70 s inside, last fix 70 s old
        assert await sweep(now + timedelta(seconds=50)) == 0  # once per visit
        # The next update from inside does not fire it again.
        assert await fix(player, 0) == []

        log = (await client.get(f"/api/geofences/{fence_id}/events", headers=org)).json()
        dwells = [e for e in log["items"] if e["type"] == "geofence_dwell"]
        assert [e["user_id"] for e in dwells] == [str(player.id)]
        assert dwells[0]["data"]["dwell_seconds"] >= 60
        [published] = await stream_events(redis_client, app, "geofence_dwell")
        assert published.data["user_id"] == str(player.id)
        assert published.data["fence_id"] == fence_id


async def test_the_sweep_skips_fences_without_a_dwell_threshold(
    app_factory: AppFactory, organizer: User, player: User
) -> None:
    async with app_factory() as (app, client):
        resources = app.state.resources
        org = await headers_for(client, organizer)
        await create_fence(client, org, square(0, 0, 100), name="No dwell")
        lat, lng = offset(0, 0)
        body = {"updates": [{"lat": lat, "lng": lng, "accuracy_m": 5, "timestamp": ts(5)}]}
        r = await client.post(
            "/api/locations", json=body, headers=await headers_for(client, player)
        )
        assert r.status_code == 200
        async with resources.session_factory() as s:
            later = datetime.now(UTC) + timedelta(hours=1)
            assert await sweep_dwells(resources=resources, session=s, now=later) == 0
