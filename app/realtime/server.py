"""The Socket.IO server: authentication, one connection per device, spaces, location updates,
chat and the WebRTC signaling relay. Handlers are thin; each answers through its ack with
{"ok": true, ...} or {"ok": false, "error": {"code", "message"}}.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import socketio
from pydantic import ValidationError
from redis.asyncio import Redis

from app.auth.errors import InvalidToken
from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.locations.schemas import LocationUpdateIn, UpdateResult
from app.realtime import rooms
from app.realtime.direct_events import DirectEventServer
from app.realtime.location_batcher import LocationBatcher, Outcome
from app.realtime.metrics import EVENTS_EMITTED, SOCKET_CONNECTIONS, SOCKET_REFUSED
from app.realtime.positions import PositionStore
from app.realtime.room_index import IndexedMemoryManager, IndexedRedisManager
from app.realtime.wire import TextPacket
from app.resources import Resources
from app.spaces.access import parse_space_id, require_entry
from app.users import queries as user_queries

log = logging.getLogger("cyberspace.realtime")

Ack = dict[str, Any]
MAX_MESSAGE_CHARS = 1000
MAX_SIGNAL_BYTES = 64 * 1024  # SDP offers are a few KB; this keeps the relay from being a pipe
WEBRTC_EVENTS = ("webrtc_offer", "webrtc_answer", "webrtc_ice_candidate")


@dataclass
class SocketState:
    user_id: str
    username: str
    device: str
    spaces: set[str] = field(default_factory=set)
    cell: str | None = None


@dataclass(frozen=True, slots=True)
class _LocationReply:
    """Who to answer once a queued location update has been ingested."""

    sid: str
    eio_sid: str
    ack_id: int | None
    state: SocketState
    update: LocationUpdateIn


def _error(exc: DomainError | ValidationError) -> Ack:
    if isinstance(exc, ValidationError):
        errors = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        exc = InvalidInput("Invalid payload", details={"errors": errors})
    return {
        "ok": False,
        "error": {"code": exc.code, "message": exc.message, "details": exc.details},
    }


# A batch that failed as a whole (database unreachable): nothing was stored, retry.
_INGEST_FAILED: Ack = {
    "ok": False,
    "error": {
        "code": "unavailable",
        "message": "The update could not be stored; send it again",
        "details": {},
    },
}


def make_manager(resources: Resources) -> socketio.AsyncManager:
    settings = resources.settings
    if settings.socketio_manager == "redis":
        # Back on pub/sub within half a second of a Redis restart (app/realtime/pubsub.py).
        return IndexedRedisManager(
            settings.redis_url, channel=f"{settings.redis_channel_prefix}:socketio"
        )
    return IndexedMemoryManager()


class RealtimeServer:
    def __init__(self, resources: Resources, positions: PositionStore, *, redis: Redis) -> None:
        self.resources = resources
        self.settings = resources.settings
        self.redis = redis
        self.positions = positions
        origins = self.settings.socketio_cors_origins
        self.sio = DirectEventServer(
            async_mode="asgi",
            client_manager=make_manager(resources),
            cors_allowed_origins=origins if origins else None,
            max_http_buffer_size=256 * 1024,
            logger=False,
            engineio_logger=False,
            serializer=TextPacket,
        )
        self.asgi = socketio.ASGIApp(self.sio, socketio_path="socket.io")
        self.sockets: dict[str, SocketState] = {}
        self.locations = LocationBatcher(
            resources,
            max_batch=self.settings.realtime_location_batch_max,
            workers=self.settings.realtime_location_workers,
            linger_ms=self.settings.realtime_location_linger_ms,
        )
        prefix = self.settings.redis_channel_prefix
        self._device_key = f"{prefix}:rt:device"
        self._presence_key = f"{prefix}:rt:presence"
        self._register()
        self.sio.direct["location_update"] = self.location_update
        self.locations.on_replies = self.answer_locations

    def _register(self) -> None:
        self.sio.on("connect", self.on_connect)
        self.sio.on("disconnect", self.on_disconnect)
        handlers: dict[str, Callable[[SocketState, str, Any], Awaitable[Ack]]] = {
            "join_space": self.join_space,
            "leave_space": self.leave_space,
            "space_message": self.space_message,
        }  # location_update: direct (below)
        handlers.update({name: self._relay(name) for name in WEBRTC_EVENTS})
        for name, handler in handlers.items():
            self.sio.on(name, self._guarded(handler))

    def _guarded(
        self, handler: Callable[[SocketState, str, Any], Awaitable[Ack]]
    ) -> Callable[[str, Any], Awaitable[Ack]]:
        async def run(sid: str, data: Any = None) -> Ack:
            try:
                state = self._sender(sid, data)
                return await handler(state, sid, data)
            except (DomainError, ValidationError) as exc:
                return _error(exc)

        return run

    def _sender(self, sid: str, data: Any) -> SocketState:
        """The state of a connected socket that sent a JSON object (every event's payload)."""
        state = self.sockets.get(sid)
        if state is None:
            raise Forbidden("Not connected")
        if not isinstance(data, dict):
            raise InvalidInput("The payload must be a JSON object")
        return state

    # --- connection -------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            SOCKET_REFUSED.labels("no_token").inc()
            raise socketio.exceptions.ConnectionRefusedError(
                "unauthorized", {"code": "unauthorized", "message": "auth.token is required"}
            )
        try:
            principal = await self.resources.auth.tokens.authenticate(token)
        except InvalidToken:
            SOCKET_REFUSED.labels("invalid_token").inc()
            raise socketio.exceptions.ConnectionRefusedError(
                "unauthorized", {"code": "unauthorized", "message": "Invalid or expired token"}
            ) from None
        if principal.kind != "user" or principal.session_id is None:
            SOCKET_REFUSED.labels("app_token").inc()
            raise socketio.exceptions.ConnectionRefusedError(
                "forbidden", {"code": "forbidden", "message": "A user's token is required"}
            )
        async with self.resources.session_factory() as session:
            user = await user_queries.get_user(session, principal.user_id)
        if user is None or not user.is_active:
            SOCKET_REFUSED.labels("inactive").inc()
            raise socketio.exceptions.ConnectionRefusedError(
                "unauthorized", {"code": "unauthorized", "message": "Account not found or disabled"}
            )
        device = str(principal.session_id)
        self.sockets[sid] = SocketState(user_id=str(user.id), username=user.username, device=device)
        await self.sio.enter_room(sid, rooms.user(str(user.id)))
        SOCKET_CONNECTIONS.inc()
        # One connection per device session: the newest wins, the older one is told and closed.
        previous = await self.redis.set(f"{self._device_key}:{device}", sid, get=True, ex=86_400)
        old_sid = previous.decode() if isinstance(previous, bytes) else previous
        if old_sid and old_sid != sid:
            await self.sio.emit(
                "session_replaced",
                {"reason": "another connection of this device took over"},
                to=old_sid,
            )
            await self.sio.disconnect(old_sid)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        state = self.sockets.pop(sid, None)
        if state is None:
            return
        SOCKET_CONNECTIONS.dec()
        try:
            # Only clear the device marker if it still names this socket (not its successor).
            key = f"{self._device_key}:{state.device}"
            current: Any = await self.redis.get(key)
            if (
                current is not None
                and (current.decode() if isinstance(current, bytes) else current) == sid
            ):
                await self.redis.delete(key)
        finally:
            # Even when Redis failed above: the socket must leave its spaces.
            for space_id in list(state.spaces):
                await self._leave(state, sid, space_id)

    # --- spaces -------------------------------------------------------------------------

    async def _presence(self, space_id: str) -> dict[str, dict[str, str]]:
        raw: dict[Any, Any] = await self.redis.hgetall(f"{self._presence_key}:{space_id}")
        return {
            (k.decode() if isinstance(k, bytes) else k): orjson.loads(v) for k, v in raw.items()
        }

    async def join_space(self, state: SocketState, sid: str, data: dict[str, Any]) -> Ack:
        ref = str(data.get("user_id", state.user_id)).strip()
        if ref not in (state.user_id, state.username) and ref.lower() != state.username.lower():
            raise Forbidden(
                "user_id must be your own user id or username", details={"field": "user_id"}
            )
        space_id = parse_space_id(data.get("space_id"))
        async with self.resources.session_factory() as session:
            user = await user_queries.get_user(session, uuid.UUID(state.user_id))
            if user is None:
                raise Forbidden("Account not found")
            await require_entry(session, space_id, user)
        key = str(space_id)
        await self.sio.enter_room(sid, rooms.space(key))
        state.spaces.add(key)
        me = {"user_id": state.user_id, "username": state.username}
        await self.redis.hset(f"{self._presence_key}:{key}", sid, orjson.dumps(me))
        await self._emit(
            "space_presence", {"space_id": key, **me, "action": "joined"}, rooms.space(key)
        )
        online = {v["user_id"]: v for v in (await self._presence(key)).values()}
        return {"ok": True, "space_id": key, "online": list(online.values())}

    async def _leave(self, state: SocketState, sid: str, space_id: str) -> None:
        state.spaces.discard(space_id)
        await self.sio.leave_room(sid, rooms.space(space_id))
        await self.redis.hdel(f"{self._presence_key}:{space_id}", sid)
        await self._emit(
            "space_presence",
            {
                "space_id": space_id,
                "user_id": state.user_id,
                "username": state.username,
                "action": "left",
            },
            rooms.space(space_id),
        )

    async def leave_space(self, state: SocketState, sid: str, data: dict[str, Any]) -> Ack:
        space_id = str(parse_space_id(data.get("space_id")))
        if space_id not in state.spaces:
            raise NotFound("You have not joined this space")
        await self._leave(state, sid, space_id)
        return {"ok": True, "space_id": space_id}

    async def space_message(self, state: SocketState, sid: str, data: dict[str, Any]) -> Ack:
        space_id = str(parse_space_id(data.get("space_id")))
        if space_id not in state.spaces:
            raise Forbidden("Join the space before talking in it")
        text = data.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE_CHARS:
            raise InvalidInput(
                f"text must be 1..{MAX_MESSAGE_CHARS} characters", details={"field": "text"}
            )
        message = {
            "space_id": space_id,
            "user_id": state.user_id,
            "username": state.username,
            "text": text,
            "sent_at": datetime.now(UTC).isoformat(),
        }
        await self._emit("space_message", message, rooms.space(space_id))
        return {"ok": True}

    # --- WebRTC signaling ----------------------------------------------------------------

    def _relay(self, event: str) -> Callable[[SocketState, str, Any], Awaitable[Ack]]:
        body_key = "candidate" if event == "webrtc_ice_candidate" else "sdp"

        async def relay(state: SocketState, sid: str, data: dict[str, Any]) -> Ack:
            space_id = str(parse_space_id(data.get("space_id")))
            if space_id not in state.spaces:
                raise Forbidden("Join the space before signaling in it")
            target = str(data.get("to_user_id", ""))
            body = data.get(body_key)
            if body is None or len(orjson.dumps(body)) > MAX_SIGNAL_BYTES:
                raise InvalidInput(
                    f"{body_key} is required (at most 64 KiB)", details={"field": body_key}
                )
            # Only the target's sockets that joined this space (so passed its entry check).
            peers = [
                s for s, who in (await self._presence(space_id)).items() if who["user_id"] == target
            ]
            if not peers or target == state.user_id:
                raise NotFound("That peer is not in this space", details={"to_user_id": target})
            payload = {"space_id": space_id, "from_user_id": state.user_id, body_key: body}
            await self._emit(event, payload, peers)
            return {"ok": True}

        return relay

    # --- location -----------------------------------------------------------------------

    async def location_update(self, sid: str, eio_sid: str, ack_id: int | None, data: Any) -> None:
        """Validate and queue; the ack goes out when the update's batch answers."""
        try:
            state = self._sender(sid, data)
            update = LocationUpdateIn.model_validate(data)
        except (DomainError, ValidationError) as exc:
            if ack_id is not None:
                await self.sio.send_ack(eio_sid, ack_id, _error(exc))
            return
        reply = _LocationReply(sid, eio_sid, ack_id, state, update)
        self.locations.enqueue(uuid.UUID(state.user_id), update, reply)

    async def answer_locations(self, replies: list[tuple[Any, Outcome]]) -> None:
        """One ingest batch's answers: the accepted updates move their socket to the room of
        their H3 cell, then every caller gets its ack."""
        for reply, outcome in replies:
            if isinstance(outcome, UpdateResult):
                if outcome.accepted and reply.sid in self.sockets:
                    await self._follow_cell(reply)
                ack = {"ok": True, **outcome.model_dump(mode="json")}
            elif isinstance(outcome, DomainError):
                ack = _error(outcome)
            else:
                ack = _INGEST_FAILED
            if reply.ack_id is not None:
                await self.sio.send_ack(reply.eio_sid, reply.ack_id, ack)

    async def _follow_cell(self, reply: _LocationReply) -> None:
        update, state = reply.update, reply.state
        cell = rooms.cell(update.lat, update.lng, self.settings.realtime_cell_resolution)
        if cell != state.cell:
            if state.cell is not None:
                await self.sio.leave_room(reply.sid, state.cell)
            await self.sio.enter_room(reply.sid, cell)
            state.cell = cell

    async def _emit(self, event: str, data: dict[str, Any], to: str | list[str]) -> None:
        await self.sio.emit(event, data, to=to)
        EVENTS_EMITTED.labels(event).inc()

    async def aclose(self) -> None:
        """Close this process's sockets and stop engine.io's ping service and the manager's
        listener. Not `sio.shutdown()`: it awaits the ping service task, which can miss its
        stop event and wait forever (seen under load), and a stopping process must not hang."""
        await self.locations.aclose()
        for sid in list(self.sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.sio.disconnect(sid, ignore_queue=True), timeout=1.0)
        eio = self.sio.eio
        event = getattr(eio, "service_task_event", None)
        if event is not None:
            event.set()
        for task in (
            getattr(eio, "service_task_handle", None),
            getattr(self.sio.manager, "thread", None),
        ):
            if isinstance(task, asyncio.Task) and not task.done():
                task.cancel()
