"""The event bus: what producers append is what the real-time consumer decodes."""

from redis.asyncio import Redis

from app.core.events import RealtimeEvent, events_stream, publish


async def test_published_event_round_trips_through_the_stream(redis_client: Redis) -> None:
    prefix = "events-test"
    await redis_client.delete(events_stream(prefix))
    event = RealtimeEvent(
        type="new_nft",
        data={"nft_id": "nft-weapon-01", "location": {"lat": 48.1371, "lng": 11.5754}},
        near=(48.1371, 11.5754),
    )
    entry_id = await publish(redis_client, prefix, event)
    entries = await redis_client.xrange(events_stream(prefix))
    assert [e[0].decode() for e in entries] == [entry_id]
    assert RealtimeEvent.decode(entries[0][1][b"event"]) == event


def test_events_have_unique_ids() -> None:
    a = RealtimeEvent(type="x", data={})
    b = RealtimeEvent(type="x", data={})
    assert a.event_id != b.event_id
