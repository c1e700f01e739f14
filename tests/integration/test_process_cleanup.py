"""`rwa chain` and `rwa demo` stopped with SIGTERM (kill, a service manager, a container
stop) or SIGINT (Ctrl-C) leave no process behind: the node's port is free and every
process they started is gone, so the next `make demo` starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend.chain import local_node
from backend.config import ROOT
from tests.integration.demo_stack import alive, descendants

CHAIN_PORT = int(os.environ.get("RWA_TEST_CLEANUP_CHAIN_PORT", "8591"))
DEMO_CHAIN_PORT = int(os.environ.get("RWA_TEST_CLEANUP_DEMO_CHAIN_PORT", "8592"))
DEMO_PORT = int(os.environ.get("RWA_TEST_CLEANUP_DEMO_PORT", "8691"))


def start(args: list[str], state_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "RWA_STATE_DIR": str(state_dir), "COLUMNS": "200"}
    env.pop("DEMO_EXIT", None)
    return subprocess.Popen(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(predicate, timeout: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if process.poll() is not None:
            pytest.fail(f"exited early with {process.returncode}: {process.stdout.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"not ready within {timeout}s")
        time.sleep(0.2)


def stop_and_check(process: subprocess.Popen, signum: int, ports: list[int]) -> tuple[int, str]:
    started = descendants(process.pid)
    assert started, "the command started no process"
    process.send_signal(signum)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        for pid in started:  # never leak into the next test, even when this one fails
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        pytest.fail(f"still running 60 s after {signal.Signals(signum).name}")
    left = {pid for pid in started if alive(pid)}
    for pid in left:  # never leak into the next test, even when this one fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"left running after {signal.Signals(signum).name}: {left}\n{output}"
    for port in ports:
        assert not local_node.port_in_use(port), f"port {port} still answers\n{output}"
    return process.returncode, output


@pytest.mark.parametrize("node", ["ganache", "anvil"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_chain_stops_its_node_on_a_signal(tmp_path, signum, node):
    if node == "anvil" and not (ROOT / "node_modules" / ".bin" / "anvil").exists():
        pytest.skip("anvil is not installed (npm ci)")
    process = start(["chain", "--port", str(CHAIN_PORT), "--node", node], tmp_path)
    wait_until(lambda: local_node.rpc_ready(f"http://127.0.0.1:{CHAIN_PORT}"), 60, process)

    code, output = stop_and_check(process, signum, [CHAIN_PORT])
    assert code == 0, output
    # the port is free again: a second `rwa chain` starts at once
    again = start(["chain", "--port", str(CHAIN_PORT), "--node", node], tmp_path)
    wait_until(lambda: local_node.rpc_ready(f"http://127.0.0.1:{CHAIN_PORT}"), 60, again)
    stop_and_check(again, signal.SIGTERM, [CHAIN_PORT])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_demo_interrupted_while_running_stops_the_chain_and_the_service(tmp_path, signum):
    process = start(["demo", "--port", str(DEMO_PORT), "--chain-port", str(DEMO_CHAIN_PORT)], tmp_path)
    # Mid-scenario: the chain answers and the service is up (onboarding has begun).
    wait_until(lambda: local_node.port_in_use(DEMO_PORT) and local_node.port_in_use(DEMO_CHAIN_PORT), 120, process)
    time.sleep(1)

    code, output = stop_and_check(process, signum, [DEMO_PORT, DEMO_CHAIN_PORT])
    assert code == 128 + signum, output
    assert "stopping the service and the chain" in output


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_chain_run_by_make_stops_when_make_is_killed(tmp_path, signum):
    # GNU make does not pass a SIGTERM on to its recipe: `make chain` / `make demo` run the
    # command with RWA_STOP_WITH_PARENT=1, as this makefile does, so it stops when make dies.
    makefile = tmp_path / "Makefile"
    makefile.write_text(
        f"chain:\n\tRWA_STOP_WITH_PARENT=1 exec {sys.executable} -m backend.cli chain --port {CHAIN_PORT}\n"
    )
    make = subprocess.Popen(
        ["make", "--no-print-directory", "-f", str(makefile), "chain"],
        cwd=ROOT,
        env={**os.environ, "RWA_STATE_DIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_until(lambda: local_node.rpc_ready(f"http://127.0.0.1:{CHAIN_PORT}"), 60, make)
    started = descendants(make.pid)
    make.send_signal(signum)
    make.wait(timeout=30)
    deadline = time.monotonic() + 30
    while {pid for pid in started if alive(pid)} and time.monotonic() < deadline:
        time.sleep(0.2)
    left = {pid for pid in started if alive(pid)}
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"left running after make got {signal.Signals(signum).name}: {left}"
    assert not local_node.port_in_use(CHAIN_PORT)
