"""A local ganache (or anvil) node and contract deployment, for `rwa demo`, `rwa chain`,
the tests and the benchmarks.

The flags follow the verified toolchain facts in docs/toolchain.md: berlin hardfork (brownie
1.22 hangs on London or later against ganache), deterministic accounts (their keys are
derivable, so demos and tests sign orders the way real clients do). Anvil (npm package
`@foundry-rs/anvil`, which ships the binary) runs the same berlin bytecode with the same
mnemonic and chain id, so either node serves the same deployment scripts and keys.

Ganache answers one request at a time (`--chain.asyncRequestProcessing false`). With its
default (concurrent requests), a transaction arriving while another account's transaction
is being mined now and then wedges its miner for good: the transaction is never mined,
every later one from its sender is refused with "transaction can't be replaced, mining has
already started", and unlocked accounts get "the tx doesn't have the correct nonce" (the
trufflesuite/ganache issues #2509 and #2680; ganache 7.9.2 is its last release). That is a
test funding a wallet while the service settles a trade, or a demo investor approving while
the operator settles: it failed CI twice and one run in six of the market-order tests here;
with requests one at a time, none in twenty, and 200 rounds of four concurrent senders ran
6.5x faster (34 s against 222 s).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from backend.config import DEV_GOVERNANCE_KEY, GANACHE_MNEMONIC, ROOT


def network_for_port(port: int) -> str:
    """The brownie network tools/setup_toolchain.py configured for `port`."""
    if port == 8545:
        return "rwa-ganache"
    if 8561 <= port < 8580:
        return f"rwa-ganache-{port}"
    raise NodeError(f"no brownie network is configured for port {port} (use 8545 or 8561-8579)")


NODE_KINDS = ("ganache", "anvil")


class NodeError(RuntimeError):
    pass


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def rpc_ready(url: str) -> bool:
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - http URL we built
            return "result" in json.loads(response.read())
    except (OSError, ValueError):
        return False


def ganache_command(port: int, db_path: Path | None = None) -> list[str]:
    binary = ROOT / "node_modules" / ".bin" / "ganache"
    if not binary.exists():
        raise NodeError("node_modules/.bin/ganache is missing: run `make install` (npm ci) first")
    cmd = [
        str(binary),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--hardfork",
        "berlin",
        "--wallet.mnemonic",
        GANACHE_MNEMONIC,
        "--wallet.totalAccounts",
        "10",
        "--wallet.defaultBalance",
        "100000",
        "--chain.chainId",
        "1337",
        "--miner.blockGasLimit",
        "30000000",
        "--chain.asyncRequestProcessing",
        "false",
        "--logging.quiet",
    ]
    if db_path is not None:
        db_path.mkdir(parents=True, exist_ok=True)
        cmd += ["--database.dbPath", str(db_path)]
    return cmd


def anvil_binary() -> Path:
    """The platform binary npm installed (node_modules/.bin/anvil is a node wrapper that spawns
    it as a child, which would outlive a terminated wrapper); the wrapper when there is none."""
    for platform_package in sorted((ROOT / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil")):
        if os.access(platform_package, os.X_OK):
            return platform_package
    wrapper = ROOT / "node_modules" / ".bin" / "anvil"
    if not wrapper.exists():
        raise NodeError("node_modules/.bin/anvil is missing: run `make install` (npm ci) first")
    return wrapper


def anvil_command(port: int, *, accounts: int = 10, state_path: Path | None = None) -> list[str]:
    binary = anvil_binary()
    cmd = [
        str(binary),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--hardfork",
        "berlin",
        "--mnemonic",
        GANACHE_MNEMONIC,
        "--accounts",
        str(accounts),
        "--balance",
        "100000",
        "--chain-id",
        "1337",
        "--gas-limit",
        "30000000",
        "--silent",
    ]
    if state_path is not None:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        cmd += ["--state", str(state_path)]
    return cmd


def start_ganache(
    port: int, *, db_path: Path | None = None, log_path: Path | None = None, timeout: float = 60, accounts: int = 10
) -> subprocess.Popen:
    command = ganache_command(port, db_path)
    if accounts != 10:
        command[command.index("--wallet.totalAccounts") + 1] = str(accounts)
    return _start(command, port, "ganache", log_path=log_path, timeout=timeout)


def start_anvil(
    port: int, *, state_path: Path | None = None, log_path: Path | None = None, timeout: float = 60, accounts: int = 10
) -> subprocess.Popen:
    return _start(
        anvil_command(port, accounts=accounts, state_path=state_path), port, "anvil", log_path=log_path, timeout=timeout
    )


def start_node(
    kind: str, port: int, *, log_path: Path | None = None, timeout: float = 60, accounts: int = 10
) -> subprocess.Popen:
    """Start a `kind` ("ganache" or "anvil") node on `port` and wait until it answers."""
    if kind == "ganache":
        return start_ganache(port, log_path=log_path, timeout=timeout, accounts=accounts)
    if kind == "anvil":
        return start_anvil(port, log_path=log_path, timeout=timeout, accounts=accounts)
    raise NodeError(f"unknown node kind {kind!r} (ganache or anvil)")


def _start(command: list[str], port: int, name: str, *, log_path: Path | None, timeout: float) -> subprocess.Popen:
    if port_in_use(port):
        raise NodeError(
            f"port {port} is already in use: stop whatever listens there "
            f"(an earlier `make demo`?) or choose another port"
        )
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    # Its own process group (so a Ctrl-C in the terminal reaches only us, and `stop` can end
    # the node with whatever it spawned), and tracked from the start: `stop_all`, run on
    # SIGINT, SIGTERM and at exit, ends a node that was still starting.
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    _children[process.pid] = process
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while not rpc_ready(url):
        if process.poll() is not None:
            stop(process)
            raise NodeError(
                f"{name} exited with status {process.returncode}" + (f"; see {log_path}" if log_path else "")
            )
        if time.monotonic() > deadline:
            stop(process)
            raise NodeError(f"{name} did not answer on {url} within {timeout:.0f}s")
        time.sleep(0.2)
    return process


# Every node process started here and not yet stopped, by pid.
_children: dict[int, subprocess.Popen] = {}


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """End `process` and its process group (TERM, then KILL after `timeout`); calling it
    again, or on a process that already exited, does nothing more."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=timeout)
    _children.pop(process.pid, None)


