"""A stream batch's emits reach the sockets of every process in one pub/sub message.

Through python-socketio's Redis manager every emit is a JSON encode, a PUBLISH and a decode
on each process (its own included): about a millisecond of the consumer's CPU per alert,
which made emitting the largest cost of a location update under load. The consumer instead
delivers a batch's emits to this process's sockets directly (`ignore_queue`) and publishes
the whole batch once on `{prefix}:rt:emits`; every other process's listener delivers it to
its own sockets, also directly. Order is kept: per process, emits go out in batch order.

Pub/sub keeps nothing: a process that is not subscribed misses what is published meanwhile.
The listener re-subscribes within LISTENER_RETRY_CAP_S of Redis returning, and the consumer
holds events for RESUBSCRIBE_GRACE_S after an outage (app/realtime/fanout.py), as for the
Socket.IO manager's own listener (app/realtime/pubsub.py).
"""

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from typing import Any

import orjson
import socketio
from engineio.exceptions import SocketIsClosedError
from engineio.packet import MESSAGE
from engineio.packet import Packet as EioPacket
from redis.asyncio import Redis
from socketio.packet import EVENT

from app.realtime.metrics import ALERTS_SENT, EVENTS_EMITTED
from app.realtime.pubsub import listen_forever

log = logging.getLogger("cyberspace.realtime")

Emit = tuple[str, dict[str, Any], list[str] | str]  # (event, data, rooms)


def emits_channel(prefix: str) -> str:
    return f"{prefix}:rt:emits"


class EmitBus:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        *,
        publisher: Redis | None,
        subscriber: Redis | None,
        channel: str,
        alert_types: frozenset[str],
    ) -> None:
        """`publisher`/`subscriber` None: a single process (the in-memory manager), local
        delivery only."""
        self.sio = sio
        self.publisher = publisher
        self.subscriber = subscriber
        self.channel = channel
        self.alert_types = alert_types
        self.origin = uuid.uuid4().hex
        self.subscribed = asyncio.Event()

    async def send(self, emits: list[Emit]) -> None:
        """Deliver to this process's sockets, then publish once for the others."""
        if not emits:
            return
        await self._deliver(emits)
        if self.publisher is not None:
            body = orjson.dumps({"origin": self.origin, "emits": emits})
            await self.publisher.publish(self.channel, body)

    async def _deliver(self, emits: list[Emit]) -> None:
        """Hand each emit to this process's sockets in its rooms, in batch order.

        What python-socketio's `emit` does for a room, minus its scheduling: it encodes the
        packet once, then sends it to each recipient from a task of its own and waits for
        them, so every awaited emit cost a turn of the event loop (under load, a batch of
        3,000 alerts took 11 s). Engine.IO's `send_packet` only queues the packet for the
        socket's writer, so awaiting it does not yield."""
        manager = self.sio.manager
        rooms = manager.rooms.get("/", {})
        counts: Counter[str] = Counter()
        for event, data, to in emits:
            # Every process sees every emit: skip those none of this process's sockets wait
            # for before paying for the encoding.
            if not (rooms.get(to) if isinstance(to, str) else any(rooms.get(r) for r in to)):
                continue
            encoded = self.sio.packet_class(EVENT, namespace="/", data=[event, data]).encode()
            message = EioPacket(MESSAGE, encoded)
            for _, eio_sid in manager.get_participants("/", to):
                # A socket that closed since the room lookup just misses it.
                with contextlib.suppress(SocketIsClosedError):
                    await self.sio.eio.send_packet(eio_sid, message)
            counts[event] += 1
        # Metrics once per event type, not per emit: labels() alone costs microseconds.
        for event, n in counts.items():
            EVENTS_EMITTED.labels(event).inc(n)
            if event in self.alert_types:
                ALERTS_SENT.labels(event).inc(n)

    async def run(self) -> None:
        """Deliver what the other processes publish (forever; re-subscribes fast)."""
        if self.subscriber is None:
            return
        subscriber = self.subscriber
        async for message in listen_forever(
            lambda: subscriber,
            self.channel,
            self.subscribed,
            what="emit channel",
            owns_client=False,
        ):
            await self._handle(message.get("data"))

    async def _handle(self, raw: object) -> None:
        if not isinstance(raw, bytes | str):
            return
        try:
            body = orjson.loads(raw)
            if body.get("origin") == self.origin:
                return  # delivered here before it was published
            emits = [(str(e), dict(d), t) for e, d, t in body["emits"]]
        except Exception:
            log.exception("dropping a malformed emit batch")
            return
        await self._deliver(emits)
