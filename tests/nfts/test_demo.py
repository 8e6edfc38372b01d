"""Development start: the demo NFTs are minted, registered, indexed and placed; a restart
(a new embedded chain, same database) is detected as a stale index and rebuilt."""

import asyncio
import uuid

from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.nfts.component import NftComponent
from app.nfts.metrics import INDEXER_REBUILDS
from app.nfts.schemas import InventoryOut, NftOut
from app.settings import Settings
from tests.factories import login_headers, make_user


async def test_demo_start_and_restart(
    test_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    redis_client: Redis,
) -> None:
    player = await make_user(session, username="PlayerOne")
    await session.commit()
    settings = test_settings.model_copy(
        update={
            "nft_demo_on_start": True,
            "redis_channel_prefix": f"{test_settings.redis_channel_prefix}-{uuid.uuid4().hex}",
        }
    )
    rebuilds: list[float] = []
    placement_ids: list[str] = []
    for attempt in range(2):  # start, then "restart" with a fresh embedded chain
        if attempt:
            # eth-tester stamps blocks with the wall-clock second: two chains built within
            # one second are identical block for block, and the index would rightly stay.
            await asyncio.sleep(1.1)
        rebuilds.append(INDEXER_REBUILDS._value.get())
        app = create_app(settings, session_factory=session_factory, background_sync=False)
        async with LifespanManager(app):
            nfts = app.state.resources.component(NftComponent)
            transport = ASGITransport(app=app)
            async with AsyncClient(transport=transport, base_url="http://test") as client:
                compass = NftOut.model_validate((await client.get("/api/nfts/nft-123")).json())
                assert compass.owner is not None
                assert compass.owner.username == "PlayerOne"
                assert compass.placement is not None
                assert (compass.placement.lat, compass.placement.lng) == (48.1371, 11.5754)
                placement_ids.append(str(compass.placement.placement_id))
                inventory = InventoryOut.model_validate(
                    (await client.get("/api/users/PlayerOne/nfts")).json()
                )
                held = {i.id: i.placed for i in inventory.items}
                assert held == {
                    "nft-123": True,
                    "nft-weapon-01": False,
                    "nft-shield-02": False,
                    "nft-potion-stack": False,
                }
                assert not (await nfts.indexer.index_now()).rebuilt
                if len(placement_ids) == 2:
                    # The seed's placement request, as PlayerOne, works on the new chain.
                    body = {
                        "user_id": str(player.id),
                        "nft_id": "nft-weapon-01",
                        "location": {"lat": 48.1371, "lng": 11.5754},
                    }
                    r = await client.post(
                        "/api/nft/place", json=body, headers=await login_headers(client, player)
                    )
                    assert r.status_code == 201, r.text
                    assert r.json()["message"] == "NFT successfully placed"
    # The placement survived the restart (it is in PostgreSQL), not placed twice.
    assert placement_ids[0] == placement_ids[1]
    # First start: an empty index, nothing to rebuild; second: the stored blocks are gone.
    rebuilds.append(INDEXER_REBUILDS._value.get())
    assert [b - rebuilds[0] for b in rebuilds] == [0, 0, 1]


async def test_chain_switched_off_reads_work_writes_say_503(
    test_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    redis_client: Redis,
) -> None:
    user = await make_user(session)
    await session.commit()
    settings = test_settings.model_copy(
        update={
            "nft_chain_enabled": False,
            "redis_channel_prefix": f"{test_settings.redis_channel_prefix}-{uuid.uuid4().hex}",
        }
    )
    app = create_app(settings, session_factory=session_factory, background_sync=False)
    async with LifespanManager(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            nearby = await client.get("/api/nfts/nearby", params={"lat": 48.1, "lng": 11.5})
            assert nearby.status_code == 200
            assert nearby.json()["items"] == []
            body = {"user_id": user.username, "nft_id": "nft-1", "location": {"lat": 1, "lng": 2}}
            r = await client.post(
                "/api/nft/place", json=body, headers=await login_headers(client, user)
            )
            assert r.status_code == 503
            assert r.json()["error"]["code"] == "chain_unavailable"
