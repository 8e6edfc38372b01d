"""Challenges end to end: checkpoints to completion and reward, leaderboard, restart."""

import uuid
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy import select

from app.chain import ChainClient
from app.challenges.models import ChallengeParticipant
from app.challenges.service import leaderboard_key
from app.nfts.component import NftComponent
from app.nfts.models import Nft
from app.users.models import User
from tests.factories import make_user
from tests.locations.fixtures import AppFactory, headers_for, stream_events, ts
from tests.locations.helpers import create_fence, offset, square

# Three 200 m checkpoints in a row, 400 m apart (centres at 0, 400 and 800 m east).
CENTRES = (0, 400, 800)


# Players move after joining (dwell goals count time inside from the join on): fix times lie
# in the (here allowed) near future.
FUTURE = {"location_max_future_skew_s": 3600}


def at(east_m: float, seconds_ago: float) -> dict[str, Any]:
    lat, lng = offset(east_m, 0)
    return {"lat": lat, "lng": lng, "accuracy_m": 5, "timestamp": ts(seconds_ago - 600)}


async def checkpoints(client: AsyncClient, org: dict[str, str]) -> list[str]:
    return [
        await create_fence(client, org, square(c, 0, 100), name=f"CP{i}")
        for i, c in enumerate(CENTRES)
    ]


async def new_challenge(
    client: AsyncClient, org: dict[str, str], fences: list[str], **extra: Any
) -> str:
    body = {
        "name": "Old town run",
        "kind": "checkpoints",
        "fence_ids": fences,
        "ordered": True,
        **extra,
    }
    response = await client.post("/api/challenges", json=body, headers=org)
    assert response.status_code == 201, response.text
    challenge_id: str = response.json()["id"]
    return challenge_id


async def walk(client: AsyncClient, headers: dict[str, str], *fixes: dict[str, Any]) -> list[str]:
    response = await client.post("/api/locations", json=list(fixes), headers=headers)
    assert response.status_code == 200, response.text
    return [e["type"] for r in response.json()["results"] for e in r["events"]]


async def test_ordered_checkpoints_to_completion_and_reward(
    app_factory: AppFactory,
    organizer: User,
    player: User,
    redis_client: Redis,
    reward_chain: ChainClient,
) -> None:
    async with app_factory(**FUTURE) as (app, client):
        app.state.resources.component(NftComponent).attach_chain(reward_chain)
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fences = await checkpoints(client, org)
        challenge_id = await new_challenge(
            client,
            org,
            fences,
            reward={"name": "Old town medal", "metadata": {"description": "Done"}},
        )
        joined = await client.post(f"/api/challenges/{challenge_id}/join", headers=me)
        assert joined.status_code == 200
        assert joined.json()["goal"] == 3

        # CP1 first: out of order, no progress.
        assert "challenge_progress" not in await walk(client, me, at(-300, 300), at(400, 280))
        # Then CP0, CP1, CP2 in order.
        kinds = await walk(client, me, at(0, 260), at(400, 240), at(800, 220))
        assert kinds.count("challenge_progress") == 3
        assert kinds.count("challenge_completed") == 1
        progress = (await client.get(f"/api/challenges/{challenge_id}/progress", headers=me)).json()
        assert progress["progress"] == 3
        assert progress["completed_at"] is not None
        assert progress["reward_status"] == "awarded"
        nft_id = progress["reward_nft_id"]
        session = app.state.resources.session_factory
        async with session() as s:
            nft = await s.get(Nft, nft_id)
            assert nft is not None
            assert nft.name == "Old town medal"
            assert nft.custody_user_id == player.id  # no wallet linked: held for the player

        # Completion is awarded once: more visits change nothing.
        kinds = await walk(client, me, at(400, 200), at(0, 180), at(400, 160), at(800, 140))
        assert "challenge_completed" not in kinds
        assert "challenge_progress" not in kinds
        completed = await stream_events(redis_client, app, "challenge_completed")
        assert len(completed) == 1
        assert completed[0].data["reward_status"] == "awarded"
        assert completed[0].data["reward_nft_id"] == nft_id
        assert completed[0].user_ids == (str(player.id),)


async def _player(app: FastAPI, client: AsyncClient) -> tuple[User, dict[str, str]]:
    async with app.state.resources.session_factory() as s:
        user = await make_user(s)
        await s.commit()
    return user, await headers_for(client, user)


async def test_leaderboard_order_and_rebuild(
    app_factory: AppFactory, organizer: User, redis_client: Redis
) -> None:
    async with app_factory(**FUTURE) as (app, client):
        org = await headers_for(client, organizer)
        fences = await checkpoints(client, org)
        challenge_id = await new_challenge(client, org, fences)
        players = [await _player(app, client) for _ in range(4)]
        for _, headers in players:
            assert (
                await client.post(f"/api/challenges/{challenge_id}/join", headers=headers)
            ).status_code == 200
        a, b, c, d = players
        await walk(client, a[1], at(0, 300), at(400, 280))  # 2 checkpoints
        await walk(client, b[1], at(0, 300), at(400, 280), at(800, 260))  # finished
        await walk(client, c[1], at(0, 250), at(400, 230))  # 2, but later than a
        # d has joined and done nothing.

        async def ranking() -> list[tuple[str, int]]:
            response = await client.get(f"/api/challenges/{challenge_id}/leaderboard", headers=org)
            assert response.status_code == 200, response.text
            return [(e["username"], e["progress"]) for e in response.json()["items"]]

        expected = [(b[0].username, 3), (a[0].username, 2), (c[0].username, 2), (d[0].username, 0)]
        assert await ranking() == expected
        # Redis lost the sorted set: rebuilt from PostgreSQL, same order.
        prefix = app.state.resources.settings.redis_channel_prefix
        await redis_client.delete(leaderboard_key(prefix, uuid.UUID(challenge_id)))
        assert await ranking() == expected


