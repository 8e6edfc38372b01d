"""SQL of the indexer's aggregate: holdings, transfers, the cursor and recent block hashes."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain.events import ZERO_ADDRESS, TokenTransfer
from app.nfts.models import NftHolding, NftIndexBlock, NftIndexCursor, NftTransfer

_ZERO = ZERO_ADDRESS.lower()

HoldingKey = tuple[str, int, str]  # (contract, token_id, holder), lower-case addresses


def holding_deltas(
    moves: Iterable[tuple[str, int, str, str, int]], *, reverse: bool = False
) -> dict[HoldingKey, int]:
    """Net balance change per (contract, token, holder) of (contract, token, from, to, amount)
    moves; `reverse` undoes them. The zero address (mints, burns) holds nothing."""
    deltas: dict[HoldingKey, int] = defaultdict(int)
    sign = -1 if reverse else 1
    for contract, token_id, from_addr, to_addr, amount in moves:
        if from_addr != _ZERO:
            deltas[(contract, token_id, from_addr)] -= sign * amount
        if to_addr != _ZERO:
            deltas[(contract, token_id, to_addr)] += sign * amount
    return {k: v for k, v in deltas.items() if v}


_UPSERT_HOLDING = text(
    """
    INSERT INTO nft_holdings (chain_id, contract, token_id, holder, amount, block_number)
    VALUES (:chain_id, :contract, :token_id, :holder, :delta, :block)
    ON CONFLICT (chain_id, contract, token_id, holder)
    DO UPDATE SET amount = nft_holdings.amount + EXCLUDED.amount,
                  block_number = EXCLUDED.block_number
    """
)


async def apply_deltas(
    session: AsyncSession, chain_id: int, deltas: dict[HoldingKey, int], block: int
) -> None:
    if not deltas:
        return
    params = [
        {
            "chain_id": chain_id,
            "contract": contract,
            "token_id": token_id,
            "holder": holder,
            "delta": delta,
            "block": block,
        }
        for (contract, token_id, holder), delta in deltas.items()
    ]
    await session.execute(_UPSERT_HOLDING, params)
    # Spent balances go; a negative one can only come from history before NFT_START_BLOCK.
    await session.execute(
        delete(NftHolding).where(NftHolding.chain_id == chain_id, NftHolding.amount <= 0)
    )


async def insert_transfers(session: AsyncSession, transfers: Sequence[TokenTransfer]) -> None:
    if not transfers:
        return
    rows: list[dict[str, Any]] = [
        {
            "chain_id": t.chain_id,
            "tx_hash": t.tx_hash,
            "log_index": t.log_index,
            "batch_index": t.batch_index,
            "block_number": t.block_number,
            "block_hash": t.block_hash,
            "contract": t.contract.lower(),
            "token_id": t.token_id,
            "from_addr": t.from_addr.lower(),
            "to_addr": t.to_addr.lower(),
            "amount": t.amount,
        }
        for t in transfers
    ]
    await session.execute(insert(NftTransfer), rows)


async def moves_above(
    session: AsyncSession, chain_id: int, block: int
) -> list[tuple[str, int, str, str, int]]:
    result = await session.execute(
        select(
            NftTransfer.contract,
            NftTransfer.token_id,
            NftTransfer.from_addr,
            NftTransfer.to_addr,
            NftTransfer.amount,
        ).where(NftTransfer.chain_id == chain_id, NftTransfer.block_number > block)
    )
    return [(c, int(t), f, to, int(a)) for c, t, f, to, a in result.all()]


async def delete_above(session: AsyncSession, chain_id: int, block: int) -> None:
    await session.execute(
        delete(NftTransfer).where(
            NftTransfer.chain_id == chain_id, NftTransfer.block_number > block
        )
    )
    await session.execute(
        delete(NftIndexBlock).where(
            NftIndexBlock.chain_id == chain_id, NftIndexBlock.number > block
        )
    )


async def wipe_chain(session: AsyncSession, chain_id: int) -> None:
    """Forget everything indexed on the chain (before a rebuild)."""
    for model in (NftHolding, NftTransfer, NftIndexBlock, NftIndexCursor):
        await session.execute(delete(model).where(model.chain_id == chain_id))


async def get_cursor(session: AsyncSession, chain_id: int) -> NftIndexCursor | None:
    return await session.get(NftIndexCursor, chain_id, populate_existing=True)


async def stored_hashes(session: AsyncSession, chain_id: int) -> dict[int, str]:
    result = await session.execute(
        select(NftIndexBlock.number, NftIndexBlock.hash).where(NftIndexBlock.chain_id == chain_id)
    )
    return {int(n): h for n, h in result.all()}


_UPSERT_BLOCK = text(
    """
    INSERT INTO nft_index_blocks (chain_id, number, hash) VALUES (:chain_id, :number, :hash)
    ON CONFLICT (chain_id, number) DO UPDATE SET hash = EXCLUDED.hash
    """
)

_UPSERT_CURSOR = text(
    """
    INSERT INTO nft_index_cursors (chain_id, nft721, nft1155, block_number, block_hash)
    VALUES (:chain_id, :nft721, :nft1155, :number, :hash)
    ON CONFLICT (chain_id) DO UPDATE SET nft721 = EXCLUDED.nft721, nft1155 = EXCLUDED.nft1155,
        block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, updated_at = now()
    """
)


async def save_progress(
    session: AsyncSession,
    *,
    chain_id: int,
    nft721: str,
    nft1155: str,
    hashes: dict[int, str],
    window: int,
) -> None:
    """Record the new blocks' hashes and move the cursor to the newest; prune old hashes."""
    newest = max(hashes)
    await session.execute(
        _UPSERT_BLOCK,
        [{"chain_id": chain_id, "number": n, "hash": h} for n, h in sorted(hashes.items())],
    )
    await session.execute(
        delete(NftIndexBlock).where(
            NftIndexBlock.chain_id == chain_id, NftIndexBlock.number <= newest - window
        )
    )
    await session.execute(
        _UPSERT_CURSOR,
        {
            "chain_id": chain_id,
            "nft721": nft721,
            "nft1155": nft1155,
            "number": newest,
            "hash": hashes[newest],
        },
    )


async def set_cursor_block(
    session: AsyncSession, chain_id: int, number: int, block_hash: str
) -> None:
    cursor = await get_cursor(session, chain_id)
    if cursor is not None:
        cursor.block_number = number
        cursor.block_hash = block_hash


async def holders_of(
    session: AsyncSession, chain_id: int, contract: str, token_id: int
) -> list[NftHolding]:
    result = await session.scalars(
        select(NftHolding).where(
            NftHolding.chain_id == chain_id,
            NftHolding.contract == contract,
            NftHolding.token_id == token_id,
        )
    )
    return list(result)
