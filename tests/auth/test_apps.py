"""Developer apps: registration by developers, client-credentials grant, scopes enforced."""

import base64

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.apps.schemas import AppCredentialsOut, AppOut
from app.auth.schemas import TokenOut
from app.users.models import User
from tests.factories import bearer, login, make_user

PLACEMENT = {"kind": "nft", "title": "From a plugin", "lat": 48.1371, "lng": 11.5754}


async def developer(client: AsyncClient, session: AsyncSession) -> tuple[User, dict[str, str]]:
    user = await make_user(session, roles=["player", "developer"])
    return user, bearer((await login(client, user.username))["access_token"])


async def register_app(
    client: AsyncClient, headers: dict[str, str], scopes: list[str]
) -> AppCredentialsOut:
    response = await client.post(
        "/api/apps", json={"name": "NovaProtocol plugin", "scopes": scopes}, headers=headers
    )
    assert response.status_code == 201, response.text
    return AppCredentialsOut.model_validate(response.json())


async def app_token(client: AsyncClient, app: AppCredentialsOut, scope: str | None = None) -> str:
    form = {"grant_type": "client_credentials", "client_id": app.client_id}
    form["client_secret"] = app.client_secret
    if scope:
        form["scope"] = scope
    response = await client.post("/api/auth/token", data=form)
    assert response.status_code == 200, response.text
    return TokenOut.model_validate(response.json()).access_token


async def test_only_developers_register_apps(client: AsyncClient, session: AsyncSession) -> None:
    player = await make_user(session)
    headers = bearer((await login(client, player.username))["access_token"])
    response = await client.post(
        "/api/apps", json={"name": "x", "scopes": ["nearby:read"]}, headers=headers
    )
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"role": "developer"}
    _, dev_headers = await developer(client, session)
    unknown = await client.post(
        "/api/apps", json={"name": "x", "scopes": ["admin:all"]}, headers=dev_headers
    )
    assert unknown.status_code == 422


async def test_client_credentials_grant(client: AsyncClient, session: AsyncSession) -> None:
    _, headers = await developer(client, session)
    app = await register_app(client, headers, ["nearby:read", "placements:write"])
    form = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    response = await client.post("/api/auth/token", data=form)
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}  # no refresh token
    assert body["scope"] == "nearby:read placements:write"
    # HTTP Basic client authentication (RFC 6749 section 2.3.1) works too.
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    narrowed = await client.post(
        "/api/auth/token",
        data={"grant_type": "client_credentials", "scope": "nearby:read"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert narrowed.status_code == 200
    assert narrowed.json()["scope"] == "nearby:read"
    listed = await client.get("/api/apps", headers=headers)
    assert [AppOut.model_validate(a).client_id for a in listed.json()] == [app.client_id]
    assert "client_secret" not in listed.text


async def test_bad_client_credentials(client: AsyncClient, session: AsyncSession) -> None:
    _, headers = await developer(client, session)
    app = await register_app(client, headers, ["nearby:read"])
    for client_id, secret in [(app.client_id, "cs_wrong"), ("app_unknown", app.client_secret)]:
        response = await client.post(
            "/api/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_client"
    too_much = await client.post(
        "/api/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": "nearby:read placements:write",
        },
    )
    assert too_much.status_code == 400
    assert too_much.json()["error"]["code"] == "invalid_scope"


async def test_scopes_are_enforced(client: AsyncClient, session: AsyncSession) -> None:
    dev, headers = await developer(client, session)
    reader = await register_app(client, headers, ["nearby:read"])
    writer = await register_app(client, headers, ["placements:write"])
    read_token = await app_token(client, reader)
    refused = await client.post("/api/placements", json=PLACEMENT, headers=bearer(read_token))
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "insufficient_scope",
        "message": "This token lacks the placements:write scope",
        "details": {"required_scope": "placements:write"},
    }
    write_token = await app_token(client, writer)
    created = await client.post("/api/placements", json=PLACEMENT, headers=bearer(write_token))
    assert created.status_code == 201
    assert created.json()["owner_id"] == str(dev.id)
    # App tokens act for their owner in scoped calls, but are not the user themselves.
    assert (await client.get("/api/users/me", headers=bearer(write_token))).status_code == 403
    assert (await client.post("/api/auth/logout", headers=bearer(write_token))).status_code == 403


async def test_deleting_an_app_stops_its_tokens(client: AsyncClient, session: AsyncSession) -> None:
    _, headers = await developer(client, session)
    app = await register_app(client, headers, ["placements:write"])
    token = await app_token(client, app)
    assert (await client.delete(f"/api/apps/{app.id}", headers=headers)).status_code == 204
    response = await client.post("/api/placements", json=PLACEMENT, headers=bearer(token))
    assert response.status_code == 401
    again = await client.post(
        "/api/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
    assert again.status_code == 401


async def test_rotating_the_secret_retires_the_old_one(
    client: AsyncClient, session: AsyncSession
) -> None:
    _, headers = await developer(client, session)
    app = await register_app(client, headers, ["nearby:read"])
    rotated = await client.post(f"/api/apps/{app.id}/secret", headers=headers)
    assert rotated.status_code == 200
    fresh = AppCredentialsOut.model_validate(rotated.json())
    assert fresh.client_id == app.client_id
    assert fresh.client_secret != app.client_secret
    old = await client.post(
        "/api/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
    assert old.status_code == 401
    await app_token(client, fresh)


async def test_someone_elses_app_is_not_found(client: AsyncClient, session: AsyncSession) -> None:
    _, owner_headers = await developer(client, session)
    app = await register_app(client, owner_headers, ["nearby:read"])
    _, other_headers = await developer(client, session)
    for method, path in [("DELETE", f"/api/apps/{app.id}"), ("POST", f"/api/apps/{app.id}/secret")]:
        response = await client.request(method, path, headers=other_headers)
        assert response.status_code == 404, (method, path)
    assert (await client.get("/api/apps", headers=other_headers)).json() == []
    await app_token(client, app)  # untouched


async def test_app_owner_losing_developer_role_stops_new_tokens(
    client: AsyncClient, session: AsyncSession
) -> None:
    dev, headers = await developer(client, session)
    app = await register_app(client, headers, ["nearby:read"])
    dev.roles = ["player"]
    await session.flush()
    response = await client.post(
        "/api/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
    assert response.status_code == 401
