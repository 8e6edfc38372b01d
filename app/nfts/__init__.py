"""NFT registry, on-chain ownership indexer, NFT placements, nearby NFTs and tiles (issue 4)."""
