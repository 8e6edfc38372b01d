"""Events published while Redis is down wait in PostgreSQL and reach the stream later."""

from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.events import RealtimeEvent, events_stream
from app.core.outbox import OutboxEvent, publish_or_defer, relay_outbox


async def test_events_park_while_redis_is_down_and_are_relayed_in_order(
    session: AsyncSession, redis_client: Redis
) -> None:
    prefix = "outbox-test"
    await redis_client.delete(events_stream(prefix))
    down = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    events = [RealtimeEvent(type="geofence_enter", data={"n": n}, user_ids=("u",)) for n in (1, 2)]
    try:
        sent = await publish_or_defer(redis=down, prefix=prefix, session=session, events=events)
    finally:
        await down.aclose()
    assert sent is False
    assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 2
    # Redis still down: the relay keeps them.
    down = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        try:
            await relay_outbox(redis=down, prefix=prefix, session=session)
        except Exception:
            await session.rollback()
    finally:
        await down.aclose()
    assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 2

    assert await relay_outbox(redis=redis_client, prefix=prefix, session=session) == 2
    assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
    entries = await redis_client.xrange(events_stream(prefix))
    assert [RealtimeEvent.decode(fields[b"event"]) for _, fields in entries] == events
    assert await relay_outbox(redis=redis_client, prefix=prefix, session=session) == 0


async def test_publish_with_redis_up_parks_nothing(
    session: AsyncSession, redis_client: Redis
) -> None:
    prefix = "outbox-test-up"
    await redis_client.delete(events_stream(prefix))
    event = RealtimeEvent(type="new_nft", data={"nft_id": "x"})
    assert await publish_or_defer(
        redis=redis_client, prefix=prefix, session=session, events=[event]
    )
    assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
    assert await redis_client.xlen(events_stream(prefix)) == 1
