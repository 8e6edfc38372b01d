"""Multi-device sessions: list them, revoke one from another device."""

from httpx import AsyncClient
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.schemas import SessionOut
from tests.factories import bearer, login, make_user

Sessions = TypeAdapter(list[SessionOut])


async def test_list_sessions_per_device(client: AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    web = await login(client, user.username, device="web", device_label="Firefox at home")
    await login(client, user.username, device="mobile", device_label="Pixel 9")
    await login(client, user.username, device="vr")
    response = await client.get("/api/users/me/sessions", headers=bearer(web["access_token"]))
    assert response.status_code == 200
    sessions = Sessions.validate_python(response.json())
    assert sorted((s.device.value, s.device_label) for s in sessions) == [
        ("mobile", "Pixel 9"),
        ("vr", None),
        ("web", "Firefox at home"),
    ]
    assert [s.device.value for s in sessions if s.current] == ["web"]
    assert all(s.auth_method == "password" and s.last_seen_at >= s.created_at for s in sessions)


async def test_revoke_a_session_from_a_second_device(
    client: AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    headset = await login(client, user.username, device="vr", device_label="Quest")
    phone = await login(client, user.username, device="mobile")
    phone_headers = bearer(phone["access_token"])
    listed = Sessions.validate_python(
        (await client.get("/api/users/me/sessions", headers=phone_headers)).json()
    )
    headset_id = next(s.id for s in listed if s.device_label == "Quest")

    revoked = await client.delete(f"/api/users/me/sessions/{headset_id}", headers=phone_headers)
    assert revoked.status_code == 204
    # The headset's access token stops now (revocation marker), its refresh token too.
    assert (
        await client.get("/api/users/me", headers=bearer(headset["access_token"]))
    ).status_code == 401
    refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": headset["refresh_token"]}
    )
    assert refresh.status_code == 400
    assert refresh.json()["error"]["details"]["reason"] == "session_revoked"
    # The phone carries on, and the headset is no longer listed.
    left = Sessions.validate_python(
        (await client.get("/api/users/me/sessions", headers=phone_headers)).json()
    )
    assert [s.device.value for s in left] == ["mobile"]
    again = await client.delete(f"/api/users/me/sessions/{headset_id}", headers=phone_headers)
    assert again.status_code == 204  # idempotent


async def test_someone_elses_session_is_not_found(
    client: AsyncClient, session: AsyncSession
) -> None:
    owner = await make_user(session)
    other = await make_user(session)
    admin = await make_user(session, roles=["player", "admin"])
    target = await login(client, owner.username)
    owner_sessions = await client.get(
        "/api/users/me/sessions", headers=bearer(target["access_token"])
    )
    target_id = owner_sessions.json()[0]["id"]
    for intruder in (other, admin):
        headers = bearer((await login(client, intruder.username))["access_token"])
        response = await client.delete(f"/api/users/me/sessions/{target_id}", headers=headers)
        # 404, exactly like an id that does not exist: session ids are private.
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert (
        await client.get("/api/users/me", headers=bearer(target["access_token"]))
    ).status_code == 200
    missing = await client.delete(
        "/api/users/me/sessions/00000000-0000-0000-0000-000000000000", headers=headers
    )
    assert missing.status_code == 404
    bad = await client.delete("/api/users/me/sessions/not-a-uuid", headers=headers)
    assert bad.status_code == 422
