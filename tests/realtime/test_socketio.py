"""Socket.IO against a real uvicorn server: auth, one connection per device, spaces
(join/leave/presence/private refusal/chat), the WebRTC relay, location updates."""

import asyncio
import uuid

import httpx
import pytest

from app.spaces.models import SpaceMember
from app.users.models import User
from tests.realtime.conftest import MUNICH, Fixes, LiveServer, Player, Refused, connect


async def create_space(live: LiveServer, owner: User, access_type: str = "public") -> str:
    async with httpx.AsyncClient(base_url=live.url) as http:
        r = await http.post(
            "/api/spaces/create",
            json={
                "user_id": str(owner.id),
                "space_name": "CyberLounge",
                "description": "Virtual meeting place",
                "access_type": access_type,
                "lat": MUNICH[0],
                "lng": MUNICH[1],
            },
            headers={"Authorization": f"Bearer {live.token(owner)}"},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["space_id"])


async def test_connections_need_a_valid_user_token(live: LiveServer) -> None:
    user = await live.user()
    for auth in (None, "not-a-jwt", live.token(user) + "x"):
        with pytest.raises(Refused) as refused:
            await connect(live.url, auth)
        assert refused.value.data["message"] == "unauthorized"
        assert refused.value.data["data"]["code"] == "unauthorized"
    player = await connect(live.url, live.token(user))
    assert player.client.connected
    await player.close()


async def test_a_second_connection_of_a_device_replaces_the_first(live: LiveServer) -> None:
    user = await live.user()
    device = uuid.uuid4()
    first = await connect(live.url, live.token(user, device))
    second = await connect(live.url, live.token(user, device))
    await first.wait_for("session_replaced")
    for _ in range(200):
        if not first.client.connected:
            break
        await first.client.sleep(0.02)
    assert not first.client.connected
    assert second.client.connected
    # Another device of the same user is a separate connection.
    other = await connect(live.url, live.token(user))
    assert second.client.connected
    assert other.client.connected
    for p in (second, other):
        await p.close()


async def test_join_leave_presence_and_messages(live: LiveServer) -> None:
    owner, guest = await live.user(), await live.user()
    space_id = await create_space(live, owner)
    a = await connect(live.url, live.token(owner), user=owner)
    b = await connect(live.url, live.token(guest), user=guest)
    try:
        # The seed's shape, user_id as id or username.
        ack = await a.call("join_space", {"user_id": str(owner.id), "space_id": space_id})
        assert ack["ok"] is True, ack
        ack = await b.call("join_space", {"user_id": guest.username, "space_id": space_id})
        assert ack["ok"] is True
        assert {u["user_id"] for u in ack["online"]} == {str(owner.id), str(guest.id)}
        joined = await a.wait_for("space_presence", lambda d: d["user_id"] == str(guest.id))
        assert joined == {
            "space_id": space_id,
            "user_id": str(guest.id),
            "username": guest.username,
            "action": "joined",
        }
        ack = await b.call("space_message", {"space_id": space_id, "text": "hello"})
        assert ack == {"ok": True}
        msg = await a.wait_for("space_message")
        assert (msg["text"], msg["user_id"], msg["username"]) == (
            "hello",
            str(guest.id),
            guest.username,
        )
        assert (await b.call("space_message", {"space_id": space_id, "text": ""}))["ok"] is False
        ack = await b.call("leave_space", {"space_id": space_id})
        assert ack["ok"] is True
        await a.wait_for("space_presence", lambda d: d["action"] == "left")
        ack = await b.call("space_message", {"space_id": space_id, "text": "gone"})
        assert ack["error"]["code"] == "forbidden"
        # Someone else's user_id, unknown and malformed spaces.
        ack = await b.call("join_space", {"user_id": str(owner.id), "space_id": space_id})
        assert ack["error"]["code"] == "forbidden"
        ack = await b.call("join_space", {"user_id": str(guest.id), "space_id": str(uuid.uuid4())})
        assert ack["error"]["code"] == "not_found"
        ack = await b.call("join_space", {"user_id": str(guest.id), "space_id": "nope"})
        assert ack["error"]["code"] == "not_found"
        assert (await b.call("join_space", "not an object"))["error"]["code"] == "invalid_input"
        # Disconnecting leaves every space.
        await b.call("join_space", {"user_id": str(guest.id), "space_id": space_id})
        await b.close()
        await a.wait_for(
            "space_presence", lambda d: d["action"] == "left" and len(a.of("space_presence")) >= 4
        )
    finally:
        await a.close()
        await b.close()


async def test_private_and_invite_spaces_refuse_outsiders(live: LiveServer) -> None:
    owner, outsider = await live.user(), await live.user()
    private_id = await create_space(live, owner, "private")
    invite_id = await create_space(live, owner, "invite")
    p = await connect(live.url, live.token(outsider))
    o = await connect(live.url, live.token(owner))
    try:
        ack = await p.call("join_space", {"user_id": str(outsider.id), "space_id": private_id})
        assert ack["ok"] is False
        assert ack["error"]["code"] == "not_found"  # a private space's existence is private
        ack = await p.call("join_space", {"user_id": str(outsider.id), "space_id": invite_id})
        assert ack["error"]["code"] == "forbidden"
        ack = await o.call("join_space", {"user_id": str(owner.id), "space_id": private_id})
        assert ack["ok"] is True
        ack = await p.call("space_message", {"space_id": private_id, "text": "let me in"})
        assert ack["error"]["code"] == "forbidden"
    finally:
        await p.close()
        await o.close()


