"""geo/ must stay importable without the web stack: only the stdlib and the geometry libraries."""

import ast
import sys
from pathlib import Path

import pytest

GEO_DIR = Path(__file__).resolve().parents[2] / "geo"
ALLOWED = {"numpy", "shapely", "h3", "pyproj", "geo"}


def _modules() -> list[Path]:
    return sorted(GEO_DIR.rglob("*.py"))


def _imported_roots(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.append((node.lineno, node.module.split(".")[0]))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            roots.append((node.lineno, "<dynamic __import__>"))
    return roots


def test_geo_package_has_modules() -> None:
    assert (GEO_DIR / "__init__.py").is_file()
    assert len(_modules()) >= 7


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_imports_are_stdlib_or_geometry_libraries(path: Path) -> None:
    bad = [
        f"{path.name}:{line} imports {root}"
        for line, root in _imported_roots(path)
        if root not in ALLOWED and root not in sys.stdlib_module_names
    ]
    assert not bad, bad
