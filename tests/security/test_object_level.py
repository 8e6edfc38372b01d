"""OWASP API1 (broken object-level authorization) and API5 (function-level): a second user
with the SAME roles (organizer, developer, player) tries every write on objects the first
user owns; each is refused (403, or 404 where ids are private) and the objects are intact.

`test_every_write_route_is_covered` keeps this honest: every write route the app has is
attacked here, or names the test elsewhere that does it, or says why it has no foreign
object to attack.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import login_headers, make_user
from tests.security.routes import PUBLIC_WRITES, WRITE_ROUTES, RouteKey

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("player", "organizer", "developer")
# Public IP literals: the webhook/asset/portal URL checks never need DNS (tests are offline).
PUBLIC_URL = "https://93.184.216.34"


@dataclass
class Owned:
    owner_id: str
    owner_name: str
    intruder_id: str
    placement: str
    fence: str
    challenge: str
    webhook: str
    space: str
    asset: str
    portal: str
    app: str
    session: str


async def _create(client: AsyncClient, headers: dict[str, str], url: str, body: object) -> str:
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code in (200, 201), f"{url}: {response.text}"
    payload = response.json()
    return str(payload.get("id") or payload.get("space_id"))


async def own_everything(
    client: AsyncClient, owner_h: dict[str, str], owner_id: str
) -> dict[str, str]:
    here = {"lat": 48.1371, "lng": 11.5754}
    fence = await _create(
        client,
        owner_h,
        "/api/geofences",
        {
            "name": "Owned fence",
            "geometry": {"type": "Point", "coordinates": [11.5754, 48.1371]},
            "radius_m": 150,
        },
    )
    space = await _create(
        client,
        owner_h,
        "/api/spaces/create",
        {"user_id": owner_id, "space_name": "Owned space", "access_type": "public", **here},
    )
    sessions = await client.get("/api/users/me/sessions", headers=owner_h)
    return {
        "placement": await _create(
            client, owner_h, "/api/placements", {"kind": "marker", "title": "Owned", **here}
        ),
        "fence": fence,
        "challenge": await _create(
            client,
            owner_h,
            "/api/challenges",
            {"name": "Owned challenge", "kind": "checkpoints", "fence_ids": [fence]},
        ),
        "webhook": await _create(
            client, owner_h, f"/api/geofences/{fence}/webhooks", {"url": f"{PUBLIC_URL}/hook"}
        ),
        "space": space,
        "asset": await _create(
            client,
            owner_h,
            f"/api/spaces/{space}/assets",
            {"name": "Statue", "model_url": f"{PUBLIC_URL}/statue.glb"},
        ),
        "portal": await _create(
            client,
            owner_h,
            "/api/portals",
            {"name": "Owned portal", "game_url": f"{PUBLIC_URL}/game", **here},
        ),
        "app": await _create(
            client, owner_h, "/api/apps", {"name": "Owned app", "scopes": ["nearby:read"]}
        ),
        "session": str(sessions.json()[0]["id"]),
    }


# (method, path template, body): every template field is filled from `Owned`.
ATTACKS: list[tuple[str, str, object]] = [
    ("PATCH", "/api/placements/{placement}", {"title": "mine now"}),
    ("DELETE", "/api/placements/{placement}", None),
    ("PATCH", "/api/geofences/{fence}", {"name": "mine now"}),
    (
        "PUT",
        "/api/geofences/{fence}",
        {
            "name": "mine",
            "geometry": {"type": "Point", "coordinates": [11.5, 48.1]},
            "radius_m": 50,
        },
    ),
    ("DELETE", "/api/geofences/{fence}", None),
    ("POST", "/api/geofences/{fence}/webhooks", {"url": PUBLIC_URL + "/steal"}),
    ("DELETE", "/api/webhooks/{webhook}", None),
    ("DELETE", "/api/challenges/{challenge}", None),
    ("PATCH", "/api/spaces/{space}", {"space_name": "mine now"}),
    ("DELETE", "/api/spaces/{space}", None),
    ("DELETE", "/api/spaces/{space}/members/{owner_id}", None),
    ("POST", "/api/spaces/{space}/invitations", {"user_id": "{intruder_id}"}),
    ("DELETE", "/api/spaces/{space}/invitations/{owner_name}", None),
    (
        "POST",
        "/api/spaces/{space}/assets",
        {"name": "graffiti", "model_url": PUBLIC_URL + "/g.glb"},
    ),
    ("DELETE", "/api/spaces/{space}/assets/{asset}", None),
    ("DELETE", "/api/portals/{portal}", None),
    ("POST", "/api/apps/{app}/secret", None),
    ("DELETE", "/api/apps/{app}", None),
    ("DELETE", "/api/users/me/sessions/{session}", None),
    ("PUT", "/api/users/{owner_name}/roles", {"roles": ["player", "admin"]}),
    ("PUT", "/api/users/{owner_name}/active", {"active": False}),
]

# Write routes attacked in other test files (file::test must exist).
NFT_PLACE = "tests/nfts/test_place.py::test_only_the_indexed_owner_may_place"
TRADING = "tests/trading/test_trading.py::test_object_level_checks_and_conflicts"
CUSTODY = "tests/claims/test_claims.py::test_custody_is_released_to_a_linked_wallet"
ELSEWHERE: dict[RouteKey, str] = {
    RouteKey("POST", "/api/nft/place"): NFT_PLACE,
    RouteKey("POST", "/api/nfts/{nft_id}/withdraw"): NFT_PLACE,
    RouteKey("POST", "/api/listings"): TRADING,
    RouteKey("POST", "/api/listings/{listing_id}/cancel"): TRADING,
    RouteKey("POST", "/api/listings/{listing_id}/offers"): TRADING,
    RouteKey("POST", "/api/offers/{offer_id}/accept"): TRADING,
    RouteKey("POST", "/api/offers/{offer_id}/withdraw"): TRADING,
    RouteKey("POST", "/api/nfts/{nft_id}/custody/release"): CUSTODY,
}

# Write routes with no foreign object to attack: they create something owned by the caller
# (mass assignment of owners is tested in test_mass_assignment.py), or act on the caller's
# own state by definition.
SELF_SCOPED: dict[RouteKey, str] = {
    RouteKey("POST", "/api/placements"): "creates the caller's placement",
    RouteKey("POST", "/api/geofences"): "creates the caller's fence (organizer role)",
    RouteKey("POST", "/api/challenges"): "creates the caller's challenge over the caller's fences",
    RouteKey("POST", "/api/challenges/{challenge_id}/join"): "joins as the caller",
    RouteKey("POST", "/api/spaces/create"): "user_id must be the caller (tests/spaces)",
    RouteKey("POST", "/api/spaces/{space_id}/join"): "joins as the caller (public or invited)",
    RouteKey("POST", "/api/spaces/{space_id}/leave"): "leaves as the caller",
    RouteKey("POST", "/api/spaces/{space_id}/invitations/accept"): "the caller's invitation",
    RouteKey("POST", "/api/spaces/{space_id}/invitations/decline"): "the caller's invitation",
    RouteKey("POST", "/api/portals"): "creates the caller's portal",
    RouteKey("POST", "/api/portals/{portal_id}/enter"): "issues a pass to the caller",
    RouteKey("POST", "/api/locations"): "the caller's own position",
    RouteKey("POST", "/api/nfts"): "mints into the caller's custody (organizer role)",
    RouteKey("POST", "/api/nfts/{nft_id}/claim"): "claims for the caller (rules in tests/claims)",
    RouteKey("POST", "/api/apps"): "creates the caller's app (developer role)",
    RouteKey("PATCH", "/api/users/me"): "the caller's own profile",
    RouteKey("POST", "/api/auth/logout"): "ends the caller's own session",
}


def _normalise(route: RouteKey) -> tuple[str, str]:
    parts = ["{}" if part.startswith("{") else part for part in route.path.split("/")]
    return route.method, "/".join(parts)


def _test_exists(reference: str) -> bool:
    file, name = reference.split("::")
    path = ROOT / file
    if not path.exists():
        return False
    tree = ast.parse(path.read_text())
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
        for node in ast.walk(tree)
    )


def test_every_write_route_is_covered() -> None:
    attacked = {_normalise(RouteKey(method, path)) for method, path, _ in ATTACKS}
    missing = []
    for route in WRITE_ROUTES:
        if route in PUBLIC_WRITES or route in SELF_SCOPED:
            continue
        if route in ELSEWHERE:
            assert _test_exists(ELSEWHERE[route]), f"{route}: {ELSEWHERE[route]} does not exist"
            continue
        if _normalise(route) not in attacked:
            missing.append(str(route))
    assert not missing, f"write routes with no object-level test: {missing}"
    stale = [str(r) for r in SELF_SCOPED if r not in WRITE_ROUTES]
    assert not stale, f"SELF_SCOPED names routes that no longer exist: {stale}"


async def test_a_peer_with_the_same_roles_cannot_touch_anothers_objects(
    client: AsyncClient, session: AsyncSession
) -> None:
    owner = await make_user(session, roles=ROLES)
    intruder = await make_user(session, roles=ROLES)
    await session.commit()
    owner_h = await login_headers(client, owner)
    intruder_h = await login_headers(client, intruder)
    ids = await own_everything(client, owner_h, str(owner.id))
    fields = {
        **ids,
        "owner_id": str(owner.id),
        "owner_name": owner.username,
        "intruder_id": str(intruder.id),
    }
    refused = []
    for method, template, body in ATTACKS:
        url = template.format(**fields)
        payload = body
        if isinstance(body, dict):
            payload = {k: v.format(**fields) if isinstance(v, str) else v for k, v in body.items()}
        response = await client.request(method, url, json=payload, headers=intruder_h)
        if response.status_code not in (403, 404):
            refused.append(f"{method} {template} -> {response.status_code} {response.text[:200]}")
        else:
            assert set(response.json()["error"]) == {"code", "message", "details"}
    assert not refused, "writes by a peer were not refused:\n" + "\n".join(refused)

    # Nothing changed: the owner still sees every object as created.
    fence = await client.get(f"/api/geofences/{ids['fence']}", headers=owner_h)
    assert fence.status_code == 200
    assert fence.json()["name"] == "Owned fence"
    space = await client.get(f"/api/spaces/{ids['space']}", headers=owner_h)
    assert space.json()["space_name"] == "Owned space"
    assert (await client.get(f"/api/portals/{ids['portal']}", headers=owner_h)).status_code == 200
    assert (
        await client.get(f"/api/challenges/{ids['challenge']}", headers=owner_h)
    ).status_code == 200
    hooks = await client.get(f"/api/geofences/{ids['fence']}/webhooks", headers=owner_h)
    assert [h["url"] for h in hooks.json()["items"]] == [f"{PUBLIC_URL}/hook"]
    apps = await client.get("/api/apps", headers=owner_h)
    assert ids["app"] in {a["id"] for a in apps.json()}
    # Still active: the owner's own token works.
    assert (await client.get("/api/users/me", headers=owner_h)).status_code == 200
    me = await client.get("/api/users/me", headers=intruder_h)
    assert "admin" not in me.json()["roles"]
