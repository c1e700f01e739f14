"""The `rwa` command line: run the chain, deploy, serve, and the one-command demo."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import typer
import uvicorn
from rich.console import Console

from backend.chain import local_node
from backend.commands import documents as documents_commands
from backend.commands import governance as governance_commands
from backend.commands import investors as investors_commands
from backend.commands import markets as markets_commands
from backend.commands import orders as orders_commands
from backend.commands import reconcile as reconcile_commands
from backend.commands import resync as resync_commands
from backend.commands import rules as rules_commands
from backend.commands.common import EXIT_CODES_HELP
from backend.config import ROOT, settings_from_env

app = typer.Typer(
    help="RWA exchange: tokenized real-world assets with on-chain compliance and DvP settlement. "
    "`rwa demo` runs everything on a local chain; `rwa rules`, `rwa investors`, `rwa documents` "
    "and `rwa reconcile` call the service's own functions against DATABASE_URL, RPC_URL and "
    "RWA_DEPLOYMENT_FILE. " + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
STATE = Path(os.environ.get("RWA_STATE_DIR") or ROOT / ".rwa")


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/] {message}")
    raise typer.Exit(code)


NODE_HELP = "the local node: ganache or anvil (npm package @foundry-rs/anvil)"


def _check_node(node: str) -> None:
    if node not in local_node.NODE_KINDS:
        _fail(f"unknown node {node!r}: use one of {', '.join(local_node.NODE_KINDS)}")


@app.command()
def chain(
    port: int = typer.Option(8545, help="port for the local node"),
    fresh: bool = typer.Option(False, help="forget the saved chain state first"),
    node: str = typer.Option("ganache", envvar="RWA_NODE", help=NODE_HELP),
) -> None:
    """Run a local ganache (or anvil) node (berlin hardfork, deterministic accounts) until Ctrl-C."""
    _check_node(node)
    db = STATE / "chain" if node == "ganache" else STATE / "anvil-state.json"
    if fresh and db.exists():
        shutil.rmtree(db) if db.is_dir() else db.unlink()
    # Ctrl-C or a TERM (kill, a service manager, a container stop) stops the node with us.
    with local_node.stop_on_signals():
        try:
            if node == "ganache":
                process = local_node.start_ganache(port, db_path=db, log_path=STATE / "ganache.log")
            else:
                process = local_node.start_anvil(port, state_path=db, log_path=STATE / "anvil.log")
            console.print(f"{node} listening on http://127.0.0.1:{port} (state in {db}); Ctrl-C stops it")
            process.wait()
        except local_node.NodeError as exc:
            _fail(str(exc))
        except local_node.Stopped:
            console.print(f"stopping {node}")
            return
    _fail(f"{node} exited with status {process.returncode}; see {STATE}/{node}.log")


@app.command()
def deploy(port: int = typer.Option(8545, help="port of the running local node")) -> None:
    """Deploy the contracts to the running local node and write the deployment record."""
    settings = settings_from_env()
    with console.status("deploying contracts"):
        try:
            record = local_node.deploy(port, settings.deployment_file, log_path=STATE / "deploy.log")
        except local_node.NodeError as exc:
            _fail(str(exc))
    console.print(f"deployed on chain {record['chain_id']}; record in {settings.deployment_file}")
    for name, address in record["contracts"].items():
        console.print(f"  {name:<20} {address}")


@app.command()
def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000)) -> None:
    """Serve the REST API, websocket feed and browser UI."""
    if local_node.port_in_use(port, host):
        _fail(f"port {port} is already in use: stop the other server or pass --port")
    from backend.api.app import create_app

    if os.environ.get("RWA_STOP_WITH_PARENT") == "1":
        local_node.stop_when_orphaned()  # uvicorn stops gracefully on the SIGTERM this sends
    try:
        settings = settings_from_env()
    except RuntimeError as exc:  # a development secret outside development (backend/dev_secrets.py)
        _fail(str(exc))
    if settings.environment == "development":
        from backend.dev_secrets import DEVELOPMENT_BANNER

        console.print(DEVELOPMENT_BANNER, style="bold yellow", highlight=False, markup=False)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command("workers")
def run_workers() -> None:
    """Run the settlement worker, the compliance mirror and audit anchoring until Ctrl-C.

    `rwa serve` already runs them in a child process (RWA_WORKERS=process); this is for a
    supervisor of your own, beside a service that runs none of them (RWA_SETTLEMENT_ENABLED=false,
    RWA_COMPLIANCE_SYNC_ENABLED=false, RWA_AUDIT_ANCHOR_INTERVAL_S=0). One per database: a
    second settlement worker on the same database would be a second sender with the same key.
    """
    from backend import workers

    try:
        code = workers.main([])
    except RuntimeError as exc:  # a development secret outside development (backend/dev_secrets.py)
        _fail(str(exc))
    raise typer.Exit(code)


@app.command()
def demo(
    exit_after: bool = typer.Option(
        False, "--exit", envvar="DEMO_EXIT", help="exit after the scenario instead of serving until Ctrl-C"
    ),
    port: int = typer.Option(8000, help="port for the service"),
    chain_port: int = typer.Option(8545, help="port for the local chain"),
    halt_seconds: int = typer.Option(
        10, min=1, envvar="RWA_DEMO_HALT_SECONDS", help="length of the volatility halt the price collapse trips"
    ),
    auction_seconds: int = typer.Option(
        10, min=1, envvar="RWA_DEMO_AUCTION_SECONDS", help="length of a call auction (opening and reopening)"
    ),
    limit_state_seconds: int = typer.Option(
        3, min=1, envvar="RWA_DEMO_LIMIT_STATE_SECONDS", help="how long a limit state lasts before the halt"
    ),
    node: str = typer.Option("ganache", envvar="RWA_NODE", help=NODE_HELP),
) -> None:
    """Start a fresh local chain, deploy, serve, and run the demo scenario.

    Every run is a clean restart: the chain and database under .rwa/demo/ are recreated.
    Three assets (ACME shares, a Permian oil-well royalty, an Iowa corn farm) are listed with
    generated disclosures, rule sets from scripts/compliance/rules/, investors from six
    countries; orders match and settle on chain, others are refused with their compliance
    code; the well's royalty is distributed and claimed; a price collapse trips the
    limit state, then the volatility halt, and the market reopens through a call auction
    that leaves the stink bid alone (new listings open through a call too). The summary
    reconciles on-chain balances with the database. API keys go to .rwa/demo-keys.json, the
    investors' wallet keys (local test keys of the demo chain) to .rwa/demo-wallets.json.
    Ports in use: a clear message, exit 1.
    """
    from backend.demo import scenario, write_wallet_keys

    _check_node(node)
    for p, what in ((chain_port, "the chain"), (port, "the service")):
        if local_node.port_in_use(p):
            _fail(
                f"port {p} (for {what}) is already in use: is an earlier demo still running? "
                f"Stop it, or pick other ports with --port/--chain-port"
            )
    demo_dir = STATE / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)  # each run is a clean start: a fresh chain and database
    demo_dir.mkdir(parents=True)
    os.environ.setdefault("RWA_ADMIN_KEY", "demo-admin-key")
    os.environ["RPC_URL"] = f"http://127.0.0.1:{chain_port}"
    os.environ["DATABASE_URL"] = f"sqlite:///{demo_dir / 'rwa.db'}"
    os.environ["RWA_DEPLOYMENT_FILE"] = str(demo_dir / "deployment.json")
    os.environ["RWA_STORAGE_DIR"] = str(demo_dir / "documents")
    os.environ["RWA_MARKET_HALT_SECONDS"] = str(halt_seconds)  # a short halt, so the demo shows the reopening
    os.environ["RWA_MARKET_AUCTION_SECONDS"] = str(auction_seconds)  # short calls: the story in seconds
    os.environ["RWA_MARKET_LIMIT_STATE_SECONDS"] = str(limit_state_seconds)
    settings = settings_from_env()

    serving = False
    with local_node.stop_on_signals() as cleanups:
        try:
            with console.status(f"starting {node} on port {chain_port}"):
                local_node.start_node(node, chain_port, log_path=demo_dir / f"{node}.log")
            console.print(f"[green]✓[/] {node} on http://127.0.0.1:{chain_port}")
            with console.status("deploying contracts"):
                local_node.deploy(chain_port, settings.deployment_file, log_path=demo_dir / "deploy.log")
            console.print(f"[green]✓[/] contracts deployed ({settings.deployment_file})")
            _start_server(settings, port, cleanups)
            base = f"http://127.0.0.1:{port}"
            console.print(f"[green]✓[/] service on {base}")
            wallets_file = write_wallet_keys(STATE / "demo-wallets.json")
            result = scenario.run(base, settings, STATE / "demo-keys.json", console)
            console.print(f"  wallets:   {wallets_file} (the investors' wallet keys: local test keys only)")
            if result.positions is not None and not result.positions.ok:
                _fail("the chain and the database disagree (see the positions table)")
            if not exit_after:
                console.print("serving until Ctrl-C")
                serving = True
                while True:
                    signal.pause()
        except (local_node.NodeError, scenario.ScenarioError) as exc:
            _fail(str(exc))
        except local_node.Stopped as stopped:
            # A signal is how serving ends (exit 0); before that, it interrupted the demo. Either
            # way the service, then the node, stop on the way out of stop_on_signals.
            console.print(f"{stopped.args[0]}: stopping the service and the chain")
            if not serving:
                raise typer.Exit(128 + stopped.signum) from None


def _start_server(settings: object, port: int, cleanups: list) -> None:
    """Serve the app in a thread of this process; `cleanups` gets the function that stops it."""
    from backend.api.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),  # type: ignore[arg-type]
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)

    def stop_server() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    thread.start()
    cleanups.append(stop_server)
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise local_node.NodeError(f"the service did not start on port {port}")
        time.sleep(0.1)


# The operator's commands (backend/commands/): the service's own functions, no running service needed.
app.add_typer(
    rules_commands.app,
    name="rules",
    short_help="apply per-asset compliance rule sets from YAML (before/after diff, --dry-run), show them",
)
app.add_typer(investors_commands.app, name="investors", short_help="onboard investors from a CSV file")
app.add_typer(markets_commands.app, name="markets", short_help="a market's phase and call auction figures (status)")
app.add_typer(
    orders_commands.app,
    name="orders",
    short_help="place orders from a file in batches (place-batch); invalidate signed orders on chain (cancel-onchain)",
)
app.add_typer(
    documents_commands.app, name="documents", short_help="verify filed disclosures against the hashes anchored on chain"
)
app.add_typer(
    governance_commands.audit_app, name="audit", short_help="verify the audit log against its on-chain anchors; anchor"
)
app.add_typer(
    governance_commands.admin_app, name="admin", short_help="privileged actions with a reason (governance key)"
)
app.command(
    "reconcile",
    help=reconcile_commands.HELP,
    short_help="database positions vs on-chain balances; exit 1 on any difference",
)(reconcile_commands.command)
app.command(
    "resync", help=resync_commands.HELP, short_help="rebuild the database's investor and token mirrors from the chain"
)(resync_commands.command)


if __name__ == "__main__":
    app()
