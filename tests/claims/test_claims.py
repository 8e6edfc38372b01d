"""Claiming through the API on the embedded chain: the happy paths and every refusal."""

from datetime import UTC, datetime, timedelta

from httpx import AsyncClient
from prometheus_client import REGISTRY
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.claims.models import ClaimAttempt
from app.claims.schemas import ClaimOut
from app.core.events import RealtimeEvent, events_stream
from app.locations.schemas import LocationUpdateIn
from app.locations.service import ingest_updates
from app.nfts import placing
from app.nfts import service as nft_service
from app.nfts.component import NftComponent
from app.nfts.models import NftPlacement
from app.placements.models import Placement
from app.resources import Resources
from geo.geodesy import destination
from tests.claims.fixtures import (
    MARIENPLATZ,
    auth_headers,
    link_wallet,
    mint_registered,
    placed_in_custody,
    player,
    random_address,
)

BERLIN = (52.5200, 13.4050)


def _claims(outcome: str) -> float:
    return REGISTRY.get_sample_value("cyberspace_claims_total", {"outcome": outcome}) or 0.0


def _near(distance_m: float, bearing: float = 90.0) -> dict[str, float]:
    p = destination(*MARIENPLATZ, bearing, distance_m)
    return {"lat": p.lat, "lng": p.lng}


async def _attempts(session: AsyncSession, nft_id: str) -> list[str]:
    rows = await session.scalars(
        select(ClaimAttempt.outcome)
        .where(ClaimAttempt.nft_id == nft_id)
        .order_by(ClaimAttempt.created_at)
    )
    return list(rows)


async def test_claim_within_radius_transfers_to_the_claimers_wallet(
    client: AsyncClient, app, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    placer = await player(session)
    wallet = random_address()
    claimer = await player(session, wallet=wallet)
    nft_id = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=placer)
    before = _claims("claimed")

    # 35 m away with a 10 m fix: within the 30 m radius once accuracy counts.
    response = await client.post(
        f"/api/nfts/{nft_id}/claim",
        json={**_near(35.0), "accuracy_m": 10.0},
        headers=auth_headers(app, claimer),
    )

    assert response.status_code == 200, response.text
    body = ClaimOut.model_validate(response.json())
    assert body.message == "NFT successfully claimed"
    assert body.to_address == wallet.lower()
    assert body.custody is False
    assert body.tx_hash is not None
    assert abs(body.distance_m - 35.0) < 0.01
    chain = await nfts.chain()
    nft = await nft_service.get_nft(session=session, nft_id=nft_id)
    assert (await chain.owner_of(nft.token_id) or "").lower() == wallet.lower()
    await nfts.indexer.index_now()
    assert await nft_service.owner_username(session=session, nft_id=nft_id) == claimer.username
    assert await nft_service.active_placement(session=session, nft_id=nft_id) is None
    np = await session.scalar(select(NftPlacement).where(NftPlacement.nft_id == nft_id))
    assert np is not None
    await session.refresh(np)
    assert (np.state, np.claimed_by) == ("claimed", claimer.id)
    placement = await session.get(Placement, np.placement_id, populate_existing=True)
    assert placement is not None
    assert placement.active is False
    assert await _attempts(session, nft_id) == ["claimed"]
    assert _claims("claimed") == before + 1
    # Published after commit for the real-time fan-out.
    stream = events_stream(resources.settings.redis_channel_prefix)
    events = [RealtimeEvent.decode(f[b"event"]) for _, f in await resources.redis.xrange(stream)]
    [claimed] = [e for e in events if e.type == "nft_claimed"]
    assert claimed.data == {
        "nft_id": nft_id,
        "user_id": str(claimer.id),
        "username": claimer.username,
    }
    assert claimed.near is not None
    # The nearby engine no longer offers it.
    nearby = await client.get(
        "/api/nfts/nearby", params={"lat": MARIENPLATZ[0], "lng": MARIENPLATZ[1]}
    )
    assert nft_id not in [i["nft_id"] for i in nearby.json()["items"]]


async def test_claimer_without_wallet_gets_custody(
    client: AsyncClient, app, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    placer = await player(session)
    claimer = await player(session)
    nft_id = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=placer)

    response = await client.post(
        f"/api/nfts/{nft_id}/claim",
        json={**_near(5.0), "accuracy_m": 5.0},
        headers=auth_headers(app, claimer),
    )

    assert response.status_code == 200, response.text
    body = response.json()
    chain = await nfts.chain()
    assert body["custody"] is True
    assert body["to_address"] == chain.service_address.lower()
    assert body["tx_hash"] is None  # the service wallet keeps holding it, now for the claimer
    nft = await nft_service.get_nft(session=session, nft_id=nft_id)
    await session.refresh(nft)
    assert nft.custody_user_id == claimer.id
    assert await nft_service.owner_username(session=session, nft_id=nft_id) == claimer.username


