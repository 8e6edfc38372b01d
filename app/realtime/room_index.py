"""Which rooms each socket is in, so a disconnect costs the socket's rooms, not everyone's.

python-socketio's managers find a disconnecting socket's rooms by scanning every room of the
namespace (`BaseManager.basic_disconnect`). With a room per socket, per user and per H3 cell,
2,000 sockets make ~5,000 rooms: each disconnect cost ~1.7 ms, and a disconnect storm (a
network blip, a deploy) held the event loop for seconds. This mixin keeps the reverse map
as rooms are entered and left, and disconnects through it; the rest of the manager is
python-socketio's.
"""

from collections.abc import Hashable
from typing import Any

import socketio

from app.realtime.pubsub import ResilientRedisManager


class RoomIndex:
    """Mix in before a python-socketio manager class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rooms_of: dict[tuple[str, str], set[Hashable]] = {}

    def basic_enter_room(
        self, sid: str, namespace: str, room: Hashable, eio_sid: Any = None
    ) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)  # type: ignore[misc]
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Hashable) -> None:
        super().basic_leave_room(sid, namespace, room)  # type: ignore[misc]
        key = (namespace, sid)
        rooms = self._rooms_of.get(key)
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self._rooms_of[key]

    def basic_disconnect(self, sid: str, namespace: str, **_: Any) -> None:
        # BaseManager.basic_disconnect, with the socket's own rooms instead of a scan.
        manager: Any = self
        if namespace not in manager.rooms:
            return
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        manager.callbacks.pop(sid, None)
        for pending in (manager.pending_connect, manager.pending_disconnect):
            sids = pending.get(namespace)
            if sids is not None and sid in sids:
                sids.remove(sid)
                if not sids:
                    del pending[namespace]


class IndexedRedisManager(RoomIndex, ResilientRedisManager):
    pass


class IndexedMemoryManager(RoomIndex, socketio.AsyncManager):  # type: ignore[misc]
    pass
