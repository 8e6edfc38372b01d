"""The trading loop on the embedded chain: list, offer, accept, transfer, index, settled."""

import uuid

from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from httpx import AsyncClient
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession

from app.nfts import service as nft_service
from app.nfts.component import NftComponent
from app.resources import Resources
from app.trading import service as trading_service
from app.trading.schemas import ListingOut, OfferOut
from tests.claims.fixtures import (
    auth_headers,
    mint_registered,
    placed_in_custody,
    player,
    random_address,
)

PRICE = str(10**18)  # 1 coin, in wei


def _sales() -> float:
    return REGISTRY.get_sample_value("cyberspace_trading_sales_total") or 0.0


async def _listing(client: AsyncClient, listing_id: str) -> ListingOut:
    response = await client.get(f"/api/listings/{listing_id}")
    assert response.status_code == 200, response.text
    return ListingOut.model_validate(response.json())


async def test_sale_from_the_sellers_wallet_settles_when_indexed(
    client: AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    nfts: NftComponent,
    players: list[LocalAccount],
) -> None:
    seller_key = players[3]
    seller = await player(session, wallet=seller_key)
    buyer_wallet = random_address()
    buyer = await player(session, wallet=buyer_wallet)
    rival = await player(session, wallet=random_address())
    chain = await nfts.chain()
    nft_id = await mint_registered(session, chain, to=seller_key.address)
    await nfts.indexer.index_now()
    before = _sales()

    listed = await client.post(
        "/api/listings",
        json={"nft_id": nft_id, "price_wei": PRICE},
        headers=auth_headers(app, seller),
    )
    assert listed.status_code == 201, listed.text
    listing = ListingOut.model_validate(listed.json())
    assert listed.json()["price_wei"] == PRICE
    assert (listing.status, listing.custodial) == ("active", False)
    assert listing.seller_address == seller_key.address.lower()

    offer = await client.post(
        f"/api/listings/{listing.id}/offers",
        json={"price_wei": str(9 * 10**17)},
        headers=auth_headers(app, buyer),
    )
    assert offer.status_code == 201, offer.text
    offer_id = OfferOut.model_validate(offer.json()).id
    losing = await client.post(
        f"/api/listings/{listing.id}/offers",
        json={"price_wei": str(8 * 10**17)},
        headers=auth_headers(app, rival),
    )
    assert losing.status_code == 201
    # The rival sees only their own offer; the seller sees both.
    seen = await client.get(f"/api/listings/{listing.id}/offers", headers=auth_headers(app, rival))
    assert [o["buyer_id"] for o in seen.json()["items"]] == [str(rival.id)]
    seen = await client.get(f"/api/listings/{listing.id}/offers", headers=auth_headers(app, seller))
    assert len(seen.json()["items"]) == 2

    accepted = await client.post(
        f"/api/offers/{offer_id}/accept", headers=auth_headers(app, seller)
    )
    assert accepted.status_code == 200, accepted.text
    pending = ListingOut.model_validate(accepted.json())
    assert pending.status == "awaiting_transfer"
    assert pending.transfer is not None
    assert pending.transfer.to_address == buyer_wallet.lower()
    assert pending.transfer.from_address == seller_key.address.lower()

    # Not sold until the chain says so: indexing without a transfer changes nothing.
    await nfts.indexer.index_now()
    assert (await _listing(client, str(listing.id))).status == "awaiting_transfer"

    nft = await nft_service.get_nft(session=session, nft_id=nft_id)
    sent = await chain.transfer_721(buyer_wallet, nft.token_id, signer=seller_key)
    await nfts.indexer.index_now()

    sold = await _listing(client, str(listing.id))
    assert sold.status == "sold"
    assert sold.sale_tx_hash == sent.tx_hash
    # A re-org re-announces transfers: settling again changes nothing and counts nothing.
    replay = [t for t in await chain.transfers(0, await chain.head()) if t.tx_hash == sent.tx_hash]
    await trading_service.on_transfers(session, replay)
    await session.commit()
    assert (await _listing(client, str(listing.id))).sale_tx_hash == sent.tx_hash
    assert sold.buyer_id == buyer.id
    assert sold.transfer is None
    assert _sales() == before + 1
    assert await nft_service.owner_username(session=session, nft_id=nft_id) == buyer.username
    offers = await client.get(
        f"/api/listings/{listing.id}/offers", headers=auth_headers(app, seller)
    )
    statuses = {o["buyer_id"]: o["status"] for o in offers.json()["items"]}
    assert statuses == {str(buyer.id): "settled", str(rival.id): "declined"}
    # The new owner can list it again.
    relist = await client.post(
        "/api/listings",
        json={"nft_id": nft_id, "price_wei": PRICE},
        headers=auth_headers(app, buyer),
    )
    assert relist.status_code == 201, relist.text


