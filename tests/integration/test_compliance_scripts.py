"""The brownie compliance scripts (scripts/compliance/) against their own ganache node:
apply_rules.py (dry run, then apply) and whitelist.py (CSV, idempotent)."""

from __future__ import annotations

import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from backend.chain import local_node
from backend.chain.artifacts import load_abi
from backend.compliance.onboarding import kyc_expiry_timestamp
from backend.config import DEV_GOVERNANCE_KEY, ROOT
from backend.models.assets import KIND_TO_CLASS

PORT = int(os.environ.get("RWA_TEST_SCRIPTS_CHAIN_PORT", "8574"))
BUILD = ROOT / "build" / "contracts"


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("scripts-chain")
    process = local_node.start_ganache(PORT, log_path=tmp / "ganache.log")
    try:
        record = local_node.deploy(PORT, tmp / "deployment.json", log_path=tmp / "deploy.log")
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{PORT}"))
        factory = w3.eth.contract(address=record["contracts"]["asset_factory"], abi=load_abi(BUILD, "AssetFactory"))
        governance = Account.from_key(DEV_GOVERNANCE_KEY)  # the factory's deployer (docs/security.md)
        tx = factory.functions.createAsset(
            "Script test shares", "SCRIPT1", KIND_TO_CLASS["equity"], "rwa://t", w3.eth.accounts[1], 10**30
        ).build_transaction(
            {
                "from": governance.address,
                "nonce": w3.eth.get_transaction_count(governance.address),
                "gas": 8_000_000,
                "gasPrice": w3.eth.gas_price,  # berlin: no EIP-1559 fees
            }
        )
        signed = governance.sign_transaction(tx)
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
        yield w3, record, tmp
    finally:
        local_node.stop(process)


def brownie(script: str, deployment: Path, **env: str) -> subprocess.CompletedProcess:
    binary = ROOT / ".venv" / "bin" / "brownie"
    return subprocess.run(
        [str(binary), "run", script, "--network", local_node.network_for_port(PORT)],
        cwd=ROOT,
        env={**os.environ, "RWA_DEPLOYMENT_FILE": str(deployment), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def rules_of(w3: Web3, record: dict, symbol: str) -> tuple:
    factory = w3.eth.contract(address=record["contracts"]["asset_factory"], abi=load_abi(BUILD, "AssetFactory"))
    token = w3.eth.contract(address=factory.functions.tokenBySymbol(symbol).call(), abi=load_abi(BUILD, "AssetToken"))
    rules = w3.eth.contract(address=token.functions.complianceRules().call(), abi=load_abi(BUILD, "ComplianceRules"))
    return tuple(rules.functions.getRules().call())


def test_apply_rules_dry_run_then_apply(chain):
    w3, record, tmp = chain
    path = tmp / "SCRIPT1.yaml"
    path.write_text("symbol: SCRIPT1\nallowed_countries: [US, JP]\naccredited_only: true\nmax_balance: 750\n")
    before = rules_of(w3, record, "SCRIPT1")

    dry = brownie("scripts/compliance/apply_rules.py", tmp / "deployment.json", RULES=str(path), DRY_RUN="1")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "dry run, nothing sent" in dry.stdout and "* allowed_countries  (all)  ->  US, JP" in dry.stdout
    assert rules_of(w3, record, "SCRIPT1") == before

    applied = brownie("scripts/compliance/apply_rules.py", tmp / "deployment.json", RULES=str(path))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "applied, tx 0x" in applied.stdout
    assert rules_of(w3, record, "SCRIPT1") == ([840, 392], True, 0, 750 * 10**18, 0)


def test_whitelist_csv_registers_new_wallets_and_skips_known_ones(chain):
    w3, record, tmp = chain
    registry = w3.eth.contract(
        address=record["contracts"]["identity_registry"], abi=load_abi(BUILD, "IdentityRegistry")
    )
    wallets = [Account.create().address for _ in range(2)]
    expiry = kyc_expiry_timestamp(date.today() + timedelta(days=90))
    known = registry.functions.registerInvestor(wallets[0], 124, True, expiry).transact({"from": w3.eth.accounts[0]})
    w3.eth.wait_for_transaction_receipt(known)
    path = tmp / "investors.csv"
    path.write_text(
        "wallet,name,country,accredited,kyc_expires\n"
        + "".join(
            f"{w},Investor {i},CA,true,{(date.today() + timedelta(days=90)).isoformat()}\n"
            for i, w in enumerate(wallets)
        )
    )
    result = brownie("scripts/compliance/whitelist.py", tmp / "deployment.json", CSV=str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "line 2: " in result.stdout and "already registered, skipped" in result.stdout
    assert "created 1, skipped 1" in result.stdout
    assert registry.functions.isVerified(wallets[1]).call()
