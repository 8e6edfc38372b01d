"""Profiles, uniqueness, mass assignment and admin-granted roles."""

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.users.schemas import PublicUserOut, UserOut
from tests.factories import bearer, login, login_headers, make_user

REGISTER = {"username": "Taken_Name", "email": "taken@example.com", "password": "long enough pw"}


async def test_duplicates_are_409_whatever_the_case(client: AsyncClient) -> None:
    assert (await client.post("/api/auth/register", json=REGISTER)).status_code == 201
    for clash, field in [
        ({"username": "TAKEN_name", "email": "fresh@example.com"}, "username"),
        ({"username": "Fresh_Name", "email": "TAKEN@Example.COM"}, "email"),
    ]:
        response = await client.post("/api/auth/register", json={**REGISTER, **clash})
        assert response.status_code == 409, response.text
        assert response.json()["error"]["details"]["fields"] == [field]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "x" * 33}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"roles": ["admin"]}, "roles"),
    ],
)
async def test_bad_registrations_are_422(
    client: AsyncClient, change: dict[str, object], field: str
) -> None:
    response = await client.post("/api/auth/register", json={**REGISTER, **change})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in error["message"]


async def test_edit_my_profile(client: AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    headers = await login_headers(client, user)
    response = await client.patch(
        "/api/users/me",
        json={"display_name": "  Nova  ", "bio": "Cache hunter", "email": "New@Example.com"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    me = UserOut.model_validate(response.json())
    assert (me.display_name, me.bio, me.email) == ("Nova", "Cache hunter", "New@example.com")
    cleared = await client.patch("/api/users/me", json={"bio": None}, headers=headers)
    assert cleared.json()["bio"] is None
    assert cleared.json()["display_name"] == "Nova"


async def test_email_taken_by_another_account_is_409(
    client: AsyncClient, session: AsyncSession
) -> None:
    user, other = await make_user(session), await make_user(session)
    response = await client.patch(
        "/api/users/me",
        json={"email": other.email.upper()},
        headers=await login_headers(client, user),
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"roles": ["admin"]},
        {"display_name": "x", "roles": ["player", "admin"]},
        {"is_active": True},
        {"id": "00000000-0000-0000-0000-000000000000"},
        {"username": "renamed"},
        {"password_hash": "x"},
    ],
)
async def test_mass_assignment_is_refused(
    client: AsyncClient, session: AsyncSession, body: dict[str, object]
) -> None:
    user = await make_user(session)
    headers = await login_headers(client, user)
    response = await client.patch("/api/users/me", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][-1]["type"] == "extra_forbidden"
    me = UserOut.model_validate((await client.get("/api/users/me", headers=headers)).json())
    assert me.roles == ["player"]
    assert me.username == user.username
    assert me.display_name is None


async def test_public_profile_hides_private_fields(
    client: AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    response = await client.get(f"/api/users/{user.username.upper()}")
    assert response.status_code == 200
    assert set(response.json()) == set(PublicUserOut.model_fields)
    assert (await client.get("/api/users/nobody_at_all")).status_code == 404


async def test_admin_grants_roles(client: AsyncClient, session: AsyncSession) -> None:
    admin = await make_user(session, roles=["player", "admin"])
    user = await make_user(session)
    headers = await login_headers(client, admin)
    response = await client.put(
        f"/api/users/{user.username}/roles",
        json={"roles": ["player", "organizer"]},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json()["roles"] == ["organizer", "player"]
    # The new role counts on the user's very next request: roles are read from the database.
    user_headers = await login_headers(client, user)
    me = await client.get("/api/users/me", headers=user_headers)
    assert sorted(me.json()["roles"]) == ["organizer", "player"]


async def test_only_admins_grant_roles(client: AsyncClient, session: AsyncSession) -> None:
    for roles in (["player"], ["player", "organizer", "developer"]):
        actor = await make_user(session, roles=roles)
        response = await client.put(
            f"/api/users/{actor.username}/roles",
            json={"roles": ["admin"]},
            headers=await login_headers(client, actor),
        )
        assert response.status_code == 403
        assert response.json()["error"]["details"] == {"role": "admin"}
    assert (
        await client.put(f"/api/users/{actor.username}/roles", json={"roles": ["admin"]})
    ).status_code == 401


async def test_role_input_is_checked(client: AsyncClient, session: AsyncSession) -> None:
    admin = await make_user(session, roles=["player", "admin"])
    headers = await login_headers(client, admin)
    for body in ({"roles": []}, {"roles": ["wizard"]}, {"roles": ["player"], "extra": 1}):
        response = await client.put(
            f"/api/users/{admin.username}/roles", json=body, headers=headers
        )
        assert response.status_code == 422
    own = await client.put(
        f"/api/users/{admin.username}/roles", json={"roles": ["player"]}, headers=headers
    )
    assert own.status_code == 422
    assert "own admin role" in own.json()["error"]["message"]
    missing = await client.put(
        "/api/users/no_such_user/roles", json={"roles": ["player"]}, headers=headers
    )
    assert missing.status_code == 404


async def test_organizer_alias_and_roles_in_profile(
    client: AsyncClient, session: AsyncSession
) -> None:
    organizer = await make_user(session, roles=["player", "organizer"])
    body = (
        await client.get(
            "/api/users/me",
            headers=bearer((await login(client, organizer.username))["access_token"]),
        )
    ).json()
    assert sorted(body["roles"]) == ["organizer", "player"]
