"""ChainClient against a real embedded chain: contracts, reads, writes, receipts and events."""

import asyncio
import time

import pytest
from eth_account.signers.local import LocalAccount

from app.chain import (
    EMBEDDED_CHAIN_ID,
    ZERO_ADDRESS,
    ChainClient,
    Standard,
    TransactionFailed,
)


async def test_setup_deployed_both_contracts_with_the_service_wallet_as_minter(
    chain: ChainClient,
) -> None:
    assert chain.embedded
    assert chain.chain_id == EMBEDDED_CHAIN_ID
    addresses = chain.addresses
    assert addresses.nft721 != addresses.nft1155
    # The default service wallet is eth-tester's first funded account (private key 1).
    assert chain.service_address == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"


async def test_mint_721_then_owner_and_balance(
    chain: ChainClient, players: list[LocalAccount]
) -> None:
    alice, bob = players[0], players[1]
    minted = await chain.mint_721(alice.address, "ipfs://weapon-01.json")
    assert minted.token_id >= 1
    (mint,) = minted.tx.transfers
    assert (mint.from_addr, mint.to_addr, mint.amount) == (ZERO_ADDRESS, alice.address, 1)
    assert mint.is_mint
    assert mint.contract == chain.addresses.nft721
    assert minted.tx.gas_used > 50_000

    assert await chain.owner_of(minted.token_id) == alice.address
    assert await chain.balance_of(alice.address, minted.token_id, standard=Standard.ERC721) == 1
    assert await chain.balance_of(bob.address, minted.token_id, standard=Standard.ERC721) == 0
    uri = await chain.token_uri(minted.token_id, standard=Standard.ERC721)
    assert uri == "ipfs://weapon-01.json"
    # Ids count up: the next mint gets the next id.
    again = await chain.mint_721(alice.address, "ipfs://weapon-02.json")
    assert again.token_id == minted.token_id + 1


async def test_owner_of_a_token_that_does_not_exist_is_none(chain: ChainClient) -> None:
    assert await chain.owner_of(10**9) is None


async def test_player_transfer_is_seen_in_the_block_range(
    chain: ChainClient, players: list[LocalAccount]
) -> None:
    alice, bob = players[2], players[3]
    minted = await chain.mint_721(alice.address, "ipfs://trophy.json")
    moved = await chain.transfer_721(bob.address, minted.token_id, signer=alice)
    assert await chain.owner_of(minted.token_id) == bob.address

    transfers = await chain.transfers(minted.tx.block_number, moved.block_number)
    ours = [
        t
        for t in transfers
        if t.token_id == minted.token_id and t.contract == chain.addresses.nft721
    ]
    assert [(t.from_addr, t.to_addr) for t in ours] == [
        (ZERO_ADDRESS, alice.address),
        (alice.address, bob.address),
    ]
    last = ours[-1]
    assert (last.block_number, last.block_hash, last.tx_hash) == (
        moved.block_number,
        moved.block_hash,
        moved.tx_hash,
    )
    assert last.chain_id == EMBEDDED_CHAIN_ID
    # Waiting for an already mined transaction gives the same result.
    assert await chain.wait_for_receipt(moved.tx_hash) == moved


async def test_custody_transfer_from_the_service_wallet(
    chain: ChainClient, players: list[LocalAccount]
) -> None:
    # A claimed NFT without a linked wallet is held by the service wallet, then handed over.
    minted = await chain.mint_721(chain.service_address, "ipfs://held.json")
    result = await chain.transfer_721(players[4].address, minted.token_id)
    assert result.transfers[0].from_addr == chain.service_address
    assert await chain.owner_of(minted.token_id) == players[4].address


async def test_reverts_carry_the_decoded_custom_error(
    chain: ChainClient, players: list[LocalAccount]
) -> None:
    alice, mallory = players[0], players[5]
    minted = await chain.mint_721(alice.address, "ipfs://not-yours.json")
    with pytest.raises(TransactionFailed) as info:
        await chain.transfer_721(mallory.address, minted.token_id, signer=mallory)
    assert info.value.error == "ERC721InsufficientApproval"
    assert info.value.error_args == {"operator": mallory.address, "tokenId": minted.token_id}
    assert await chain.owner_of(minted.token_id) == alice.address


