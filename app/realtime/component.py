"""The realtime component (see app/core/components.py): the Socket.IO server of this app
instance, its event-stream consumer and its space-access listener (evictions)."""

import contextlib
from collections.abc import Coroutine
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from app.core.components import Component
from app.realtime.emit_bus import EmitBus, emits_channel
from app.realtime.evictions import SpaceEvictions
from app.realtime.fanout import ALERT_TYPES, StreamFanout
from app.realtime.local_proximity import LocalProximity
from app.realtime.positions import PositionStore
from app.realtime.server import RealtimeServer
from app.resources import Resources
from app.spaces.events import ACCESS_CHANGED
from app.users.events import USER_DISABLED


def _blocking_client(url: str, *, max_connections: int, retry: Retry | None = None) -> Redis:
    """A client whose pool makes a burst wait up to 10 s for a free connection."""
    return Redis(
        connection_pool=BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=10,
            socket_connect_timeout=2,
            socket_timeout=10,
            health_check_interval=15,
            retry=retry,
        )
    )


class RealtimeComponent:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        settings = resources.settings
        # Our own pool, and a blocking one: a burst of connects or updates waits for a free
        # connection instead of failing with "Too many connections" on the shared client.
        # One retry on a connection error: after a Redis restart every pooled connection is
        # dead, and without it each one fails its next command once (seen: on_disconnect's
        # GET failing, which leaves the socket's presence behind). Only connection errors:
        # a command that timed out may have run, and must not run twice.
        self.redis = _blocking_client(
            settings.redis_url,
            max_connections=64,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        # The stream consumer's own client, without that retry: it must notice every lost
        # connection, because after one it holds events until the Socket.IO listeners of
        # every process are back (app/realtime/fanout.py).
        self.stream_redis = _blocking_client(settings.redis_url, max_connections=4)
        self.positions = PositionStore(
            self.redis,
            settings.redis_channel_prefix,
            ttl_seconds=settings.realtime_position_ttl_seconds,
        )
        self.server = RealtimeServer(resources, self.positions, redis=self.redis)
        # Pub/sub listener of its own, without redis-py's transparent retries: evictions
        # must see every lost connection to re-check after re-subscribing.
        self.subscriber = Redis.from_url(
            settings.redis_url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=2,
            health_check_interval=15,
        )
        self.evictions = SpaceEvictions(
            self.server,
            redis=self.redis,
            subscriber=self.subscriber,
            session_factory=resources.session_factory,
            prefix=settings.redis_channel_prefix,
            recheck_seconds=settings.space_access_recheck_seconds,
        )
        # Without the Redis manager (one process) emits stay local.
        shared = settings.socketio_manager == "redis"
        self.emits = EmitBus(
            self.server.sio,
            publisher=self.redis if shared else None,
            subscriber=self.subscriber if shared else None,
            channel=emits_channel(settings.redis_channel_prefix),
            alert_types=ALERT_TYPES,
        )
        self.fanout = StreamFanout(
            sio=self.server.sio,
            bus=self.emits,
            redis=self.stream_redis,
            settings=settings,
            positions=self.positions,
            index=lambda: resources.placement_sync.index,
            internal={
                ACCESS_CHANGED: self.evictions.announce,
                USER_DISABLED: self.evictions.announce_user_disabled,
            },
        )
        # Socket.IO fixes get their alerts in this process, not through the stream.
        self.local_proximity = LocalProximity(self.fanout)
        self.server.locations.on_fixes = self.local_proximity.put

    async def start(self) -> None:
        # Best effort: create the consumer group now, so events published from here on wait
        # for us even before the consumer's first read. Without Redis the service still
        # starts (REST keeps serving, /readyz says 503); the consumer retries the group.
        with contextlib.suppress(RedisError, OSError):
            await self.fanout.ensure_group()

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [
            self.fanout.run(),
            self.local_proximity.run(),
            self.evictions.run(),
            self.emits.run(),
        ]

    async def aclose(self) -> None:
        await self.server.aclose()
        await self.subscriber.aclose()
        await self.stream_redis.aclose()
        await self.redis.aclose()


def build(resources: Resources) -> Component:
    return RealtimeComponent(resources)
