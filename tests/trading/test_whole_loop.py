"""Issue 4's whole loop over HTTP on the embedded chain: mint to a player, index, place (the
seed's request), find nearby from another player's position, claim from within the radius,
see the on-chain owner change, list, sell, settle from the indexed transfer."""

from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.nfts.component import NftComponent
from geo.geodesy import destination
from tests.claims.fixtures import MARIENPLATZ, auth_headers, player, random_address
from tests.factories import make_user


async def test_mint_place_find_claim_list_sell(
    client: AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    nfts: NftComponent,
    players: list[LocalAccount],
) -> None:
    organizer = await make_user(session, roles=("player", "organizer"))
    placer = await player(session)
    finder_key = players[6]
    finder = await player(session, wallet=finder_key)
    buyer_wallet = random_address()
    buyer = await player(session, wallet=buyer_wallet)
    await session.commit()
    chain = await nfts.chain()
    nft_id = "nft-loop-sword"

    minted = await client.post(
        "/api/nfts",
        json={"nft_id": nft_id, "name": "Loop Sword", "to_username": placer.username},
        headers=auth_headers(app, organizer),
    )
    assert minted.status_code == 201, minted.text
    placed = await client.post(
        "/api/nft/place",
        json={
            "user_id": str(placer.id),
            "nft_id": nft_id,
            "location": {"lat": MARIENPLATZ[0], "lng": MARIENPLATZ[1]},
        },
        headers=auth_headers(app, placer),
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["message"] == "NFT successfully placed"

    # Another player, 40 m east, sees it.
    near = destination(*MARIENPLATZ, 90.0, 40.0)
    found = await client.get("/api/nfts/nearby", params={"lat": near.lat, "lng": near.lng})
    [item] = [i for i in found.json()["items"] if i["nft_id"] == nft_id]
    assert round(item["distance_m"]) == 40
    assert round(item["bearing_deg"]) == 270  # back west, towards Marienplatz

    # Too far from there; walks up and claims.
    url = f"/api/nfts/{nft_id}/claim"
    finder_headers = auth_headers(app, finder)
    far = await client.post(
        url, json={"lat": near.lat, "lng": near.lng, "accuracy_m": 5.0}, headers=finder_headers
    )
    assert far.json()["error"]["code"] == "too_far"
    spot = destination(*MARIENPLATZ, 90.0, 4.0)
    won = await client.post(
        url, json={"lat": spot.lat, "lng": spot.lng, "accuracy_m": 5.0}, headers=finder_headers
    )
    assert won.status_code == 200, won.text
    token_id = int(minted.json()["token_id"])
    assert await chain.owner_of(token_id) == finder_key.address
    await nfts.indexer.index_now()
    nft = (await client.get(f"/api/nfts/{nft_id}")).json()
    assert nft["owner"]["username"] == finder.username
    assert nft["placed"] is False

    # The finder sells it; the sale completes when the transfer is indexed.
    listed = await client.post(
        "/api/listings", json={"nft_id": nft_id, "price_wei": "250"}, headers=finder_headers
    )
    assert listed.status_code == 201, listed.text
    offer = await client.post(
        f"/api/listings/{listed.json()['id']}/offers",
        json={"price_wei": "250"},
        headers=auth_headers(app, buyer),
    )
    accepted = await client.post(f"/api/offers/{offer.json()['id']}/accept", headers=finder_headers)
    transfer = accepted.json()["transfer"]
    assert (transfer["from_address"], transfer["to_address"]) == (
        finder_key.address.lower(),
        buyer_wallet.lower(),
    )
    await chain.transfer_721(transfer["to_address"], token_id, signer=finder_key)
    await nfts.indexer.index_now()

    sold = (await client.get(f"/api/listings/{listed.json()['id']}")).json()
    assert sold["status"] == "sold"
    inventory = (await client.get(f"/api/users/{buyer.username}/nfts")).json()
    assert nft_id in [i["id"] for i in inventory["items"]]
    graphql = await client.post(
        "/graphql", json={"query": f'{{ getNFT(id: "{nft_id}") {{ owner location }} }}'}
    )
    assert graphql.json() == {"data": {"getNFT": {"owner": buyer.username, "location": None}}}
