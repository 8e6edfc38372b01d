"""Socket.IO events that are answered later, without a task waiting for each message.

python-socketio runs every incoming event in a task of its own and sends the ack when the
handler returns. A `location_update` handler returns only once its ingest batch has been
committed, so at thousands of updates a second that was thousands of tasks parked on
futures, each woken to send one ack. Events registered in `direct` skip that: the handler
runs inline (validates, queues the update) and the ack goes out when the batch answers,
from the batch's own reply task (`LocationBatcher.on_replies`). Other events keep
python-socketio's handling. Only the default namespace is used by this server.
"""

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from engineio.exceptions import SocketIsClosedError
from socketio.packet import ACK

# (sid, engine.io sid, ack id or None, payload)
DirectHandler = Callable[[str, str, int | None, Any], Awaitable[None]]


class DirectEventServer(socketio.AsyncServer):  # type: ignore[misc]  # no type hints shipped
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.direct: dict[str, DirectHandler] = {}

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: list[Any]
    ) -> None:
        """python-socketio's dispatch of one event packet (an internal method: this project
        pins python-socketio 5, and tests cover both kinds of event)."""
        name = data[0] if data else None
        handler = self.direct.get(name) if isinstance(name, str) else None
        if handler is None or (namespace or "/") != "/":
            await super()._handle_event(eio_sid, namespace, id, data)
            return
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        if sid is None or not self.manager.is_connected(sid, "/"):
            return
        await handler(sid, eio_sid, id, data[1] if len(data) > 1 else None)

    async def send_ack(self, eio_sid: str, ack_id: int, payload: Any) -> None:
        """Answer a client's event; a socket that closed meanwhile just misses it."""
        encoded = self.packet_class(ACK, namespace="/", id=ack_id, data=[payload]).encode()
        with contextlib.suppress(KeyError, SocketIsClosedError):
            await self.eio.send(eio_sid, encoded)
