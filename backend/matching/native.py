"""Compiled (mypyc) or pure Python: which matching core ``backend.matching`` imports.

``make matching-native`` (``tools/matching_native.py``) compiles ``COMPILED_MODULES`` with
mypyc into extension modules beside their sources, plus one shared library
(``_native__mypyc``); Python imports an extension in preference to the ``.py`` next to it.
So a build older than any source of the matching core would silently run old code. Before
``backend.matching`` imports its modules, this module (imported first) checks the build and
loads the ``.py`` sources explicitly instead when the build is stale, partial or does not
load (with a warning), or when ``RWA_MATCHING_PURE=1`` asks for pure Python (tests run the
matching suite both ways). No build at all is the plain pure-Python case. The behaviour is
the same either way (same test suite); only the speed differs.

``types`` and ``commands`` stay Python: callers build commands and configs from any values,
and the engine validates them (a compiled class would refuse a wrong type at construction,
with another error). The compiled code is built against them, so they count as sources.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
PACKAGE = "backend.matching"
COMPILED_MODULES = ("halts", "events", "book", "base", "engine", "reference_book")  # dependency order
SOURCES = (*COMPILED_MODULES, "types", "commands")
SHARED_LIB = "_native__mypyc"
PURE_ENV = "RWA_MATCHING_PURE"


def extension(name: str) -> Path | None:
    """The built extension module ``name`` next to its source, if any."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = HERE / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def built() -> list[Path]:
    """Every extension file of a build present (possibly partial)."""
    return [p for p in (extension(n) for n in (*COMPILED_MODULES, SHARED_LIB)) if p is not None]


def check() -> tuple[bool, str | None]:
    """(load the pure sources explicitly?, warning to give)."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return True, None
    present = built()
    if not present:
        return False, None  # nothing built: a plain import is pure Python
    missing = [n for n in (*COMPILED_MODULES, SHARED_LIB) if extension(n) is None]
    if missing:
        return True, f"partial mypyc build (missing {', '.join(missing)})"
    newest = max((HERE / f"{n}.py").stat().st_mtime for n in SOURCES)
    if newest > min(p.stat().st_mtime for p in present):
        return True, "mypyc build older than the sources"
    try:
        importlib.import_module(f"{PACKAGE}.{SHARED_LIB}")
    except ImportError as exc:
        return True, f"mypyc build does not load ({exc})"
    return False, None


def load_pure() -> None:
    """Import the ``.py`` source of every compiled module, ignoring the extensions."""
    package = sys.modules[PACKAGE]
    for name in COMPILED_MODULES:
        full = f"{PACKAGE}.{name}"
        spec = importlib.util.spec_from_file_location(full, HERE / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        spec.loader.exec_module(module)
        setattr(package, name, module)


def is_compiled(module: ModuleType) -> bool:
    return not str(module.__file__).endswith(".py")


def _choose() -> None:
    pure, why = check()
    if why is not None:
        warnings.warn(
            f"backend.matching: {why}: running the pure-Python matching core (make matching-native rebuilds it)",
            RuntimeWarning,
            stacklevel=3,
        )
    if pure:
        load_pure()


if __name__ == f"{PACKAGE}.native":  # not when tools/matching_native.py loads this file by path
    _choose()
