"""The proximity-alert state in Redis (app/realtime/positions.py), against a real Redis."""

import uuid

from redis.asyncio import Redis

from app.realtime.positions import PositionStore, ProximityUpdate


def update(user: str, ts: float, inner: list[str], outer: list[str]) -> ProximityUpdate:
    return ProximityUpdate(user, 48.137, 11.575, ts, inner, outer, truncated=False)


async def test_alerts_once_per_approach_and_ignores_older_updates(redis_client: Redis) -> None:
    store = PositionStore(redis_client, f"t-{uuid.uuid4().hex[:8]}", ttl_seconds=60)
    a, b = "player-a", "player-b"
    # One pipeline for several players and several fixes of one player, in order.
    assert await store.apply_proximity(
        [
            update(a, 1.0, ["nft-1"], ["nft-1", "nft-2"]),
            update(b, 1.0, ["nft-2"], ["nft-2"]),
            update(a, 2.0, ["nft-1", "nft-2"], ["nft-1", "nft-2"]),
        ]
    ) == [["nft-1"], ["nft-2"], ["nft-2"]]
    # Still near: nothing new. An older fix arriving late is dropped (None).
    assert await store.apply_proximity(
        [update(a, 3.0, ["nft-1"], ["nft-1", "nft-2"]), update(a, 2.5, ["nft-3"], ["nft-3"])]
    ) == [[], None]
    # nft-1 beyond R x factor re-arms; coming back alerts again.
    assert await store.apply_proximity([update(a, 4.0, [], ["nft-2"])]) == [[]]
    assert await store.apply_proximity([update(a, 5.0, ["nft-1"], ["nft-1"])]) == [["nft-1"]]


async def test_a_fresh_redis_without_the_script_still_answers(redis_client: Redis) -> None:
    store = PositionStore(redis_client, f"t-{uuid.uuid4().hex[:8]}", ttl_seconds=60)
    await redis_client.script_flush()  # as after a restart: Redis has no scripts
    assert await store.apply_proximity([update("p", 1.0, ["x"], ["x"])]) == [["x"]]
    assert await store.apply_proximity([update("p", 2.0, ["x"], ["x"])]) == [[]]


async def test_truncated_pages_rearm_nothing_and_stamps_keep_full_precision(
    redis_client: Redis,
) -> None:
    store = PositionStore(redis_client, f"t-{uuid.uuid4().hex[:8]}", ttl_seconds=60)
    t0 = 1_764_130_000.123456
    assert await store.apply_proximity([update("p", t0, ["x", "y"], ["x", "y"])]) == [["x", "y"]]
    # A truncated outer list proves nothing about what lies beyond it: nothing re-arms.
    cut = ProximityUpdate("p", 48.137, 11.575, t0 + 1, [], [], truncated=True)
    assert await store.apply_proximity([cut]) == [[]]
    assert await store.apply_proximity([update("p", t0 + 2, ["x"], ["x", "y"])]) == [[]]
    # Fix times a microsecond apart still order correctly (no rounding of the stored stamp).
    assert await store.apply_proximity([update("p", t0 + 2.000001, [], [])]) == [[]]
    assert await store.apply_proximity([update("p", t0 + 2.0000005, ["z"], ["z"])]) == [None]
    near = await store.users_near(48.137, 11.575, 10.0)
    assert [u.user_id for u in near] == ["p"]
    assert await store.apply_proximity([]) == []
