"""50 players claim one NFT at the same moment: exactly one wins, one transfer on chain.

This needs real concurrency, so it cannot use the `client` fixture (one connection, one
transaction): it builds an app with its own engine on a dedicated, freshly migrated database
(dropped afterwards), commits its data, and fires the claims through httpx at the app.
"""

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from alembic import command
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain import ChainClient
from app.claims.models import ClaimAttempt
from app.main import create_app
from app.nfts import service as nft_service
from app.nfts.component import NftComponent
from app.resources import Resources
from app.settings import Settings
from geo.geodesy import destination
from tests.claims.fixtures import (
    MARIENPLATZ,
    auth_headers,
    placed_in_custody,
    player,
    random_address,
)
from tests.conftest import TEST_DATABASE_URL, alembic_config, recreate_database

CLAIMERS = 50
RACE_URL = str(
    make_url(TEST_DATABASE_URL).set(database=f"{make_url(TEST_DATABASE_URL).database}_race")
)


@pytest_asyncio.fixture(loop_scope="session")
async def race_app(test_settings: Settings, shared_chain: ChainClient) -> AsyncIterator[FastAPI]:
    await asyncio.to_thread(recreate_database, RACE_URL)
    await asyncio.to_thread(command.upgrade, alembic_config(RACE_URL), "head")
    settings = test_settings.model_copy(
        update={
            "database_url": RACE_URL,
            "redis_channel_prefix": f"{test_settings.redis_channel_prefix}-race-{uuid.uuid4().hex}",
        }
    )
    app = create_app(settings, background_sync=False)
    try:
        async with LifespanManager(app):
            app.state.resources.component(NftComponent).attach_chain(shared_chain)
            yield app
    finally:
        await asyncio.to_thread(_drop, RACE_URL)


def _drop(url: str) -> None:
    import psycopg

    from tests.conftest import admin_dsn

    with psycopg.connect(admin_dsn(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.mark.slow
async def test_fifty_simultaneous_claims_one_winner(race_app: FastAPI) -> None:
    resources: Resources = race_app.state.resources
    nfts = resources.component(NftComponent)
    chain = await nfts.chain()
    async with resources.session_factory() as session:
        placer = await player(session)
        claimers = [await player(session, wallet=random_address()) for _ in range(CLAIMERS)]
        await session.commit()
        nft_id = await placed_in_custody(
            resources=resources, session=session, nfts=nfts, placer=placer
        )
        nft = await nft_service.get_nft(session=session, nft_id=nft_id)
        token_id, contract = nft.token_id, nft.contract
        wallets = {c.id: (await _wallet(session, c.id)) for c in claimers}
        headers = [auth_headers(race_app, c) for c in claimers]
    first_block = await chain.head() + 1
    rng = random.Random(4)
    bodies = []
    for _ in claimers:
        p = destination(*MARIENPLATZ, rng.uniform(0, 360), rng.uniform(0, 20))
        bodies.append({"lat": p.lat, "lng": p.lng, "accuracy_m": 5.0})

    async with AsyncClient(
        transport=ASGITransport(app=race_app), base_url="http://test", timeout=60
    ) as client:
        start = asyncio.Event()

        async def claim(i: int) -> tuple[int, dict[str, object]]:
            await start.wait()
            r = await client.post(f"/api/nfts/{nft_id}/claim", json=bodies[i], headers=headers[i])
            return r.status_code, r.json()

        tasks = [asyncio.create_task(claim(i)) for i in range(CLAIMERS)]
        await asyncio.sleep(0)
        start.set()
        results = await asyncio.gather(*tasks)

    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: CLAIMERS - 1}, results
    codes = Counter(body["error"]["code"] for status, body in results if status == 409)  # type: ignore[index]
    assert set(codes) <= {"claim_in_progress", "already_claimed"}, codes
    winner_index = next(i for i, (status, _) in enumerate(results) if status == 200)
    winner = claimers[winner_index]
    win_body = results[winner_index][1]
    assert win_body["to_address"] == wallets[winner.id]

    # Exactly one on-chain transfer of the token, to the winner.
    assert (await chain.owner_of(token_id) or "").lower() == wallets[winner.id]
    moves = [
        t
        for t in await chain.transfers(first_block, await chain.head())
        if t.token_id == token_id and t.contract.lower() == contract
    ]
    assert len(moves) == 1
    assert moves[0].to_addr.lower() == wallets[winner.id]

    async with resources.session_factory() as session:
        outcomes = dict(
            (
                await session.execute(
                    select(ClaimAttempt.outcome, func.count())
                    .where(ClaimAttempt.nft_id == nft_id)
                    .group_by(ClaimAttempt.outcome)
                )
            ).all()
        )
        # Losers either lost the row lock or arrived after the winner committed.
        assert outcomes.pop("claimed") == 1
        assert set(outcomes) <= {"lost_race", "already_claimed"}
        assert sum(outcomes.values()) == CLAIMERS - 1
        await nfts.indexer.index_now()
        assert await nft_service.owner_username(session=session, nft_id=nft_id) == winner.username
        assert await nft_service.active_placement(session=session, nft_id=nft_id) is None


async def _wallet(session: AsyncSession, user_id: uuid.UUID) -> str:
    from app.users import queries as user_queries

    return (await user_queries.wallet_addresses(session, user_id))[0]
