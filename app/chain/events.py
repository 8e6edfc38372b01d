"""Token transfer events, decoded from raw logs into plain dataclasses.

Decoding is done by hand with eth-abi rather than through web3's contract event objects: the
three event layouts are fixed by the ERC-721 and ERC-1155 standards, so any compliant contract
(ours or one deployed elsewhere) decodes the same way, and the indexer's hot loop skips web3's
per-log ABI matching.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import event_signature_to_log_topic
from eth_utils.address import to_checksum_address

TRANSFER_TOPIC = event_signature_to_log_topic("Transfer(address,address,uint256)")
TRANSFER_SINGLE_TOPIC = event_signature_to_log_topic(
    "TransferSingle(address,address,address,uint256,uint256)"
)
TRANSFER_BATCH_TOPIC = event_signature_to_log_topic(
    "TransferBatch(address,address,address,uint256[],uint256[])"
)
TRANSFER_TOPICS = (TRANSFER_TOPIC, TRANSFER_SINGLE_TOPIC, TRANSFER_BATCH_TOPIC)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True, slots=True)
class TokenTransfer:
    """One token id moving between two addresses (mints come from, burns go to, ZERO_ADDRESS).

    ERC-721 transfers have `amount` 1. A `TransferBatch` log becomes one TokenTransfer per id,
    all with the log's `log_index`; `batch_index` is the id's position in the batch, so
    (chain_id, tx_hash, log_index, batch_index) identifies a transfer uniquely.
    Addresses are checksummed; hashes are lower-case 0x-hex.
    """

    chain_id: int
    contract: str
    token_id: int
    from_addr: str
    to_addr: str
    amount: int
    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    batch_index: int = 0

    @property
    def is_mint(self) -> bool:
        return self.from_addr == ZERO_ADDRESS


def _hex(value: Any) -> str:
    """0x-hex of bytes/HexBytes or an already-hex string (eth-tester and nodes differ)."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value).lower()
    return text if text.startswith("0x") else "0x" + text


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return bytes.fromhex(str(value).removeprefix("0x"))


def _topic_address(topic: Any) -> str:
    return to_checksum_address(_bytes(topic)[-20:])


def decode_transfer_log(log: Mapping[str, Any], *, chain_id: int) -> list[TokenTransfer]:
    """The transfers in one log; [] for a log that is not an ERC-721/1155 transfer.

    An ERC-20 `Transfer` shares the ERC-721 topic but has 3 topics (the amount is in data),
    so the topic count tells them apart.
    """
    topics = [_bytes(t) for t in log["topics"]]
    if not topics or log.get("removed"):
        return []
    common: dict[str, Any] = {
        "chain_id": chain_id,
        "contract": to_checksum_address(log["address"]),
        "block_number": int(log["blockNumber"]),
        "block_hash": _hex(log["blockHash"]),
        "log_index": int(log["logIndex"]),
        "tx_hash": _hex(log["transactionHash"]),
    }
    kind, data = topics[0], _bytes(log["data"])
    if kind == TRANSFER_TOPIC and len(topics) == 4:
        return [
            TokenTransfer(
                token_id=int.from_bytes(topics[3], "big"),
                from_addr=_topic_address(topics[1]),
                to_addr=_topic_address(topics[2]),
                amount=1,
                **common,
            )
        ]
    if kind == TRANSFER_SINGLE_TOPIC and len(topics) == 4:
        token_id, amount = abi_decode(["uint256", "uint256"], data)
        return [
            TokenTransfer(
                token_id=token_id,
                from_addr=_topic_address(topics[2]),
                to_addr=_topic_address(topics[3]),
                amount=amount,
                **common,
            )
        ]
    if kind == TRANSFER_BATCH_TOPIC and len(topics) == 4:
        ids, amounts = abi_decode(["uint256[]", "uint256[]"], data)
        from_addr, to_addr = _topic_address(topics[2]), _topic_address(topics[3])
        return [
            TokenTransfer(
                token_id=token_id,
                from_addr=from_addr,
                to_addr=to_addr,
                amount=amount,
                batch_index=i,
                **common,
            )
            for i, (token_id, amount) in enumerate(zip(ids, amounts, strict=True))
        ]
    return []


def decode_transfer_logs(
    logs: Iterable[Mapping[str, Any]], *, chain_id: int
) -> Iterator[TokenTransfer]:
    """Transfers of many logs, in the order given (nodes return block then log index order)."""
    for log in logs:
        yield from decode_transfer_log(log, chain_id=chain_id)
