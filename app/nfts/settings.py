"""Settings of nfts; mixed into app.settings.Settings (names are env var names).

The chain itself (WEB3_RPC_URL, CHAIN_ID, CHAIN_SERVICE_PRIVATE_KEY, NFT721_ADDRESS, ...) is
configured by the foundation's settings; these are about the NFT feature on top of it.
"""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings


class NftSettings(BaseSettings):
    # Off: no chain at all (NFT reads still work from the database; writes answer 503-free
    # errors). On: the chain opens lazily on first use, or at start (see below).
    nft_chain_enabled: bool = True
    # Open the chain (and on the embedded chain deploy the contracts) at app start instead of
    # on first use. None = only in development, where start also mints the demo NFTs.
    nft_chain_autostart: bool | None = None
    # Mint, register, index and place the demo NFTs (nft-weapon-01, nft-123, ...) at start.
    # None = only in development on the embedded chain.
    nft_demo_on_start: bool | None = None
    # Indexer: poll interval, how many blocks per read, how many recent block hashes are kept
    # for re-org detection, and the first block to read on a fresh index (a real network's
    # contract deployment block: nothing of ours exists before it).
    nft_indexer_poll_seconds: float = Field(default=2.0, gt=0, le=3600)
    nft_indexer_batch_blocks: int = Field(default=2_000, ge=1, le=100_000)
    nft_reorg_window: int = Field(default=64, ge=2, le=10_000)
    nft_start_block: int = Field(default=0, ge=0)
    # Placements: claim radius default and bounds (metres).
    nft_claim_radius_default_m: float = Field(default=30.0, gt=0, le=1000)
    nft_claim_radius_min_m: float = Field(default=5.0, gt=0, le=1000)
    nft_claim_radius_max_m: float = Field(default=200.0, gt=0, le=1000)

    @model_validator(mode="after")
    def _claim_radius_bounds(self) -> Self:
        low, default, high = (
            self.nft_claim_radius_min_m,
            self.nft_claim_radius_default_m,
            self.nft_claim_radius_max_m,
        )
        if not low <= default <= high:
            raise ValueError(
                "need NFT_CLAIM_RADIUS_MIN_M <= NFT_CLAIM_RADIUS_DEFAULT_M"
                " <= NFT_CLAIM_RADIUS_MAX_M"
            )
        return self
