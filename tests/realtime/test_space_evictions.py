"""Access taken away over REST takes effect on live sockets: a removed member, a space that
became invite-only, a membership given up, a deleted space. The evicted socket gets
`space_removed`, the room `space_presence` {action: "left", reason: "removed"}, and neither
chat nor the WebRTC relay reaches or comes from the evicted socket any more."""

import uuid
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.auth.tokens import TokenService
from app.realtime.component import RealtimeComponent
from app.settings import Settings
from app.spaces.models import SpaceMember
from app.users.models import User
from tests.factories import bearer, make_user
from tests.realtime.conftest import LiveServer, Player, connect
from tests.realtime.test_scaleout import Process, two_processes  # noqa: F401 (fixture)
from tests.realtime.test_socketio import create_space

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}


async def add_member(live: LiveServer, space_id: str, user: User) -> None:
    async with live.sessions() as session:
        session.add(SpaceMember(space_id=uuid.UUID(space_id), user_id=user.id, role="member"))
        await session.commit()


async def rest(live: LiveServer, user: User, method: str, path: str, **kwargs: Any) -> None:
    async with httpx.AsyncClient(base_url=live.url) as http:
        r = await http.request(
            method, path, headers={"Authorization": f"Bearer {live.token(user)}"}, **kwargs
        )
        assert r.status_code in (200, 204), r.text


async def join(player: Player, space_id: str) -> None:
    assert player.user is not None
    ack = await player.call("join_space", {"user_id": str(player.user.id), "space_id": space_id})
    assert ack["ok"] is True, ack


async def owner_and_member_inside(
    live: LiveServer, access: str
) -> tuple[str, User, User, Player, Player]:
    """A space of `access`, its owner and a member, both connected and joined."""
    owner, member = await live.user(), await live.user()
    space_id = await create_space(live, owner, access)
    await add_member(live, space_id, member)
    a = await connect(live.url, live.token(owner), user=owner)
    b = await connect(live.url, live.token(member), user=member)
    try:
        await join(a, space_id)
        await join(b, space_id)
    except BaseException:
        await a.close()
        await b.close()
        raise
    return space_id, owner, member, a, b


async def barrier(sender: Player, space_id: str, *listeners: Player) -> None:
    """A chat message everyone still inside receives: what was emitted before has arrived."""
    text = f"barrier {uuid.uuid4().hex[:6]}"
    ack = await sender.call("space_message", {"space_id": space_id, "text": text})
    assert ack == {"ok": True}
    for p in (sender, *listeners):
        await p.wait_for("space_message", lambda d: d["text"] == text)


async def test_a_member_removed_over_rest_is_taken_out_of_the_room(live: LiveServer) -> None:
    space_id, owner, member, a, b = await owner_and_member_inside(live, "private")
    try:
        await barrier(a, space_id, b)

        await rest(live, owner, "DELETE", f"/api/spaces/{space_id}/members/{member.id}")

        removed = await b.wait_for("space_removed")
        assert removed == {"space_id": space_id, "reason": "removed"}
        left = await a.wait_for(
            "space_presence", lambda d: d["action"] == "left" and d["user_id"] == str(member.id)
        )
        assert left == {
            "space_id": space_id,
            "user_id": str(member.id),
            "username": member.username,
            "action": "left",
            "reason": "removed",
        }
        # No more chat either way.
        before = len(b.of("space_message"))
        await barrier(a, space_id)
        ack = await b.call("space_message", {"space_id": space_id, "text": "still here?"})
        assert ack["error"]["code"] == "forbidden"
        # The WebRTC relay refuses both directions.
        ack = await a.call(
            "webrtc_offer", {"space_id": space_id, "to_user_id": str(member.id), "sdp": OFFER}
        )
        assert ack["error"]["code"] == "not_found"
        ack = await b.call(
            "webrtc_offer", {"space_id": space_id, "to_user_id": str(owner.id), "sdp": OFFER}
        )
        assert ack["error"]["code"] == "forbidden"
        await barrier(a, space_id)
        assert len(b.of("space_message")) == before
        assert not b.of("webrtc_offer")
        assert not a.of("webrtc_offer")
        # And no way back in: the private space is invisible again.
        ack = await b.call("join_space", {"user_id": str(member.id), "space_id": space_id})
        assert ack["error"]["code"] == "not_found"
        assert len(b.of("space_removed")) == 1
    finally:
        await a.close()
        await b.close()


async def test_going_invite_only_evicts_non_members_only(live: LiveServer) -> None:
    owner, member, guest = await live.user(), await live.user(), await live.user()
    space_id = await create_space(live, owner, "public")
    await add_member(live, space_id, member)
    players = [await connect(live.url, live.token(u), user=u) for u in (owner, member, guest)]
    a, m, g = players
    try:
        for p in players:
            await join(p, space_id)
        await rest(live, owner, "PATCH", f"/api/spaces/{space_id}", json={"access_type": "invite"})
        assert await g.wait_for("space_removed") == {
            "space_id": space_id,
            "reason": "access_changed",
        }
        await barrier(a, space_id, m)
        assert not a.of("space_removed")
        assert not m.of("space_removed")

        # A member who gives up membership over REST leaves the invite-only room too.
        await rest(live, member, "POST", f"/api/spaces/{space_id}/leave")
        assert await m.wait_for("space_removed") == {"space_id": space_id, "reason": "left"}
        ack = await m.call("space_message", {"space_id": space_id, "text": "hi"})
        assert ack["error"]["code"] == "forbidden"
    finally:
        for p in players:
            await p.close()


