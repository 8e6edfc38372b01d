"""A real re-org of the embedded chain (snapshot, revert, different new blocks) and what
plan_reorg makes of it, the way an indexer would use it."""

from eth_account.signers.local import LocalAccount

from app.chain import ChainClient, plan_reorg


async def test_plan_reorg_finds_the_fork_point_of_a_real_reorg(
    chain: ChainClient, players: list[LocalAccount]
) -> None:
    alice, bob, carol = players[0], players[1], players[2]
    minted = await chain.mint_721(alice.address, "ipfs://contested.json")
    fork_point = await chain.head()
    snapshot = await chain.snapshot()

    # The fork the indexer sees first: the token goes to Bob, then two more blocks.
    await chain.transfer_721(bob.address, minted.token_id, signer=alice)
    await chain.mine(2)
    old_head = await chain.head()
    # What an indexer has stored: the hashes of the blocks it processed, a few below the fork.
    stored = await chain.block_hashes(range(fork_point - 3, old_head + 1))
    orphaned = await chain.transfers(fork_point + 1, old_head)
    assert [t.to_addr for t in orphaned] == [bob.address]
    assert plan_reorg(stored, await chain.block_hashes(stored)) == old_head  # no re-org yet

    # The chain switches forks: back to the snapshot, then different, longer history.
    await chain.revert_to(snapshot)
    assert await chain.head() == fork_point
    await chain.transfer_721(carol.address, minted.token_id, signer=alice)
    await chain.mine(3)
    assert await chain.head() > old_head

    now = await chain.block_hashes(stored)
    keep = plan_reorg(stored, now)
    assert keep == fork_point
    assert all(now[n] == stored[n] for n in range(fork_point - 3, fork_point + 1))
    assert all(now[n] != stored[n] for n in range(fork_point + 1, old_head + 1))

    # Re-reading from the block after the fork point gives the new fork's events only.
    replayed = await chain.transfers(keep + 1, await chain.head())
    assert [(t.token_id, t.to_addr) for t in replayed] == [(minted.token_id, carol.address)]
    assert orphaned[0].block_hash not in now.values()
    assert await chain.owner_of(minted.token_id) == carol.address


async def test_reorg_to_a_shorter_chain(chain: ChainClient, players: list[LocalAccount]) -> None:
    await chain.mint_1155(players[3].address, 4001, 1)
    fork_point = await chain.head()
    snapshot = await chain.snapshot()
    await chain.mine(4)
    stored = await chain.block_hashes(range(fork_point - 1, fork_point + 5))
    await chain.revert_to(snapshot)
    await chain.mine(1)  # the new fork has one block where the old one had four
    assert plan_reorg(stored, await chain.block_hashes(stored)) == fork_point
