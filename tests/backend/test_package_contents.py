"""The installed package is the product only: benchmarks and harnesses live in bench/, shared
test helpers in tests/support/, and nothing in backend/ imports either."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_package_find_rule_ships_backend_and_nothing_else():
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(str(ROOT), include=find["include"])
    assert "backend" in packages
    assert all(p == "backend" or p.startswith("backend.") for p in packages), packages
    assert not any(".bench" in p for p in packages), packages


def test_no_product_module_imports_the_benchmarks_or_the_tests():
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "backend").rglob("*.py")
        if "migrations" not in path.parts
        for module in _imported_modules(path)
        if module.split(".")[0] in ("bench", "tests")
    ]
    assert offenders == []
