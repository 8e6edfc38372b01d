"""Nearby NFTs (JSON and GeoJSON) through the foundation's index, visibility windows, the
vector tiles, custody mints by organizers, and challenge rewards."""

from datetime import UTC, datetime, timedelta

import mapbox_vector_tile
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.nfts.component import NftComponent
from app.nfts.rewards import award_nft
from app.nfts.schemas import InventoryOut, NearbyNftPageOut, NftOut
from tests.factories import login_headers, make_user
from tests.nfts.conftest import mint_registered, player_with_wallet

MARIENPLATZ = (48.1371, 11.5754)
# ~150 m north-east of Marienplatz: where the other player stands.
FINDER = (48.1381, 11.5768)


async def placed_nfts(
    client: AsyncClient, session: AsyncSession, nfts: NftComponent, account: LocalAccount, n: int
) -> tuple[dict[str, str], list[str], str]:
    owner = await player_with_wallet(session, account)
    chain = await nfts.chain()
    ids = [await mint_registered(session, chain, account, name=f"Item {i}") for i in range(n)]
    await session.commit()
    await nfts.indexer.index_now()
    return await login_headers(client, owner), ids, owner.username


async def test_nearby_from_another_players_position(
    client: AsyncClient, session: AsyncSession, nfts: NftComponent, players: list[LocalAccount]
) -> None:
    headers, ids, username = await placed_nfts(client, session, nfts, players[3], 3)
    now = datetime.now(UTC)
    spots = [(48.1371, 11.5754), (48.1375, 11.5760), (48.1400, 11.5800)]
    extras: list[dict[str, object]] = [
        {"altitude_m": 521.5, "hint": "by the column", "claim_radius_m": 25},
        {"visible_from": (now + timedelta(hours=1)).isoformat()},  # not yet visible
        {},
    ]
    for nft_id, (lat, lng), extra in zip(ids, spots, extras, strict=True):
        body = {"user_id": username, "nft_id": nft_id, "location": {"lat": lat, "lng": lng}}
        r = await client.post("/api/nft/place", json={**body, **extra}, headers=headers)
        assert r.status_code == 201, r.text

    params = {"lat": FINDER[0], "lng": FINDER[1], "radius_m": 1000}
    r = await client.get("/api/nfts/nearby", params=params)
    assert r.status_code == 200, r.text
    page = NearbyNftPageOut.model_validate(r.json())
    # The hidden one is skipped; nearest first; metadata joined.
    assert [i.nft_id for i in page.items] == [ids[0], ids[2]] or [i.nft_id for i in page.items] == [
        ids[2],
        ids[0],
    ]
    first = next(i for i in page.items if i.nft_id == ids[0])
    assert first.altitude_m == 521.5
    assert first.hint == "by the column"
    assert first.claim_radius_m == 25
    assert first.name == "Item 0"
    assert 100 < first.distance_m < 200
    assert 180 < first.bearing_deg < 270
    assert page.items == sorted(page.items, key=lambda i: i.distance_m)

    # Paging: one per page, the cursor continues past the hidden one.
    r1 = (await client.get("/api/nfts/nearby", params={**params, "limit": 1})).json()
    r2 = (
        await client.get(
            "/api/nfts/nearby", params={**params, "limit": 1, "cursor": r1["next_cursor"]}
        )
    ).json()
    assert [r1["items"][0]["nft_id"], r2["items"][0]["nft_id"]] == [i.nft_id for i in page.items]

    # GeoJSON.
    r = await client.get(
        "/api/nfts/nearby", params=params, headers={"Accept": "application/geo+json"}
    )
    assert r.headers["content-type"].startswith("application/geo+json")
    collection = r.json()
    assert collection["type"] == "FeatureCollection"
    feature = next(f for f in collection["features"] if f["properties"]["nft_id"] == ids[0])
    assert feature["geometry"] == {"type": "Point", "coordinates": [11.5754, 48.1371, 521.5]}

    # Out of range radius: the foundation's limits apply.
    r = await client.get("/api/nfts/nearby", params={**params, "radius_m": 10**7})
    assert r.status_code == 422


