"""Errors raised by app.chain; callers (NFT services, the indexer) map them to domain errors.

Reverts are reported with the contract's custom error decoded (`ERC721NonexistentToken(tokenId=7)`)
whether the node is eth-tester or a JSON-RPC endpoint, which report reverts differently.
"""

import ast
import re
from collections.abc import Mapping, Sequence
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import abi_to_signature, function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from web3.exceptions import ContractLogicError

_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string): require(cond, "message")
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256): assert, overflow, division by zero
# A Python bytes literal in single or double quotes, backslash escapes included.
_BYTES_LITERAL = re.compile(r"b'(?:[^'\\]|\\.)*'" + r'|b"(?:[^"\\]|\\.)*"', re.DOTALL)


class ChainError(Exception):
    """Base for everything app.chain raises on purpose."""


class ChainConfigError(ChainError):
    """Settings that cannot work: wrong chain id, bad key, no contract at an address, ..."""


class TransactionFailed(ChainError):
    """A transaction or call reverted (or was mined with status 0)."""

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        args: Mapping[str, Any] | None = None,
        tx_hash: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error = error  # the custom error's name, e.g. "ERC721NonexistentToken"
        self.error_args: dict[str, Any] = dict(args or {})
        self.tx_hash = tx_hash


class ReorgTooDeep(ChainError):
    """None of the stored block hashes is still on the chain: the fork is older than the window."""

    def __init__(self, oldest_checked: int) -> None:
        super().__init__(
            f"re-org deeper than the stored window (oldest checked block {oldest_checked})"
        )
        self.oldest_checked = oldest_checked


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert payload of a failed call, if the exception carries it.

    web3 puts it on `ContractLogicError.data` (hex) for JSON-RPC nodes. eth-tester raises its
    own `TransactionFailed` whose message holds only `str()` of py-evm's error, i.e. the
    payload's Python bytes literal ("execution reverted: b'~\\'2\\x89...'"), so it is read back
    from there.
    """
    if isinstance(exc, ContractLogicError) and isinstance(exc.data, str):
        try:
            return bytes.fromhex(exc.data.removeprefix("0x"))
        except ValueError:
            return None
    for arg in exc.args:
        if isinstance(arg, bytes):
            return arg
        if isinstance(arg, str) and (literal := _BYTES_LITERAL.search(arg)):
            try:
                value = ast.literal_eval(literal.group(0))  # literals only: safe
            except (ValueError, SyntaxError):
                return None
            return value if isinstance(value, bytes) else None
    return None


def is_revert(exc: BaseException) -> bool:
    """True for the exceptions web3 raises when a call or gas estimate reverts."""
    if isinstance(exc, ContractLogicError):
        return True
    # eth-tester's own exception type; compared by name so this module need not import it.
    return type(exc).__name__ == "TransactionFailed" and type(exc).__module__.startswith(
        "eth_tester"
    )


def decode_revert(
    data: bytes | None, abis: Sequence[Sequence[Mapping[str, Any]]]
) -> tuple[str, dict[str, Any]]:
    """Name and arguments of a revert payload, using the custom errors of the given ABIs."""
    if not data or len(data) < 4:
        return "Revert", {}
    selector, body = data[:4], data[4:]
    try:
        if selector == _ERROR_STRING:
            return "Error", {"message": abi_decode(["string"], body)[0]}
        if selector == _PANIC:
            return "Panic", {"code": abi_decode(["uint256"], body)[0]}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                signature = abi_to_signature(item)  # type: ignore[arg-type]
                if function_signature_to_4byte_selector(signature) != selector:
                    continue
                inputs = item.get("inputs", [])
                values = abi_decode([i["type"] for i in inputs], body)
                return str(item["name"]), {
                    # eth-abi gives addresses in lower case; checksum them like everything else
                    i["name"]: to_checksum_address(v) if i["type"] == "address" else v
                    for i, v in zip(inputs, values, strict=True)
                }
    except DecodingError:
        pass
    return "Revert", {"data": "0x" + data.hex()}


def format_revert(name: str, args: Mapping[str, Any]) -> str:
    inner = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return f"{name}({inner})"
