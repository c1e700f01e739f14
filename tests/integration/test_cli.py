"""The operator's CLI (`rwa rules`, `rwa investors import`, `rwa documents verify`, `rwa reconcile`)
against the integration fixtures' chain and database, through typer's CliRunner."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml
from eth_account import Account
from sqlmodel import Session, select
from typer.testing import CliRunner

from backend.chain.client import Chain
from backend.cli import app
from backend.commands import common
from backend.compliance import sync
from backend.disclosures.store import ContentStore
from backend.models.compliance import HolderState
from tests.support.live_stack import ADMIN_KEY


@pytest.fixture
def rwa(settings, monkeypatch):
    """Run `rwa ...` in-process with the fixtures' settings in the environment."""
    monkeypatch.setattr(common.console, "width", 220)
    monkeypatch.setattr(common.err_console, "width", 220)
    env = {
        "DATABASE_URL": settings.database_url,
        "RPC_URL": settings.rpc_url,
        "RWA_DEPLOYMENT_FILE": str(settings.deployment_file),
        "RWA_STORAGE_DIR": str(settings.storage_dir),
        "RWA_ADMIN_KEY": ADMIN_KEY,
    }

    def run(*args: str, **env_overrides: str):
        return CliRunner().invoke(app, list(args), env={**env, **env_overrides})

    return run


def rules_file(tmp_path, symbol: str, **fields) -> str:
    path = tmp_path / f"{symbol}.yaml"
    path.write_text(yaml.safe_dump({"symbol": symbol, **fields}, sort_keys=False))
    return str(path)


RULES = {
    "allowed_countries": ["US", "GB"],
    "accredited_only": True,
    "max_holders": 10,
    "max_balance": 500,
    "lockup_seconds": 60,
}


def test_rules_dry_run_shows_the_diff_and_sends_nothing(rwa, client, make_asset, tmp_path):
    symbol = make_asset()["symbol"]
    path = rules_file(tmp_path, symbol, **RULES)
    result = rwa("rules", "apply", "--dry-run", path)
    assert result.exit_code == 0, result.output
    assert "dry run, nothing sent" in result.output
    assert "(all)" in result.output and "US, GB" in result.output and "← changes" in result.output
    assert client.get(f"/v1/assets/{symbol}/rules").json()["allowed_countries"] == []


def test_rules_apply_changes_the_chain_and_is_idempotent(rwa, client, make_asset, tmp_path):
    symbol = make_asset()["symbol"]
    path = rules_file(tmp_path, symbol, **RULES)
    result = rwa("rules", "apply", path)
    assert result.exit_code == 0, result.output
    assert "applied, tx 0x" in result.output
    onchain = client.get(f"/v1/assets/{symbol}/rules").json()
    assert onchain["allowed_countries"] == ["US", "GB"]
    assert (onchain["accredited_only"], onchain["max_holders"], onchain["lockup_seconds"]) == (True, 10, 60)
    assert Decimal(onchain["max_balance"]) == 500

    again = rwa("rules", "apply", path)
    assert again.exit_code == 0 and "already in force, nothing sent" in again.output

    shown = rwa("rules", "show", symbol, "--yaml")
    assert shown.exit_code == 0, shown.output
    assert yaml.safe_load(shown.stdout)["allowed_countries"] == ["US", "GB"]


def test_rule_file_mistakes_name_file_line_and_field(rwa, tmp_path):
    path = tmp_path / "ACME.yaml"
    path.write_text(
        "symbol: ACME\nallowed_countries: [US, XX]\naccredited_only: maybe\nmax_holder: 3\nmax_balance: -5\n"
    )
    result = rwa("rules", "apply", str(path))
    assert result.exit_code == common.BAD_INPUT
    assert f"{path}:2: allowed_countries: 'XX' is not an ISO 3166 alpha-2 country code" in result.stderr
    assert f"{path}:3: accredited_only: must be true or false" in result.stderr
    assert f"{path}:4: max_holder: unknown field (did you mean 'max_holders'?)" in result.stderr
    assert f"{path}:5: max_balance: must be a finite number >= 0" in result.stderr

    broken = tmp_path / "BROKEN.yaml"
    broken.write_text("symbol: BROKEN\nallowed_countries: [US\nmax_holders: 1\n")
    result = rwa("rules", "check", str(broken))
    assert result.exit_code == common.BAD_INPUT
    assert f"{broken}:3: is not valid YAML" in result.stderr


def test_rules_for_an_unknown_asset_exit_2(rwa, tmp_path):
    result = rwa("rules", "apply", rules_file(tmp_path, "NOSUCH1", max_holders=3))
    assert result.exit_code == common.BAD_INPUT
    assert "no asset with symbol 'NOSUCH1'" in result.stderr


def csv_text(*rows: str) -> str:
    return "wallet,name,country,accredited,kyc_expires\n" + "".join(f"{r}\n" for r in rows)


def registered(settings, wallet: str) -> bool:
    return bool(Chain(settings).core("identity_registry").functions.isVerified(wallet).call())


