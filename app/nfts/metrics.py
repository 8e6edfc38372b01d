"""Prometheus metrics of the NFT feature."""

from prometheus_client import Counter, Gauge

INDEXER_LAG = Gauge(
    "cyberspace_nft_indexer_lag_blocks",
    "Blocks between the chain's confirmed head and the last indexed block",
)
INDEXED_TRANSFERS = Counter(
    "cyberspace_nft_indexed_transfers_total", "Token transfers applied by the NFT indexer"
)
INDEXER_REORGS = Counter(
    "cyberspace_nft_indexer_reorgs_total", "Re-orgs the NFT indexer rolled back"
)
INDEXER_REBUILDS = Counter(
    "cyberspace_nft_indexer_rebuilds_total",
    "Full re-indexes (stale index: new chain, new contracts, re-org deeper than the window)",
)
PLACEMENTS = Counter(
    "cyberspace_nft_placements_total",
    "NFT placement changes by action (placed, withdrawn, auto_closed)",
    ["action"],
)