async def test_restart_in_the_middle_of_a_challenge(
    app_factory: AppFactory, organizer: User, player: User, redis_client: Redis
) -> None:
    prefix = f"restart-{uuid.uuid4().hex}"
    async with app_factory(prefix=prefix, **FUTURE) as (_, client):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fences = await checkpoints(client, org)
        challenge_id = await new_challenge(client, org, fences)
        await client.post(f"/api/challenges/{challenge_id}/join", headers=me)
        assert (await walk(client, me, at(0, 300), at(400, 280))).count("challenge_progress") == 2
    # A new app instance on the same database (and Redis lost everything meanwhile).
    await redis_client.flushdb()
    async with app_factory(prefix=prefix, **FUTURE) as (app, client):
        me = await headers_for(client, player)
        progress = (await client.get(f"/api/challenges/{challenge_id}/progress", headers=me)).json()
        assert progress["progress"] == 2
        assert progress["state"]["visited"] == fences[:2]
        # The player is still inside CP1 (state survived): staying there fires nothing.
        assert await walk(client, me, at(400, 270)) == []
        kinds = await walk(client, me, at(800, 250))
        assert kinds == [
            "geofence_exit",
            "geofence_enter",
            "challenge_progress",
            "challenge_completed",
        ]
        board = (await client.get(f"/api/challenges/{challenge_id}/leaderboard", headers=me)).json()
        assert [(e["user_id"], e["progress"]) for e in board["items"]] == [(str(player.id), 3)]
        async with app.state.resources.session_factory() as s:
            row = await s.scalar(
                select(ChallengeParticipant).where(ChallengeParticipant.user_id == player.id)
            )
            assert row is not None
            assert row.reward_status == "none"


async def test_permissions_limits_and_validation(
    app_factory: AppFactory, organizer: User, player: User
) -> None:
    async with app_factory(**FUTURE) as (app, client):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fences = await checkpoints(client, org)
        body = {"name": "x", "kind": "checkpoints", "fence_ids": fences}
        # Players cannot create challenges.
        assert (await client.post("/api/challenges", json=body, headers=me)).status_code == 403
        # Organizers only on their own fences.
        async with app.state.resources.session_factory() as s:
            rival = await make_user(s, roles=("player", "organizer"))
            await s.commit()
        rival_headers = await headers_for(client, rival)
        assert (
            await client.post("/api/challenges", json=body, headers=rival_headers)
        ).status_code == 403
        unknown = {**body, "fence_ids": [str(uuid.uuid4())]}
        assert (await client.post("/api/challenges", json=unknown, headers=org)).status_code == 422
        dwell = {**body, "kind": "dwell"}
        assert (await client.post("/api/challenges", json=dwell, headers=org)).status_code == 422
        # Participant limit.
        challenge_id = await new_challenge(client, org, fences, max_participants=1)
        assert (
            await client.post(f"/api/challenges/{challenge_id}/join", headers=me)
        ).status_code == 200
        assert (
            await client.post(f"/api/challenges/{challenge_id}/join", headers=me)
        ).status_code == 200
        full = await client.post(f"/api/challenges/{challenge_id}/join", headers=rival_headers)
        assert full.status_code == 409
        # Only the owner deletes.
        assert (
            await client.delete(f"/api/challenges/{challenge_id}", headers=me)
        ).status_code == 403
        assert (
            await client.delete(f"/api/challenges/{challenge_id}", headers=org)
        ).status_code == 204
        assert (await client.get(f"/api/challenges/{challenge_id}", headers=me)).status_code == 404


async def test_dwell_challenge(app_factory: AppFactory, organizer: User, player: User) -> None:
    async with app_factory(**FUTURE) as (_, client):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fence = await create_fence(client, org, square(0, 0, 100))
        body = {"name": "Stay", "kind": "dwell", "fence_ids": [fence], "dwell_seconds": 120}
        challenge_id = (await client.post("/api/challenges", json=body, headers=org)).json()["id"]
        await client.post(f"/api/challenges/{challenge_id}/join", headers=me)
        assert "challenge_progress" not in await walk(client, me, at(0, 300), at(10, 240))
        assert "challenge_completed" in await walk(client, me, at(0, 170))


async def test_collect_challenge_counts_claims_inside_its_fence(
    app_factory: AppFactory, organizer: User, player: User, redis_client: Redis
) -> None:
    from datetime import UTC, datetime

    from app.challenges.service import record_claim

    async with app_factory(**FUTURE) as (app, client):
        org = await headers_for(client, organizer)
        me = await headers_for(client, player)
        fence = await create_fence(client, org, square(0, 0, 100))
        body = {"name": "Collect", "kind": "collect", "fence_ids": [fence], "collect_count": 2}
        challenge_id = (await client.post("/api/challenges", json=body, headers=org)).json()["id"]
        await client.post(f"/api/challenges/{challenge_id}/join", headers=me)
        resources = app.state.resources
        now = datetime.now(UTC)
        inside, outside = offset(10, 10), offset(500, 0)
        for (lat, lng), nft_id in [(inside, "n1"), (inside, "n1"), (outside, "n2"), (inside, "n3")]:
            async with resources.session_factory() as s:
                await record_claim(
                    resources=resources,
                    session=s,
                    user_id=player.id,
                    lat=lat,
                    lng=lng,
                    claimed_at=now,
                    nft_id=nft_id,
                )
        progress = (await client.get(f"/api/challenges/{challenge_id}/progress", headers=me)).json()
        assert progress["state"]["collected"] == ["n1", "n3"]
        assert progress["completed_at"] is not None
        assert len(await stream_events(redis_client, app, "challenge_completed")) == 1
