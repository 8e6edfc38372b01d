"""Synchronous chain access: contract bindings, reads, signed writes, blocks and transfer logs.

web3.py over eth-tester is synchronous (py-evm runs in the calling thread), so this layer is
plain blocking code; `app.chain.client.ChainClient` runs it in worker threads for asyncio.
Not thread-safe on the embedded chain: the client gives it one worker there.
"""

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils.address import is_address, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import BlockNotFound, TimeExhausted
from web3.types import FilterParams, TxParams, TxReceipt

from app.chain.artifacts import DEFAULT_ARTIFACTS_DIR, NFT721, NFT1155, load_artifact
from app.chain.errors import (
    ChainConfigError,
    ChainError,
    TransactionFailed,
    decode_revert,
    format_revert,
    is_revert,
    revert_data,
)
from app.chain.events import TRANSFER_TOPICS, TokenTransfer, decode_transfer_logs
from app.chain.provider import embedded_logs

T = TypeVar("T")
log = logging.getLogger("cyberspace.chain")

# Estimates are exact for the state they ran against; a block landing in between (another
# mint, a first-time storage write) can need a little more. Unused gas is refunded.
GAS_HEADROOM = 1.2
# Many hosted RPC nodes refuse eth_getLogs over wider block ranges than this.
DEFAULT_LOG_CHUNK = 2_000


class Standard(StrEnum):
    ERC721 = "erc721"
    ERC1155 = "erc1155"


@dataclass(frozen=True, slots=True)
class ContractAddresses:
    nft721: ChecksumAddress
    nft1155: ChecksumAddress


@dataclass(frozen=True, slots=True)
class TxResult:
    """A mined, successful transaction and the token transfers it caused."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    transfers: tuple[TokenTransfer, ...] = ()
    contract_address: ChecksumAddress | None = None


@dataclass(frozen=True, slots=True)
class Minted:
    """An ERC-721 mint: the id the contract assigned, read from the mint's `Transfer` event."""

    token_id: int
    tx: TxResult


def checksum(address: str) -> ChecksumAddress:
    if not is_address(address):
        raise ValueError(f"not an Ethereum address: {address!r}")
    return to_checksum_address(address)


