"""Whitelist investors from a CSV file on the IdentityRegistry, as the operator (accounts[0]).

    CSV=investors.csv brownie run scripts/compliance/whitelist.py --network rwa-ganache

The file's header is wallet,name,country,accredited,kyc_expires (backend/compliance/investor_csv.py,
the parser `rwa investors import` uses: a file with mistakes is refused whole, each problem with
its line number, exit 2). Wallets already registered are skipped, so a re-run is safe.

This script writes the chain only. `rwa investors import` is the usual way: it also creates the
service's investor rows and API keys. Wallets whitelisted here reach the service's database
through its registry resync (backend/compliance/registry_sync.py; the chain wins).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from brownie import IdentityRegistry, accounts

from backend.chain.artifacts import load_deployment
from backend.compliance.countries import numeric_code
from backend.compliance.investor_csv import InvestorCsvError, parse_investor_csv
from backend.compliance.onboarding import kyc_expiry_timestamp


def _record() -> Path:
    configured = os.environ.get("RWA_DEPLOYMENT_FILE")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / ".rwa" / "deployment.json"


def main() -> None:
    if not os.environ.get("CSV"):
        print("set CSV=path/to/investors.csv", file=sys.stderr)
        sys.exit(2)
    try:
        rows = parse_investor_csv(Path(os.environ["CSV"]))
    except InvestorCsvError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    registry = IdentityRegistry.at(load_deployment(_record()).contracts["identity_registry"])
    counts = {"created": 0, "skipped": 0}
    for row in rows:
        if registry.investorOf(row.wallet)[0]:
            counts["skipped"] += 1
            print(f"line {row.line}: {row.wallet} {row.name}: already registered, skipped")
            continue
        tx = registry.registerInvestor(
            row.wallet,
            numeric_code(row.country),
            row.accredited,
            kyc_expiry_timestamp(row.kyc_expires),
            {"from": accounts[0]},
        )
        counts["created"] += 1
        print(f"line {row.line}: {row.wallet} {row.name} ({row.country}): whitelisted, tx {tx.txid}")
    print(f"created {counts['created']}, skipped {counts['skipped']} (already registered), failed 0")
