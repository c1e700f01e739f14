"""A real ganache (or anvil) node with the contracts deployed, and the service wired to it.

RWA_TEST_NODE=anvil runs the same tests on anvil (`make test-anvil`); ganache is the default.

Session-scoped: one chain and one deployment for the whole run, shared by
tests/integration and tests/browser (tests/conftest.py loads this module as a pytest plugin, so
both directories get the same session fixtures the ordinary pytest way); tests isolate
themselves with fresh wallets and asset symbols instead of chain snapshots.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, SQLModel
from web3 import Web3

from backend.api.app import create_app
from backend.auth.service import issue_key
from backend.chain import local_node
from backend.config import Settings
from backend.db import make_engine
from backend.demo.documents import sample_document
from backend.demo.wallet import Wallet
from backend.disclosures.policies import required_types

# Parallel runs (several developers' sessions on one machine) pick different ports.
TEST_PORT = int(os.environ.get("RWA_TEST_CHAIN_PORT", "8565"))
TEST_NODE = os.environ.get("RWA_TEST_NODE", "ganache")
ADMIN_KEY = "test-admin-key"
FUNDER = 9  # the node's dev account that pays test wallets' gas


@dataclass
class Node:
    rpc_url: str
    deployment_file: Path
    w3: Web3


@dataclass
class Investor:
    id: int
    wallet: Wallet
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


@pytest.fixture(scope="session")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("chain")
    process = local_node.start_node(TEST_NODE, TEST_PORT, log_path=tmp / f"{TEST_NODE}.log")
    try:
        deployment = tmp / "deployment.json"
        local_node.deploy(TEST_PORT, deployment, log_path=tmp / "deploy.log")
        url = f"http://127.0.0.1:{TEST_PORT}"
        yield Node(rpc_url=url, deployment_file=deployment, w3=Web3(Web3.HTTPProvider(url)))
    finally:
        local_node.stop(process)


def reset_database(database_url: str) -> None:
    import backend.models  # noqa: F401 - every table on the metadata

    engine = make_engine(database_url)
    with engine.begin() as connection:
        SQLModel.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(scope="session")
def settings(node: Node, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("service")
    # RWA_TEST_DATABASE_URL runs the suite against PostgreSQL (make test-postgres); the
    # schema is dropped first so every run starts empty.
    database_url = os.environ.get("RWA_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'rwa.db'}"
    if not database_url.startswith("sqlite"):
        reset_database(database_url)
    # The disclosure policy stays enforced: make_asset files each kind's required documents.
    return Settings(
        database_url=database_url,
        rpc_url=node.rpc_url,
        admin_key=ADMIN_KEY,
        deployment_file=node.deployment_file,
        storage_dir=tmp / "documents",
        settlement_interval_ms=50,
        # In-process apps keep their workers in threads (tests reach app.state.settlement);
        # served stacks (bench/stack.py) run them in a process (tests/integration/test_worker_process.py).
        workers="thread",
        disclosure_policy_enforced=True,
        # Every test shares one admin key: limits this high are in the path but never hit.
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        order_rate_limit_per_second=10_000,
        order_rate_limit_burst=10_000,
        # Most tests trade a new listing at once: no opening call, no limit state. The tests
        # of the phases (test_auction.py, test_market_data.py's kill switch) set their own.
        market_auction_seconds=0,
        market_limit_state_seconds=0,
    )


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment an `rwa ...` command needs to reach the fixtures' chain and database."""
    return {
        "DATABASE_URL": settings.database_url,
        "RPC_URL": settings.rpc_url,
        "RWA_DEPLOYMENT_FILE": str(settings.deployment_file),
        "RWA_STORAGE_DIR": str(settings.storage_dir),
        "RWA_ADMIN_KEY": ADMIN_KEY,
    }


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def admin() -> dict[str, str]:
    return {"X-API-Key": ADMIN_KEY}


@pytest.fixture(scope="session")
def chain_info(client: TestClient) -> dict:
    return client.get("/v1/chain").json()