async def test_vector_tile_holds_the_visible_placements(
    client: AsyncClient, session: AsyncSession, nfts: NftComponent, players: list[LocalAccount]
) -> None:
    headers, ids, username = await placed_nfts(client, session, nfts, players[5], 1)
    body = {"user_id": username, "nft_id": ids[0], "location": {"lat": 48.1371, "lng": 11.5754}}
    assert (await client.post("/api/nft/place", json=body, headers=headers)).status_code == 201
    # Marienplatz at zoom 15 is tile x=17437, y=11371.
    r = await client.get("/api/tiles/nfts/15/17437/11371.mvt")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layers = mapbox_vector_tile.decode(r.content)
    features = layers["nfts"]["features"]
    assert [f["properties"]["nft_id"] for f in features] == ids
    assert features[0]["geometry"]["type"] == "Point"
    # A far-away tile is empty; impossible tiles are refused.
    empty = await client.get("/api/tiles/nfts/15/0/0.mvt")
    assert empty.status_code == 200
    assert mapbox_vector_tile.decode(empty.content) == {}
    assert (await client.get("/api/tiles/nfts/23/0/0.mvt")).status_code == 422
    assert (await client.get("/api/tiles/nfts/2/4/0.mvt")).status_code == 404
    assert (await client.get("/api/tiles/nfts/2/-1/0.mvt")).status_code == 422


async def test_organizer_mint_goes_to_custody_and_can_be_placed(
    client: AsyncClient, session: AsyncSession, nfts: NftComponent
) -> None:
    organizer = await make_user(session, roles=("player", "organizer"))
    player = await make_user(session)
    await session.commit()
    headers = await login_headers(client, organizer)
    mint = {"nft_id": "nft-event-prize", "name": "Event Prize", "to_username": None}
    r = await client.post("/api/nfts", json=mint, headers=headers)
    assert r.status_code == 201, r.text
    out = NftOut.model_validate(r.json())
    assert out.in_custody
    assert out.owner is not None
    assert out.owner.username == organizer.username
    # Players cannot mint.
    r = await client.post(
        "/api/nfts",
        json={"nft_id": "nft-x", "name": "X"},
        headers=await login_headers(client, player),
    )
    assert r.status_code == 403
    # Custody needs no operator approval.
    body = {
        "user_id": organizer.username,
        "nft_id": "nft-event-prize",
        "location": {"lat": 48.1371, "lng": 11.5754},
    }
    assert (await client.post("/api/nft/place", json=body, headers=headers)).status_code == 201
    inventory = InventoryOut.model_validate(
        (await client.get(f"/api/users/{organizer.username}/nfts")).json()
    )
    assert [(i.id, i.in_custody, i.placed) for i in inventory.items] == [
        ("nft-event-prize", True, True)
    ]
    assert (await client.get("/api/users/nobody_here/nfts")).status_code == 404
    assert (await client.get("/api/nfts/nft-unknown")).status_code == 404


async def test_award_nft_mints_to_wallet_or_custody(
    app: FastAPI, session: AsyncSession, nfts: NftComponent, players: list[LocalAccount]
) -> None:
    resources = app.state.resources
    with_wallet = await player_with_wallet(session, players[2])
    without = await make_user(session)
    a = await award_nft(
        resources=resources,
        session=session,
        user_id=with_wallet.id,
        name="Checkpoint Champion",
        metadata={"image": "https://example.com/trophy.png", "attributes": []},
    )
    b = await award_nft(
        resources=resources, session=session, user_id=without.id, name="Finisher", metadata={}
    )
    await session.commit()
    await nfts.indexer.index_now()
    from app.nfts import service

    assert a.startswith("reward-")
    assert b.startswith("reward-")
    assert await service.user_holds_nft(session=session, user_id=with_wallet.id, nft_id=a)
    assert await service.user_holds_nft(session=session, user_id=without.id, nft_id=b)
    assert not await service.user_holds_nft(session=session, user_id=without.id, nft_id=a)
    owner = await service.owner_username(session=session, nft_id=b)
    assert owner == without.username


async def test_a_fresh_mint_replaces_a_stale_registry_entry(
    session: AsyncSession, nfts: NftComponent, players: list[LocalAccount]
) -> None:
    """After an embedded-chain restart, token ids are handed out again: an old entry for the
    id a mint just got describes a token that no longer exists."""
    from app.nfts import service
    from app.nfts.models import Nft, NftStandard
    from app.nfts.rewards import mint_nft

    chain = await nfts.chain()
    probe = await chain.mint_721(players[1].address, "ipfs://probe")
    await service.register_nft(
        session=session,
        nft_id="nft-from-an-earlier-life",
        chain_id=chain.chain_id,
        contract=chain.addresses.nft721,
        token_id=probe.token_id + 1,
        standard=NftStandard.ERC721,
        name="Gone",
    )
    user = await make_user(session)
    new_id = await mint_nft(
        nfts=nfts, session=session, user_id=user.id, nft_id="nft-new-life", name="New"
    )
    await session.commit()
    assert await session.get(Nft, "nft-from-an-earlier-life") is None
    fresh = await session.get(Nft, new_id)
    assert fresh is not None
    assert fresh.token_id == probe.token_id + 1
    assert fresh.custody_user_id == user.id
