"""The nfts component (see app/core/components.py): the chain client, the indexer, the demo.

The chain opens lazily on first use (`await component.chain()`): a test app that never
touches NFTs pays nothing, and one that does gets its own fresh embedded chain. With
NFT_CHAIN_AUTOSTART (default: development only) it opens at start instead, and with
NFT_DEMO_ON_START the demo NFTs are minted, registered, indexed and placed before serving.
"""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.chain import ChainClient, TokenTransfer
from app.core.components import Component
from app.nfts import service
from app.nfts.errors import ChainUnavailable
from app.nfts.indexer import NftIndexer, RewindListener, TransferListener
from app.nfts.queries import NearbyMetaCache
from app.resources import Resources

log = logging.getLogger("cyberspace.nfts")


class NftComponent:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        settings = resources.settings
        self.settings = settings
        self._client: ChainClient | None = None
        self._open_lock = asyncio.Lock()
        self._closed_placements = 0
        self._borrowed = False
        self.nearby_cache = NearbyMetaCache()
        self.indexer = NftIndexer(
            chain=self.chain,
            session_factory=resources.session_factory,
            batch_blocks=settings.nft_indexer_batch_blocks,
            reorg_window=settings.nft_reorg_window,
            start_block=settings.nft_start_block,
            after_commit=self._after_index_commit,
        )
        self.indexer.add_transfer_listener(self._builtin_listener)

    @property
    def autostart(self) -> bool:
        if self.settings.nft_chain_autostart is not None:
            return self.settings.nft_chain_autostart
        return self.settings.environment == "development"

    @property
    def demo_on_start(self) -> bool:
        if self.settings.nft_demo_on_start is not None:
            return self.settings.nft_demo_on_start
        return self.settings.environment == "development" and not self.settings.web3_rpc_url

    async def chain(self) -> ChainClient:
        """The chain client, opened (and on the embedded chain, contracts deployed) once."""
        if self._client is not None:
            return self._client
        if not self.settings.nft_chain_enabled:
            raise ChainUnavailable("The chain is switched off (NFT_CHAIN_ENABLED=false)")
        async with self._open_lock:
            if self._client is None:
                # from_settings blocks (it builds py-evm or asks a node its chain id).
                client = await asyncio.to_thread(ChainClient.from_settings, self.settings)
                try:
                    await client.setup()
                except BaseException:
                    await client.aclose()
                    raise
                log.info(
                    "chain ready",
                    extra={"chain_id": client.chain_id, "embedded": client.embedded},
                )
                self._client = client
        return self._client

    def attach_chain(self, client: ChainClient) -> None:
        """Use an already set-up client instead of opening one (tests share one embedded
        chain between app instances); the component will not close it."""
        self._client = client
        self._borrowed = True

    @property
    def opened(self) -> ChainClient | None:
        """The chain client if it is open already (never opens it)."""
        return self._client

    def add_transfer_listener(self, fn: TransferListener) -> None:
        """`fn(session, transfers)` runs in the indexer's transaction after each batch."""
        self.indexer.add_transfer_listener(fn)

    def add_rewind_listener(self, fn: RewindListener) -> None:
        """`fn(session, kept_block)` runs in the indexer's transaction when it rolls back a
        re-org (transfers above `kept_block` undone) or wipes the index to rebuild (-1)."""
        self.indexer.add_rewind_listener(fn)

    async def start(self) -> None:
        try:
            async with self.resources.session_factory() as session:
                loaded = await self.nearby_cache.preload(session)
            log.info("nearby NFT cache loaded", extra={"placements": loaded})
        except Exception:  # a cold cache only costs a query per miss
            log.warning("nearby NFT cache not preloaded", exc_info=True)
        if not self.settings.nft_chain_enabled:
            return
        if self.autostart or self.demo_on_start:
            await self.chain()
        if self.demo_on_start:
            from app.nfts.demo import seed_demo_nfts  # only development needs it

            line = await seed_demo_nfts(self)
            log.info(line)

    def background(self) -> list[Coroutine[Any, Any, None]]:
        if not self.settings.nft_chain_enabled:
            return []
        return [self.indexer.run(self.settings.nft_indexer_poll_seconds)]

    async def aclose(self) -> None:
        if self._client is not None and not self._borrowed:
            await self._client.aclose()
        self._client = None

    async def _builtin_listener(
        self, session: AsyncSession, transfers: list[TokenTransfer]
    ) -> None:
        chain = await self.chain()
        self._closed_placements += await service.on_transfers(
            session, transfers, service_address=chain.service_address
        )

    async def _after_index_commit(self, transfers: list[TokenTransfer]) -> None:
        if self._closed_placements:
            self._closed_placements = 0
            await self.resources.placement_sync.changed()


def build(resources: Resources) -> Component:
    return NftComponent(resources)
