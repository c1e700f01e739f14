"""The demo scenario: two investors, one asset, a matched trade settled on chain.

Everything goes through the REST API with an admin key and the investors' own keys;
the investors sign their approvals and orders with their wallet keys.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from backend.chain.local_node import dev_private_key
from backend.demo.documents import sample_document
from backend.demo.wallet import Wallet

# ganache deterministic accounts: 0 is the operator (service), the rest are people.
ISSUER, ALICE, BOB = 1, 2, 3


class ScenarioError(RuntimeError):
    pass


@dataclass
class DemoResult:
    keys: dict[str, str] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    balances: list[tuple[str, str, str]] = field(default_factory=list)


def _ok(response: httpx.Response, what: str, expect: tuple[int, ...] = (200, 201)) -> Any:
    if response.status_code not in expect:
        raise ScenarioError(f"{what} failed: HTTP {response.status_code} {response.text}")
    return response.json()


def run(base_url: str, rpc_url: str, admin_key: str, keys_file: Path, console: Console) -> DemoResult:
    result = DemoResult(keys={"admin": admin_key})
    admin = {"X-API-Key": admin_key}
    alice = Wallet(dev_private_key(ALICE), rpc_url)
    bob = Wallet(dev_private_key(BOB), rpc_url)
    issuer_wallet = Wallet(dev_private_key(ISSUER), rpc_url).address
    with httpx.Client(base_url=base_url, timeout=120) as client:
        steps = [
            "health", "list ACME", "file disclosures", "onboard investors", "fund and issue", "approvals",
            "orders", "settlement",
        ]
        with console.status("running the demo scenario") as status:
            status.update(steps[0])
            health = _ok(client.get("/health"), "health")
            chain = _ok(client.get("/v1/chain"), "chain info")
            exchange = chain["contracts"]["settlement_exchange"]
            console.print(f"[green]✓[/] service up: chain {health['chain_id']}, block {health['block']}")

            status.update(steps[1])
            asset = _ok(client.post("/v1/assets", headers=admin, json={
                "symbol": "ACME", "name": "ACME Corp. common shares", "kind": "equity",
                "total_supply": "1000000", "tick_size": "0.01", "lot_size": "1",
                "issuer_wallet": issuer_wallet,
                "details": {"share_class": "common", "jurisdiction": "US-DE"}}), "create asset")
            console.print(f"[green]✓[/] listed ACME: token {asset['token_address']}")

            status.update(steps[2])
            _file_disclosures(client, admin, console)

            status.update(steps[3])
            expiry = (date.today() + timedelta(days=365)).isoformat()
            made = {}
            for name, wallet, country in (("Alice Example", alice, "US"), ("Bob Example", bob, "GB")):
                made[name] = _ok(client.post("/v1/investors", headers=admin, json={
                    "wallet": wallet.address, "name": name, "country": country, "accredited": True,
                    "kyc_expires": expiry}), f"onboard {name}")
                console.print(f"[green]✓[/] whitelisted {name} ({country}) {wallet.address}")
            alice_key, bob_key = made["Alice Example"]["api_key"], made["Bob Example"]["api_key"]
            result.keys.update(alice=alice_key, bob=bob_key)
            keys_file.parent.mkdir(parents=True, exist_ok=True)
            keys_file.write_text(json.dumps(result.keys, indent=2) + "\n")

            status.update(steps[4])
            _ok(client.post("/v1/cash/faucet", headers=admin, json={"wallet": bob.address, "amount": "10000"}),
                "faucet")
            _ok(client.post("/v1/assets/ACME/issue", headers=admin,
                            json={"to_wallet": alice.address, "quantity": "100"}), "issue")
            console.print("[green]✓[/] issued 100 ACME to Alice; 10,000 test cash to Bob")

            status.update(steps[5])
            alice.approve(asset["token_address"], exchange)
            bob.approve(chain["contracts"]["cash_token"], exchange)
            console.print("[green]✓[/] wallets approved the settlement contract")

            status.update(steps[6])
            sell = _ok(alice.place_order(client, alice_key, {
                "symbol": "ACME", "side": "sell", "type": "limit", "price": "12.50", "quantity": "10",
                "client_order_id": "demo-alice-1"}), "Alice's sell order")
            buy = _ok(bob.place_order(client, bob_key, {
                "symbol": "ACME", "side": "buy", "type": "limit", "price": "12.50", "quantity": "10",
                "client_order_id": "demo-bob-1"}), "Bob's buy order")
            console.print(f"[green]✓[/] Alice sells 10 @ 12.50 ({sell['status']}); "
                          f"Bob buys 10 @ 12.50 ({buy['status']})")

            status.update(steps[7])
            deadline = time.monotonic() + 120
            while True:
                trades = _ok(client.get("/v1/trades", headers=admin), "trades")
                if trades and all(t["settlement_status"] in ("settled", "failed") for t in trades):
                    break
                if time.monotonic() > deadline:
                    raise ScenarioError(f"trades did not settle in time: {trades}")
                time.sleep(0.3)
            result.trades = trades
            for trade in trades:
                if trade["settlement_status"] != "settled":
                    raise ScenarioError(f"trade {trade['id']} failed: {trade.get('failure_reason')}")
                console.print(f"[green]✓[/] trade {trade['id']} settled on chain, tx {trade['tx_hash']}")

        for name, key in (("Alice", alice_key), ("Bob", bob_key)):
            account = _ok(client.get("/v1/account", headers={"X-API-Key": key}), f"{name}'s account")
            result.balances.append((name, account["assets"]["ACME"]["onchain"], account["cash"]["onchain"]))
    _summary(console, result)
    return result


def _file_disclosures(client: httpx.Client, admin: dict[str, str], console: Console) -> None:
    """ACME's required disclosures (equity: offering memorandum, financial statements), filed
    and anchored on its token before it can trade; each is then verified against the chain."""
    filed = []
    for doc_type in ("offering_memorandum", "financial_statements"):
        title, data = sample_document(doc_type, "ACME", date.today())
        filename = f"acme-{doc_type.replace('_', '-')}.pdf"
        doc = _ok(client.post("/v1/assets/ACME/documents", headers=admin,
                              files={"file": (filename, data, "application/pdf")},
                              data={"doc_type": doc_type, "title": title}), f"file {doc_type}")
        verified = _ok(client.get(f"/v1/documents/{doc['id']}/verify"), f"verify {doc_type}")
        if not verified["matches"]:
            raise ScenarioError(f"{doc_type} does not verify against the chain: {verified}")
        filed.append(f"{doc_type} v{doc['version']} (sha256 {doc['sha256'][:12]}…)")
    market = _ok(client.get("/v1/assets/ACME"), "asset")["market_status"]
    if market != "open":
        raise ScenarioError(f"ACME should trade once its disclosures are filed, but is {market}")
    console.print(f"[green]✓[/] disclosures anchored: {', '.join(filed)}; verified on chain")


def _summary(console: Console, result: DemoResult) -> None:
    table = Table(title="On-chain balances after settlement")
    table.add_column("investor")
    table.add_column("ACME", justify="right")
    table.add_column("cash", justify="right")
    for row in result.balances:
        table.add_row(*row)
    console.print(table)


