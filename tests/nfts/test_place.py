"""Placing NFTs through the seed's API: ownership from the index, exactly-once, withdraw,
the new_nft event, and what the registry and inventory endpoints then say."""

import uuid

import orjson
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain import Standard
from app.core.events import events_stream
from app.nfts import service
from app.nfts.component import NftComponent
from app.nfts.models import NftPlacement, NftStandard
from app.nfts.schemas import InventoryOut, NftOut, PlaceOut
from app.placements.models import Placement
from tests.factories import login_headers, make_user
from tests.nfts.conftest import mint_registered, player_with_wallet

MARIENPLATZ = {"lat": 48.1371, "lng": 11.5754}


def seed_body(user_id: str, nft_id: str) -> dict[str, object]:
    return {"user_id": user_id, "nft_id": nft_id, "location": MARIENPLATZ}


async def test_seed_request_places_the_nft_and_publishes_new_nft(
    app: FastAPI,
    client: AsyncClient,
    session: AsyncSession,
    nfts: NftComponent,
    players: list[LocalAccount],
    redis_client: Redis,
) -> None:
    owner = await player_with_wallet(session, players[3])
    nft_id = await mint_registered(session, await nfts.chain(), players[3])
    await session.commit()
    await nfts.indexer.index_now()
    headers = await login_headers(client, owner)

    response = await client.post(
        "/api/nft/place", json=seed_body(str(owner.id), nft_id), headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"message", "location_id"}
    assert body["message"] == "NFT successfully placed"
    PlaceOut.model_validate(body)
    location_id = uuid.UUID(body["location_id"])

    # Both rows: the foundation's placement (kind nft, title = NFT name) and the NFT side.
    placement = await session.get(Placement, location_id)
    assert placement is not None
    assert placement.kind == "nft"
    assert placement.active
    assert placement.owner_id == owner.id
    assert placement.title == "Test Sword"

    # The event, in the seed's shape, on the Redis stream.
    prefix = app.state.resources.settings.redis_channel_prefix
    entries = await redis_client.xrange(events_stream(prefix))
    events = [orjson.loads(fields[b"event"]) for _, fields in entries]
    new_nft = [e for e in events if e["type"] == "new_nft"]
    assert new_nft
    assert new_nft[-1]["data"] == {"nft_id": nft_id, "location": MARIENPLATZ}
    assert new_nft[-1]["near"] == [MARIENPLATZ["lat"], MARIENPLATZ["lng"]]

    detail = NftOut.model_validate((await client.get(f"/api/nfts/{nft_id}")).json())
    assert detail.placed
    assert detail.placement is not None
    assert detail.placement.placement_id == location_id
    assert detail.owner is not None
    assert detail.owner.username == owner.username
    inventory = InventoryOut.model_validate(
        (await client.get(f"/api/users/{owner.username}/nfts")).json()
    )
    assert [(i.id, i.placed, i.placement_id) for i in inventory.items] == [
        (nft_id, True, location_id)
    ]

    # Placed at most once at a time.
    again = await client.post(
        "/api/nft/place", json=seed_body(owner.username, nft_id), headers=headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_placed"

    # Withdraw: closed on both sides, then it can be placed again.
    withdrawn = await client.post(f"/api/nfts/{nft_id}/withdraw", headers=headers)
    assert withdrawn.status_code == 200, withdrawn.text
    await session.refresh(placement)
    assert not placement.active
    states = (await session.scalars(select(NftPlacement.state))).all()
    assert list(states) == ["withdrawn"]
    placed_again = await client.post(
        "/api/nft/place", json=seed_body(owner.username, nft_id), headers=headers
    )
    assert placed_again.status_code == 201


async def test_only_the_indexed_owner_may_place(
    client: AsyncClient,
    session: AsyncSession,
    nfts: NftComponent,
    players: list[LocalAccount],
) -> None:
    owner = await player_with_wallet(session, players[4])
    stranger = await player_with_wallet(session, players[5])
    admin = await make_user(session, roles=("player", "admin"))
    nft_id = await mint_registered(session, await nfts.chain(), players[4])
    await session.commit()
    await nfts.indexer.index_now()
    stranger_headers = await login_headers(client, stranger)

    # Not the owner (per the index).
    r = await client.post(
        "/api/nft/place", json=seed_body(stranger.username, nft_id), headers=stranger_headers
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "not_owner"
    # Acting for someone else without being admin.
    r = await client.post(
        "/api/nft/place", json=seed_body(str(owner.id), nft_id), headers=stranger_headers
    )
    assert r.status_code == 403
    # Unknown NFT; no token.
    r = await client.post(
        "/api/nft/place", json=seed_body(stranger.username, "nft-nope"), headers=stranger_headers
    )
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "nft_not_found"
    assert (await client.post("/api/nft/place", json=seed_body("x", nft_id))).status_code == 401
    # An admin may place for the owner; the claim radius is bounded.
    admin_headers = await login_headers(client, admin)
    too_big = {**seed_body(str(owner.id), nft_id), "claim_radius_m": 5000}
    r = await client.post("/api/nft/place", json=too_big, headers=admin_headers)
    assert r.status_code == 422
    r = await client.post(
        "/api/nft/place", json=seed_body(str(owner.id), nft_id), headers=admin_headers
    )
    assert r.status_code == 201, r.text
    # The stranger cannot withdraw it; the admin can.
    r = await client.post(f"/api/nfts/{nft_id}/withdraw", headers=stranger_headers)
    assert r.status_code == 403
    r = await client.post(f"/api/nfts/{nft_id}/withdraw", headers=admin_headers)
    assert r.status_code == 200
    r = await client.post(f"/api/nfts/{nft_id}/withdraw", headers=admin_headers)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "placement_not_found"


async def test_wallet_nft_needs_the_service_as_operator(
    client: AsyncClient,
    session: AsyncSession,
    nfts: NftComponent,
    players: list[LocalAccount],
) -> None:
    chain = await nfts.chain()
    # A wallet that never approved the service (player 8's approval stays off in this suite).
    await chain.set_approval_for_all(
        chain.service_address, False, standard=Standard.ERC721, signer=players[8]
    )
    owner = await player_with_wallet(session, players[8])
    nft_id = await mint_registered(session, chain, players[8], approve=False)
    await session.commit()
    await nfts.indexer.index_now()
    r = await client.post(
        "/api/nft/place",
        json=seed_body(owner.username, nft_id),
        headers=await login_headers(client, owner),
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "operator_not_approved"
    assert r.json()["error"]["details"]["operator"] == chain.service_address


async def test_moving_a_placed_nft_on_chain_closes_its_placement(
    client: AsyncClient,
    session: AsyncSession,
    nfts: NftComponent,
    players: list[LocalAccount],
) -> None:
    chain = await nfts.chain()
    owner = await player_with_wallet(session, players[6])
    nft_id = await mint_registered(session, chain, players[6])
    await session.commit()
    await nfts.indexer.index_now()
    headers = await login_headers(client, owner)
    r = await client.post("/api/nft/place", json=seed_body(owner.username, nft_id), headers=headers)
    assert r.status_code == 201
    detail = NftOut.model_validate((await client.get(f"/api/nfts/{nft_id}")).json())
    # The owner sends the token elsewhere from their own wallet: the placement can't stand.
    await chain.transfer_721(players[7].address, int(detail.token_id), signer=players[6])
    await nfts.indexer.index_now()
    detail = NftOut.model_validate((await client.get(f"/api/nfts/{nft_id}")).json())
    assert not detail.placed
    assert detail.owner is not None
    assert detail.owner.address == players[7].address.lower()
    placement = await session.get(Placement, uuid.UUID(r.json()["location_id"]))
    assert placement is not None
    await session.refresh(placement)
    assert not placement.active


async def test_erc1155_stack_places_while_the_full_amount_is_held(
    client: AsyncClient,
    session: AsyncSession,
    nfts: NftComponent,
    players: list[LocalAccount],
) -> None:
    chain = await nfts.chain()
    holder = players[2]
    owner = await player_with_wallet(session, holder)
    token_id = 50_000 + uuid.uuid4().int % 10**9
    await chain.mint_1155(holder.address, token_id, 5, "ipfs://potions")
    await chain.set_approval_for_all(
        chain.service_address, True, standard=Standard.ERC1155, signer=holder
    )
    nft_id = f"nft-stack-{uuid.uuid4().hex[:8]}"
    await service.register_nft(
        session=session,
        nft_id=nft_id,
        chain_id=chain.chain_id,
        contract=chain.addresses.nft1155,
        token_id=token_id,
        standard=NftStandard.ERC1155,
        amount=3,
        name="Three potions",
    )
    await session.commit()
    await nfts.indexer.index_now()
    headers = await login_headers(client, owner)
    r = await client.post("/api/nft/place", json=seed_body(owner.username, nft_id), headers=headers)
    assert r.status_code == 201, r.text
    # Giving away 2 of 5 leaves 3: still placed; one more and the stack is short.
    await chain.transfer_1155(players[7].address, token_id, 2, signer=holder)
    await nfts.indexer.index_now()
    assert NftOut.model_validate((await client.get(f"/api/nfts/{nft_id}")).json()).placed
    await chain.transfer_1155(players[7].address, token_id, 1, signer=holder)
    await nfts.indexer.index_now()
    detail = NftOut.model_validate((await client.get(f"/api/nfts/{nft_id}")).json())
    assert not detail.placed
    # The receiver now holds 3 (2 + 1): the entry's owner, an address without an account.
    assert detail.owner is not None
    assert detail.owner.address == players[7].address.lower()
    assert detail.owner.username is None


async def test_the_database_allows_one_active_placement_per_nft(
    session: AsyncSession, nfts: NftComponent, players: list[LocalAccount]
) -> None:
    """What makes two racing placements safe: the second insert fails at the database."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from app.placements.models import PlacementKind
    from app.placements.service import new_placement
    from geo.coords import LatLng

    owner = await player_with_wallet(session, players[3])
    nft_id = await mint_registered(session, await nfts.chain(), players[3], approve=False)
    rows = [
        new_placement(
            kind=PlacementKind.NFT, title="x", point=LatLng(48.1, 11.5), owner_id=owner.id
        )
        for _ in range(2)
    ]
    session.add_all(rows)
    await session.flush()
    session.add(
        NftPlacement(
            placement_id=rows[0].id, nft_id=nft_id, holder="0x1", claim_radius_m=30, state="active"
        )
    )
    await session.flush()
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            session.add(
                NftPlacement(
                    placement_id=rows[1].id,
                    nft_id=nft_id,
                    holder="0x1",
                    claim_radius_m=30,
                    state="active",
                )
            )