def test_investor_import_creates_then_skips(rwa, client, settings, tmp_path):
    expires = (date.today() + timedelta(days=200)).isoformat()
    wallets = [Account.create().address for _ in range(2)]
    path = tmp_path / "investors.csv"
    path.write_text(
        csv_text(f"{wallets[0]},Ada Lovelace,GB,true,{expires}", f"{wallets[1].lower()},Grace Hopper,us,no,{expires}")
    )
    keys_file = tmp_path / "keys.json"
    result = rwa("investors", "import", str(path), "--keys-file", str(keys_file))
    assert result.exit_code == 0, result.output
    assert "created 2, skipped 0 (already known), failed 0" in result.output
    assert all(registered(settings, w) for w in wallets)
    keys = json.loads(keys_file.read_text())
    account = client.get("/v1/account", headers={"X-API-Key": keys[wallets[0]]["api_key"]})
    assert account.status_code == 200 and account.json()["wallet"] == wallets[0]

    again = rwa("investors", "import", str(path))
    assert again.exit_code == 0, again.output
    assert "created 0, skipped 2 (already known), failed 0" in again.output


def test_investor_csv_mistakes_name_their_lines_and_nothing_is_sent(rwa, settings, tmp_path):
    good = Account.create().address
    path = tmp_path / "bad.csv"
    path.write_text(
        csv_text(
            f"{good},Valid Person,US,true,2099-01-01",
            f"{Account.create().address},Bad Country,XX,true,2099-01-01",
            f"{Account.create().address},Lapsed,US,true,2001-01-01",
            "0x1234,Short Wallet,US,maybe,2099-01-01",
        )
    )
    result = rwa("investors", "import", str(path))
    assert result.exit_code == common.BAD_INPUT
    assert f"{path}:3: country: is not an ISO 3166 alpha-2 code" in result.stderr
    assert f"{path}:4: kyc_expires: must be after today" in result.stderr
    assert f"{path}:5: wallet: is not an Ethereum address" in result.stderr
    assert f"{path}:5: accredited: must be true or false" in result.stderr
    assert "nothing was imported" in result.stderr
    assert not registered(settings, good)

    header = tmp_path / "header.csv"
    header.write_text("wallet,name,nation,accredited,kyc_expires\n")
    result = rwa("investors", "import", str(header))
    assert result.exit_code == common.BAD_INPUT and f"{header}:1:" in result.stderr


def test_documents_verify_passes_then_flags_tampered_bytes(rwa, client, settings, make_asset):
    symbol = make_asset(kind="oil_well")["symbol"]
    result = rwa("documents", "verify", symbol)
    assert result.exit_code == 0, result.output
    assert result.output.count("✓") >= 4  # three documents and the closing line
    assert "all 3 current document(s) match" in result.output

    doc = client.get(f"/v1/assets/{symbol}/documents").json()[0]
    ContentStore(settings.storage_dir).path_for(doc["sha256"]).write_bytes(b"%PDF-1.4 forged")
    result = rwa("documents", "verify", symbol)
    assert result.exit_code == common.FAILED, result.output
    assert "✗" in result.output and "do not hash to the on-chain hash" in result.output


def test_reconcile_agrees_then_exits_1_on_a_difference(rwa, client, admin, settings, make_asset, make_investor):
    symbol = make_asset()["symbol"]
    investor = make_investor()
    issued = client.post(
        f"/v1/assets/{symbol}/issue", headers=admin, json={"to_wallet": investor.wallet.address, "quantity": "25"}
    )
    assert issued.status_code == 200, issued.text
    result = rwa("reconcile", "--symbol", symbol)
    assert result.exit_code == 0, result.output
    assert investor.wallet.address in result.output and "✓ all" in result.output

    with Session(client.app.state.db) as session:
        row = session.exec(select(HolderState).where(HolderState.wallet == investor.wallet.address)).one()
        row.balance = str(int(row.balance) + 1)
        session.add(row)
        session.commit()
    result = rwa("reconcile", "--symbol", symbol)
    assert result.exit_code == common.FAILED, result.output
    assert "✗" in result.output and "differ from the chain" in result.output

    with Session(client.app.state.db) as session:  # put the mirror right again for other tests
        from backend.assets.service import get_asset

        sync.resync(session, client.app.state.chain, get_asset(session, symbol))
    assert rwa("reconcile", "--symbol", symbol).exit_code == 0


def test_commands_exit_3_when_the_chain_is_unreachable(rwa):
    result = rwa("reconcile", RPC_URL="http://127.0.0.1:9")
    assert result.exit_code == common.UNAVAILABLE
    assert "RPC_URL=http://127.0.0.1:9" in result.stderr


def test_resync_repairs_a_corrupted_mirror(rwa, client, admin, make_asset, make_investor):
    symbol = make_asset()["symbol"]
    investor = make_investor()
    assert (
        client.post(
            f"/v1/assets/{symbol}/issue", headers=admin, json={"to_wallet": investor.wallet.address, "quantity": "7"}
        ).status_code
        == 200
    )
    assert rwa("reconcile", "--symbol", symbol).exit_code == 0
    with Session(client.app.state.db) as session:
        row = session.exec(select(HolderState).where(HolderState.wallet == investor.wallet.address)).one()
        row.balance = "0"
        session.add(row)
        session.commit()
    assert rwa("reconcile", "--symbol", symbol, "--no-sync").exit_code == common.FAILED
    result = rwa("resync")
    assert result.exit_code == 0, result.output
    assert f"{symbol}: token state rebuilt" in result.output
    assert rwa("reconcile", "--symbol", symbol, "--no-sync").exit_code == 0
