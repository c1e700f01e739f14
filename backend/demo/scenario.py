"""The demo scenario: three real-world assets listed, disclosed, regulated, traded and reconciled.

Everything goes through the REST API, with the admin key and each investor's own key;
investors sign approvals, orders and claims with their own wallet keys (ganache's
deterministic accounts, backend/demo/cast.py). Rule sets come from the YAML files under
scripts/compliance/rules/. The summary's positions come from the same reconcile function
`rwa reconcile` runs (backend/settlement/reconcile.py).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date, timedelta
from pathlib import Path

from eth_account import Account
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlmodel import Session

from backend.chain.client import Chain
from backend.chain.local_node import dev_private_key
from backend.compliance.rulefiles import RULES_DIR, load_rule_files
from backend.config import Settings
from backend.db import make_engine
from backend.demo import cancels, crash, market, powers, summary
from backend.demo.api import Api, ScenarioError
from backend.demo.cast import ASSETS, CASH, INVESTORS, ISSUANCE
from backend.demo.filings import filing
from backend.demo.market import Say
from backend.demo.summary import DemoResult
from backend.demo.wallet import Wallet
from backend.settlement.reconcile import Report, reconcile

__all__ = ["ScenarioError", "run"]

STEPS = (
    "check the service",
    "list three assets",
    "apply compliance rule sets (YAML)",
    "file and anchor disclosures",
    "onboard investors",
    "issue tokens, fund test cash",
    "approve the settlement contract",
    "trade and settle on chain",
    "orders refused by compliance",
    "on-chain cancel (cancelUpTo)",
    "royalty distribution and claims",
    "price collapse: limit state, halt, reopening auction",
    "operator powers: partial freeze, recovery (audited)",
    "reconcile chain and database",
)


def run(base_url: str, settings: Settings, keys_file: Path, console: Console) -> DemoResult:
    started = time.monotonic()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would bury the story
    api = Api(base_url, settings.admin_key)
    wallets = {i.key: Wallet(dev_private_key(i.account), settings.rpc_url) for i in INVESTORS}
    result = DemoResult(
        keys={"admin": settings.admin_key},
        base_url=base_url,
        keys_file=keys_file,
        env={
            "DATABASE_URL": settings.database_url,
            "RPC_URL": settings.rpc_url,
            "RWA_DEPLOYMENT_FILE": str(settings.deployment_file),
            "RWA_STORAGE_DIR": str(settings.storage_dir),
        },
    )
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(STEPS[0], total=len(STEPS))

            def step(index: int) -> None:
                progress.update(task, completed=index, description=STEPS[index])

            say = progress.console.print
            health = api.ok("GET", "/health", "health")
            contracts = api.ok("GET", "/v1/chain", "chain info")["contracts"]
            say(f"[green]✓[/] service up: chain {health['chain_id']}, block {health['block']}")
            step(1)
            tokens = _list_assets(api, say)
            step(2)
            _apply_rules(api, say)
            step(3)
            _file_disclosures(api, say)
            step(4)
            _onboard(api, wallets, say)
            result.keys.update(api.keys)
            keys_file.parent.mkdir(parents=True, exist_ok=True)
            keys_file.write_text(json.dumps(result.keys, indent=2) + "\n")
            step(5)
            _issue_and_fund(api, wallets, say)
            step(6)
            for wallet in wallets.values():
                for token in [*tokens.values(), contracts["cash_token"]]:
                    wallet.approve(token, contracts["settlement_exchange"])
            say(f"[green]✓[/] {len(wallets)} wallets approved the SettlementExchange for their tokens and cash")
            step(7)
            market.trade(api, wallets, result, say)
            step(8)
            market.refusals(api, wallets, result, say)
            step(9)
            cancels.cancel_onchain(api, wallets, contracts["settlement_exchange"], say)
            step(10)
            market.distribute(api, wallets, contracts["revenue_distributor"], tokens["PERMIAN1"], result, say)
            step(11)
            crash.collapse(api, wallets, result, say, progress)
            step(12)
            result.audit = powers.run(api, say)
            step(13)
            result.positions = _reconcile(settings)
            progress.update(task, completed=len(STEPS), description="scenario complete")
        result.trade_parties = market.trade_parties(api)
    finally:
        api.close()
    result.elapsed = time.monotonic() - started
    summary.render(console, result)
    return result


def _list_assets(api: Api, say: Say) -> dict[str, str]:
    tokens = {}
    for spec in ASSETS:
        issuer = Account.from_key(dev_private_key(spec.issuer_account)).address
        asset = api.admin_ok(
            "POST",
            "/v1/assets",
            f"list {spec.symbol}",
            json={
                "symbol": spec.symbol,
                "name": spec.name,
                "kind": spec.kind,
                "total_supply": spec.total_supply,
                "tick_size": spec.tick_size,
                "lot_size": spec.lot_size,
                "issuer_wallet": issuer,
                "details": spec.details,
            },
        )
        tokens[spec.symbol] = asset["token_address"]
        say(f"[green]✓[/] listed {spec.symbol} ({spec.kind}): {spec.name}; token {asset['token_address']}")
    return tokens


def _apply_rules(api: Api, say: Say) -> None:
    for rule_file in load_rule_files([RULES_DIR / f"{spec.symbol}.yaml" for spec in ASSETS]):
        # Through /v1/admin: a rule change is a privileged action, with its reason in the audit log.
        why = {"reason_code": "corporate_action", "reason": f"issuer's rule set {rule_file.path.name}"}
        path = f"/assets/{rule_file.symbol}/rules"
        entry = api.admin_ok(
            "PUT", f"/v1/admin{path}", f"rules of {rule_file.symbol}", json={**rule_file.api_body(), **why}
        )
        applied = {**api.ok("GET", f"/v1{path}", "rules"), "tx_hash": entry["entries"][0]["tx_hash"]}
        countries = ",".join(applied["allowed_countries"]) or "all"
        say(
            f"[green]✓[/] rules of {rule_file.symbol} from {rule_file.path.name}: countries {countries}; "
            f"accredited only {str(applied['accredited_only']).lower()}; max balance {applied['max_balance']}; "
            f"lock-up {applied['lockup_seconds']}s (tx {applied['tx_hash'][:12]}…)"
        )


def _file_disclosures(api: Api, say: Say) -> None:
    today = date.today()
    for spec in ASSETS:
        asset = api.ok("GET", f"/v1/assets/{spec.symbol}", "asset")
        filed = []
        for doc_type in asset["required_disclosures"]:
            title, data = filing(spec.symbol, doc_type, today)
            name = f"{spec.symbol.lower()}-{doc_type.replace('_', '-')}.pdf"
            doc = api.admin_ok(
                "POST",
                f"/v1/assets/{spec.symbol}/documents",
                f"file {spec.symbol} {doc_type}",
                files={"file": (name, data, "application/pdf")},
                data={"doc_type": doc_type, "title": title},
            )
            verified = api.ok("GET", f"/v1/documents/{doc['id']}/verify", f"verify {doc_type}")
            if not verified["matches"]:
                raise ScenarioError(f"{spec.symbol} {doc_type} does not verify against the chain: {verified}")
            filed.append(doc_type)
        status = api.ok("GET", f"/v1/assets/{spec.symbol}", "asset")["market_status"]
        if status != "open":
            raise ScenarioError(f"{spec.symbol} should trade once its disclosures are filed, but is {status}")
        say(
            f"[green]✓[/] disclosures anchored for {spec.symbol}: {', '.join(filed)}; "
            "each verified on chain (sha256); market open"
        )


def _onboard(api: Api, wallets: dict[str, Wallet], say: Say) -> None:
    expiry = (date.today() + timedelta(days=365)).isoformat()
    for spec in INVESTORS:
        made = api.admin_ok(
            "POST",
            "/v1/investors",
            f"onboard {spec.name}",
            json={
                "wallet": wallets[spec.key].address,
                "name": spec.name,
                "country": spec.country,
                "accredited": spec.accredited,
                "kyc_expires": expiry,
            },
        )
        api.keys[spec.key] = made["api_key"]
        note = "accredited" if spec.accredited else "not accredited"
        if spec.kyc_expired:
            lapsed = (date.today() - timedelta(days=1)).isoformat()
            api.admin_ok("PATCH", f"/v1/investors/{made['id']}", "expire KYC", json={"kyc_expires": lapsed})
            note += f"; KYC expired {lapsed}"
        say(f"[green]✓[/] whitelisted {spec.name} ({spec.country}, {note}) {wallets[spec.key].address}")


def _issue_and_fund(api: Api, wallets: dict[str, Wallet], say: Say) -> None:
    for symbol, investor, quantity in ISSUANCE:
        api.admin_ok(  # primary issuance: a mint with its reason in the audit log
            "POST",
            f"/v1/admin/assets/{symbol}/mint",
            f"issue {symbol}",
            json={
                "wallet": wallets[investor].address,
                "quantity": quantity,
                "reason_code": "corporate_action",
                "reason": f"primary issuance of {symbol} to a subscriber",
            },
        )
    for investor, amount in CASH.items():
        api.admin_ok("POST", "/v1/cash/faucet", "faucet", json={"wallet": wallets[investor].address, "amount": amount})
    issued = "; ".join(f"{q} {s} to {i.title()}" for s, i, q in ISSUANCE)
    say(f"[green]✓[/] issued {issued}; test cash to every investor")


def _reconcile(settings: Settings) -> Report:
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            return reconcile(session, Chain(settings), include_zero=False)
    finally:
        engine.dispose()
