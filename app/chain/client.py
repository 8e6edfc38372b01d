"""`ChainClient`: the asyncio face of app.chain, built from settings and opened in the lifespan.

Every call runs the synchronous `ChainNode` in a worker thread (with the caller's contextvars,
as `asyncio.to_thread` does). Measured against web3's `AsyncWeb3` with its async eth-tester
provider: that one runs py-evm inside the event loop, so the loop stalled ~90 ms per mint and
not at all between 200 back-to-back reads (a 1.3 s stall); with threads the longest stall was
~6 ms (the GIL switch interval), for ~0.1-0.4 ms extra per call. The embedded chain gets one
worker because eth-tester is not thread-safe; a JSON-RPC node gets several so reads overlap
(writes are serialised by the node's nonce lock).
"""

import asyncio
import contextvars
import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from app.chain.artifacts import DEFAULT_ARTIFACTS_DIR
from app.chain.errors import ChainConfigError, ChainError
from app.chain.events import TokenTransfer
from app.chain.node import (
    ChainNode,
    ContractAddresses,
    Minted,
    Standard,
    TxResult,
    checksum,
)
from app.chain.provider import EMBEDDED_CHAIN_ID, fund_embedded, open_embedded, open_http
from app.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger("cyberspace.chain")

RPC_WORKERS = 8
EMBEDDED_SERVICE_FUNDS_WEI = 10**21  # 1000 ether: plenty of deploys and mints