async def test_custodial_sale_is_sent_by_the_service(
    client: AsyncClient, app: FastAPI, session: AsyncSession, nfts: NftComponent
) -> None:
    seller = await player(session)
    buyer_wallet = random_address()
    buyer = await player(session, wallet=buyer_wallet)
    chain = await nfts.chain()
    nft_id = await mint_registered(session, chain, to=chain.service_address, custody_for=seller)
    await nfts.indexer.index_now()

    listed = await client.post(
        "/api/listings",
        json={"nft_id": nft_id, "price_wei": "5"},
        headers=auth_headers(app, seller),
    )
    assert listed.status_code == 201, listed.text
    listing = ListingOut.model_validate(listed.json())
    assert listing.custodial is True
    offer = await client.post(
        f"/api/listings/{listing.id}/offers",
        json={"price_wei": "5"},
        headers=auth_headers(app, buyer),
    )
    accepted = await client.post(
        f"/api/offers/{offer.json()['id']}/accept", headers=auth_headers(app, seller)
    )
    assert accepted.status_code == 200, accepted.text
    body = ListingOut.model_validate(accepted.json())
    assert body.status == "awaiting_transfer"
    assert body.transfer_tx_hash is not None
    assert body.transfer is None

    await nfts.indexer.index_now()

    sold = await _listing(client, str(listing.id))
    assert sold.status == "sold"
    assert sold.sale_tx_hash == body.transfer_tx_hash
    nft = await nft_service.get_nft(session=session, nft_id=nft_id)
    assert (await chain.owner_of(nft.token_id) or "").lower() == buyer_wallet.lower()
    assert await nft_service.owner_username(session=session, nft_id=nft_id) == buyer.username


async def test_listing_is_cancelled_when_the_nft_moves_elsewhere(
    client: AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    nfts: NftComponent,
    players: list[LocalAccount],
) -> None:
    seller_key = players[4]
    seller = await player(session, wallet=seller_key)
    buyer = await player(session, wallet=random_address())
    chain = await nfts.chain()
    nft_id = await mint_registered(session, chain, to=seller_key.address)
    await nfts.indexer.index_now()
    listed = await client.post(
        "/api/listings",
        json={"nft_id": nft_id, "price_wei": PRICE},
        headers=auth_headers(app, seller),
    )
    listing_id = listed.json()["id"]
    offer = await client.post(
        f"/api/listings/{listing_id}/offers",
        json={"price_wei": PRICE},
        headers=auth_headers(app, buyer),
    )
    assert offer.status_code == 201

    nft = await nft_service.get_nft(session=session, nft_id=nft_id)
    await chain.transfer_721(random_address(), nft.token_id, signer=seller_key)
    await nfts.indexer.index_now()

    closed = await _listing(client, listing_id)
    assert (closed.status, closed.cancel_reason) == ("cancelled", "moved")
    offers = await client.get(
        f"/api/listings/{listing_id}/offers", headers=auth_headers(app, buyer)
    )
    assert offers.json()["items"][0]["status"] == "declined"


