from tests.chain_fixtures import nfts, players, resources, shared_chain

__all__ = ["nfts", "players", "resources", "shared_chain"]
