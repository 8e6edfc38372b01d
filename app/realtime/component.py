"""The realtime component (see app/core/components.py): the Socket.IO server of this app
instance and its event-stream consumer."""

import contextlib
from collections.abc import Coroutine
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from app.core.components import Component
from app.realtime.fanout import StreamFanout
from app.realtime.positions import PositionStore
from app.realtime.server import RealtimeServer
from app.resources import Resources


class RealtimeComponent:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        settings = resources.settings
        # Our own pool, and a blocking one: a burst of connects or updates waits for a free
        # connection instead of failing with "Too many connections" on the shared client.
        self.redis = Redis(
            connection_pool=BlockingConnectionPool.from_url(
                settings.redis_url,
                max_connections=64,
                timeout=10,
                socket_connect_timeout=2,
                socket_timeout=10,
                health_check_interval=15,
            )
        )
        self.positions = PositionStore(
            self.redis,
            settings.redis_channel_prefix,
            ttl_seconds=settings.realtime_position_ttl_seconds,
        )
        self.server = RealtimeServer(resources, self.positions, redis=self.redis)
        self.fanout = StreamFanout(
            sio=self.server.sio,
            redis=self.redis,
            settings=settings,
            positions=self.positions,
            index=lambda: resources.placement_sync.index,
        )

    async def start(self) -> None:
        # Best effort: create the consumer group now, so events published from here on wait
        # for us even before the consumer's first read. Without Redis the service still
        # starts (REST keeps serving, /readyz says 503); the consumer retries the group.
        with contextlib.suppress(RedisError, OSError):
            await self.fanout.ensure_group()

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [self.fanout.run()]

    async def aclose(self) -> None:
        await self.server.aclose()
        await self.redis.aclose()


def build(resources: Resources) -> Component:
    return RealtimeComponent(resources)
