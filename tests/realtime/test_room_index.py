"""The room index (app/realtime/room_index.py) leaves rooms exactly as python-socketio does."""

import socketio

from app.realtime.room_index import IndexedMemoryManager


def _managers() -> tuple[socketio.AsyncManager, socketio.AsyncManager]:
    plain, indexed = socketio.AsyncManager(), IndexedMemoryManager()
    for manager in (plain, indexed):
        manager.set_server(socketio.AsyncServer(client_manager=manager))
        manager.initialize()
    return plain, indexed


async def test_disconnect_leaves_the_same_rooms_as_python_socketio() -> None:
    plain, indexed = _managers()
    for manager in (plain, indexed):
        sids = [await manager.connect(f"eio-{i}", "/") for i in range(6)]
        for i, sid in enumerate(sids):
            await manager.enter_room(sid, "/", f"user:{i % 3}")
            await manager.enter_room(sid, "/", f"cell:{i % 2}")
        await manager.leave_room(sids[0], "/", "cell:0")
        await manager.enter_room(sids[0], "/", "space:a")
        manager.pre_disconnect(sids[0], "/")
        await manager.disconnect(sids[0], "/")
        await manager.disconnect(sids[3], "/")
        await manager.disconnect(sids[3], "/")  # twice: nothing left to leave
    snapshot = [
        {room: dict(members) for room, members in m.rooms.get("/", {}).items() if room}
        for m in (plain, indexed)
    ]
    # Sids are random per manager: compare rooms by their members' engine.io sids.
    by_eio = [
        {room: sorted(members.values()) for room, members in rooms.items() if ":" in room}
        for rooms in snapshot
    ]
    assert by_eio[0] == by_eio[1]
    # Rooms whose members all left are gone; the others lost just the leavers.
    assert "space:a" not in by_eio[1]
    assert "user:0" not in by_eio[1]
    assert by_eio[1]["user:1"] == ["eio-1", "eio-4"]
    assert by_eio[1]["cell:1"] == ["eio-1", "eio-5"]
    assert plain.pending_disconnect == indexed.pending_disconnect == {}
    assert indexed._rooms_of.keys() == {("/", sid) for sid in indexed.rooms["/"][None]}