class ChainNode:
    def __init__(
        self,
        w3: Web3,
        *,
        chain_id: int,
        service: LocalAccount,
        tester: Any = None,
        artifacts_dir: Path = DEFAULT_ARTIFACTS_DIR,
        receipt_timeout: float = 120.0,
    ) -> None:
        self.w3 = w3
        self.chain_id = chain_id
        self.service = service
        self.tester = tester  # the EthereumTester of an embedded chain, else None
        self.receipt_timeout = receipt_timeout
        self._artifact_721 = load_artifact(NFT721, artifacts_dir)
        self._artifact_1155 = load_artifact(NFT1155, artifacts_dir)
        self._abis = (self._artifact_721.abi, self._artifact_1155.abi)
        self._erc721: Contract | None = None
        self._erc1155: Contract | None = None
        # One sender at a time: the nonce is read from the node and must not be handed out
        # twice by two threads signing at once.
        self._send_lock = threading.Lock()

    # --- contracts ---------------------------------------------------------------------

    @property
    def addresses(self) -> ContractAddresses:
        erc721, erc1155 = self._contracts()
        return ContractAddresses(nft721=erc721.address, nft1155=erc1155.address)

    def attach_contracts(self, addresses: ContractAddresses) -> None:
        """Bind to contracts deployed earlier; refuses an address with no code on this chain.

        Code that differs from the artifact is only logged: it may be an older build with the
        same interface, but if calls then fail, this is the first place to look.
        """
        pairs = ((addresses.nft721, self._artifact_721), (addresses.nft1155, self._artifact_1155))
        for address, artifact in pairs:
            code = bytes(self.w3.eth.get_code(address))
            if not code:
                raise ChainConfigError(f"no contract code at {address} on chain {self.chain_id}")
            if code != bytes.fromhex(artifact.deployed_bytecode.removeprefix("0x")):
                log.warning(
                    "contract code differs from the artifact",
                    extra={"address": address, "contract": artifact.name},
                )
        self._erc721 = self.w3.eth.contract(address=addresses.nft721, abi=self._artifact_721.abi)
        self._erc1155 = self.w3.eth.contract(address=addresses.nft1155, abi=self._artifact_1155.abi)

    def deploy_contracts(self) -> tuple[ContractAddresses, TxResult, TxResult]:
        """Deploy both contracts with the service wallet as admin and minter, and bind to them."""
        results = []
        for artifact in (self._artifact_721, self._artifact_1155):
            factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
            results.append(self._send(self.service, factory.constructor(self.service.address)))
        nft721, nft1155 = (r.contract_address for r in results)
        if nft721 is None or nft1155 is None:
            raise ChainError("a deployment receipt has no contract address")
        deployed = ContractAddresses(nft721=nft721, nft1155=nft1155)
        self.attach_contracts(deployed)
        return deployed, results[0], results[1]

    def _contracts(self) -> tuple[Contract, Contract]:
        if self._erc721 is None or self._erc1155 is None:
            raise ChainConfigError("contracts are neither deployed nor attached")
        return self._erc721, self._erc1155

    # --- reads -------------------------------------------------------------------------

    def owner_of(self, token_id: int) -> ChecksumAddress | None:
        """The ERC-721 token's owner, or None when no such token exists (never minted, burnt)."""
        erc721, _ = self._contracts()
        try:
            owner: str = self._call(lambda: erc721.functions.ownerOf(token_id).call())
        except TransactionFailed as exc:
            if exc.error == "ERC721NonexistentToken":
                return None
            raise
        return checksum(owner)

    def balance_of(self, owner: str, token_id: int, standard: Standard) -> int:
        """How many of the token `owner` holds: 0 or 1 for ERC-721, any count for ERC-1155."""
        owner_address = checksum(owner)
        if standard is Standard.ERC721:
            return 1 if self.owner_of(token_id) == owner_address else 0
        _, erc1155 = self._contracts()
        return int(self._call(lambda: erc1155.functions.balanceOf(owner_address, token_id).call()))

    def token_uri(self, token_id: int, standard: Standard) -> str:
        erc721, erc1155 = self._contracts()
        if standard is Standard.ERC721:
            return str(self._call(lambda: erc721.functions.tokenURI(token_id).call()))
        return str(self._call(lambda: erc1155.functions.uri(token_id).call()))

    # --- writes (signed by the service wallet unless a signer is given) ------------------

    def mint_721(self, to: str, uri: str) -> Minted:
        erc721, _ = self._contracts()
        result = self._send(self.service, erc721.functions.safeMint(checksum(to), uri))
        if not result.transfers:
            raise ChainError(f"mint {result.tx_hash} emitted no Transfer event")
        return Minted(token_id=result.transfers[0].token_id, tx=result)

    def mint_1155(self, to: str, token_id: int, amount: int, uri: str = "") -> TxResult:
        _, erc1155 = self._contracts()
        return self._send(self.service, erc1155.functions.mint(checksum(to), token_id, amount, uri))

    def mint_1155_batch(
        self, to: str, token_ids: Sequence[int], amounts: Sequence[int], uris: Sequence[str]
    ) -> TxResult:
        _, erc1155 = self._contracts()
        call = erc1155.functions.mintBatch(checksum(to), list(token_ids), list(amounts), list(uris))
        return self._send(self.service, call)

    def transfer_721(
        self, to: str, token_id: int, *, signer: LocalAccount | None = None
    ) -> TxResult:
        erc721, _ = self._contracts()
        sender = signer or self.service
        # safeTransferFrom: a contract recipient must accept ERC-721 tokens, or this reverts.
        call = erc721.functions.safeTransferFrom(sender.address, checksum(to), token_id)
        return self._send(sender, call)

    def transfer_1155(
        self, to: str, token_id: int, amount: int, *, signer: LocalAccount | None = None
    ) -> TxResult:
        _, erc1155 = self._contracts()
        sender = signer or self.service
        call = erc1155.functions.safeTransferFrom(
            sender.address, checksum(to), token_id, amount, b""
        )
        return self._send(sender, call)

    def transfer_1155_batch(
        self,
        to: str,
        token_ids: Sequence[int],
        amounts: Sequence[int],
        *,
        signer: LocalAccount | None = None,
    ) -> TxResult:
        _, erc1155 = self._contracts()
        sender = signer or self.service
        call = erc1155.functions.safeBatchTransferFrom(
            sender.address, checksum(to), list(token_ids), list(amounts), b""
        )
        return self._send(sender, call)

    def set_approval_for_all(
        self, operator: str, approved: bool, standard: Standard, signer: LocalAccount
    ) -> TxResult:
        """`signer` lets `operator` (usually the service wallet) move all its tokens."""
        erc721, erc1155 = self._contracts()
        contract = erc721 if standard is Standard.ERC721 else erc1155
        call = contract.functions.setApprovalForAll(checksum(operator), approved)
        return self._send(signer, call)

    def is_approved_for_all(self, owner: str, operator: str, standard: Standard) -> bool:
        erc721, erc1155 = self._contracts()
        contract = erc721 if standard is Standard.ERC721 else erc1155
        fn = contract.functions.isApprovedForAll(checksum(owner), checksum(operator))
        return bool(self._call(lambda: fn.call()))

    def transfer_from(
        self, from_addr: str, to: str, token_id: int, amount: int, standard: Standard
    ) -> TxResult:
        """The service wallet moves a token it holds, or one it is an approved operator for."""
        erc721, erc1155 = self._contracts()
        if standard is Standard.ERC721:
            call = erc721.functions.safeTransferFrom(checksum(from_addr), checksum(to), token_id)
        else:
            call = erc1155.functions.safeTransferFrom(
                checksum(from_addr), checksum(to), token_id, amount, b""
            )
        return self._send(self.service, call)

    def wait_for_receipt(self, tx_hash: str, wait_seconds: float | None = None) -> TxResult:
        """Block until the transaction is mined; raise TransactionFailed if it reverted."""
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(
                HexBytes(tx_hash), timeout=wait_seconds or self.receipt_timeout
            )
        except TimeExhausted as exc:
            raise ChainError(f"transaction {tx_hash} not mined in time") from exc
        return self._result(receipt)

    # --- blocks and events -------------------------------------------------------------

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def block_hash(self, number: int) -> str | None:
        """The canonical hash at `number`, or None if the chain is not that long (yet)."""
        try:
            block = self.w3.eth.get_block(number)
        except BlockNotFound:
            return None
        block_hash = block.get("hash")
        return None if block_hash is None else "0x" + bytes(block_hash).hex()

    def block_hashes(self, numbers: Iterable[int]) -> dict[int, str]:
        """Canonical hashes for the numbers the chain has; absent ones are left out."""
        found = {n: self.block_hash(n) for n in numbers}
        return {n: h for n, h in found.items() if h is not None}

    def transfers(
        self,
        from_block: int,
        to_block: int,
        *,
        chunk: int = DEFAULT_LOG_CHUNK,
        direct: bool | None = None,
    ) -> list[TokenTransfer]:
        """Decoded transfers of both contracts in [from_block, to_block], in chain order.

        `direct` (default: on the embedded chain) reads py-evm's receipts instead of calling
        eth_getLogs in `chunk`-block ranges; tests switch it to compare the two.
        """
        erc721, erc1155 = self._contracts()
        if direct is None:
            direct = self.tester is not None
        if direct:
            logs = embedded_logs(
                self.tester, from_block, to_block, [erc721.address, erc1155.address]
            )
            return list(decode_transfer_logs(logs, chain_id=self.chain_id))
        found: list[TokenTransfer] = []
        for start in range(from_block, to_block + 1, chunk):
            params: FilterParams = {
                "fromBlock": start,
                "toBlock": min(start + chunk - 1, to_block),
                "address": [erc721.address, erc1155.address],
                # One topic list = "any of these" for topic 0: all three events in one query.
                "topics": [[HexStr("0x" + t.hex()) for t in TRANSFER_TOPICS]],
            }
            found.extend(decode_transfer_logs(self.w3.eth.get_logs(params), chain_id=self.chain_id))
        return found

    # --- embedded chain only -----------------------------------------------------------

    def _embedded(self) -> Any:
        if self.tester is None:
            raise ChainError("only the embedded chain can snapshot, revert and mine on demand")
        return self.tester

    def snapshot(self) -> int:
        return int(self._embedded().take_snapshot())

    def revert_to(self, snapshot_id: int) -> None:
        """Roll the embedded chain back; new blocks after this are a real re-org of it."""
        self._embedded().revert_to_snapshot(snapshot_id)

    def mine(self, blocks: int = 1) -> None:
        self._embedded().mine_blocks(blocks)

    # --- internals ---------------------------------------------------------------------

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as exc:
            if is_revert(exc):
                raise self._failure(exc) from exc
            raise

    def _send(self, signer: LocalAccount, call: Any) -> TxResult:
        """Build (estimating gas, which surfaces reverts early), sign, send and wait."""
        with self._send_lock:
            base: TxParams = {"from": signer.address, "chainId": self.chain_id}
            tx = self._call(lambda: call.build_transaction(base))
            tx["gas"] = int(int(tx["gas"]) * GAS_HEADROOM)
            tx["nonce"] = self.w3.eth.get_transaction_count(signer.address, "pending")
            signed = signer.sign_transaction(tx)
            tx_hash = self._call(lambda: self.w3.eth.send_raw_transaction(signed.raw_transaction))
        return self.wait_for_receipt("0x" + bytes(tx_hash).hex())

    def _failure(self, exc: BaseException) -> TransactionFailed:
        name, args = decode_revert(revert_data(exc), self._abis)
        if name == "Revert" and not args:
            return TransactionFailed(f"reverted: {exc}")
        return TransactionFailed(f"reverted: {format_revert(name, args)}", error=name, args=args)

    def _result(self, receipt: TxReceipt) -> TxResult:
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        if receipt["status"] != 1:
            # Reverted after passing estimation (state changed in between); no reason on hand.
            raise TransactionFailed(f"transaction {tx_hash} reverted on chain", tx_hash=tx_hash)
        ours = {c.address for c in (self._erc721, self._erc1155) if c is not None}
        logs = [log for log in receipt["logs"] if log["address"] in ours]
        contract_address = receipt.get("contractAddress")
        return TxResult(
            tx_hash=tx_hash,
            block_number=int(receipt["blockNumber"]),
            block_hash="0x" + bytes(receipt["blockHash"]).hex(),
            gas_used=int(receipt["gasUsed"]),
            transfers=tuple(decode_transfer_logs(logs, chain_id=self.chain_id)),
            contract_address=checksum(contract_address) if contract_address else None,
        )
