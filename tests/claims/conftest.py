from tests.claims.fixtures import nfts, players, resources, shared_chain

__all__ = ["nfts", "players", "resources", "shared_chain"]