async def test_object_level_checks_and_conflicts(
    client: AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    nfts: NftComponent,
    resources: Resources,
    players: list[LocalAccount],
) -> None:
    seller = await player(session)
    other = await player(session, wallet=random_address())
    walletless = await player(session)
    admin = await player(session)
    admin.roles = ["player", "admin"]
    await session.flush()
    chain = await nfts.chain()
    nft_id = await mint_registered(session, chain, to=chain.service_address, custody_for=seller)
    await nfts.indexer.index_now()
    body = {"nft_id": nft_id, "price_wei": PRICE}

    stranger = await client.post("/api/listings", json=body, headers=auth_headers(app, other))
    assert stranger.status_code == 403
    assert stranger.json()["error"]["code"] == "not_owner"
    for bad in ("0", "-1", "1.5", "abc", str(2**256)):
        r = await client.post(
            "/api/listings", json={**body, "price_wei": bad}, headers=auth_headers(app, seller)
        )
        assert r.status_code == 422, bad
    assert (await client.post("/api/listings", json=body)).status_code == 401
    listed = await client.post("/api/listings", json=body, headers=auth_headers(app, seller))
    assert listed.status_code == 201
    listing_id = listed.json()["id"]
    twice = await client.post("/api/listings", json=body, headers=auth_headers(app, seller))
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "already_listed"

    own = await client.post(
        f"/api/listings/{listing_id}/offers",
        json={"price_wei": PRICE},
        headers=auth_headers(app, seller),
    )
    assert own.json()["error"]["code"] == "own_listing"
    no_wallet = await client.post(
        f"/api/listings/{listing_id}/offers",
        json={"price_wei": PRICE},
        headers=auth_headers(app, walletless),
    )
    assert no_wallet.status_code == 409
    assert no_wallet.json()["error"]["code"] == "wallet_required"
    offer = await client.post(
        f"/api/listings/{listing_id}/offers",
        json={"price_wei": PRICE},
        headers=auth_headers(app, other),
    )
    offer_id = offer.json()["id"]
    dup = await client.post(
        f"/api/listings/{listing_id}/offers",
        json={"price_wei": "7"},
        headers=auth_headers(app, other),
    )
    assert dup.json()["error"]["code"] == "offer_exists"

    # Only the seller (or an admin) accepts or cancels; only the buyer withdraws.
    r = await client.post(f"/api/offers/{offer_id}/accept", headers=auth_headers(app, other))
    assert r.status_code == 403
    r = await client.post(f"/api/listings/{listing_id}/cancel", headers=auth_headers(app, other))
    assert r.status_code == 403
    r = await client.post(f"/api/offers/{offer_id}/withdraw", headers=auth_headers(app, seller))
    assert r.status_code == 403
    r = await client.post(f"/api/offers/{offer_id}/withdraw", headers=auth_headers(app, other))
    assert (r.status_code, r.json()["status"]) == (200, "withdrawn")
    r = await client.post(f"/api/offers/{offer_id}/accept", headers=auth_headers(app, seller))
    assert r.json()["error"]["code"] == "offer_not_open"
    r = await client.post(f"/api/offers/{uuid.uuid4()}/accept", headers=auth_headers(app, seller))
    assert r.status_code == 404

    browse = await client.get("/api/listings", params={"nft_id": nft_id})
    assert [i["id"] for i in browse.json()["items"]] == [listing_id]
    r = await client.post(f"/api/listings/{listing_id}/cancel", headers=auth_headers(app, admin))
    assert (r.status_code, r.json()["status"], r.json()["cancel_reason"]) == (
        200,
        "cancelled",
        "seller",
    )
    browse = await client.get("/api/listings", params={"nft_id": nft_id})
    assert browse.json()["items"] == []
    r = await client.post(f"/api/listings/{listing_id}/cancel", headers=auth_headers(app, seller))
    assert r.json()["error"]["code"] == "listing_not_open"
    assert (await client.get("/api/listings", params={"cursor": "!!"})).status_code == 422

    # A placed NFT is not for sale.
    placed = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=seller)
    r = await client.post(
        "/api/listings",
        json={"nft_id": placed, "price_wei": PRICE},
        headers=auth_headers(app, seller),
    )
    assert r.json()["error"]["code"] == "nft_placed"


async def test_browse_pages_newest_first(
    client: AsyncClient, app: FastAPI, session: AsyncSession, nfts: NftComponent
) -> None:
    seller = await player(session)
    chain = await nfts.chain()
    ids = []
    for _ in range(5):
        nft_id = await mint_registered(session, chain, to=chain.service_address, custody_for=seller)
        ids.append(nft_id)
    await nfts.indexer.index_now()
    for nft_id in ids:
        r = await client.post(
            "/api/listings",
            json={"nft_id": nft_id, "price_wei": "1"},
            headers=auth_headers(app, seller),
        )
        assert r.status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params = {"seller": seller.username, "limit": "2"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/listings", params=params)).json()
        seen += [i["nft_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == 5
