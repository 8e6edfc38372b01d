"""Opening a connection: the embedded eth-tester chain or a JSON-RPC node.

The embedded chain is py-evm running in this process (eth-tester's PyEVM backend): real EVM
execution, blocks, receipts and logs, no network. It lives only as long as the process.
"""

from collections.abc import Collection, Iterator
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware

# eth-tester's MainnetTesterPosChain.chain_id (eth_tester/backends/pyevm/main.py).
EMBEDDED_CHAIN_ID = 131_277_322_940_537
# eth-tester funds ten accounts whose private keys are 1..10; the first is the default
# service wallet, the rest are handy players for demos and tests.
EMBEDDED_ACCOUNT_COUNT = 10
RPC_TIMEOUT_SECONDS = 30


def embedded_account(index: int) -> LocalAccount:
    """eth-tester's funded account `index` (0-9): private key `index + 1`."""
    if not 0 <= index < EMBEDDED_ACCOUNT_COUNT:
        raise ValueError(f"eth-tester funds accounts 0..{EMBEDDED_ACCOUNT_COUNT - 1}")
    account: LocalAccount = Account.from_key((index + 1).to_bytes(32, "big"))
    return account


def embedded_players() -> list[LocalAccount]:
    """eth-tester's funded accounts 1-9 (account 0 is the default service wallet)."""
    return [embedded_account(i) for i in range(1, EMBEDDED_ACCOUNT_COUNT)]


def open_embedded() -> tuple[Web3, Any]:
    """A fresh embedded chain: (web3, the EthereumTester behind it, for snapshots and mining)."""
    # Imported here: eth-tester pulls in py-evm, which a deployment on a real node never uses.
    from eth_tester import EthereumTester, PyEVMBackend

    tester = EthereumTester(PyEVMBackend())
    return Web3(EthereumTesterProvider(tester)), tester


def open_http(url: str) -> Web3:
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": RPC_TIMEOUT_SECONDS}))
    # Polygon PoS (and other proof-of-authority style chains) put more than 32 bytes in a
    # block's extraData, which web3 rejects without this; on Ethereum it changes nothing.
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def fund_embedded(tester: Any, address: str, minimum_wei: int) -> None:
    """Give `address` at least `minimum_wei` on the embedded chain, from eth-tester's account 0.

    Lets a configured service key other than eth-tester's own accounts work on the embedded
    chain (a real network's wallet is funded by whoever operates it).
    """
    balance = int(tester.get_balance(address))
    if balance >= minimum_wei:
        return
    funder = tester.get_accounts()[0]
    tester.send_transaction(
        {
            "from": funder,
            "to": address,
            "value": minimum_wei - balance,
            "gas": 21_000,
            "max_fee_per_gas": 10**11,
            "max_priority_fee_per_gas": 10**9,
        }
    )


def embedded_logs(
    tester: Any, from_block: int, to_block: int, addresses: Collection[str]
) -> Iterator[dict[str, Any]]:
    """Logs of `addresses` in canonical blocks [from_block, to_block], read from py-evm directly.

    eth-tester's own eth_getLogs finds each receipt by scanning the chain back from the head,
    which is quadratic: 300 blocks with transfers took 15 s, 2,300 blocks 109 s. Reading each
    block's receipts once is linear (the test suite checks both give the same logs). Log
    indices restart in every transaction, as in eth-tester's receipts, so the two agree.
    """
    chain = tester.backend.chain  # the PyEVMBackend's MiningChain
    head = chain.get_block().number - 1  # get_block() is the pending block
    wanted = {bytes.fromhex(a.removeprefix("0x").lower()) for a in addresses}
    for number in range(max(from_block, 0), min(to_block, head) + 1):
        block = chain.get_canonical_block_by_number(number)
        receipts = block.get_receipts(chain.chaindb)
        for tx, receipt in zip(block.transactions, receipts, strict=True):
            for log_index, log in enumerate(receipt.logs):
                if log.address not in wanted:
                    continue
                yield {
                    "address": "0x" + log.address.hex(),
                    "topics": [topic.to_bytes(32, "big") for topic in log.topics],
                    "data": log.data,
                    "blockNumber": number,
                    "blockHash": block.hash,
                    "logIndex": log_index,
                    "transactionHash": tx.hash,
                }