async def test_erc1155_mint_transfer_and_single_events(
    chain: ChainClient, players: list[LocalAccount]
) -> None:
    alice, bob = players[6], players[7]
    minted = await chain.mint_1155(alice.address, 1001, 10, "ipfs://potion.json")
    (mint,) = minted.transfers
    assert (mint.token_id, mint.amount, mint.from_addr) == (1001, 10, ZERO_ADDRESS)
    assert mint.contract == chain.addresses.nft1155
    moved = await chain.transfer_1155(bob.address, 1001, 4, signer=alice)
    assert await chain.balance_of(alice.address, 1001, standard=Standard.ERC1155) == 6
    assert await chain.balance_of(bob.address, 1001, standard=Standard.ERC1155) == 4
    assert await chain.token_uri(1001, standard=Standard.ERC1155) == "ipfs://potion.json"

    seen = [
        (t.from_addr, t.to_addr, t.amount)
        for t in await chain.transfers(minted.block_number, moved.block_number)
        if t.token_id == 1001
    ]
    assert seen == [(ZERO_ADDRESS, alice.address, 10), (alice.address, bob.address, 4)]

    # Metadata is fixed by the first mint: the same URI again is fine, another one reverts.
    await chain.mint_1155(alice.address, 1001, 1, "ipfs://potion.json")
    await chain.mint_1155(alice.address, 1001, 1)
    with pytest.raises(TransactionFailed) as info:
        await chain.mint_1155(alice.address, 1001, 1, "ipfs://other.json")
    assert (info.value.error, info.value.error_args) == ("URIAlreadySet", {"id": 1001})


async def test_erc1155_batches_decode_to_one_transfer_per_id(
    chain: ChainClient, players: list[LocalAccount]
) -> None:
    alice, bob = players[8], players[7]
    ids, amounts = [2001, 2002, 2003], [1, 2, 3]
    minted = await chain.mint_1155_batch(alice.address, ids, amounts, ["ipfs://a", "ipfs://b", ""])
    assert [(t.token_id, t.amount, t.batch_index) for t in minted.transfers] == [
        (2001, 1, 0),
        (2002, 2, 1),
        (2003, 3, 2),
    ]
    moved = await chain.transfer_1155_batch(bob.address, [2003, 2001], [2, 1], signer=alice)
    scanned = await chain.transfers(moved.block_number, moved.block_number)
    assert [(t.token_id, t.amount, t.from_addr, t.to_addr, t.batch_index) for t in scanned] == [
        (2003, 2, alice.address, bob.address, 0),
        (2001, 1, alice.address, bob.address, 1),
    ]
    assert len({t.log_index for t in scanned}) == 1  # one TransferBatch log
    assert await chain.balance_of(alice.address, 2003, standard=Standard.ERC1155) == 1
    assert await chain.balance_of(bob.address, 2001, standard=Standard.ERC1155) == 1
    assert await chain.token_uri(2003, standard=Standard.ERC1155) == ""


async def test_head_and_block_hashes(chain: ChainClient, players: list[LocalAccount]) -> None:
    result = await chain.mint_1155(players[0].address, 3001, 1)
    head = await chain.head()
    assert head == result.block_number
    assert await chain.block_hash(head) == result.block_hash
    assert await chain.block_hash(head + 1) is None
    hashes = await chain.block_hashes([head - 1, head, head + 5])
    assert sorted(hashes) == [head - 1, head]
    assert hashes[head] == result.block_hash
    assert await chain.confirmed_head() == head  # confirmations default to 0


async def test_the_event_loop_keeps_running_during_chain_work(
    chain: ChainClient, players: list[LocalAccount]
) -> None:
    """py-evm runs in a worker thread: a mint (~100 ms of EVM work) must not stall the loop."""
    gaps: list[float] = []
    stop = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    for _ in range(3):
        await chain.mint_721(players[1].address, "ipfs://tick.json")
    stop.set()
    await ticker
    # Measured ~6 ms here (the GIL switch interval); running py-evm on the loop gave ~90 ms.
    assert max(gaps) < 0.05


async def test_direct_log_reading_matches_eth_get_logs(
    chain: ChainClient, players: list[LocalAccount]
) -> None:
    """The embedded chain reads receipts straight from py-evm (eth-tester's eth_getLogs is
    quadratic in chain length); both paths, and chunked eth_getLogs, give the same transfers."""
    await chain.mint_1155_batch(players[0].address, [5001, 5002], [3, 4], ["", ""])
    await chain.mint_721(players[1].address, "ipfs://compare.json")
    head = await chain.head()
    direct = chain.node.transfers(0, head, direct=True)
    assert len(direct) >= 10
    assert chain.node.transfers(0, head, direct=False) == direct
    assert chain.node.transfers(0, head, direct=False, chunk=3) == direct
    assert chain.node.transfers(head - 1, head + 100, direct=True) == [
        t for t in direct if t.block_number >= head - 1
    ]
