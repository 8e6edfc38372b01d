"""An admin disables an account: its device sessions end, REST refuses its tokens, and its
live sockets are told (`account_disabled`) and closed on every process, which takes them out
of their spaces with the usual presence. Re-enabling lets the account log in again."""

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app.realtime.component import RealtimeComponent
from app.users.models import User
from tests.factories import PASSWORD
from tests.realtime.conftest import LiveServer, Refused, connect
from tests.realtime.test_space_evictions import barrier, owner_and_member_inside


async def put_active(live: LiveServer, as_user: User, username: str, body: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=live.url) as http:
        return await http.put(
            f"/api/users/{username}/active",
            json=body,
            headers={"Authorization": f"Bearer {live.token(as_user)}"},
        )


async def log_in(live: LiveServer, user: User) -> httpx.Response:
    async with httpx.AsyncClient(base_url=live.url) as http:
        return await http.post(
            "/api/auth/token",
            data={"grant_type": "password", "username": user.username, "password": PASSWORD},
        )


async def wait_disconnected(client: Any) -> None:
    for _ in range(500):
        if not client.connected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the socket is still connected")


async def test_disabling_an_account_ends_its_sessions_and_closes_its_sockets(
    live: LiveServer,
) -> None:
    admin = await live.user(roles=["player", "admin"])
    space_id, _, member, a, b = await owner_and_member_inside(live, "public")
    login = await log_in(live, member)
    assert login.status_code == 200, login.text
    tokens = login.json()
    try:
        await barrier(a, space_id, b)

        r = await put_active(live, admin, member.username, {"active": False})
        assert r.status_code == 200, r.text
        assert r.json() == {"username": member.username, "active": False, "sessions_revoked": 1}

        assert await b.wait_for("account_disabled") == {"reason": "account_disabled"}
        await wait_disconnected(b.client)
        left = await a.wait_for(
            "space_presence", lambda d: d["action"] == "left" and d["user_id"] == str(member.id)
        )
        assert left["space_id"] == space_id
        # The session's access token fails at once, its refresh token is spent for good, and
        # a new socket is refused.
        async with httpx.AsyncClient(base_url=live.url) as http:
            me = await http.get(
                "/api/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
            )
            assert me.status_code == 401
            refreshed = await http.post(
                "/api/auth/token",
                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            )
            assert refreshed.status_code in (400, 401)
        assert (await log_in(live, member)).status_code in (400, 401)
        with pytest.raises(Refused) as refused:
            await connect(live.url, live.token(member), user=member)
        assert refused.value.data["data"]["message"] == "Account not found or disabled"
        # The others carry on.
        await barrier(a, space_id)

        r = await put_active(live, admin, member.username, {"active": True})
        assert r.status_code == 200, r.text
        assert r.json()["active"] is True
        assert (await log_in(live, member)).status_code == 200
    finally:
        await a.close()
        await b.close()


async def test_only_admins_disable_accounts_and_not_their_own(live: LiveServer) -> None:
    admin = await live.user(roles=["player", "admin"])
    player, other = await live.user(), await live.user()

    r = await put_active(live, player, other.username, {"active": False})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    r = await put_active(live, admin, admin.username, {"active": False})
    assert r.status_code == 422
    assert r.json()["error"]["details"] == {"field": "active"}
    r = await put_active(live, admin, "nobody_by_that_name", {"active": False})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    for bad in ({"active": "maybe"}, {}, {"active": False, "is_admin": True}):
        r = await put_active(live, admin, other.username, bad)
        assert r.status_code == 422, bad
        assert set(r.json()["error"]) == {"code", "message", "details"}
    # Nothing changed on the way.
    async with live.sessions() as session:
        stored = await session.get(User, other.id)
        assert stored is not None
        assert stored.is_active


async def test_the_full_recheck_closes_sockets_of_accounts_disabled_behind_its_back(
    live: LiveServer,
) -> None:
    player = await live.user()
    p = await connect(live.url, live.token(player), user=player)
    try:
        evictions = live.resources.component(RealtimeComponent).evictions
        assert await evictions.recheck_all() == 0
        async with live.sessions() as session:  # no event is published
            await session.execute(update(User).where(User.id == player.id).values(is_active=False))
            await session.commit()
        assert await evictions.recheck_all() == 1
        await p.wait_for("account_disabled")
        await wait_disconnected(p.client)
        assert await evictions.recheck_all() == 0
    finally:
        await p.close()
