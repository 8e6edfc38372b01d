"""NovaProtocol portals: create (standalone or in a space), nearby, withdraw, and enter: the
NFT requirement and the signed pass, verifiable with the published JWKS and useless as an
access token."""

import uuid

from httpx import AsyncClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from app.nfts.models import Nft
from app.portals.passes import PASS_TYPE
from app.portals.schemas import PortalListOut, PortalOut
from tests.factories import bearer, login_headers, make_user

MUNICH = {"lat": 48.1371, "lng": 11.5754}
GAME = "novagame://portal/arena-7"


async def test_create_find_enter_and_verify_the_pass(
    client: AsyncClient, session: AsyncSession
) -> None:
    owner = await make_user(session)
    player = await make_user(session)
    ho, hp = await login_headers(client, owner), await login_headers(client, player)
    r = await client.post(
        "/api/portals", json={"name": "Arena", "game_url": GAME, **MUNICH}, headers=ho
    )
    assert r.status_code == 201, r.text
    portal = PortalOut.model_validate(r.json())
    assert portal.required_nft is None

    listed = PortalListOut.model_validate(
        (await client.get("/api/portals/nearby", params={**MUNICH, "radius_m": 100})).json()
    )
    assert portal.id in [p.id for p in listed.items]
    nearby = (await client.get("/api/nearby", params={**MUNICH, "kinds": "portal"})).json()
    assert str(portal.id) in {i["id"] for i in nearby["items"]}

    r = await client.post(f"/api/portals/{portal.id}/enter", headers=hp)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["game_url"] == GAME
    assert body["expires_in"] > 0
    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    decoded = jwt.decode(body["pass"], jwks, algorithms=["ES256"])
    assert decoded.header["typ"] == PASS_TYPE
    assert decoded.claims["aud"] == "novaprotocol"
    assert decoded.claims["sub"] == str(player.id)
    assert decoded.claims["portal_id"] == str(portal.id)
    assert decoded.claims["exp"] - decoded.claims["iat"] == body["expires_in"]
    # A pass is not an access token.
    r = await client.get("/api/spaces/mine", headers=bearer(body["pass"]))
    assert r.status_code == 401
    assert (await client.post(f"/api/portals/{portal.id}/enter")).status_code == 401


async def test_nft_requirement_is_enforced(client: AsyncClient, session: AsyncSession) -> None:
    owner = await make_user(session)
    player = await make_user(session)
    ho, hp = await login_headers(client, owner), await login_headers(client, player)
    r = await client.post(
        "/api/portals",
        json={
            "name": "VIP",
            "game_url": "https://game.example.com/vip",
            "required_nft": {"nft_id": "nft-key-01"},
            **MUNICH,
        },
        headers=ho,
    )
    assert r.status_code == 201
    portal_id = r.json()["id"]
    r = await client.post(f"/api/portals/{portal_id}/enter", headers=hp)
    assert r.status_code == 403
    assert r.json()["error"]["details"] == {"reason": "nft_required", "nft_id": "nft-key-01"}


