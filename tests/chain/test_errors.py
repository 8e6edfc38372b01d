"""Revert decoding for both ways a revert reaches us: web3's ContractLogicError with hex data
(JSON-RPC nodes) and eth-tester's message holding a bytes literal (embedded chain)."""

from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector
from web3.exceptions import ContractCustomError

from app.chain.artifacts import NFT721, NFT1155, load_artifact
from app.chain.errors import decode_revert, revert_data

ABIS = (load_artifact(NFT721).abi, load_artifact(NFT1155).abi)


def custom_error(signature: str, types: list[str], values: list[object]) -> bytes:
    return function_signature_to_4byte_selector(signature) + encode(types, values)


def test_json_rpc_custom_error() -> None:
    payload = custom_error("ERC721NonexistentToken(uint256)", ["uint256"], [7])
    exc = ContractCustomError("0x" + payload.hex(), data="0x" + payload.hex())
    assert decode_revert(revert_data(exc), ABIS) == ("ERC721NonexistentToken", {"tokenId": 7})


def test_eth_tester_message_with_a_bytes_literal() -> None:
    payload = custom_error(
        "AccessControlUnauthorizedAccount(address,bytes32)",
        ["address", "bytes32"],
        ["0x" + "ab" * 20, b"\x01" * 32],
    )
    exc = Exception(f"execution reverted: {payload!r}")
    name, args = decode_revert(revert_data(exc), ABIS)
    assert name == "AccessControlUnauthorizedAccount"
    assert args == {
        "account": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB",
        "neededRole": b"\x01" * 32,
    }


def test_require_message_panic_and_unknown_errors() -> None:
    message = bytes.fromhex("08c379a0") + encode(["string"], ["nope"])
    panic = bytes.fromhex("4e487b71") + encode(["uint256"], [0x11])
    assert decode_revert(message, ABIS) == ("Error", {"message": "nope"})
    assert decode_revert(panic, ABIS) == ("Panic", {"code": 0x11})
    assert decode_revert(b"\xde\xad\xbe\xef", ABIS) == ("Revert", {"data": "0xdeadbeef"})
    assert decode_revert(None, ABIS) == ("Revert", {})
    assert revert_data(Exception("execution reverted")) is None