async def test_webrtc_signals_reach_only_the_addressed_member(live: LiveServer) -> None:
    owner, member, bystander, outsider = [await live.user() for _ in range(4)]
    space_id = await create_space(live, owner, "invite")
    async with live.sessions() as session:
        session.add(SpaceMember(space_id=uuid.UUID(space_id), user_id=member.id, role="member"))
        session.add(SpaceMember(space_id=uuid.UUID(space_id), user_id=bystander.id, role="member"))
        await session.commit()
    players: list[Player] = [
        await connect(live.url, live.token(u), user=u) for u in (owner, member, bystander, outsider)
    ]
    a, b, c, x = players
    try:
        for p in (a, b, c):
            assert p.user is not None
            ack = await p.call("join_space", {"user_id": str(p.user.id), "space_id": space_id})
            assert ack["ok"] is True, ack
        ack = await x.call("join_space", {"user_id": str(outsider.id), "space_id": space_id})
        assert ack["ok"] is False
        offer = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
        ack = await a.call(
            "webrtc_offer", {"space_id": space_id, "to_user_id": str(member.id), "sdp": offer}
        )
        assert ack == {"ok": True}
        got = await b.wait_for("webrtc_offer")
        assert got == {"space_id": space_id, "from_user_id": str(owner.id), "sdp": offer}
        ack = await b.call(
            "webrtc_answer",
            {"space_id": space_id, "to_user_id": str(owner.id), "sdp": {"type": "answer"}},
        )
        assert ack == {"ok": True}
        await a.wait_for("webrtc_answer")
        ack = await b.call(
            "webrtc_ice_candidate",
            {"space_id": space_id, "to_user_id": str(owner.id), "candidate": {"candidate": "c"}},
        )
        await a.wait_for("webrtc_ice_candidate")
        # A non-member can neither send nor be addressed.
        ack = await x.call(
            "webrtc_offer", {"space_id": space_id, "to_user_id": str(owner.id), "sdp": offer}
        )
        assert ack["error"]["code"] == "forbidden"
        ack = await a.call(
            "webrtc_offer", {"space_id": space_id, "to_user_id": str(outsider.id), "sdp": offer}
        )
        assert ack["error"]["code"] == "not_found"
        ack = await a.call("webrtc_offer", {"space_id": space_id, "to_user_id": str(member.id)})
        assert ack["error"]["code"] == "invalid_input"
        # A last chat message is a barrier: everything relayed before it has arrived.
        await a.call("space_message", {"space_id": space_id, "text": "barrier"})
        await c.wait_for("space_message")
        assert not [e for e, _ in c.events if e.startswith("webrtc_")]
        assert not [e for e, _ in x.events if e.startswith("webrtc_")]
        assert len(b.of("webrtc_offer")) == 1
    finally:
        for p in players:
            await p.close()


async def test_a_location_update_without_ack_is_ingested_all_the_same(live: LiveServer) -> None:
    """A client may send updates without asking for an ack: the server still ingests them
    (the next update, a retry of the same fix, is a duplicate)."""
    user = await live.user()
    p = await connect(live.url, live.token(user))
    fixes = Fixes()
    try:
        fix = fixes.at(*MUNICH)
        await p.client.emit("location_update", fix)
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            ack = await p.call("location_update", fix)
            if ack.get("reason") == "duplicate" or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.05)
        assert (ack["ok"], ack["accepted"], ack["reason"]) == (True, False, "duplicate"), ack
    finally:
        await p.close()


async def test_location_update_goes_through_the_location_service(live: LiveServer) -> None:
    user = await live.user()
    p = await connect(live.url, live.token(user))
    fixes = Fixes()
    try:
        ack = await p.call("location_update", fixes.at(*MUNICH))
        assert ack["ok"] is True, ack
        assert ack["accepted"] is True, ack
        ack = await p.call("location_update", {**fixes.at(*MUNICH), "timestamp": 1})
        assert ack["ok"] is True
        assert ack["accepted"] is False
        assert ack["reason"] in {"too_old", "out_of_order"}
        ack = await p.call("location_update", {"lat": 91, "lng": 0})
        assert ack["ok"] is False
        assert ack["error"]["code"] == "invalid_input"
        # python-socketio's client writes NaN as a bare `NaN` (not JSON): the server still
        # reads it and answers with a validation error.
        ack = await p.call("location_update", {**fixes.at(*MUNICH), "lat": float("nan")})
        assert ack["ok"] is False
        assert ack["error"]["code"] == "invalid_input"
        ack = await p.call("location_update", "not an object")
        assert ack["ok"] is False
        assert ack["error"]["code"] == "invalid_input"
    finally:
        await p.close()
