"""Compiled contracts, read from the artifacts that `contracts/build.mjs` commits.

The artifacts are the only link between Solidity and Python: the ABI and bytecode come from
them, never from a compiler at run time.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_typing import ABI, HexStr

# <repo>/contracts/artifacts; a deployment that installs the app as a wheel passes its own path.
DEFAULT_ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "contracts" / "artifacts"

NFT721 = "CyberSpaceItems721"
NFT1155 = "CyberSpaceItems1155"


@dataclass(frozen=True)
class ContractArtifact:
    name: str
    abi: ABI
    bytecode: HexStr  # creation code, constructor arguments to be appended
    deployed_bytecode: HexStr  # runtime code, what an address holds after deployment
    sources: dict[str, str]  # source unit name -> SHA-256 of the file it was compiled from


@cache
def load_artifact(name: str, directory: Path = DEFAULT_ARTIFACTS_DIR) -> ContractArtifact:
    path = directory / f"{name}.json"
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"contract artifact {path} is missing: run scripts/build_contracts.sh"
        ) from None
    return ContractArtifact(
        name=raw["contractName"],
        abi=raw["abi"],
        bytecode=HexStr(raw["bytecode"]),
        deployed_bytecode=HexStr(raw["deployedBytecode"]),
        sources=dict(raw["sources"]),
    )
