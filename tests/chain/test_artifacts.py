"""The committed contract artifacts are exactly what the pinned toolchain builds from the sources.

The rebuild runs the real build (node + the solc-js compiler inside the npm `solc` package,
installed from contracts/package-lock.json when node_modules is missing) into a temp dir and
compares bytes; a stale artifact, an unpinned dependency or any nondeterminism (timestamps,
absolute paths, key order) fails it.
"""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
ARTIFACTS = CONTRACTS / "artifacts"
SOURCES = CONTRACTS / "src"


@pytest.fixture(scope="module")
def toolchain() -> Path:
    """contracts/node_modules, installed exactly as locked if missing (no install scripts run)."""
    for tool in ("node", "npm"):
        assert shutil.which(tool), f"{tool} is needed to rebuild the contracts"
    if not (CONTRACTS / "node_modules" / "solc" / "soljson.js").exists():
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CONTRACTS,
            check=True,
            timeout=300,
        )
    return CONTRACTS / "node_modules"


def build(contracts_dir: Path, out: Path) -> None:
    subprocess.run(
        ["node", "build.mjs", "--out", str(out)],
        cwd=contracts_dir,
        check=True,
        timeout=300,
        capture_output=True,
    )


def committed() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(ARTIFACTS.glob("*.json"))}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rebuild_is_byte_identical(toolchain: Path, tmp_path: Path) -> None:
    build(CONTRACTS, tmp_path)
    rebuilt = {p.name: p.read_bytes() for p in sorted(tmp_path.glob("*.json"))}
    assert (
        sorted(rebuilt)
        == sorted(committed())
        == [
            "CyberSpaceItems1155.json",
            "CyberSpaceItems721.json",
        ]
    )
    for name, content in committed().items():
        assert rebuilt[name] == content, f"{name} is stale: run scripts/build_contracts.sh"


def test_recorded_source_hashes_match_the_files(toolchain: Path) -> None:
    used: set[str] = set()
    for name, content in committed().items():
        recorded: dict[str, str] = json.loads(content)["sources"]
        for unit, digest in recorded.items():
            # "src/..." is ours; everything else is an import resolved in node_modules.
            path = CONTRACTS / unit if unit.startswith("src/") else toolchain / unit
            assert sha256(path) == digest, f"{name}: {unit} changed since the build"
        used |= {u for u in recorded if u.startswith("src/")}
    assert used == {f"src/{p.name}" for p in SOURCES.glob("*.sol")}


def test_artifacts_are_canonical_and_pinned() -> None:
    package = json.loads((CONTRACTS / "package.json").read_text())["dependencies"]
    for content in committed().values():
        text = content.decode()
        data = json.loads(text)
        # Sorted keys, 2-space indent, final newline: the same text Python would write.
        assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
        settings = data["compiler"]["settings"]
        assert settings["evmVersion"] == "cancun"
        assert settings["optimizer"] == {"enabled": True, "runs": 200}
        assert settings["metadata"] == {"bytecodeHash": "none"}
        assert data["compiler"]["version"].startswith(package["solc"] + "+")
        assert data["dependencies"] == package
        assert data["bytecode"].startswith("0x60")
        assert len(data["bytecode"]) > 1000
    lock = json.loads((CONTRACTS / "package-lock.json").read_text())["packages"]
    for dependency, version in package.items():
        assert lock[f"node_modules/{dependency}"]["version"] == version


def test_a_source_edit_changes_the_artifact(toolchain: Path, tmp_path: Path) -> None:
    """The comparison above is not vacuous: an edited source builds a different artifact."""
    work = tmp_path / "contracts"
    work.mkdir()
    for name in ("build.mjs", "package.json"):
        shutil.copy(CONTRACTS / name, work / name)
    shutil.copytree(SOURCES, work / "src")
    (work / "node_modules").symlink_to(toolchain)
    source = work / "src" / "CyberSpaceItems721.sol"
    source.write_text(source.read_text() + "// edited\n")
    build(work, tmp_path / "out")
    edited = json.loads((tmp_path / "out" / "CyberSpaceItems721.json").read_text())
    original = json.loads((ARTIFACTS / "CyberSpaceItems721.json").read_text())
    assert edited["sources"]["src/CyberSpaceItems721.sol"] == sha256(source)
    assert edited["sources"] != original["sources"]
    # The metadata hash is stripped, so a comment-only edit leaves the code itself unchanged.
    assert edited["bytecode"] == original["bytecode"]
    assert (tmp_path / "out" / "CyberSpaceItems1155.json").read_bytes() == (
        ARTIFACTS / "CyberSpaceItems1155.json"
    ).read_bytes()
