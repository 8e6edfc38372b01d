"""Re-org planning for an indexer, kept pure so every case is a one-line test.

An indexer stores the hash of each block it has processed (at least the last few). Before it
reads new blocks it asks the chain for the hashes at the same heights; where they differ, the
chain has switched to another fork and what was indexed there must be undone.
"""

from app.chain.errors import ReorgTooDeep


def plan_reorg(stored_hashes: dict[int, str], chain_hashes: dict[int, str]) -> int:
    """The newest stored block that is still on the chain: keep it, undo everything above it.

    `stored_hashes` maps block number -> hash as the indexer recorded it; `chain_hashes` the
    chain's canonical hashes now (a number the chain no longer has, because it got shorter,
    is simply absent). With no re-org the answer is the newest stored block, so
    `plan_reorg(...) < max(stored_hashes)` is the test for "rewind". Hashes compare
    case-insensitively ("0xAB" and "0xab" are the same block).

    Raises `ReorgTooDeep` when no stored block survives: the fork point is older than the
    window the indexer keeps, so it cannot tell where to resume and must rebuild.
    """
    if not stored_hashes:
        raise ValueError("plan_reorg needs at least one stored block hash")
    # Newest first: the first match is the fork point; blocks below a match are its ancestors,
    # which a hash (committing to the parent hash) guarantees are unchanged too.
    for number in sorted(stored_hashes, reverse=True):
        on_chain = chain_hashes.get(number)
        if on_chain is not None and on_chain.lower() == stored_hashes[number].lower():
            return number
    raise ReorgTooDeep(min(stored_hashes))
