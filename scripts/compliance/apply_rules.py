"""Apply per-asset compliance rule sets from YAML on chain, as the governance key (the rules
admin: $RWA_GOVERNANCE_KEY, locally the development governance key; docs/security.md).

    brownie run scripts/compliance/apply_rules.py --network rwa-ganache
    RULES=scripts/compliance/rules/ACME.yaml DRY_RUN=1 \
        brownie run scripts/compliance/apply_rules.py --network rwa-ganache

RULES: a rule file or a directory of them (default scripts/compliance/rules/). DRY_RUN=1 prints
the before/after diff and sends nothing. Parsing, schema validation (file:line: field errors)
and the diff are backend/compliance/rulefiles.py, the code `rwa rules apply` uses; assets are
found by symbol through the deployment record's AssetFactory ($RWA_DEPLOYMENT_FILE, default
.rwa/deployment.json). Only the chain is touched: the service's compliance mirror picks the
RulesUpdated events up by itself. A bad file or an unknown symbol changes nothing (exit 2).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from brownie import AssetFactory, AssetToken, ComplianceRules, accounts

from backend.chain.artifacts import load_deployment
from backend.compliance.rulefiles import RULES_DIR, RuleFileError, changed, diff, diff_lines, load_rule_files
from backend.compliance.rules import RuleSet
from backend.config import DEV_GOVERNANCE_KEY

ZERO = "0x0000000000000000000000000000000000000000"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _record() -> Path:
    configured = os.environ.get("RWA_DEPLOYMENT_FILE")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / ".rwa" / "deployment.json"


def onchain_rules(rules) -> RuleSet:
    countries, accredited_only, max_holders, max_balance, lockup = rules.getRules()
    return RuleSet(
        tuple(int(c) for c in countries), bool(accredited_only), int(max_holders), int(max_balance), int(lockup)
    )


def main() -> None:
    dry_run = _flag("DRY_RUN")
    try:
        rule_files = load_rule_files([Path(os.environ.get("RULES") or RULES_DIR)])
    except RuleFileError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    factory = AssetFactory.at(load_deployment(_record()).contracts["asset_factory"])
    tokens = {rf.symbol: factory.tokenBySymbol(rf.symbol) for rf in rule_files}
    unknown = [symbol for symbol, token in tokens.items() if token == ZERO]
    if unknown:
        print(f"no asset with symbol {', '.join(unknown)} in the AssetFactory {factory.address}", file=sys.stderr)
        sys.exit(2)
    governance = accounts.add(os.environ.get("RWA_GOVERNANCE_KEY") or DEV_GOVERNANCE_KEY)
    for rule_file in rule_files:
        rules = ComplianceRules.at(AssetToken.at(tokens[rule_file.symbol]).complianceRules())
        before, target = onchain_rules(rules), rule_file.rule_set()
        if dry_run or not changed(diff(before, target)):
            state = "dry run, nothing sent" if dry_run else "already in force, nothing sent"
            print(f"{rule_file.symbol} ({rule_file.path}) rules {rules.address} - {state}")
            print("\n".join(diff_lines(diff(before, target))))
            continue
        tx = rules.setRules(
            list(target.allowed_countries),
            target.accredited_only,
            target.max_holders,
            target.max_balance,
            target.lockup_seconds,
            {"from": governance},
        )
        print(f"{rule_file.symbol} ({rule_file.path}) rules {rules.address} - applied, tx {tx.txid}")
        print("\n".join(diff_lines(diff(before, onchain_rules(rules)))))
