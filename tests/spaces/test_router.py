"""Spaces over HTTP: the seed's create call, CRUD, nearby, membership, invitations, assets,
and every permission check (other people's spaces, private access, unknown ids)."""

import uuid
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.spaces.schemas import AssetOut, MemberListOut, SpaceListOut, SpaceOut
from app.users.models import User
from tests.factories import login_headers, make_user

MUNICH = {"lat": 48.1371, "lng": 11.5754}
SEED = {
    "user_id": "12345",
    "space_name": "CyberLounge",
    "description": "Virtual meeting place",
    "access_type": "public",
}


async def create(client: AsyncClient, headers: dict[str, str], user: User, **extra: Any) -> str:
    body = {**SEED, "user_id": str(user.id), **extra}
    r = await client.post("/api/spaces/create", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["message"] == "Space created successfully"
    return str(r.json()["space_id"])


async def test_seed_call_works_with_the_callers_id_or_username(
    client: AsyncClient, session: AsyncSession
) -> None:
    alice = await make_user(session)
    h = await login_headers(client, alice)
    for ref in (str(alice.id), alice.username, alice.username.upper()):
        r = await client.post("/api/spaces/create", json={**SEED, "user_id": ref}, headers=h)
        assert r.status_code == 201, r.text
        body = r.json()
        assert set(body) == {"message", "space_id"}
        space = SpaceOut.model_validate(
            (await client.get(f"/api/spaces/{body['space_id']}")).json()
        )
        assert space.owner_id == alice.id
        assert space.space_name == "CyberLounge"
        assert space.member_count == 1


async def test_seed_user_id_of_someone_else_is_refused(
    client: AsyncClient, session: AsyncSession
) -> None:
    alice = await make_user(session)
    bob = await make_user(session)
    h = await login_headers(client, alice)
    r = await client.post("/api/spaces/create", json=SEED, headers=h)  # "12345"
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    r = await client.post("/api/spaces/create", json={**SEED, "user_id": bob.username}, headers=h)
    assert r.status_code == 403
    r = await client.post("/api/spaces/create", json=SEED)
    assert r.status_code == 401


async def test_admin_may_create_for_another_user(
    client: AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, roles=("admin",))
    bob = await make_user(session)
    h = await login_headers(client, admin)
    space_id = await create(client, h, bob)
    assert (await client.get(f"/api/spaces/{space_id}")).json()["owner_id"] == str(bob.id)
    r = await client.post("/api/spaces/create", json={**SEED, "user_id": "nobody_here"}, headers=h)
    assert r.status_code == 404


async def test_invalid_bodies_are_422(client: AsyncClient, session: AsyncSession) -> None:
    alice = await make_user(session)
    h = await login_headers(client, alice)
    me = str(alice.id)
    for bad in (
        {**SEED, "user_id": me, "access_type": "secret"},
        {**SEED, "user_id": me, "space_name": ""},
        {**SEED, "user_id": me, "lat": 48.1},
        {**SEED, "user_id": me, "radius_m": 50},
        {**SEED, "user_id": me, **MUNICH, "radius_m": 50, "polygon": {"type": "Polygon"}},
        {**SEED, "user_id": me, **MUNICH, "heading_deg": 360},
        {**SEED, "user_id": me, **MUNICH, "polygon": {"type": "Point", "coordinates": [1, 2]}},
        {**SEED, "user_id": me, "extra": 1},
    ):
        r = await client.post("/api/spaces/create", json=bad, headers=h)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["code"] in {"invalid_input", "invalid_geometry"}


async def test_anchored_spaces_are_placements_and_nearby(
    client: AsyncClient, session: AsyncSession
) -> None:
    alice = await make_user(session)
    h = await login_headers(client, alice)
    polygon = {
        "type": "Polygon",
        "coordinates": [[[11.575, 48.137], [11.576, 48.137], [11.576, 48.138], [11.575, 48.137]]],
    }
    public_id = await create(
        client, h, alice, **MUNICH, altitude_m=520.0, heading_deg=90.0, radius_m=30.0
    )
    poly_id = await create(client, h, alice, lat=48.1374, lng=11.5755, polygon=polygon)
    private_id = await create(client, h, alice, access_type="private", **MUNICH)

    nearby = (await client.get("/api/nearby", params={**MUNICH, "kinds": "space"})).json()
    ids = {item["id"] for item in nearby["items"]}
    assert {public_id, poly_id} <= ids
    assert private_id not in ids  # private spaces stay off the public map

    space = SpaceOut.model_validate((await client.get(f"/api/spaces/{public_id}")).json())
    assert space.anchor is not None
    assert space.anchor.heading_deg == 90.0
    assert space.extent == {"radius_m": 30.0}
    poly = SpaceOut.model_validate((await client.get(f"/api/spaces/{poly_id}")).json())
    assert poly.extent is not None
    assert poly.extent["polygon"]["type"] == "Polygon"

    listed = SpaceListOut.model_validate(
        (await client.get("/api/spaces/nearby", params={**MUNICH, "radius_m": 500})).json()
    )
    anon_ids = [s.id for s in listed.items]
    assert uuid.UUID(public_id) in anon_ids
    assert uuid.UUID(private_id) not in anon_ids
    assert listed.items == sorted(listed.items, key=lambda s: s.distance_m or 0)
    mine = (await client.get("/api/spaces/nearby", params={**MUNICH}, headers=h)).json()
    assert private_id in {s["id"] for s in mine["items"]}
    r = await client.get("/api/spaces/nearby", params={**MUNICH, "radius_m": 60_000})
    assert r.status_code == 422

    # Moving the anchor moves the placement; going private withdraws it.
    r = await client.patch(f"/api/spaces/{public_id}", json={"lat": 48.2, "lng": 11.6}, headers=h)
    assert r.status_code == 200, r.text
    assert SpaceOut.model_validate(r.json()).anchor.lat == 48.2  # type: ignore[union-attr]
    far = (
        await client.get("/api/nearby", params={"lat": 48.2, "lng": 11.6, "kinds": "space"})
    ).json()
    assert public_id in {item["id"] for item in far["items"]}
    r = await client.patch(f"/api/spaces/{public_id}", json={"access_type": "private"}, headers=h)
    assert r.status_code == 200
    far = (
        await client.get("/api/nearby", params={"lat": 48.2, "lng": 11.6, "kinds": "space"})
    ).json()
    assert public_id not in {item["id"] for item in far["items"]}


async def test_other_peoples_spaces_and_unknown_ids(
    client: AsyncClient, session: AsyncSession
) -> None:
    alice = await make_user(session)
    mallory = await make_user(session)
    ha, hm = await login_headers(client, alice), await login_headers(client, mallory)
    public_id = await create(client, ha, alice, **MUNICH)
    private_id = await create(client, ha, alice, access_type="private")
    unknown = str(uuid.uuid4())

    assert (
        await client.patch(f"/api/spaces/{public_id}", json={"space_name": "x"}, headers=hm)
    ).status_code == 403
    assert (await client.delete(f"/api/spaces/{public_id}", headers=hm)).status_code == 403
    # A private space's existence is private: 404 as for an unknown id.
    for sid in (private_id, unknown):
        assert (await client.get(f"/api/spaces/{sid}", headers=hm)).status_code == 404
        assert (
            await client.patch(f"/api/spaces/{sid}", json={"space_name": "x"}, headers=hm)
        ).status_code == 404
        assert (await client.delete(f"/api/spaces/{sid}", headers=hm)).status_code == 404
        assert (await client.post(f"/api/spaces/{sid}/join", headers=hm)).status_code == 404
    assert (await client.get("/api/spaces/not-a-uuid")).status_code == 422

    r = await client.patch(f"/api/spaces/{public_id}", json={"space_name": "Renamed"}, headers=ha)
    assert r.json()["space_name"] == "Renamed"
    assert (await client.delete(f"/api/spaces/{public_id}", headers=ha)).status_code == 204
    assert (await client.get(f"/api/spaces/{public_id}")).status_code == 404
    nearby = (await client.get("/api/nearby", params={**MUNICH, "kinds": "space"})).json()
    assert public_id not in {item["id"] for item in nearby["items"]}


async def test_membership_and_invitations(client: AsyncClient, session: AsyncSession) -> None:
    owner = await make_user(session)
    bob = await make_user(session)
    carol = await make_user(session)
    ho = await login_headers(client, owner)
    hb = await login_headers(client, bob)
    hc = await login_headers(client, carol)
    public_id = await create(client, ho, owner)
    invite_id = await create(client, ho, owner, access_type="invite")
    private_id = await create(client, ho, owner, access_type="private")

    # Public: anyone joins and leaves; the owner cannot leave.
    assert (await client.post(f"/api/spaces/{public_id}/join", headers=hb)).status_code == 200
    members = MemberListOut.model_validate(
        (await client.get(f"/api/spaces/{public_id}/members", headers=hc)).json()
    )
    assert {m.user_id for m in members.items} == {owner.id, bob.id}
    assert (await client.post(f"/api/spaces/{public_id}/leave", headers=hb)).status_code == 204
    assert (await client.post(f"/api/spaces/{public_id}/leave", headers=hb)).status_code == 404
    assert (await client.post(f"/api/spaces/{public_id}/leave", headers=ho)).status_code == 409

    # Invite-only: visible, not joinable without an invitation; members list hidden.
    assert (await client.get(f"/api/spaces/{invite_id}", headers=hb)).json()["can_enter"] is False
    assert (await client.post(f"/api/spaces/{invite_id}/join", headers=hb)).status_code == 403
    assert (await client.get(f"/api/spaces/{invite_id}/members", headers=hb)).status_code == 403
    # Only the owner invites.
    r = await client.post(
        f"/api/spaces/{invite_id}/invitations", json={"user_id": carol.username}, headers=hb
    )
    assert r.status_code == 403
    r = await client.post(
        f"/api/spaces/{invite_id}/invitations", json={"user_id": bob.username}, headers=ho
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/spaces/{invite_id}/invitations", json={"user_id": "ghost_user"}, headers=ho
    )
    assert r.status_code == 404
    pending = (await client.get("/api/spaces/invitations", headers=hb)).json()
    assert [i["space_id"] for i in pending["items"]] == [invite_id]
    r = await client.post(f"/api/spaces/{invite_id}/invitations/accept", headers=hb)
    assert r.status_code == 200
    assert (await client.get(f"/api/spaces/{invite_id}", headers=hb)).json()["can_enter"] is True
    r = await client.post(
        f"/api/spaces/{invite_id}/invitations", json={"user_id": str(bob.id)}, headers=ho
    )
    assert r.status_code == 409  # already a member
    assert (await client.get("/api/spaces/invitations", headers=hb)).json()["count"] == 0

    # Private: invisible to outsiders; the invitee sees it once invited... and may decline.
    r = await client.post(
        f"/api/spaces/{private_id}/invitations", json={"user_id": carol.username}, headers=ho
    )
    assert r.status_code == 201
    assert (
        await client.post(f"/api/spaces/{private_id}/invitations/decline", headers=hc)
    ).status_code == 204
    assert (await client.post(f"/api/spaces/{private_id}/join", headers=hc)).status_code == 404
    r = await client.post(
        f"/api/spaces/{private_id}/invitations", json={"user_id": carol.username}, headers=ho
    )
    assert (
        await client.delete(f"/api/spaces/{private_id}/invitations/{carol.username}", headers=ho)
    ).status_code == 204
    assert (
        await client.delete(f"/api/spaces/{private_id}/invitations/{carol.username}", headers=ho)
    ).status_code == 404

    # Removing members: owner only, never the owner.
    assert (
        await client.delete(f"/api/spaces/{invite_id}/members/{bob.id}", headers=hc)
    ).status_code == 403
    assert (
        await client.delete(f"/api/spaces/{invite_id}/members/{owner.id}", headers=ho)
    ).status_code == 409
    assert (
        await client.delete(f"/api/spaces/{invite_id}/members/{bob.id}", headers=ho)
    ).status_code == 204
    assert (
        await client.delete(f"/api/spaces/{invite_id}/members/{bob.id}", headers=ho)
    ).status_code == 404
    mine = (await client.get("/api/spaces/mine", headers=hb)).json()
    assert invite_id not in {s["id"] for s in mine["items"]}


async def test_assets(client: AsyncClient, session: AsyncSession) -> None:
    owner = await make_user(session)
    other = await make_user(session)
    ho, hx = await login_headers(client, owner), await login_headers(client, other)
    space_id = await create(client, ho, owner, **MUNICH)
    private_id = await create(client, ho, owner, access_type="invite")
    asset = {
        "name": "Statue",
        "model_url": "https://models.example.com/statue.glb",
        "transform": {
            "position": [1.0, 0.0, 2.5],
            "rotation": [0, 0, 0.7071068, 0.7071068],
            "scale": [2, 2, 2],
        },
        "nft_id": "nft-statue-01",
    }
    r = await client.post(f"/api/spaces/{space_id}/assets", json=asset, headers=ho)
    assert r.status_code == 201, r.text
    created = AssetOut.model_validate(r.json())
    assert created.transform["position"] == [1.0, 0.0, 2.5]
    assert (
        await client.post(f"/api/spaces/{space_id}/assets", json=asset, headers=hx)
    ).status_code == 403
    listed = (await client.get(f"/api/spaces/{space_id}/assets")).json()
    assert [a["id"] for a in listed["items"]] == [str(created.id)]
    for bad in (
        {**asset, "model_url": "http://insecure.example.com/a.glb"},
        {**asset, "transform": {"rotation": [0, 0, 0, 0]}},
        {**asset, "transform": {"position": [1, 2]}},
        {**asset, "transform": {"scale": [0, 1, 1]}},
    ):
        r = await client.post(f"/api/spaces/{space_id}/assets", json=bad, headers=ho)
        assert r.status_code == 422, bad
    r = await client.post(f"/api/spaces/{private_id}/assets", json=asset, headers=ho)
    assert r.status_code == 201
    assert (await client.get(f"/api/spaces/{private_id}/assets", headers=hx)).status_code == 403
    path = f"/api/spaces/{space_id}/assets/{created.id}"
    assert (await client.delete(path, headers=hx)).status_code == 403
    assert (await client.delete(path, headers=ho)).status_code == 204
    assert (await client.delete(path, headers=ho)).status_code == 404
