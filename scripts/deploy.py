"""Deploy the exchange's contracts and write the deployment record.

    brownie run scripts/deploy.py --network rwa-ganache

Deploys, from accounts[0] (the service's operator account): IdentityRegistry, CashToken,
RevenueDistributor, the two creation-code deployers, AssetFactory and SettlementExchange. The
deployer keeps DEFAULT_ADMIN_ROLE everywhere and receives the operating roles the service uses:
REGISTRAR_ROLE (registry), MINTER_ROLE (cash), DEPOSITOR_ROLE (distributor), DEPLOYER_ROLE
(factory) and OPERATOR_ROLE (exchange). The factory receives ASSET_REGISTRAR_ROLE on the
distributor so every asset it creates can report balance changes.

The record goes to $RWA_DEPLOYMENT_FILE (default: <project>/.rwa/deployment.json):
    {"chain_id": int, "deployer": "0x..", "block": int,
     "contracts": {"identity_registry", "asset_factory", "settlement_exchange",
                   "cash_token", "revenue_distributor"}}
`block` is the block of the first deployment transaction: scan events from there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from brownie import (
    AssetFactory,
    AssetTokenDeployer,
    CashToken,
    ComplianceRulesDeployer,
    IdentityRegistry,
    RevenueDistributor,
    SettlementExchange,
    accounts,
    chain,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RECORD = PROJECT_ROOT / ".rwa" / "deployment.json"


def deploy(deployer) -> dict:
    """Deploy and wire every contract from `deployer`; return the deployment record."""
    tx = {"from": deployer}
    registry = IdentityRegistry.deploy(deployer, tx)
    first_block = registry.tx.block_number
    cash = CashToken.deploy(deployer, tx)
    distributor = RevenueDistributor.deploy(cash, deployer, tx)
    token_deployer = AssetTokenDeployer.deploy(tx)
    rules_deployer = ComplianceRulesDeployer.deploy(tx)
    factory = AssetFactory.deploy(registry, distributor, token_deployer, rules_deployer, deployer, tx)
    exchange = SettlementExchange.deploy(cash, deployer, tx)

    registry.grantRole(registry.REGISTRAR_ROLE(), deployer, tx)
    factory.grantRole(factory.DEPLOYER_ROLE(), deployer, tx)
    exchange.grantRole(exchange.OPERATOR_ROLE(), deployer, tx)
    distributor.grantRole(distributor.DEPOSITOR_ROLE(), deployer, tx)
    distributor.grantRole(distributor.ASSET_REGISTRAR_ROLE(), factory, tx)
    # CashToken's constructor already gave the deployer MINTER_ROLE.

    return {
        "chain_id": int(chain.id),
        "deployer": str(deployer.address),
        "block": int(first_block),
        "contracts": {
            "identity_registry": registry.address,
            "asset_factory": factory.address,
            "settlement_exchange": exchange.address,
            "cash_token": cash.address,
            "revenue_distributor": distributor.address,
        },
    }


def record_path() -> Path:
    """Where the record goes: $RWA_DEPLOYMENT_FILE or <project>/.rwa/deployment.json."""
    configured = os.environ.get("RWA_DEPLOYMENT_FILE")
    return Path(configured) if configured else DEFAULT_RECORD


def write_record(record: dict, path: Path) -> Path:
    """Write `record` as JSON atomically (a reader never sees a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n")
    temporary.replace(path)
    return path


def main() -> dict:
    record = deploy(accounts[0])
    path = write_record(record, record_path())
    print(f"deployment record written to {path}")
    print(json.dumps(record, indent=2))
    return record