class ChainClient:
    def __init__(self, node: ChainNode, *, confirmations: int = 0, workers: int = 1) -> None:
        self.node = node
        self.confirmations = confirmations
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chain")
        # Addresses from settings, attached (or, on the embedded chain, deployed) by setup().
        self.configured: ContractAddresses | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, artifacts_dir: Path = DEFAULT_ARTIFACTS_DIR
    ) -> "ChainClient":
        """Connect to the configured chain. Contracts are bound later, by `setup()`.

        Blocking (one RPC round trip to check the chain id); call it before serving requests.
        """
        key = settings.chain_service_private_key.get_secret_value()
        try:
            service: LocalAccount = Account.from_key(key)
        except (ValueError, TypeError) as exc:
            raise ChainConfigError("CHAIN_SERVICE_PRIVATE_KEY is not a valid private key") from exc
        embedded = not settings.web3_rpc_url
        if embedded and settings.environment == "production":
            # The embedded chain forgets everything on restart: no place for real NFTs.
            raise ChainConfigError("set WEB3_RPC_URL in production (the embedded chain is for dev)")
        if embedded:
            w3, tester = open_embedded()
            fund_embedded(tester, service.address, EMBEDDED_SERVICE_FUNDS_WEI)
        else:
            w3, tester = open_http(settings.web3_rpc_url), None
        try:
            actual = int(w3.eth.chain_id)
        except Exception as exc:  # connection refused, DNS, HTTP 401/5xx: all "cannot reach"
            # Only the host: hosted node URLs carry their API key in the path or query.
            host = urlsplit(settings.web3_rpc_url).hostname
            raise ChainError(
                f"cannot reach the chain node at {host}: {exc.__class__.__name__}"
            ) from exc
        if actual != settings.chain_id:
            hint = f" (the embedded chain's id is {EMBEDDED_CHAIN_ID})" if embedded else ""
            raise ChainConfigError(
                f"CHAIN_ID is {settings.chain_id} but the chain says {actual}{hint}"
            )
        node = ChainNode(
            w3, chain_id=actual, service=service, tester=tester, artifacts_dir=artifacts_dir
        )
        client = cls(
            node,
            confirmations=settings.chain_confirmations,
            workers=1 if embedded else RPC_WORKERS,
        )
        if settings.nft721_address or settings.nft1155_address:
            if not (settings.nft721_address and settings.nft1155_address):
                raise ChainConfigError("set both NFT721_ADDRESS and NFT1155_ADDRESS, or neither")
            client.configured = ContractAddresses(
                nft721=checksum(settings.nft721_address),
                nft1155=checksum(settings.nft1155_address),
            )
        return client

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        call = functools.partial(ctx.run, fn, *args, **kwargs)
        return await loop.run_in_executor(self._executor, call)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    # --- identity ----------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self.node.chain_id

    @property
    def embedded(self) -> bool:
        return self.node.tester is not None

    @property
    def service_address(self) -> ChecksumAddress:
        return self.node.service.address

    @property
    def addresses(self) -> ContractAddresses:
        """The bound contracts' addresses; ChainConfigError before `setup()`."""
        return self.node.addresses

    # --- contracts ---------------------------------------------------------------------

    async def setup(self) -> ContractAddresses:
        """Bind the contracts: the configured addresses if set, else (embedded only) deploy.

        Pointing at a real network without addresses is an error rather than a silent deploy
        that would spend the service wallet's funds on every start.
        """
        if self.configured is not None:
            await self.attach(self.configured)
            return self.configured
        if not self.embedded:
            raise ChainConfigError("set NFT721_ADDRESS and NFT1155_ADDRESS for WEB3_RPC_URL")
        addresses, _, _ = await self.deploy()
        return addresses

    async def deploy(self) -> tuple[ContractAddresses, TxResult, TxResult]:
        """Deploy both contracts from the artifacts (service wallet = admin and minter)."""
        deployed = await self._run(self.node.deploy_contracts)
        log.info(
            "contracts deployed",
            extra={"nft721": deployed[0].nft721, "nft1155": deployed[0].nft1155},
        )
        return deployed

    async def attach(self, addresses: ContractAddresses) -> None:
        await self._run(self.node.attach_contracts, addresses)

    # --- reads -------------------------------------------------------------------------

    async def owner_of(self, token_id: int) -> ChecksumAddress | None:
        """ERC-721 owner, or None if the token does not exist."""
        return await self._run(self.node.owner_of, token_id)

    async def balance_of(self, owner: str, token_id: int, *, standard: Standard) -> int:
        """Copies of `token_id` that `owner` holds (ERC-721: 0 or 1)."""
        return await self._run(self.node.balance_of, owner, token_id, standard)

    async def token_uri(self, token_id: int, *, standard: Standard) -> str:
        return await self._run(self.node.token_uri, token_id, standard)

    # --- writes from the service wallet (or `signer`) ------------------------------------

    async def mint_721(self, to: str, uri: str) -> Minted:
        return await self._run(self.node.mint_721, to, uri)

    async def mint_1155(self, to: str, token_id: int, amount: int, uri: str = "") -> TxResult:
        return await self._run(self.node.mint_1155, to, token_id, amount, uri)

    async def mint_1155_batch(
        self, to: str, token_ids: Sequence[int], amounts: Sequence[int], uris: Sequence[str]
    ) -> TxResult:
        return await self._run(self.node.mint_1155_batch, to, token_ids, amounts, uris)

    async def transfer_721(
        self, to: str, token_id: int, *, signer: LocalAccount | None = None
    ) -> TxResult:
        return await self._run(self.node.transfer_721, to, token_id, signer=signer)

    async def transfer_1155(
        self, to: str, token_id: int, amount: int, *, signer: LocalAccount | None = None
    ) -> TxResult:
        return await self._run(self.node.transfer_1155, to, token_id, amount, signer=signer)

    async def transfer_1155_batch(
        self,
        to: str,
        token_ids: Sequence[int],
        amounts: Sequence[int],
        *,
        signer: LocalAccount | None = None,
    ) -> TxResult:
        return await self._run(self.node.transfer_1155_batch, to, token_ids, amounts, signer=signer)

    async def set_approval_for_all(
        self, operator: str, approved: bool, *, standard: Standard, signer: LocalAccount
    ) -> TxResult:
        return await self._run(self.node.set_approval_for_all, operator, approved, standard, signer)

    async def is_approved_for_all(self, owner: str, operator: str, *, standard: Standard) -> bool:
        return await self._run(self.node.is_approved_for_all, owner, operator, standard)

    async def transfer_from(
        self, from_addr: str, to: str, token_id: int, *, standard: Standard, amount: int = 1
    ) -> TxResult:
        """Service-signed move from `from_addr` (itself, or an owner that approved it)."""
        return await self._run(self.node.transfer_from, from_addr, to, token_id, amount, standard)

    async def wait_for_receipt(
        self, tx_hash: str, *, wait_seconds: float | None = None
    ) -> TxResult:
        """Wait for a transaction sent elsewhere (e.g. by a player's wallet) to be mined."""
        return await self._run(self.node.wait_for_receipt, tx_hash, wait_seconds)

    # --- blocks and events (what an indexer needs) ---------------------------------------

    async def head(self) -> int:
        """Number of the newest block."""
        return await self._run(self.node.head)

    async def confirmed_head(self) -> int:
        """Newest block buried under `confirmations` blocks: how far an indexer should read."""
        return max(0, await self.head() - self.confirmations)

    async def block_hash(self, number: int) -> str | None:
        return await self._run(self.node.block_hash, number)

    async def block_hashes(self, numbers: Iterable[int]) -> dict[int, str]:
        return await self._run(self.node.block_hashes, list(numbers))

    async def transfers(self, from_block: int, to_block: int) -> list[TokenTransfer]:
        """All Transfer/TransferSingle/TransferBatch of both contracts in the block range."""
        return await self._run(self.node.transfers, from_block, to_block)

    # --- embedded chain only (demos and tests) -------------------------------------------

    async def snapshot(self) -> int:
        return await self._run(self.node.snapshot)

    async def revert_to(self, snapshot_id: int) -> None:
        await self._run(self.node.revert_to, snapshot_id)

    async def mine(self, blocks: int = 1) -> None:
        await self._run(self.node.mine, blocks)
