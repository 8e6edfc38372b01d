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
from collections.abc import AsyncIterator, Callable
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
        async for message in listen_forever(
            self._listener_client,
            self.channel,
            self.listening,
            what="socket.io pub/sub listener",
            owns_client=True,
        ):
            yield message


async def listen_forever(
    connect: Callable[[], Redis],
    channel: str,
    subscribed: asyncio.Event,
    *,
    what: str,
    owns_client: bool,
) -> AsyncIterator[dict[str, Any]]:
    """The messages of `channel`, forever: re-subscribes every LISTENER_FIRST_RETRY_S,
    doubling to LISTENER_RETRY_CAP_S, after any failure. `subscribed` is set while
    subscribed. `connect` gives the client for an attempt (closed afterwards when
    `owns_client`); it should not retry on its own, so a lost connection shows at once."""
    delay = LISTENER_FIRST_RETRY_S
    while True:
        client = connect()
        pubsub: Any = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            subscribed.set()
            delay = LISTENER_FIRST_RETRY_S
            async for message in pubsub.listen():
                yield message
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # anything: this loop must outlive every failure
            # Once per outage at warning level; the retries every half second at debug.
            level = logging.WARNING if subscribed.is_set() else logging.DEBUG
            log.log(level, "%s lost Redis (%s); resubscribing", what, exc)
        finally:
            subscribed.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.aclose(), timeout=1.0)
            if owns_client:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.aclose(), timeout=1.0)
        await asyncio.sleep(delay)
        delay = min(delay * 2, LISTENER_RETRY_CAP_S)
