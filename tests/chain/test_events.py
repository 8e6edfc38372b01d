"""Log decoding without a chain: topic constants agree with the compiled ABIs, and logs that
are not NFT transfers are skipped."""

from typing import Any

from eth_abi.abi import encode
from eth_utils.abi import event_abi_to_log_topic

from app.chain import TokenTransfer, decode_transfer_log
from app.chain.artifacts import NFT721, NFT1155, load_artifact
from app.chain.events import TRANSFER_BATCH_TOPIC, TRANSFER_SINGLE_TOPIC, TRANSFER_TOPIC

CONTRACT = "0x" + "11" * 20
ALICE = "0x" + "aa" * 20
BOB = "0x" + "bb" * 20


def topic_of(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def raw_log(topics: list[bytes], data: bytes = b"", **extra: Any) -> dict[str, Any]:
    return {
        "address": CONTRACT,
        "topics": topics,
        "data": data,
        "blockNumber": 12,
        "blockHash": bytes.fromhex("ab" * 32),
        "logIndex": 3,
        "transactionHash": "0x" + "cd" * 32,
        **extra,
    }


def event_topic(contract: str, name: str) -> bytes:
    abi = load_artifact(contract).abi
    (event,) = [e for e in abi if e.get("type") == "event" and e.get("name") == name]
    return event_abi_to_log_topic(event)  # type: ignore[arg-type]


def test_topics_match_the_compiled_contracts() -> None:
    assert event_topic(NFT721, "Transfer") == TRANSFER_TOPIC
    assert event_topic(NFT1155, "TransferSingle") == TRANSFER_SINGLE_TOPIC
    assert event_topic(NFT1155, "TransferBatch") == TRANSFER_BATCH_TOPIC


def test_erc721_transfer() -> None:
    log = raw_log([TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB), (42).to_bytes(32, "big")])
    (t,) = decode_transfer_log(log, chain_id=5)
    assert t == TokenTransfer(
        chain_id=5,
        contract="0x1111111111111111111111111111111111111111",
        token_id=42,
        from_addr="0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa",
        to_addr="0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB",
        amount=1,
        block_number=12,
        block_hash="0x" + "ab" * 32,
        log_index=3,
        tx_hash="0x" + "cd" * 32,
    )
    assert not t.is_mint


def test_erc20_transfer_with_the_same_topic_is_skipped() -> None:
    # ERC-20: value in data, only 3 topics.
    log = raw_log([TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB)], encode(["uint256"], [10]))
    assert decode_transfer_log(log, chain_id=1) == []


def test_batch_gives_one_transfer_per_id_with_its_position() -> None:
    operator = topic_of(ALICE)
    data = encode(["uint256[]", "uint256[]"], [[7, 8, 9], [1, 5, 2]])
    log = raw_log([TRANSFER_BATCH_TOPIC, operator, topic_of(ALICE), topic_of(BOB)], data)
    transfers = decode_transfer_log(log, chain_id=1)
    assert [(t.token_id, t.amount, t.batch_index) for t in transfers] == [
        (7, 1, 0),
        (8, 5, 1),
        (9, 2, 2),
    ]
    assert {t.log_index for t in transfers} == {3}


def test_unrelated_and_removed_logs_are_skipped() -> None:
    other = raw_log([bytes(32)])
    removed = raw_log(
        [TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB), (1).to_bytes(32, "big")], removed=True
    )
    assert decode_transfer_log(other, chain_id=1) == []
    assert decode_transfer_log(removed, chain_id=1) == []
    assert decode_transfer_log(raw_log([]), chain_id=1) == []