def stop_all() -> None:
    """Stop every node this process started (idempotent)."""
    for process in list(_children.values()):
        stop(process)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)  # its own group (start_new_session): the node and its children
    except ProcessLookupError:
        pass
    except PermissionError:
        process.send_signal(signum)


atexit.register(stop_all)


class Stopped(BaseException):
    """SIGINT or SIGTERM arrived inside `stop_on_signals`."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def stop_when_orphaned(interval: float = 0.5) -> None:
    """SIGTERM ourselves when our parent goes away. GNU make, killed with SIGTERM, does not pass
    the signal on to the recipe it runs, so `make demo`, `make chain` and `make serve` set
    RWA_STOP_WITH_PARENT=1: when make dies, the command stops (and stops its nodes) with it."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="stop-with-parent", daemon=True).start()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[list[Callable[[], object]]]:
    """Turn SIGINT and SIGTERM into `Stopped` in the main thread for the duration. On the
    way out (any way out), with both signals ignored so a second Ctrl-C cannot interrupt
    the cleanup: the callables the caller appended to the yielded list (last first), then
    every node started here."""

    def handler(signum: int, _frame: object) -> None:
        raise Stopped(signum)

    cleanups: list[Callable[[], object]] = []
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    if os.environ.get("RWA_STOP_WITH_PARENT") == "1":
        stop_when_orphaned()
    try:
        yield cleanups
    finally:
        for s in previous:
            signal.signal(s, signal.SIG_IGN)
        try:
            for cleanup in reversed(cleanups):
                cleanup()
            stop_all()
        finally:
            for s, old in previous.items():
                signal.signal(s, old)


def deploy(port: int, deployment_file: Path, *, log_path: Path | None = None, build_dir: Path | None = None) -> dict:
    """Deploy the contracts to the local node on `port` from its account 0 (the service's
    operator) with backend.chain.deploy (web3.py, no `brownie run`); write and return the record."""
    from eth_account import Account
    from web3 import Web3

    from backend.chain.deploy import DeployError, deploy_contracts, write_record

    url = f"http://127.0.0.1:{port}"
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 120}))
    try:
        record = deploy_contracts(
            w3,
            Account.from_key(dev_private_key(0)),
            build_dir=build_dir or ROOT / "build" / "contracts",
            governance=Account.from_key(DEV_GOVERNANCE_KEY).address,  # docs/security.md "Keys and roles"
        )
    except (DeployError, OSError, ValueError) as exc:
        if log_path:
            log_path.write_text(f"deployment to {url} failed: {exc}\n")
        raise NodeError(f"deployment to {url} failed: {exc}") from exc
    write_record(record, deployment_file)
    if log_path:
        log_path.write_text(f"deployed to {url}; record in {deployment_file}\n" + json.dumps(record, indent=2) + "\n")
    return record


def dev_private_key(index: int) -> str:
    """The private key of ganache's deterministic account `index`."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(GANACHE_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()
