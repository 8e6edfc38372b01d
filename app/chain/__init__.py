"""Chain access: the one place that talks to Ethereum-compatible chains (web3.py).

`ChainClient` (async, built from settings) binds the CyberSpace NFT contracts, reads owners and
balances, mints and transfers from the service wallet, and reads blocks and decoded transfer
events for the indexer; `plan_reorg` decides how far an indexer rewinds after a re-org.
"""

from app.chain.client import ChainClient
from app.chain.errors import ChainConfigError, ChainError, ReorgTooDeep, TransactionFailed
from app.chain.events import ZERO_ADDRESS, TokenTransfer, decode_transfer_log
from app.chain.node import ContractAddresses, Minted, Standard, TxResult
from app.chain.provider import EMBEDDED_CHAIN_ID, embedded_account, embedded_players
from app.chain.reorg import plan_reorg

__all__ = [
    "EMBEDDED_CHAIN_ID",
    "ZERO_ADDRESS",
    "ChainClient",
    "ChainConfigError",
    "ChainError",
    "ContractAddresses",
    "Minted",
    "ReorgTooDeep",
    "Standard",
    "TokenTransfer",
    "TransactionFailed",
    "TxResult",
    "decode_transfer_log",
    "embedded_account",
    "embedded_players",
    "plan_reorg",
]
