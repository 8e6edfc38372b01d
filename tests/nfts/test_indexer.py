"""The ownership indexer on a real embedded chain: mints, ERC-1155 amounts, batches,
restart resume, re-org roll-back, stale-index rebuild, listeners."""

from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.chain import ChainClient, TokenTransfer
from app.nfts.index_queries import holding_deltas
from app.nfts.indexer import NftIndexer
from app.nfts.models import NftHolding, NftIndexCursor, NftTransfer
from app.settings import Settings


def make_indexer(
    chain: ChainClient, factory: async_sessionmaker[AsyncSession], *, window: int = 16
) -> NftIndexer:
    async def get_chain() -> ChainClient:
        return chain

    return NftIndexer(
        chain=get_chain,
        session_factory=factory,
        batch_blocks=3,  # small batches: several transactions per pass
        reorg_window=window,
        start_block=0,
    )


async def balances(session: AsyncSession, chain: ChainClient) -> dict[tuple[int, str], int]:
    rows = await session.scalars(select(NftHolding).where(NftHolding.chain_id == chain.chain_id))
    return {(r.token_id, r.holder): r.amount for r in rows}


def test_holding_deltas_net_out_and_reverse() -> None:
    zero = "0x" + "0" * 40
    moves = [("c", 1, zero, "a", 5), ("c", 1, "a", "b", 2), ("c", 1, "b", zero, 1)]
    assert holding_deltas(moves) == {("c", 1, "a"): 3, ("c", 1, "b"): 1}
    assert holding_deltas(moves, reverse=True) == {("c", 1, "a"): -3, ("c", 1, "b"): -1}