async def test_portals_in_spaces_follow_the_space_rules(
    client: AsyncClient, session: AsyncSession
) -> None:
    owner = await make_user(session)
    outsider = await make_user(session)
    ho, hx = await login_headers(client, owner), await login_headers(client, outsider)
    r = await client.post(
        "/api/spaces/create",
        json={
            "user_id": owner.username,
            "space_name": "Club",
            "access_type": "invite",
            **MUNICH,
            "altitude_m": 520,
        },
        headers=ho,
    )
    space_id = r.json()["space_id"]
    r = await client.post(
        "/api/portals", json={"name": "Door", "game_url": GAME, "space_id": space_id}, headers=hx
    )
    assert r.status_code == 403  # only the space's owner adds portals to it
    r = await client.post(
        "/api/portals", json={"name": "Door", "game_url": GAME, "space_id": space_id}, headers=ho
    )
    assert r.status_code == 201, r.text
    portal = PortalOut.model_validate(r.json())
    assert (portal.lat, portal.lng, portal.altitude_m) == (MUNICH["lat"], MUNICH["lng"], 520)
    assert (await client.post(f"/api/portals/{portal.id}/enter", headers=hx)).status_code == 403
    assert (await client.post(f"/api/portals/{portal.id}/enter", headers=ho)).status_code == 200
    # Deleting the space takes its portals (and their placements) with it.
    assert (await client.delete(f"/api/spaces/{space_id}", headers=ho)).status_code == 204
    assert (await client.get(f"/api/portals/{portal.id}")).status_code == 404
    nearby = (await client.get("/api/nearby", params={**MUNICH, "kinds": "portal"})).json()
    assert str(portal.id) not in {i["id"] for i in nearby["items"]}

    r = await client.post(
        "/api/spaces/create",
        json={
            "user_id": owner.username,
            "space_name": "Secret",
            "access_type": "private",
            **MUNICH,
        },
        headers=ho,
    )
    secret = r.json()["space_id"]
    r = await client.post(
        "/api/portals", json={"name": "Hidden", "game_url": GAME, "space_id": secret}, headers=ho
    )
    hidden = r.json()["id"]
    assert (await client.get(f"/api/portals/{hidden}", headers=hx)).status_code == 404
    listed = (await client.get("/api/portals/nearby", params=MUNICH, headers=hx)).json()
    assert hidden not in {p["id"] for p in listed["items"]}
    listed = (await client.get("/api/portals/nearby", params=MUNICH, headers=ho)).json()
    assert hidden in {p["id"] for p in listed["items"]}


async def test_withdraw_and_validation(client: AsyncClient, session: AsyncSession) -> None:
    owner = await make_user(session)
    other = await make_user(session)
    ho, hx = await login_headers(client, owner), await login_headers(client, other)
    for bad in (
        {"name": "x", "game_url": "http://insecure.example.com", **MUNICH},
        {"name": "x", "game_url": "javascript://alert(1)", **MUNICH},
        {"name": "x", "game_url": GAME},
        {"name": "x", "game_url": GAME, "lat": 48.1},
        {"name": "x", "game_url": GAME, "space_id": str(uuid.uuid4())},
    ):
        r = await client.post("/api/portals", json=bad, headers=ho)
        assert r.status_code in (404, 422), (bad, r.text)
    r = await client.post(
        "/api/portals", json={"name": "Gate", "game_url": GAME, **MUNICH}, headers=ho
    )
    portal_id = r.json()["id"]
    assert (await client.delete(f"/api/portals/{portal_id}", headers=hx)).status_code == 403
    assert (await client.delete(f"/api/portals/{portal_id}", headers=ho)).status_code == 204
    assert (await client.post(f"/api/portals/{portal_id}/enter", headers=ho)).status_code == 404
    assert (await client.get(f"/api/portals/{uuid.uuid4()}")).status_code == 404


async def test_holding_the_required_nft_opens_the_portal(
    client: AsyncClient, session: AsyncSession
) -> None:
    owner = await make_user(session)
    holder = await make_user(session)
    nft_id = f"nft-key-{uuid.uuid4().hex[:6]}"
    # Held in custody for the player (NFT-A's holdings; the indexer is theirs to test).
    session.add(
        Nft(
            id=nft_id,
            chain_id=1,
            contract="0x" + "11" * 20,
            token_id=int(uuid.uuid4().int % 10**9),
            standard="erc721",
            name="Key",
            custody_user_id=holder.id,
        )
    )
    await session.flush()
    ho, hh = await login_headers(client, owner), await login_headers(client, holder)
    r = await client.post(
        "/api/portals",
        json={"name": "Vault", "game_url": GAME, "required_nft": {"nft_id": nft_id}, **MUNICH},
        headers=ho,
    )
    portal_id = r.json()["id"]
    assert (await client.post(f"/api/portals/{portal_id}/enter", headers=ho)).status_code == 403
    r = await client.post(f"/api/portals/{portal_id}/enter", headers=hh)
    assert r.status_code == 200, r.text
    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    assert jwt.decode(r.json()["pass"], jwks, algorithms=["ES256"]).claims["nft_id"] == nft_id
