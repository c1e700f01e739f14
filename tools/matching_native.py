"""Compile the matching core with mypyc: ``python tools/matching_native.py [build|clean]``.

``make matching-native`` runs ``build``: the modules of ``backend.matching.native.COMPILED_MODULES``
become extension modules next to their sources (about 3x the commands per CPU second of pure
Python; ``make bench-matching``). Generated C and objects go to ``.mypyc/`` (not
``build/``, brownie's). Never fails the make run: if mypyc or the C compiler is missing, the
compile fails or the result does not pass a smoke check, the extensions are removed and a
notice printed, and ``backend.matching`` runs as pure Python. ``clean`` removes the build.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mypyc"

# Loaded by path, not through backend.matching (that would import the build being replaced).
_spec = importlib.util.spec_from_file_location("_matching_native", ROOT / "backend" / "matching" / "native.py")
assert _spec is not None and _spec.loader is not None
native = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(native)

SMOKE = """
import backend.matching as m
from backend.matching import MatchingEngine, PlaceOrder, Side, OrderType, Trade
assert m.COMPILED, "the compiled modules were not imported"
e = MatchingEngine()
e.apply(PlaceOrder("a", "u1", Side.SELL, OrderType.LIMIT, 100, 5, ts=1))
events = e.apply(PlaceOrder("b", "u2", Side.BUY, OrderType.LIMIT, 100, 3, ts=2))
assert [type(x).__name__ for x in events] == ["OrderAccepted", "Trade", "OrderDone"], events
assert e.depth() == ([], [(100, 2)])
"""


def clean() -> None:
    for path in native.built():
        path.unlink()
    shutil.rmtree(WORK, ignore_errors=True)


def notice(why: str) -> int:
    print(f"matching-native: {why}; the matching core runs as pure Python (behaviour identical, slower)")
    return 0


def build() -> int:
    clean()
    sources = [f"backend/matching/{name}.py" for name in native.COMPILED_MODULES]
    code = (
        "import sys\n"
        "from setuptools import setup\n"
        "from mypyc.build import mypycify\n"
        f"setup(name='rwa-matching-native', ext_modules=mypycify({sources!r}, "
        f"group_name='backend.matching._native', target_dir={str(WORK / 'c')!r}, opt_level='3'), "
        f"script_args=['-q', 'build_ext', '--inplace', '--build-temp', {str(WORK / 'temp')!r}, "
        f"'--build-lib', {str(WORK / 'lib')!r}])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    print("matching-native: compiling backend/matching with mypyc (a minute or so)", flush=True)
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        return notice(f"could not run the compiler ({exc})")
    if out.returncode != 0:
        clean()
        tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-15:])
        print(tail)
        return notice("mypyc build failed")
    smoke = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", SMOKE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if smoke.returncode != 0:
        clean()
        print((smoke.stdout + smoke.stderr).strip())
        return notice("the mypyc build failed its smoke check")
    print(f"matching-native: compiled {', '.join(native.COMPILED_MODULES)} (backend.matching.COMPILED is True)")
    return 0


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "build"
    if action == "clean":
        clean()
        return 0
    if action == "build":
        return build()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
