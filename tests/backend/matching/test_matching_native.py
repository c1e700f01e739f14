"""The mypyc build of the matching core (``make matching-native``) and its fallback.

The rest of the suite runs against whichever build is current; ``make test-backend`` runs
it again with ``RWA_MATCHING_PURE=1``. Here: which one runs, and that a stale or partial
build is never imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import backend.matching as matching
from backend.matching import native

PROBE = "import backend.matching as m, backend.matching.engine as e; print(m.COMPILED, e.__file__.endswith('.py'))"


def probe(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=cwd,
        env={**{k: v for k, v in os.environ.items() if k != native.PURE_ENV}, "PYTHONPATH": str(cwd), **env},
        capture_output=True,
        text=True,
        check=True,
    )


def test_compiled_says_which_modules_run():
    assert matching.COMPILED is (not matching.engine.__file__.endswith(".py"))
    assert matching.COMPILED is (native.check() == (False, None) and bool(native.built()))


def test_rwa_matching_pure_forces_the_python_sources():
    root = Path(__file__).resolve().parents[3]
    out = probe(root, RWA_MATCHING_PURE="1")
    assert out.stdout.split() == ["False", "True"]


@pytest.fixture
def built_copy(tmp_path: Path) -> Path:
    if not native.built():
        pytest.skip("no mypyc build here (make matching-native)")
    source = native.HERE
    (tmp_path / "backend").mkdir()
    shutil.copy2(source.parent / "__init__.py", tmp_path / "backend" / "__init__.py")
    shutil.copytree(source, tmp_path / "backend" / "matching", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_current_build_is_used(built_copy: Path):
    out = probe(built_copy)
    assert out.stdout.split() == ["True", "False"]


def test_a_build_older_than_a_source_is_not_imported(built_copy: Path):
    source = built_copy / "backend" / "matching" / "commands.py"
    later = max(p.stat().st_mtime for p in (built_copy / "backend" / "matching").iterdir()) + 10
    os.utime(source, (later, later))
    out = probe(built_copy)
    assert out.stdout.split() == ["False", "True"]
    assert "older than the sources" in out.stderr


def test_a_partial_build_is_not_imported(built_copy: Path):
    for path in (built_copy / "backend" / "matching").glob("halts.*"):
        if path.suffix != ".py":
            path.unlink()
    out = probe(built_copy)
    assert out.stdout.split() == ["False", "True"]
    assert "partial mypyc build (missing halts)" in out.stderr