async def test_indexes_721_1155_amounts_and_batches(
    fresh_chain: ChainClient,
    players: list[LocalAccount],
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    chain = fresh_chain
    alice, bob = players[0], players[1]
    a, b = alice.address.lower(), bob.address.lower()
    sword = await chain.mint_721(alice.address, "ipfs://sword")
    await chain.mint_1155(alice.address, 7, 10, "ipfs://potion")
    await chain.mint_1155_batch(alice.address, [8, 9], [3, 4], ["ipfs://8", "ipfs://9"])
    await chain.transfer_721(bob.address, sword.token_id, signer=alice)
    await chain.transfer_1155(bob.address, 7, 4, signer=alice)
    await chain.transfer_1155_batch(bob.address, [8, 9], [3, 1], signer=alice)

    seen: list[TokenTransfer] = []

    async def listener(_: AsyncSession, transfers: list[TokenTransfer]) -> None:
        seen.extend(transfers)

    indexer = make_indexer(chain, session_factory)
    indexer.add_transfer_listener(listener)
    report = await indexer.index_now()
    assert report.transfers == 8
    assert report.indexed_to == await chain.head()
    assert report.batches >= 2
    assert not report.rebuilt
    assert report.reorgs == 0
    assert len(seen) == 8
    assert await balances(session, chain) == {
        (sword.token_id, b): 1,
        (7, a): 6,
        (7, b): 4,
        (9, a): 3,
        (9, b): 1,
        (8, b): 3,
    }
    # Nothing new: a second pass reads no transfers.
    again = await indexer.index_now()
    assert again.transfers == 0
    assert again.indexed_to == report.indexed_to


async def test_restart_resumes_from_the_stored_cursor(
    fresh_chain: ChainClient,
    players: list[LocalAccount],
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    chain, alice = fresh_chain, players[0]
    first = await chain.mint_721(alice.address, "ipfs://1")
    assert (await make_indexer(chain, session_factory).index_now()).transfers == 1
    cursor = await session.get(NftIndexCursor, chain.chain_id)
    assert cursor is not None
    assert cursor.block_number == await chain.head()

    second = await chain.mint_721(alice.address, "ipfs://2")
    # A new indexer (a restarted process) reads only what came after the cursor.
    report = await make_indexer(chain, session_factory).index_now()
    assert report.transfers == 1
    assert not report.rebuilt
    tokens = {t for t, _ in await balances(session, chain)}
    assert tokens == {first.token_id, second.token_id}
    count = len((await session.scalars(select(NftTransfer))).all())
    assert count == 2


async def test_reorg_rolls_back_and_reapplies(
    fresh_chain: ChainClient,
    players: list[LocalAccount],
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    chain = fresh_chain
    alice, bob, carol = players[0], players[1], players[2]
    minted = await chain.mint_721(alice.address, "ipfs://contested")
    indexer = make_indexer(chain, session_factory)
    rewinds: list[int] = []

    async def on_rewind(_: AsyncSession, kept: int) -> None:
        rewinds.append(kept)

    indexer.add_rewind_listener(on_rewind)
    await indexer.index_now()
    snapshot = await chain.snapshot()
    fork_point = await chain.head()

    # Fork 1, indexed: the token goes to Bob.
    await chain.transfer_721(bob.address, minted.token_id, signer=alice)
    await chain.mine(1)
    await indexer.index_now()
    assert await balances(session, chain) == {(minted.token_id, bob.address.lower()): 1}

    # The chain switches to a longer fork where Carol got it instead.
    await chain.revert_to(snapshot)
    await chain.transfer_721(carol.address, minted.token_id, signer=alice)
    await chain.mine(3)
    report = await indexer.index_now()
    assert report.reorgs == 1
    assert not report.rebuilt
    assert rewinds == [fork_point]
    assert await balances(session, chain) == {(minted.token_id, carol.address.lower()): 1}
    transfers = (await session.scalars(select(NftTransfer))).all()
    assert sorted(t.to_addr for t in transfers) == sorted(
        [alice.address.lower(), carol.address.lower()]
    )


async def test_stale_index_of_a_fresh_chain_is_rebuilt(
    fresh_chain: ChainClient,
    shared_chain: ChainClient,
    players: list[LocalAccount],
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    """An embedded chain restarted: same chain id and contract addresses, other blocks."""
    alice = players[0]
    await fresh_chain.mint_721(alice.address, "ipfs://old-life")
    await fresh_chain.mine(40)  # the stored window sits above the new chain's head
    await make_indexer(fresh_chain, session_factory, window=8).index_now()
    assert fresh_chain.chain_id == shared_chain.chain_id

    new_life = ChainClient.from_settings(Settings(environment="test", log_level="WARNING"))
    try:
        await new_life.setup()
        assert new_life.addresses == fresh_chain.addresses  # deterministic deployment
        await new_life.mint_721(players[1].address, "ipfs://new-life")
        report = await make_indexer(new_life, session_factory, window=8).index_now()
    finally:
        await new_life.aclose()
    assert report.rebuilt
    assert set(await balances(session, new_life)) == {(1, players[1].address.lower())}


async def test_background_task_follows_new_blocks(
    fresh_chain: ChainClient,
    players: list[LocalAccount],
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    import asyncio
    import contextlib

    seen = asyncio.Event()
    token_ids: list[int] = []

    async def after_commit(transfers: list[TokenTransfer]) -> None:
        token_ids.extend(t.token_id for t in transfers)
        seen.set()

    async def get_chain() -> ChainClient:
        return fresh_chain

    indexer = NftIndexer(
        chain=get_chain,
        session_factory=session_factory,
        batch_blocks=100,
        reorg_window=16,
        start_block=0,
        after_commit=after_commit,
    )
    # The test's session shares the poller's connection: wait for a committed pass, not SQL.
    task = asyncio.create_task(indexer.run(poll_seconds=0.05))
    try:
        minted = await fresh_chain.mint_721(players[4].address, "ipfs://bg")
        await asyncio.wait_for(seen.wait(), timeout=60)  # a bound so a bug fails, not hangs
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert token_ids == [minted.token_id]
    assert (minted.token_id, players[4].address.lower()) in await balances(session, fresh_chain)