async def test_a_deleted_space_empties_its_room(live: LiveServer) -> None:
    owner, guest = await live.user(), await live.user()
    space_id = await create_space(live, owner, "public")
    a = await connect(live.url, live.token(owner), user=owner)
    g = await connect(live.url, live.token(guest), user=guest)
    try:
        await join(a, space_id)
        await join(g, space_id)
        await rest(live, owner, "DELETE", f"/api/spaces/{space_id}")
        for p in (a, g):
            assert await p.wait_for("space_removed") == {"space_id": space_id, "reason": "deleted"}
            ack = await p.call("space_message", {"space_id": space_id, "text": "anyone?"})
            assert ack["error"]["code"] == "forbidden"
        presence = await live.resources.redis.hlen(
            f"{live.settings.redis_channel_prefix}:rt:presence:{space_id}"
        )
        assert presence == 0
    finally:
        await a.close()
        await g.close()


async def test_a_public_space_member_removed_may_stay_as_a_visitor(live: LiveServer) -> None:
    """Removal takes membership away, not entry: a public space lets anyone in."""
    space_id, owner, member, a, b = await owner_and_member_inside(live, "public")
    try:
        await rest(live, owner, "DELETE", f"/api/spaces/{space_id}/members/{member.id}")
        # The next change's event is handled after the first (stream order): the one
        # space_removed the visitor gets is this one's, so the removal evicted nobody.
        await rest(live, owner, "PATCH", f"/api/spaces/{space_id}", json={"access_type": "invite"})
        await b.wait_for("space_removed", lambda d: d["reason"] == "access_changed")
        assert len(b.of("space_removed")) == 1
    finally:
        await a.close()
        await b.close()


async def test_the_periodic_recheck_catches_changes_it_never_heard_of(live: LiveServer) -> None:
    space_id, _, member, a, b = await owner_and_member_inside(live, "invite")
    try:
        # Behind the service's back: no event is published.
        async with live.sessions() as session:
            await session.execute(
                delete(SpaceMember).where(
                    SpaceMember.space_id == uuid.UUID(space_id), SpaceMember.user_id == member.id
                )
            )
            await session.commit()
        evictions = live.resources.component(RealtimeComponent).evictions
        assert await evictions.recheck_all() == 1
        assert await b.wait_for("space_removed") == {
            "space_id": space_id,
            "reason": "access_changed",
        }
        assert await evictions.recheck_all() == 0
        await barrier(a, space_id)
    finally:
        await a.close()
        await b.close()


@pytest.mark.slow
async def test_an_eviction_reaches_a_socket_on_another_process(
    two_processes: tuple[Process, Process, str],  # noqa: F811 (the imported fixture)
    engine: AsyncEngine,
    test_settings: Settings,
    redis_client: Redis,
) -> None:
    """The REST call goes to process A; the member's socket lives on process B; whichever
    process consumes the event, B must evict its own socket."""
    a_proc, b_proc, _ = two_processes
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        owner, member = await make_user(session), await make_user(session)
        await session.commit()
    tokens = TokenService(settings=test_settings, redis=redis_client, session_factory=sessions)

    def token(user: User) -> str:
        return tokens.issue_user_token(user_id=user.id, session_id=uuid.uuid4())[0]

    async with httpx.AsyncClient(base_url=a_proc.url) as http:
        r = await http.post(
            "/api/spaces/create",
            json={"user_id": str(owner.id), "space_name": "Vault", "access_type": "private"},
            headers=bearer(token(owner)),
        )
        assert r.status_code == 201, r.text
        space_id = r.json()["space_id"]
    async with sessions() as session:
        session.add(SpaceMember(space_id=uuid.UUID(space_id), user_id=member.id, role="member"))
        await session.commit()
    o = await connect(a_proc.url, token(owner), user=owner)
    m = await connect(b_proc.url, token(member), user=member)
    try:
        await join(o, space_id)
        await join(m, space_id)
        await barrier(o, space_id, m)
        async with httpx.AsyncClient(base_url=a_proc.url) as http:
            r = await http.delete(
                f"/api/spaces/{space_id}/members/{member.username}", headers=bearer(token(owner))
            )
            assert r.status_code == 204, r.text
        assert await m.wait_for("space_removed", within=20) == {
            "space_id": space_id,
            "reason": "removed",
        }
        await o.wait_for("space_presence", lambda d: d.get("reason") == "removed", within=20)
        ack = await m.call("space_message", {"space_id": space_id, "text": "from B"})
        assert ack["error"]["code"] == "forbidden"
        ack = await o.call(
            "webrtc_offer", {"space_id": space_id, "to_user_id": str(member.id), "sdp": OFFER}
        )
        assert ack["error"]["code"] == "not_found"
        before = len(m.of("space_message"))
        await barrier(o, space_id)
        assert len(m.of("space_message")) == before
    finally:
        await o.close()
        await m.close()