async def test_refusals_have_clear_codes(
    client: AsyncClient, app, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    placer = await player(session)
    claimer = await player(session, wallet=random_address())
    nft_id = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=placer)
    headers = auth_headers(app, claimer)
    url = f"/api/nfts/{nft_id}/claim"

    poor = await client.post(url, json={**_near(1.0), "accuracy_m": 80.0}, headers=headers)
    assert poor.status_code == 422
    assert poor.json()["error"]["code"] == "accuracy_too_poor"
    assert poor.json()["error"]["details"]["max_accuracy_m"] == 50.0

    # 60 m away: too far, but near enough that walking up next is no teleport.
    far = await client.post(url, json={**_near(60.0), "accuracy_m": 10.0}, headers=headers)
    assert far.status_code == 403
    error = far.json()["error"]
    assert error["code"] == "too_far"
    assert round(error["details"]["distance_m"]) == 60
    assert error["details"]["shortfall_m"] == 20.0

    own = await client.post(
        url, json={**_near(1.0), "accuracy_m": 5.0}, headers=auth_headers(app, placer)
    )
    assert own.status_code == 403
    assert own.json()["error"]["code"] == "own_placement"

    ok = await client.post(url, json={**_near(1.0), "accuracy_m": 5.0}, headers=headers)
    assert ok.status_code == 200, ok.text
    again = await client.post(url, json={**_near(1.0), "accuracy_m": 5.0}, headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_claimed"
    other = await player(session)
    late = await client.post(
        url, json={**_near(2.0), "accuracy_m": 5.0}, headers=auth_headers(app, other)
    )
    assert late.status_code == 409

    assert await _attempts(session, nft_id) == [
        "inaccurate",
        "too_far",
        "own_placement",
        "claimed",
        "already_claimed",
        "already_claimed",
    ]
    missing = await client.post(
        "/api/nfts/nft-does-not-exist/claim",
        json={**_near(1.0), "accuracy_m": 5.0},
        headers=headers,
    )
    assert missing.status_code == 404
    bad = await client.post(url, json={"lat": 91, "lng": 0, "accuracy_m": 5}, headers=headers)
    assert bad.status_code == 422
    anonymous = await client.post(url, json={**_near(1.0), "accuracy_m": 5.0})
    assert anonymous.status_code == 401


async def test_teleport_after_a_claim_attempt_is_refused(
    client: AsyncClient, app, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    placer = await player(session)
    claimer = await player(session, wallet=random_address())
    nft_id = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=placer)
    headers = auth_headers(app, claimer)
    url = f"/api/nfts/{nft_id}/claim"

    # A (too far, but trusted) attempt from Berlin, then Munich a moment later: ~500 km.
    berlin = await client.post(
        url, json={"lat": BERLIN[0], "lng": BERLIN[1], "accuracy_m": 5.0}, headers=headers
    )
    assert berlin.json()["error"]["code"] == "too_far"
    jump = await client.post(url, json={**_near(1.0), "accuracy_m": 5.0}, headers=headers)

    assert jump.status_code == 403
    error = jump.json()["error"]
    assert error["code"] == "implausible_movement"
    assert error["details"]["reference"] == "claim_attempt"
    assert error["details"]["speed_mps"] > 55.0
    # The refused position does not become the reference: Munich again is still a teleport.
    again = await client.post(url, json={**_near(1.0), "accuracy_m": 5.0}, headers=headers)
    assert again.json()["error"]["code"] == "implausible_movement"
    assert await _attempts(session, nft_id) == ["too_far", "teleport", "teleport"]


async def test_teleport_from_the_last_location_update_is_refused(
    client: AsyncClient, app, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    placer = await player(session)
    claimer = await player(session, wallet=random_address())
    nft_id = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=placer)
    ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
    results = await ingest_updates(
        resources=resources,
        session=session,
        user=claimer,
        updates=[
            LocationUpdateIn.model_validate(
                {
                    "lat": BERLIN[0],
                    "lng": BERLIN[1],
                    "accuracy_m": 10.0,
                    "timestamp": ten_minutes_ago.isoformat(),
                }
            )
        ],
    )
    assert results[0].accepted

    jump = await client.post(
        f"/api/nfts/{nft_id}/claim",
        json={**_near(1.0), "accuracy_m": 5.0},
        headers=auth_headers(app, claimer),
    )

    assert jump.status_code == 403
    assert jump.json()["error"]["code"] == "implausible_movement"
    assert jump.json()["error"]["details"]["reference"] == "location_update"


async def test_walking_up_is_plausible(
    client: AsyncClient, app, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    placer = await player(session)
    claimer = await player(session, wallet=random_address())
    nft_id = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=placer)
    headers = auth_headers(app, claimer)
    url = f"/api/nfts/{nft_id}/claim"
    # 90 m away, then at the spot a moment later: within accuracy + 1 s at 55 m/s.
    far = await client.post(url, json={**_near(90.0), "accuracy_m": 20.0}, headers=headers)
    assert far.json()["error"]["code"] == "too_far"
    ok = await client.post(url, json={**_near(2.0), "accuracy_m": 20.0}, headers=headers)
    assert ok.status_code == 200, ok.text


async def test_not_placed_and_not_yet_visible(
    client: AsyncClient, app, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    placer = await player(session)
    claimer = await player(session, wallet=random_address())
    chain = await nfts.chain()
    unplaced = await mint_registered(session, chain, to=chain.service_address, custody_for=placer)
    headers = auth_headers(app, claimer)
    response = await client.post(
        f"/api/nfts/{unplaced}/claim", json={**_near(1.0), "accuracy_m": 5.0}, headers=headers
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_placed"

    await nfts.indexer.index_now()
    await placing.place_nft(
        resources=resources,
        session=session,
        chain=chain,
        actor=placer,
        req=placing.PlaceRequest(
            user_ref=placer.username,
            nft_id=unplaced,
            lat=MARIENPLATZ[0],
            lng=MARIENPLATZ[1],
            visible_from=datetime.now(UTC) + timedelta(hours=1),
        ),
    )
    hidden = await client.post(
        f"/api/nfts/{unplaced}/claim", json={**_near(1.0), "accuracy_m": 5.0}, headers=headers
    )
    assert hidden.status_code == 409
    assert hidden.json()["error"]["code"] == "not_visible"


async def test_failed_transfer_rolls_back_and_leaves_it_claimable(
    client: AsyncClient, app, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    placer = await player(session)
    claimer = await player(session, wallet=random_address())
    nft_id = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=placer)
    # Pretend the token sits in a wallet that never approved the service: transferFrom reverts.
    await session.execute(
        update(NftPlacement).where(NftPlacement.nft_id == nft_id).values(holder=random_address())
    )
    await session.commit()

    response = await client.post(
        f"/api/nfts/{nft_id}/claim",
        json={**_near(1.0), "accuracy_m": 5.0},
        headers=auth_headers(app, claimer),
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "chain_unavailable"
    assert await nft_service.active_placement(session=session, nft_id=nft_id) is not None
    assert await _attempts(session, nft_id) == ["chain_failed"]


async def test_custody_is_released_to_a_linked_wallet(
    client: AsyncClient, app, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    placer = await player(session)
    claimer = await player(session)
    nft_id = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=placer)
    headers = auth_headers(app, claimer)
    won = await client.post(
        f"/api/nfts/{nft_id}/claim", json={**_near(1.0), "accuracy_m": 5.0}, headers=headers
    )
    assert won.json()["custody"] is True
    url = f"/api/nfts/{nft_id}/custody/release"

    no_wallet = await client.post(url, headers=headers)
    assert no_wallet.status_code == 409
    assert no_wallet.json()["error"]["code"] == "wallet_required"
    not_yours = await client.post(url, headers=auth_headers(app, placer))
    assert not_yours.status_code == 403
    assert not_yours.json()["error"]["code"] == "not_in_custody"

    wallet = random_address()
    await link_wallet(session, claimer, wallet)
    await session.commit()
    released = await client.post(url, headers=headers)

    assert released.status_code == 200, released.text
    assert released.json()["to_address"] == wallet.lower()
    chain = await nfts.chain()
    nft = await nft_service.get_nft(session=session, nft_id=nft_id)
    await session.refresh(nft)
    assert nft.custody_user_id is None
    assert (await chain.owner_of(nft.token_id) or "").lower() == wallet.lower()
    await nfts.indexer.index_now()
    assert await nft_service.owner_username(session=session, nft_id=nft_id) == claimer.username
    again = await client.post(url, headers=headers)
    assert again.json()["error"]["code"] == "not_in_custody"