@pytest.fixture
def new_wallet(node: Node) -> Callable[[], Wallet]:
    """A fresh key pair with gas money: every test gets wallets nobody else used."""
    funder = node.w3.eth.accounts[FUNDER]

    def make() -> Wallet:
        account = Account.create()
        # a legacy gas price: anvil on berlin refuses web3's EIP-1559 defaults
        tx = node.w3.eth.send_transaction(
            {"from": funder, "to": account.address, "value": 10**18, "gasPrice": node.w3.eth.gas_price}
        )
        node.w3.eth.wait_for_transaction_receipt(tx)
        return Wallet(account.key.to_0x_hex(), node.rpc_url)

    return make


@pytest.fixture
def make_investor(client: TestClient, admin: dict, new_wallet: Callable[[], Wallet]) -> Callable[..., Investor]:
    def make(country: str = "US", accredited: bool = True, days: int = 365) -> Investor:
        wallet = new_wallet()
        response = client.post(
            "/v1/investors",
            headers=admin,
            json={
                "wallet": wallet.address,
                "name": f"Investor {wallet.address[:8]}",
                "country": country,
                "accredited": accredited,
                "kyc_expires": (date.today() + timedelta(days=days)).isoformat(),
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return Investor(id=body["id"], wallet=wallet, api_key=body["api_key"])

    return make


def upload_document(
    client: TestClient, headers: dict, symbol: str, doc_type: str, *, data: bytes | None = None, **form: str
) -> dict:
    """File one document (a generated PDF unless `data` is given); returns the 201 body."""
    title, generated = sample_document(doc_type, symbol, date.today())
    response = client.post(
        f"/v1/assets/{symbol}/documents",
        headers=headers,
        files={"file": (f"{doc_type}.pdf", generated if data is None else data, "application/pdf")},
        data={"doc_type": doc_type, "title": title, **form},
    )
    assert response.status_code == 201, response.text
    return response.json()


def upload_required_documents(client: TestClient, admin: dict, symbol: str, kind: str) -> list[dict]:
    """File every document the kind's disclosure policy requires, so its market opens."""
    return [upload_document(client, admin, symbol, doc_type) for doc_type in required_types(kind)]


@pytest.fixture
def make_asset(client: TestClient, admin: dict, new_wallet: Callable[[], Wallet]) -> Callable[..., dict]:
    def make(
        kind: str = "equity",
        tick_size: str = "0.01",
        lot_size: str = "1",
        *,
        documents: bool = True,
        issuer_wallet: str | None = None,
    ) -> dict:
        symbol = "T" + secrets.token_hex(3).upper()
        response = client.post(
            "/v1/assets",
            headers=admin,
            json={
                "symbol": symbol,
                "name": f"Test asset {symbol}",
                "kind": kind,
                "total_supply": "1000000",
                "tick_size": tick_size,
                "lot_size": lot_size,
                "issuer_wallet": issuer_wallet or new_wallet().address,
            },
        )
        assert response.status_code == 201, response.text
        if not documents:
            return response.json()
        upload_required_documents(client, admin, symbol, kind)
        asset = client.get(f"/v1/assets/{symbol}").json()
        assert asset["market_status"] == "open", asset
        return asset

    return make


@pytest.fixture
def issuer_key(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Headers of a new issuer API key for `wallet` (no endpoint issues these yet)."""

    def make(wallet: str) -> dict[str, str]:
        with Session(client.app.state.db) as session:
            key = issue_key(session, role="issuer", issuer_wallet=wallet, label=f"issuer {wallet[:8]}")
            session.commit()
        return {"X-API-Key": key}

    return make


def wait_for_settlement(client: TestClient, admin: dict, symbol: str, count: int, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    while True:
        trades = client.get("/v1/trades", headers=admin, params={"symbol": symbol}).json()
        if len(trades) >= count and all(t["settlement_status"] in ("settled", "failed") for t in trades):
            return trades
        if time.monotonic() > deadline:
            raise AssertionError(f"trades of {symbol} did not settle: {trades}")
        time.sleep(0.1)
