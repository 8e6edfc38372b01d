"""Register, password grant, refresh rotation with reuse detection, logout."""

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.schemas import TokenOut
from app.users.schemas import UserOut
from tests.factories import PASSWORD, bearer, login, make_user


async def test_register_then_log_in_with_any_case_of_the_username(client: AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"username": "NovaFan_7", "email": "Nova@Example.com", "password": "long enough pw"},
    )
    assert response.status_code == 201, response.text
    user = UserOut.model_validate(response.json())
    assert user.roles == ["player"]
    assert user.wallets == []
    assert "password" not in response.text
    assert "hash" not in response.text
    tokens = await login(client, "novafan_7", "long enough pw", device="mobile")
    body = TokenOut.model_validate(tokens)
    assert body.token_type == "Bearer"
    assert body.expires_in == 600
    assert body.refresh_token
    assert body.refresh_token.startswith("rt_")
    me = await client.get("/api/users/me", headers=bearer(body.access_token))
    assert me.json()["id"] == str(user.id)


async def test_token_response_follows_rfc_6749(client: AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    response = await client.post(
        "/api/auth/token",
        data={"grant_type": "password", "username": user.username, "password": PASSWORD},
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert set(response.json()) == {"access_token", "token_type", "expires_in", "refresh_token"}


@pytest.mark.parametrize(
    ("username", "password"), [("nobody_here", PASSWORD), (None, "wrong password!")]
)
async def test_wrong_credentials_are_invalid_grant(
    client: AsyncClient, session: AsyncSession, username: str | None, password: str
) -> None:
    user = await make_user(session)
    response = await client.post(
        "/api/auth/token",
        data={
            "grant_type": "password",
            "username": username or user.username,
            "password": password,
        },
    )
    assert response.status_code == 400
    error = response.json()["error"]
    # Same answer for an unknown user and a wrong password: no account enumeration.
    assert error["code"] == "invalid_grant"
    assert error["message"] == "Wrong username or password"


async def test_token_endpoint_input_errors(client: AsyncClient) -> None:
    unsupported = await client.post("/api/auth/token", data={"grant_type": "implicit"})
    assert unsupported.status_code == 400
    assert unsupported.json()["error"]["code"] == "unsupported_grant_type"
    missing = await client.post("/api/auth/token", data={"grant_type": "password"})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"]["fields"] == ["username", "password"]
    as_json = await client.post("/api/auth/token", json={"grant_type": "password"})
    assert as_json.status_code == 422
    assert as_json.json()["error"]["code"] == "invalid_input"
    bad_device = await client.post(
        "/api/auth/token",
        data={"grant_type": "password", "username": "x", "password": "y", "device": "tv"},
    )
    assert bad_device.status_code == 422
    assert "device" in bad_device.json()["error"]["message"]


async def test_refresh_rotates_and_each_token_works_once(
    client: AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    first = await login(client, user.username)
    second = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    rotated = TokenOut.model_validate(second.json())
    assert rotated.refresh_token != first["refresh_token"]
    assert (
        await client.get("/api/users/me", headers=bearer(rotated.access_token))
    ).status_code == 200
    # The OAuth grant form does the same rotation.
    third = await client.post(
        "/api/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": rotated.refresh_token},
    )
    assert third.status_code == 200
    assert third.json()["refresh_token"] not in {first["refresh_token"], rotated.refresh_token}


async def test_reusing_a_spent_refresh_token_revokes_the_device_session(
    client: AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    stolen = await login(client, user.username, device="mobile")
    other_device = await login(client, user.username, device="vr")
    legit = (
        await client.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    ).json()
    # The thief replays the spent token: theft detected.
    replay = await client.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert replay.status_code == 400
    assert replay.json()["error"]["details"]["reason"] == "reuse_detected"
    # The whole session is gone: the newest refresh token and access token too...
    after = await client.post("/api/auth/refresh", json={"refresh_token": legit["refresh_token"]})
    assert after.status_code == 400
    assert (
        await client.get("/api/users/me", headers=bearer(legit["access_token"]))
    ).status_code == 401
    # ...but only that device's session.
    vr = await client.get("/api/users/me", headers=bearer(other_device["access_token"]))
    assert vr.status_code == 200


async def test_unknown_refresh_token_is_refused(client: AsyncClient) -> None:
    response = await client.post("/api/auth/refresh", json={"refresh_token": "rt_made_up"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_grant"
    empty = await client.post("/api/auth/refresh", json={"refresh_token": ""})
    assert empty.status_code == 422


async def test_logout_ends_the_session_at_once(client: AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    tokens = await login(client, user.username)
    headers = bearer(tokens["access_token"])
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/users/me", headers=headers)).status_code == 401
    refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 400
    assert (await client.post("/api/auth/logout")).status_code == 401


async def test_disabled_account_cannot_log_in_or_use_tokens(
    client: AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    tokens = await login(client, user.username)
    user.is_active = False
    await session.flush()
    assert (
        await client.get("/api/users/me", headers=bearer(tokens["access_token"]))
    ).status_code == 401
    response = await client.post(
        "/api/auth/token",
        data={"grant_type": "password", "username": user.username, "password": PASSWORD},
    )
    assert response.status_code == 400
