"""OWASP API3 (broken object property level authorization / mass assignment): a client
cannot set roles, owners, ids or versions through body fields. Statically, no request
schema offers such a field except where an authorization rule is tested for it; and
dynamically, privileged extras sent to every create/update route are refused (422) or
ignored (the object belongs to the caller, the caller's roles are unchanged)."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import login_headers, make_user
from tests.fuzz.cases import openapi_spec
from tests.security.test_object_level import ROOT, _test_exists

PRIVILEGED = {
    "owner_id", "owner", "roles", "role", "is_admin", "admin", "is_active", "created_by",
    "placed_by", "claimed_by", "user_id", "id", "version", "password_hash", "custody_user_id",
}  # fmt: skip

# Request fields that name a user or a role on purpose, and the test of the rule guarding it.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("put", "/api/users/{username}/roles", "roles"): "tests/users/test_router.py::"
    "test_only_admins_grant_roles",
    ("post", "/api/nft/place", "user_id"): "tests/nfts/test_place.py::"
    "test_only_the_indexed_owner_may_place",
    ("post", "/api/spaces/create", "user_id"): "tests/spaces/test_router.py::"
    "test_seed_user_id_of_someone_else_is_refused",
    ("post", "/api/spaces/{space_id}/invitations", "user_id"): "tests/security/"
    "test_object_level.py::test_a_peer_with_the_same_roles_cannot_touch_anothers_objects",
}


def _properties(
    spec: dict[str, Any], schema: dict[str, Any], seen: tuple[str, ...] = ()
) -> set[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return set()
        return _properties(spec, spec["components"]["schemas"][name], (*seen, name))
    names = set(schema.get("properties", {}))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            names |= _properties(spec, sub, seen)
    for sub in schema.get("properties", {}).values():
        if isinstance(sub, dict) and ("$ref" in sub or "anyOf" in sub):
            # Nested objects (GeoJSON properties, transforms) count too.
            names |= {n for n in _properties(spec, sub, seen) if n in PRIVILEGED}
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        names |= _properties(spec, schema["items"], seen)
    return names


def test_no_request_schema_offers_privileged_fields() -> None:
    spec = openapi_spec()
    offered = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for content in (operation.get("requestBody") or {}).get("content", {}).values():
                for name in _properties(spec, content["schema"]) & PRIVILEGED:
                    offered.add((method, path, name))
    unexpected = sorted(offered - set(ALLOWED))
    assert not unexpected, f"request bodies offering privileged fields: {unexpected}"
    for key, reference in ALLOWED.items():
        if key in offered:
            assert _test_exists(reference), f"{key}: {reference} missing under {ROOT}"


EXTRAS = {
    "owner_id": "00000000-0000-0000-0000-000000000001",
    "roles": ["admin"],
    "is_admin": True,
    "id": "00000000-0000-0000-0000-000000000002",
    "version": 99,
    "created_by": "00000000-0000-0000-0000-000000000001",
}
HERE = {"lat": 48.1371, "lng": 11.5754}
CREATES: list[tuple[str, dict[str, Any]]] = [
    ("/api/placements", {"kind": "marker", "title": "mine", **HERE}),
    (
        "/api/geofences",
        {"name": "mine", "geometry": {"type": "Point", "coordinates": [11.5754, 48.1371]},
         "radius_m": 100},
    ),
    ("/api/portals", {"name": "mine", "game_url": "https://93.184.216.34/game", **HERE}),
    ("/api/apps", {"name": "mine", "scopes": ["nearby:read"]}),
]  # fmt: skip


@pytest.mark.parametrize(("url", "body"), CREATES, ids=[u for u, _ in CREATES])
@pytest.mark.parametrize("extra", sorted(EXTRAS))
async def test_privileged_extras_on_create_are_refused_or_ignored(
    client: AsyncClient, session: AsyncSession, url: str, body: dict[str, Any], extra: str
) -> None:
    user = await make_user(session, roles=("player", "organizer", "developer"))
    await session.commit()
    headers = await login_headers(client, user)
    response = await client.post(url, json={**body, extra: EXTRAS[extra]}, headers=headers)
    if response.status_code == 422:
        return
    assert response.status_code in (200, 201), response.text
    created = response.json()
    assert created.get("owner_id", str(user.id)) == str(user.id)
    assert created.get("id") != EXTRAS["id"]
    assert created.get("version", 1) != 99
    me = await client.get("/api/users/me", headers=headers)
    assert "admin" not in me.json()["roles"]


async def test_profile_and_registration_cannot_grant_roles(
    client: AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    await session.commit()
    headers = await login_headers(client, user)
    for extra in ({"roles": ["admin"]}, {"is_active": False}, {"id": EXTRAS["id"]}):
        response = await client.patch("/api/users/me", json={"bio": "x", **extra}, headers=headers)
        assert response.status_code == 422, response.text
    me = (await client.get("/api/users/me", headers=headers)).json()
    assert me["roles"] == ["player"]
    registered = await client.post(
        "/api/auth/register",
        json={"username": "Sneaky1", "email": "sneaky1@example.com",
              "password": "a long passphrase", "roles": ["admin"]},
    )  # fmt: skip
    assert registered.status_code == 422
