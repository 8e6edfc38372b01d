"""Socket.IO location updates ingested in batches: several players in one transaction, each
answered as if alone (app.realtime.location_batcher over app.locations.service.ingest_many)."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden
from app.locations.schemas import LocationUpdateIn, UpdateResult
from app.realtime.location_batcher import LocationBatcher, Outcome
from app.users.models import User
from tests.factories import make_user
from tests.locations.fixtures import AppFactory, headers_for, stream_events
from tests.locations.helpers import create_fence, offset, square


def update(east_m: float, seconds_ago: float) -> LocationUpdateIn:
    lat, lng = offset(east_m, 0)
    at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return LocationUpdateIn(lat=lat, lng=lng, accuracy_m=5, timestamp=at)


def batch_sizes() -> tuple[float, float]:
    count = REGISTRY.get_sample_value("cyberspace_realtime_location_batch_size_count") or 0.0
    total = REGISTRY.get_sample_value("cyberspace_realtime_location_batch_size_sum") or 0.0
    return count, total


async def test_one_batch_answers_every_player_as_if_alone(
    app_factory: AppFactory, organizer: User, session: AsyncSession, redis_client: Redis
) -> None:
    walker, stayer, twice = [await make_user(session) for _ in range(3)]
    disabled = await make_user(session)
    disabled.is_active = False
    await session.flush()
    async with app_factory() as (app, client):
        org = await headers_for(client, organizer)
        fence_id = await create_fence(client, org, square(0, 0, 100), name="Plaza")
        resources = app.state.resources
        # One worker: the test's sessions share one connection.
        batcher = LocationBatcher(resources, max_batch=100, workers=1)
        try:
            earlier = update(300, 30)
            [first] = await asyncio.gather(batcher.submit(stayer.id, earlier))
            assert first.accepted

            before = batch_sizes()
            outcomes = await asyncio.gather(
                batcher.submit(walker.id, update(0, 5)),  # walks into the fence
                batcher.submit(stayer.id, earlier),  # a retry of an ingested fix
                batcher.submit(twice.id, update(0, 2)),  # two devices, newest first
                batcher.submit(twice.id, update(150, 10)),
                batcher.submit(disabled.id, update(0, 1)),
                return_exceptions=True,
            )
            after = batch_sizes()
        finally:
            await batcher.aclose()

    walked, retried, newest, older, refused = outcomes
    assert after[0] - before[0] == 1
    assert after[1] - before[1] == 5
    assert not isinstance(walked, BaseException)
    assert walked.accepted
    assert [e.type for e in walked.events] == ["geofence_enter"]
    assert walked.events[0].fence_id == fence_id
    assert not isinstance(retried, BaseException)
    assert (retried.accepted, retried.reason) == (False, "duplicate")
    # The older fix of the two is applied first (time order), then the newer one enters.
    assert not isinstance(older, BaseException)
    assert older.accepted
    assert older.events == []
    assert not isinstance(newest, BaseException)
    assert newest.accepted
    assert [e.type for e in newest.events] == ["geofence_enter"]
    assert isinstance(refused, Forbidden)

    enters = await stream_events(redis_client, app, "geofence_enter")
    assert sorted(e.data["user_id"] for e in enters) == sorted([str(walker.id), str(twice.id)])
    # The first batch's fix, then one event for the whole second batch (in time order).
    first_batch, second_batch = await stream_events(redis_client, app, "_location_accepted")
    assert [f["user_id"] for f in first_batch.data["fixes"]] == [str(stayer.id)]
    assert sorted(f["user_id"] for f in second_batch.data["fixes"]) == sorted(
        [str(walker.id), str(twice.id), str(twice.id)]
    )


async def test_ingest_many_refuses_a_player_twice(app_factory: AppFactory, player: User) -> None:
    from app.locations.service import PlayerUpdates, ingest_many

    async with app_factory() as (app, _):
        resources = app.state.resources
        async with resources.session_factory() as session:
            with pytest.raises(ValueError, match="one entry per player"):
                await ingest_many(
                    resources=resources,
                    session=session,
                    batches=[
                        PlayerUpdates(player, [update(0, 3)]),
                        PlayerUpdates(player, [update(0, 2)]),
                    ],
                )


async def test_a_caller_that_went_away_does_not_fail_the_others(
    app_factory: AppFactory, session: AsyncSession
) -> None:
    gone, stays = [await make_user(session) for _ in range(2)]
    async with app_factory() as (app, _):
        batcher = LocationBatcher(app.state.resources, max_batch=100, workers=1, linger_ms=20)
        try:
            left = asyncio.ensure_future(batcher.submit(gone.id, update(0, 3)))
            kept = asyncio.ensure_future(batcher.submit(stays.id, update(0, 2)))
            await asyncio.sleep(0)  # both queued; the batch is still lingering
            left.cancel()  # as when a socket disconnects mid-update
            result = await kept
        finally:
            await batcher.aclose()
    assert left.cancelled()
    assert result.accepted


async def test_accepted_fixes_reach_proximity_before_the_commit(
    app_factory: AppFactory, player: User
) -> None:
    """`on_fixes` runs once plausibility has decided, inside the transaction, before the
    writes and the commit: alerts need where the player is, not the stored row. Refused
    fixes never reach it, and the callers are answered after the commit."""
    from app.locations.service import PlayerUpdates, ingest_many

    calls: list[str] = []
    handed: list[dict[str, object]] = []

    async with app_factory() as (app, _):
        resources = app.state.resources
        fresh = update(0, 2)
        again = LocationUpdateIn(
            lat=fresh.lat, lng=fresh.lng, accuracy_m=5, timestamp=fresh.timestamp
        )
        async with resources.session_factory() as session:

            def on_fixes(fixes: list[dict[str, object]]) -> None:
                calls.append(f"fixes, in transaction: {session.in_transaction()}")
                handed.extend(fixes)

            def on_results(_: object) -> None:
                calls.append(f"results, in transaction: {session.in_transaction()}")

            [results] = await ingest_many(
                resources=resources,
                session=session,
                batches=[PlayerUpdates(player, [fresh, again])],
                on_fixes=on_fixes,
                on_results=on_results,
            )

    assert [(r.accepted, r.reason) for r in results] == [(True, None), (False, "duplicate")]
    assert calls == ["fixes, in transaction: True", "results, in transaction: False"]
    assert [(f["user_id"], f["lat"]) for f in handed] == [(str(player.id), fresh.lat)]


async def test_enqueued_updates_are_answered_through_on_replies(
    app_factory: AppFactory, session: AsyncSession
) -> None:
    """`enqueue` leaves a reply token; the batch hands every token with its outcome (a
    result, or the refusal of a disabled account) to `on_replies`."""
    active, disabled = [await make_user(session) for _ in range(2)]
    disabled.is_active = False
    await session.flush()
    got: dict[str, object] = {}
    done = asyncio.Event()

    async def on_replies(replies: list[tuple[Any, Outcome]]) -> None:
        got.update({str(token): outcome for token, outcome in replies})
        if len(got) == 2:
            done.set()

    async with app_factory() as (app, _):
        batcher = LocationBatcher(app.state.resources, max_batch=100, workers=1, linger_ms=20)
        batcher.on_replies = on_replies
        try:
            batcher.enqueue(active.id, update(0, 2), "active")
            batcher.enqueue(disabled.id, update(0, 2), "disabled")
            await asyncio.wait_for(done.wait(), 10)
        finally:
            await batcher.aclose()

    accepted = got["active"]
    assert isinstance(accepted, UpdateResult)
    assert accepted.accepted
    assert isinstance(got["disabled"], Forbidden)
