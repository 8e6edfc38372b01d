"""The event bus between the features and the real-time server: one Redis Stream.

Producers (NFT placement, location updates, geofences, challenges) call `publish`; the
real-time component reads the stream with a consumer group, so each event is fanned out by
exactly one service process (python-socketio's Redis manager then reaches sockets on every
process). A stream rather than pub/sub: an event published while no consumer is connected
waits instead of vanishing, and the group's pending list survives a consumer crash.

`type` is the Socket.IO event name clients receive (`new_nft`, `geofence_enter`, ...);
types starting with `_` are internal (e.g. `_location_accepted`, the accepted fixes of one
ingest, which drive proximity alerts; `_space_access_changed`, which evicts sockets) and are
never sent to clients as such.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from redis.asyncio import Redis

# Bounded: the durable record of events lives in PostgreSQL (issue 5's event log); the stream
# only has to cover consumer restarts.
STREAM_MAX_LEN = 100_000


def events_stream(prefix: str) -> str:
    return f"{prefix}:events"


@dataclass(frozen=True, slots=True)
class EventBus:
    """Where a service announces committed changes to the real-time side: this stream (or
    the outbox while Redis is down, app/core/outbox.py, so the news is late rather than
    lost)."""

    redis: Redis
    prefix: str


# async: a plain `def` dependency costs a thread-pool hop on every request.
async def get_event_bus(request: Request) -> EventBus:
    resources = request.app.state.resources
    return EventBus(redis=resources.redis, prefix=resources.settings.redis_channel_prefix)


EventBusDep = Annotated[EventBus, Depends(get_event_bus)]


@dataclass(frozen=True)
class RealtimeEvent:
    type: str
    data: dict[str, Any]
    # Audience; any combination. Empty everything means "nobody in particular" (internal).
    user_ids: tuple[str, ...] = ()
    near: tuple[float, float] | None = None  # (lat, lng): players within their alert radius
    space_id: str | None = None
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "type": self.type,
                "data": self.data,
                "user_ids": list(self.user_ids),
                "near": list(self.near) if self.near is not None else None,
                "space_id": self.space_id,
                "event_id": self.event_id,
            }
        )

    @classmethod
    def decode(cls, raw: bytes | str) -> "RealtimeEvent":
        body = orjson.loads(raw)
        near = body.get("near")
        return cls(
            type=body["type"],
            data=body["data"],
            user_ids=tuple(body.get("user_ids") or ()),
            near=(float(near[0]), float(near[1])) if near else None,
            space_id=body.get("space_id"),
            event_id=body["event_id"],
        )


async def publish(redis: Redis, prefix: str, event: RealtimeEvent) -> str:
    """Append the event to the stream; returns the stream entry id."""
    entry_id = await redis.xadd(
        events_stream(prefix), {"event": event.encode()}, maxlen=STREAM_MAX_LEN, approximate=True
    )
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


async def publish_many(redis: Redis, prefix: str, events: Sequence[RealtimeEvent]) -> None:
    """Append several events in one round trip."""
    await append_encoded(redis, prefix, [event.encode() for event in events])


async def append_encoded(redis: Redis, prefix: str, payloads: Sequence[bytes]) -> None:
    """XADD already-encoded events in one round trip (the outbox relay re-sends these)."""
    if not payloads:
        return
    stream = events_stream(prefix)
    async with redis.pipeline(transaction=False) as pipe:
        for payload in payloads:
            pipe.xadd(stream, {"event": payload}, maxlen=STREAM_MAX_LEN, approximate=True)
        await pipe.execute()
