"""The ownership indexer: follows Transfer/TransferSingle/TransferBatch into `nft_holdings`.

One pass reads at most NFT_INDEXER_BATCH_BLOCKS blocks in one database transaction: check the
stored recent block hashes against the chain (re-org: reverse the transfers above the fork
point, then read again from there), read the transfers, apply them to holdings, record the
block hashes and the cursor, run the listeners, commit. A transaction per batch makes a crash
harmless: the cursor and the holdings move together, so a restart resumes exactly where the
last commit left off. A PostgreSQL advisory lock keeps two processes from indexing at once.

The index is rebuilt from NFT_START_BLOCK when it is stale: other contract addresses than it
followed, or none of its stored blocks still on the chain (a re-org deeper than the window,
or a fresh embedded chain after a restart, whose blocks have other hashes).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.chain import ChainClient, ReorgTooDeep, TokenTransfer, plan_reorg
from app.nfts import index_queries as q
from app.nfts.metrics import INDEXED_TRANSFERS, INDEXER_LAG, INDEXER_REBUILDS, INDEXER_REORGS

log = logging.getLogger("cyberspace.nfts.indexer")

TransferListener = Callable[[AsyncSession, list[TokenTransfer]], Awaitable[None]]
# fn(session, kept_block): the index was rolled back to `kept_block` (everything indexed above
# it is undone; -1 after a rebuild wiped it all), in the same transaction.
RewindListener = Callable[[AsyncSession, int], Awaitable[None]]
# pg_advisory_xact_lock key: "NFTI" in ASCII, plus the chain id keeps chains independent.
_LOCK_BASE = 0x4E465449


class ForkedWhileReading(Exception):
    """The chain re-organised between reading transfers and reading hashes: retry."""


@dataclass
class IndexReport:
    """What one `index_now()` did."""

    head: int = 0
    indexed_to: int = -1
    transfers: int = 0
    reorgs: int = 0
    rebuilt: bool = False
    batches: int = 0


class NftIndexer:
    def __init__(
        self,
        *,
        chain: Callable[[], Awaitable[ChainClient]],
        session_factory: async_sessionmaker[AsyncSession],
        batch_blocks: int,
        reorg_window: int,
        start_block: int,
        after_commit: Callable[[list[TokenTransfer]], Awaitable[None]] | None = None,
    ) -> None:
        self._chain = chain
        self._session_factory = session_factory
        self.batch_blocks = batch_blocks
        self.reorg_window = reorg_window
        self.start_block = start_block
        self.listeners: list[TransferListener] = []
        self.rewind_listeners: list[RewindListener] = []
        self._after_commit = after_commit
        self._lock = asyncio.Lock()

    def add_transfer_listener(self, fn: TransferListener) -> None:
        self.listeners.append(fn)

    def add_rewind_listener(self, fn: RewindListener) -> None:
        self.rewind_listeners.append(fn)

    async def index_now(self) -> IndexReport:
        """Index up to the chain's confirmed head (several batches if needed)."""
        async with self._lock:
            chain = await self._chain()
            report = IndexReport(head=await chain.confirmed_head())
            for _ in range(1000):  # bounded: a chain growing faster than we read yields
                try:
                    done = await self._one_batch(chain, report)
                except ForkedWhileReading:
                    log.info("chain re-organised during an index pass; retrying")
                    continue
                if done:
                    break
            INDEXER_LAG.set(max(0, report.head - report.indexed_to))
            return report

    async def run(self, poll_seconds: float) -> None:
        """The background task: index, sleep, repeat; errors are logged and retried."""
        while True:
            try:
                await self.index_now()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("NFT index pass failed; retrying")
            await asyncio.sleep(poll_seconds)

    async def _one_batch(self, chain: ChainClient, report: IndexReport) -> bool:
        """One transaction; True when the index has reached `report.head`."""
        chain_id = chain.chain_id
        addresses = chain.addresses
        nft721, nft1155 = addresses.nft721.lower(), addresses.nft1155.lower()
        applied: list[TokenTransfer] = []
        async with self._session_factory() as session:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:a, :b)"),
                {"a": _LOCK_BASE, "b": chain_id % 2**31},
            )
            start = await self._resume_point(session, chain, nft721, nft1155, report)
            end = min(report.head, start + self.batch_blocks - 1)
            if start > end:
                report.indexed_to = max(report.indexed_to, start - 1)
                await session.commit()
                return True
            transfers = await chain.transfers(start, end)
            window_start = max(start, end - self.reorg_window + 1)
            hashes = await chain.block_hashes(range(window_start, end + 1))
            if end not in hashes or any(
                t.block_number in hashes and t.block_hash != hashes[t.block_number].lower()
                for t in transfers
            ):
                raise ForkedWhileReading()
            await q.insert_transfers(session, transfers)
            moves = [
                (t.contract.lower(), t.token_id, t.from_addr.lower(), t.to_addr.lower(), t.amount)
                for t in transfers
            ]
            await q.apply_deltas(session, chain_id, q.holding_deltas(moves), end)
            await q.save_progress(
                session,
                chain_id=chain_id,
                nft721=nft721,
                nft1155=nft1155,
                hashes={n: h.lower() for n, h in hashes.items()},
                window=self.reorg_window,
            )
            if transfers:
                for listener in self.listeners:
                    await listener(session, transfers)
            await session.commit()
            applied = transfers
        INDEXED_TRANSFERS.inc(len(applied))
        report.transfers += len(applied)
        report.indexed_to = end
        report.batches += 1
        if applied and self._after_commit is not None:
            await self._after_commit(applied)
        return end >= report.head

    async def _resume_point(
        self,
        session: AsyncSession,
        chain: ChainClient,
        nft721: str,
        nft1155: str,
        report: IndexReport,
    ) -> int:
        """The first block to read: after the cursor, after a rewind, or a rebuild's start."""
        chain_id = chain.chain_id
        cursor = await q.get_cursor(session, chain_id)
        if cursor is None:
            return self.start_block
        if (cursor.nft721, cursor.nft1155) != (nft721, nft1155):
            log.warning(
                "NFT index followed other contracts on this chain: rebuilding",
                extra={"chain_id": chain_id},
            )
            return await self._rebuild(session, chain_id, report)
        # Usually nothing changed: the newest indexed block still being on the chain vouches
        # for all its ancestors (each hash commits to its parent's), so one read suffices.
        newest = await chain.block_hash(cursor.block_number)
        if newest is not None and newest.lower() == cursor.block_hash.lower():
            return cursor.block_number + 1
        stored = await q.stored_hashes(session, chain_id)
        if not stored:
            stored = {cursor.block_number: cursor.block_hash}
        on_chain = await chain.block_hashes(stored)
        try:
            keep = plan_reorg(stored, on_chain)
        except ReorgTooDeep:
            log.warning(
                "NFT index is stale (none of its recent blocks is on the chain: a new chain "
                "or a deep re-org): rebuilding from block %d",
                self.start_block,
                extra={"chain_id": chain_id},
            )
            return await self._rebuild(session, chain_id, report)
        if keep < cursor.block_number:
            await self._rewind(session, chain_id, keep, stored[keep], report)
        return keep + 1

    async def _rewind(
        self, session: AsyncSession, chain_id: int, keep: int, keep_hash: str, report: IndexReport
    ) -> None:
        undone = await q.moves_above(session, chain_id, keep)
        await q.apply_deltas(session, chain_id, q.holding_deltas(undone, reverse=True), keep)
        await q.delete_above(session, chain_id, keep)
        await q.set_cursor_block(session, chain_id, keep, keep_hash)
        for listener in self.rewind_listeners:
            await listener(session, keep)
        INDEXER_REORGS.inc()
        report.reorgs += 1
        log.warning(
            "chain re-org: rolled the NFT index back to block %d (%d transfers undone)",
            keep,
            len(undone),
            extra={"chain_id": chain_id},
        )

    async def _rebuild(self, session: AsyncSession, chain_id: int, report: IndexReport) -> int:
        await q.wipe_chain(session, chain_id)
        for listener in self.rewind_listeners:
            await listener(session, self.start_block - 1)
        INDEXER_REBUILDS.inc()
        report.rebuilt = True
        return self.start_block
