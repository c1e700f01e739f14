"""One `rwa demo` for the tests that need the demo's end state (tests/integration/conftest.py).

It runs as a newcomer would meet it: in a fresh `git clone` of the project under a
path with dots in its folder names (`.../with.dots0/github.com/acme/rwa`, where `brownie
run` cannot import a script, eth-brownie/brownie#1081), in serve mode, until the scenario
is done and it says "serving until Ctrl-C". The clone reuses this checkout's .venv,
node_modules and build/ by symlinks, so it takes seconds, not an install. It is stopped
with SIGTERM at the end, and must leave no process behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from backend.chain import local_node
from backend.config import ROOT

DEMO_PORT = int(os.environ.get("RWA_TEST_DEMO_PORT", "8075"))
CHAIN_PORT = int(os.environ.get("RWA_TEST_DEMO_CHAIN_PORT", "8575"))
SERVING = "serving until Ctrl-C"
LINKED = ("node_modules", "build")
DEMO_ARGS = ("--port", str(DEMO_PORT), "--chain-port", str(CHAIN_PORT), "--halt-seconds", "3")


@dataclass
class Demo:
    root: Path  # the clone the demo runs in
    state_dir: Path  # its RWA_STATE_DIR: demo-keys.json, demo-wallets.json, demo/
    base_url: str
    process: subprocess.Popen
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


def clone_with_dots(base: Path) -> Path:
    """A fresh clone of this project under `base`/github.com/acme/rwa (`base` has a dot): HEAD,
    plus the working tree's uncommitted changes and new files, so the code under test is the
    code in this checkout (on a clean checkout, exactly HEAD)."""
    target = base / "github.com" / "acme" / "rwa"
    target.parent.mkdir(parents=True)
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True, timeout=120)
    changes = subprocess.run(
        ["git", "diff", "HEAD", "--binary"], cwd=ROOT, check=True, capture_output=True, timeout=60
    ).stdout
    if changes:
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=target, input=changes, check=True, timeout=60)
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    for name in filter(None, untracked.split("\0")):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    for name in LINKED:
        (target / name).symlink_to(ROOT / name)
    return target


def start_demo(root: Path, state_dir: Path, *, timeout: float = 900) -> Demo:
    """`python -m backend.cli demo` in `root` (serve mode), once it serves after the scenario."""
    for port in (DEMO_PORT, CHAIN_PORT):
        assert not local_node.port_in_use(port), f"port {port} is busy before the demo starts"
    log = state_dir / "demo-output.txt"
    env = {**os.environ, "RWA_STATE_DIR": str(state_dir), "COLUMNS": "200", "PYTHONPATH": str(root)}
    env.pop("DEMO_EXIT", None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "demo", *DEMO_ARGS],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    demo = Demo(root, state_dir, f"http://127.0.0.1:{DEMO_PORT}", process, log)
    deadline = time.monotonic() + timeout
    while SERVING not in demo.output:
        if process.poll() is not None or time.monotonic() > deadline:
            stop_demo(demo)
            raise AssertionError(f"the demo did not reach {SERVING!r} (exit {process.returncode}):\n{demo.output}")
        time.sleep(1)
    return demo


def stop_demo(demo: Demo, signum: int = signal.SIGTERM) -> tuple[int, set[int]]:
    """Send `signum`; return the exit code and the pids the demo started that are still alive
    (killed here afterwards, so a failure never leaks into the next run)."""
    started = descendants(demo.process.pid)
    if demo.process.poll() is None:
        demo.process.send_signal(signum)
    try:
        code = demo.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        demo.process.kill()
        code = demo.process.wait()
    left = {pid for pid in started if alive(pid)}
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return code, left


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc), whatever process group it moved to."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
