"""A real service process on a real ganache, and a market with funded traders on it.

The service runs as `python -m uvicorn backend.api.app:create_app --factory` in its own
process (so it can be SIGKILLed), configured through the environment like `rwa serve`,
with a file database. The chain is either a ganache this stack starts itself (with a
--database.dbPath, so stopping and restarting it keeps its state) or one already running.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from web3 import Web3

from backend.assets.units import lots_units, price_units
from backend.chain import local_node
from backend.config import ROOT, Settings
from backend.demo.wallet import Wallet
from bench.signer import OrderSigner

ADMIN_KEY = "bench-admin-key"
FUNDER = 9  # the ganache account that pays the traders' gas


class StackError(RuntimeError):
    pass


def uvicorn_command(app_factory: str, port: int) -> list[str]:
    """How the service is served (one worker); the order-entry benchmark serves its bare
    yardstick app with the very same command line."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app_factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


@dataclass
class Stack:
    workdir: Path
    chain_port: int
    service_port: int
    rpc_url: str | None = None  # an already running chain (with deployment_file); else we start one
    deployment_file: Path | None = None
    database_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    ganache: subprocess.Popen | None = None
    service: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.rpc_url = self.rpc_url or f"http://127.0.0.1:{self.chain_port}"
        self.deployment_file = self.deployment_file or self.workdir / "deployment.json"
        self.database_url = self.database_url or f"sqlite:///{self.workdir / 'rwa.db'}"
        self.base_url = f"http://127.0.0.1:{self.service_port}"

    # --- the chain ---------------------------------------------------------------------
    def start_chain(self) -> None:
        """Start (or restart, with its saved state) our own ganache; deploy on first start."""
        self.ganache = local_node.start_ganache(
            self.chain_port, db_path=self.workdir / "chain", log_path=self.workdir / "ganache.log"
        )
        assert self.deployment_file is not None
        if not self.deployment_file.exists():
            try:
                local_node.deploy(self.chain_port, self.deployment_file, log_path=self.workdir / "deploy.log")
            except BaseException:  # no node left behind on the port when the deployment fails
                self.stop_chain()
                raise

    def stop_chain(self) -> None:
        """Stop our ganache the way an operator would (SIGTERM: it saves its state)."""
        if self.ganache is not None:
            local_node.stop(self.ganache)
            self.ganache = None

    # --- the service -------------------------------------------------------------------
    def service_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": str(self.database_url),
            "RPC_URL": str(self.rpc_url),
            "RWA_ADMIN_KEY": ADMIN_KEY,
            "RWA_DEPLOYMENT_FILE": str(self.deployment_file),
            "RWA_STORAGE_DIR": str(self.workdir / "documents"),
            "RWA_ENFORCE_DISCLOSURES": "false",
            "RWA_RATE_LIMIT_PER_SECOND": "0",
            "RWA_ORDER_RATE_LIMIT_PER_SECOND": "0",
            "RWA_SETTLEMENT_INTERVAL_MS": "50",
            "RWA_COMPLIANCE_SYNC_INTERVAL_MS": "500",
            # Load and chaos runs trade new listings at once: no opening call, no limit state.
            "RWA_MARKET_AUCTION_SECONDS": "0",
            "RWA_MARKET_LIMIT_STATE_SECONDS": "0",
            **self.env,
        }

    def settings(self) -> Settings:
        """The settings the service process runs with (for in-process checks such as replay)."""
        return Settings(
            database_url=str(self.database_url),
            rpc_url=str(self.rpc_url),
            admin_key=ADMIN_KEY,
            deployment_file=self.deployment_file,  # type: ignore[arg-type]
            disclosure_policy_enforced=False,
            market_auction_seconds=int(self.service_env()["RWA_MARKET_AUCTION_SECONDS"]),
            market_limit_state_seconds=int(self.service_env()["RWA_MARKET_LIMIT_STATE_SECONDS"]),
        )

    def start_service(self, timeout: float = 90) -> None:
        if local_node.port_in_use(self.service_port):
            raise StackError(f"port {self.service_port} is in use")
        log = open(self.workdir / "service.log", "ab")  # owned by the process
        cmd = uvicorn_command("backend.api.app:create_app", self.service_port)
        self.service = subprocess.Popen(
            cmd, cwd=ROOT, env=self.service_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.service.poll() is not None:
                raise StackError(f"the service exited ({self.service.returncode}); see {self.workdir}/service.log")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise StackError(f"the service did not answer within {timeout:.0f}s")
            time.sleep(0.1)

    def kill_service(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, whatever was in flight is cut off."""
        if self.service is not None:
            self.service.send_signal(signal.SIGKILL)
            self.service.wait(timeout=30)
            self.service = None

    def stop_service(self) -> None:
        if self.service is not None:
            self.service.terminate()
            try:
                self.service.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_service()
            self.service = None

    def close(self) -> None:
        self.stop_service()
        self.stop_chain()

    def client(self, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=timeout)

    def health(self) -> dict[str, Any]:
        return httpx.get(f"{self.base_url}/health", timeout=30).json()


@dataclass
class Trader:
    investor_id: int
    wallet: Wallet
    api_key: str
    signer: OrderSigner

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


@dataclass
class MarketSetup:
    symbol: str
    token: str
    cash_token: str
    exchange: str
    chain_id: int
    traders: list[Trader]
    tick_size: str = "0.01"  # as set_up_market lists the asset
    lot_size: str = "1"


def _ok(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise StackError(f"{what}: {response.status_code} {response.text}")
    return response.json()


def set_up_market(
    stack: Stack, *, traders: int, units: int = 1_000_000, cash: int = 100_000_000, symbol: str | None = None
) -> MarketSetup:
    """An asset (tick 0.01, lot 1) and `traders` whitelisted investors, each holding `units`
    of it and `cash`, both approved to the SettlementExchange, so each can buy and sell."""
    admin = {"X-API-Key": ADMIN_KEY}
    w3 = Web3(Web3.HTTPProvider(stack.rpc_url))
    with stack.client(timeout=120) as client:
        info = _ok(client.get("/v1/chain"), "chain info")
        contracts = info["contracts"]
        symbol = symbol or "B" + secrets.token_hex(3).upper()
        asset = _ok(
            client.post(
                "/v1/assets",
                headers=admin,
                json={
                    "symbol": symbol,
                    "name": f"Bench {symbol}",
                    "kind": "equity",
                    "total_supply": str(units * traders * 2),
                    "tick_size": "0.01",
                    "lot_size": "1",
                    "issuer_wallet": Account.create().address,
                },
            ),
            "create asset",
        )
        people = []
        for _ in range(traders):
            account = Account.create()
            tx = w3.eth.send_transaction(
                {"from": w3.eth.accounts[FUNDER], "to": account.address, "value": Web3.to_wei(1, "ether")}
            )
            w3.eth.wait_for_transaction_receipt(tx)
            body = _ok(
                client.post(
                    "/v1/investors",
                    headers=admin,
                    json={
                        "wallet": account.address,
                        "name": f"Trader {account.address[:8]}",
                        "country": "US",
                        "accredited": True,
                        "kyc_expires": (date.today() + timedelta(days=365)).isoformat(),
                    },
                ),
                "investor",
            )
            _ok(
                client.post("/v1/cash/faucet", headers=admin, json={"wallet": account.address, "amount": str(cash)}),
                "faucet",
            )
            _ok(
                client.post(
                    f"/v1/assets/{symbol}/issue",
                    headers=admin,
                    json={"to_wallet": account.address, "quantity": str(units)},
                ),
                "issue",
            )
            wallet = Wallet(account.key.to_0x_hex(), str(stack.rpc_url))
            wallet.approve(asset["token_address"], contracts["settlement_exchange"])
            wallet.approve(contracts["cash_token"], contracts["settlement_exchange"])
            signer = OrderSigner(
                account.key.to_0x_hex(),
                chain_id=info["chain_id"],
                exchange=contracts["settlement_exchange"],
                trader=account.address,
            )
            people.append(Trader(body["id"], wallet, body["api_key"], signer))
    return MarketSetup(
        symbol=symbol,
        token=asset["token_address"],
        cash_token=contracts["cash_token"],
        exchange=contracts["settlement_exchange"],
        chain_id=info["chain_id"],
        traders=people,
    )


def order_body(
    setup: MarketSetup,
    trader: Trader,
    *,
    side: str,
    price_ticks: int,
    lots: int,
    client_order_id: str,
    tif: str = "GTC",
) -> dict[str, Any]:
    """A signed limit order (tick 0.01, lot 1), ready for POST /v1/orders. Every order
    expires (a day ahead) and names its nonce and expiry (API.md, "Signed orders")."""
    nonce = secrets.randbits(63)  # the API takes nonces below 2^64-1 (44572d5)
    expiry = int(time.time()) + 86_400
    signature = trader.signer.sign(
        asset=setup.token,
        is_buy=side == "buy",
        price=price_units(setup, price_ticks),
        quantity=lots_units(setup, lots),
        nonce=nonce,
        expiry=expiry,
    )
    price = f"{price_ticks // 100}.{price_ticks % 100:02d}"
    return {
        "symbol": setup.symbol,
        "side": side,
        "type": "limit",
        "price": price,
        "quantity": str(lots),
        "time_in_force": tif,
        "client_order_id": client_order_id,
        "nonce": nonce,
        "expires_at": expiry,
        "signature": signature,
    }
