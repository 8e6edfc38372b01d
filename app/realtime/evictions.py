"""Access taken away over REST takes effect on live sockets, on every process.

The spaces service publishes `_space_access_changed` after its commit (app/spaces/events.py).
The stream consumer that gets it (one process) re-broadcasts it on a Redis pub/sub channel,
and every process re-checks *its own* sockets in that space against the database, then
evicts those no longer allowed in. Each process must act itself: python-socketio's Redis
manager does forward `leave_room` for a remote sid (5.x), but the remote process's
`SocketState.spaces` would still list the space, and `space_message`/the WebRTC relay check
that set, so the evicted socket could keep talking into the room.

Pub/sub keeps nothing, so whenever this process (re)subscribes it re-checks all its sockets
(a change made while it was not listening is caught then), and it re-checks them every
`space_access_recheck_seconds` anyway (closes the small race with a `join_space` that passed
its entry check just before the change was committed).

An evicted socket gets `space_removed` {space_id, reason}; the room gets `space_presence`
{..., action: "left", reason: "removed"}.

A disabled account (`_user_disabled`, app/users/events.py) travels the same way and loses
all its sockets: each gets `account_disabled` and is disconnected, which takes it out of its
spaces with the usual presence. The full re-check also closes sockets of accounts no longer
active, so a missed message is caught there too.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.events import RealtimeEvent
from app.realtime import rooms
from app.realtime.metrics import EVENTS_EMITTED
from app.realtime.pubsub import LISTENER_FIRST_RETRY_S, LISTENER_RETRY_CAP_S
from app.realtime.server import RealtimeServer, SocketState
from app.spaces.access import who_may_stay
from app.spaces.events import AccessChange
from app.users.queries import active_users

log = logging.getLogger("cyberspace.realtime")

REMOVED_EVENT = "space_removed"
DISABLED_EVENT = "account_disabled"
DB_RETRY_S = 5.0


def access_channel(prefix: str) -> str:
    return f"{prefix}:rt:space-access"


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


class SpaceEvictions:
    def __init__(
        self,
        server: RealtimeServer,
        *,
        redis: Redis,
        subscriber: Redis,
        session_factory: async_sessionmaker[AsyncSession],
        prefix: str,
        recheck_seconds: float,
    ) -> None:
        self.server = server
        self.redis = redis
        # A client of its own without redis-py's silent reconnect (Retry with 0 retries):
        # every lost connection must surface here, because re-subscribing has to be
        # followed by a full re-check (what was published meanwhile is gone).
        self.subscriber = subscriber
        self.sessions = session_factory
        self.prefix = prefix
        self.channel = access_channel(prefix)
        self.recheck_seconds = recheck_seconds
        self.subscribed = asyncio.Event()

    # --- the consumer side: one process gets the stream event and tells all of them ------

    async def announce(self, event: RealtimeEvent) -> None:
        """Stream handler of `_space_access_changed`. A RedisError leaves the entry pending
        (the consumer retries it)."""
        await self.redis.publish(self.channel, orjson.dumps(event.data))

    async def announce_user_disabled(self, event: RealtimeEvent) -> None:
        """Stream handler of `_user_disabled`."""
        await self.redis.publish(
            self.channel, orjson.dumps({"user_disabled": event.data["user_id"]})
        )

    # --- every process: listen, re-check its own sockets ---------------------------------

    async def run(self) -> None:
        backoff = LISTENER_FIRST_RETRY_S
        while True:
            pubsub: Any = self.subscriber.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.subscribed.set()
                backoff = LISTENER_FIRST_RETRY_S
                # After subscribing, so nothing falls between the re-check and the listening.
                await self.recheck_all()
                await self._listen(pubsub)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                # Once per outage at warning level; the retries every half second at debug.
                level = logging.WARNING if self.subscribed.is_set() else logging.DEBUG
                log.log(level, "space access channel lost Redis (%s); resubscribing", exc)
            except Exception:
                # Typically the database (the re-check needs it): start over, re-check
                # included, but not in a tight loop.
                log.exception("space access re-check failed; retrying in %.0fs", DB_RETRY_S)
                backoff = DB_RETRY_S
            finally:
                self.subscribed.clear()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(pubsub.aclose(), timeout=1.0)
            # Short and capped: while this process is not subscribed it misses changes (the
            # re-check on resubscribe catches up, but sockets stay in rooms until then).
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, LISTENER_RETRY_CAP_S)

    async def _listen(self, pubsub: Any) -> None:
        next_recheck = time.monotonic() + self.recheck_seconds
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None and message.get("type") == "message":
                await self._handle(message["data"])
            if self.recheck_seconds > 0 and time.monotonic() >= next_recheck:
                next_recheck = time.monotonic() + self.recheck_seconds
                await self.recheck_all()

    async def _handle(self, raw: bytes | str) -> None:
        try:
            body = orjson.loads(raw)
            if "user_disabled" in body:
                await self.close_user(str(body["user_disabled"]))
                return
            space_id = str(body["space_id"])
            users = body.get("user_ids")
            user_ids = None if users is None else {str(u) for u in users}
            reason = AccessChange(body.get("reason", AccessChange.ACCESS_CHANGED.value))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed space access message: %r", raw)
            return
        await self.recheck(space_id, user_ids, reason)

    def _local(self, space_id: str | None) -> dict[str, list[tuple[str, SocketState]]]:
        """This process's sockets by the spaces they joined (one space, or all)."""
        by_space: dict[str, list[tuple[str, SocketState]]] = defaultdict(list)
        for sid, state in list(self.server.sockets.items()):
            for joined in state.spaces:
                if space_id is None or joined == space_id:
                    by_space[joined].append((sid, state))
        return by_space

    async def recheck_all(self) -> int:
        """Every local socket: those of disabled accounts are closed (one query), the rest
        re-checked in every space (three queries in all, however many spaces)."""
        closed = await self.close_disabled()
        return closed + await self._recheck(self._local(None), AccessChange.ACCESS_CHANGED)

    async def close_disabled(self) -> int:
        """Close this process's sockets of accounts that are no longer active."""
        users = {u for u in (_uuid(s.user_id) for s in self.server.sockets.values()) if u}
        if not users:
            return 0
        async with self.sessions() as session:
            active = {str(u.id) for u in await active_users(session, list(users))}
        closed = 0
        for user_id in {str(u) for u in users} - active:
            closed += await self.close_user(user_id)
        return closed

    async def close_user(self, user_id: str) -> int:
        """Disconnect this process's sockets of the user (their account was disabled)."""
        sids = [sid for sid, state in list(self.server.sockets.items()) if state.user_id == user_id]
        sio = self.server.sio
        for sid in sids:
            # Queued before the disconnect packet on the same socket: it arrives first.
            await sio.emit(DISABLED_EVENT, {"reason": "account_disabled"}, to=sid)
            EVENTS_EMITTED.labels(DISABLED_EVENT).inc()
            await sio.disconnect(sid)
        if sids:
            log.info("closed %d socket(s) of disabled account %s", len(sids), user_id)
        return len(sids)

    async def recheck(self, space_id: str, user_ids: set[str] | None, reason: AccessChange) -> int:
        """Evict this process's sockets in the space (of these users, or all) that may no
        longer be inside. Returns how many were evicted."""
        local = [
            (sid, state)
            for sid, state in self._local(space_id).get(space_id, [])
            if user_ids is None or state.user_id in user_ids
        ]
        return await self._recheck({space_id: local}, reason)

    async def _recheck(
        self, by_space: Mapping[str, list[tuple[str, SocketState]]], reason: AccessChange
    ) -> int:
        inside: dict[uuid.UUID, set[uuid.UUID]] = {}
        names: dict[uuid.UUID, str] = {}
        for space_id, local in by_space.items():
            space_uuid = _uuid(space_id)
            users = {u for u in (_uuid(state.user_id) for _, state in local) if u is not None}
            if space_uuid is not None and users:
                inside[space_uuid], names[space_uuid] = users, space_id
        if not inside:
            return 0
        async with self.sessions() as session:
            allowed = await who_may_stay(session, inside)
        total = 0
        for space_uuid, may_stay in allowed.items():
            space_id = names[space_uuid]
            why = AccessChange.DELETED if may_stay is None else reason
            stay = {str(u) for u in may_stay or ()}
            evicted = 0
            for sid, state in by_space[space_id]:
                if state.user_id not in stay and await self.evict(sid, state, space_id, why):
                    evicted += 1
            if evicted:
                log.info("evicted %d socket(s) from space %s (%s)", evicted, space_id, why.value)
            total += evicted
        return total

    async def evict(
        self, sid: str, state: SocketState, space_id: str, reason: AccessChange
    ) -> bool:
        # Re-checked after the database round trip: the socket may have left or gone.
        if self.server.sockets.get(sid) is not state or space_id not in state.spaces:
            return False
        # First, and the only step that can fail: the WebRTC relay addresses peers through
        # this hash. If Redis refuses, nothing changed and the next re-check tries again.
        try:
            await self.redis.hdel(rooms.presence_key(self.prefix, space_id), sid)
        except RedisError:
            log.warning("could not evict %s from space %s yet (Redis)", sid, space_id)
            return False
        state.spaces.discard(space_id)
        sio = self.server.sio
        await sio.leave_room(sid, rooms.space(space_id))
        await sio.emit(REMOVED_EVENT, {"space_id": space_id, "reason": reason.value}, to=sid)
        EVENTS_EMITTED.labels(REMOVED_EVENT).inc()
        await sio.emit(
            "space_presence",
            {
                "space_id": space_id,
                "user_id": state.user_id,
                "username": state.username,
                "action": "left",
                "reason": "removed",
            },
            to=rooms.space(space_id),
        )
        EVENTS_EMITTED.labels("space_presence").inc()
        return True
