"""python-socketio's Redis manager, with a listener that is back within half a second of
Redis returning.

Emits reach sockets on other processes only through the manager's pub/sub channel, and
pub/sub keeps nothing: whatever is published while a process is not subscribed never
reaches that process's sockets. With the stock AsyncRedisManager (python-socketio 5.18) a
lost connection is first retried by redis-py (3 attempts, jittered exponential back-off up
to ~7 s), then by python-socketio's loop, which sleeps 1, 2, 4, ... 60 s between attempts
and only resets after a success. Measured on a fresh Redis after a 2-6 s outage: the
listener was deaf for ~1 s after Redis answered again (20 of 20 probes sent every 50 ms
lost); the window grows with the outage (docs in the module's test,
tests/reliability/test_realtime_pubsub_resubscribe.py).

Here the listener has a client of its own without redis-py's retries (a lost connection
surfaces at once), retries every 50 ms doubling to LISTENER_RETRY_CAP_S, and closes the
clients it gives up on (the stock loop leaks one per attempt). The stream consumer waits
RESUBSCRIBE_GRACE_S after an outage before emitting (app/realtime/fanout.py), so by then
every process's listener is back and the first events after a fresh Redis are not lost.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import socketio
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger("cyberspace.realtime")

LISTENER_FIRST_RETRY_S = 0.05
LISTENER_RETRY_CAP_S = 0.5
# How long the stream consumer holds events after Redis comes back: longer than a
# listener's longest sleep plus a connect and a SUBSCRIBE.
RESUBSCRIBE_GRACE_S = 2 * LISTENER_RETRY_CAP_S


class ResilientRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    name = "aioredis-resilient"

    def __init__(self, url: str, *, channel: str, write_only: bool = False) -> None:
        super().__init__(url, channel=channel, write_only=write_only)
        # Set while subscribed; tests and start-up code may wait on it.
        self.listening = asyncio.Event()

    def _listener_client(self) -> Redis:
        return Redis.from_url(
            self.redis_url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=2,
            health_check_interval=15,
        )

    async def _redis_listen_with_retries(self) -> AsyncIterator[dict[str, Any]]:
        delay = LISTENER_FIRST_RETRY_S
        while True:
            client = self._listener_client()
            pubsub: Any = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.listening.set()
                delay = LISTENER_FIRST_RETRY_S
                async for message in pubsub.listen():
                    yield message
            except Exception as exc:  # anything: this loop must outlive every failure
                # Once per outage at warning level; the retries every half second at debug.
                level = logging.WARNING if self.listening.is_set() else logging.DEBUG
                log.log(level, "socket.io pub/sub listener lost Redis (%s); resubscribing", exc)
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(pubsub.aclose(), timeout=1.0)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.aclose(), timeout=1.0)
            await asyncio.sleep(delay)
            delay = min(delay * 2, LISTENER_RETRY_CAP_S)
