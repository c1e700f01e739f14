"""Deploy the exchange's contracts and write the deployment record, from brownie.

    brownie run scripts/deploy.py --network rwa-ganache

A thin brownie entry point: the deployment itself is backend.chain.deploy.deploy_contracts
(web3.py and the compiled artifacts in build/contracts), the same function `rwa deploy`,
`make demo` and the tests call, here handed brownie's RPC url and `accounts[0]` (an
account the node has unlocked). `brownie run` itself cannot run this (or any) script
when the project's absolute path has a folder with a dot in its name (eth-brownie/brownie
#1081); `rwa deploy` can. What is deployed, the roles and the record's shape: see
backend/chain/deploy.py.

The record goes to $RWA_DEPLOYMENT_FILE (default: <project>/.rwa/deployment.json).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from brownie import accounts, web3

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RECORD = PROJECT_ROOT / ".rwa" / "deployment.json"
BUILD_DIR = PROJECT_ROOT / "build" / "contracts"

if str(PROJECT_ROOT) not in sys.path:  # `brownie run` does not put the project on the path
    sys.path.insert(0, str(PROJECT_ROOT))

from backend.chain import deploy as _deploy  # noqa: E402 - after the path fix above


def deploy(deployer) -> dict:
    """Deploy and wire every contract from `deployer` (a brownie account); return the record."""
    from web3 import HTTPProvider, Web3

    w3 = Web3(HTTPProvider(web3.provider.endpoint_uri, request_kwargs={"timeout": 120}))
    return _deploy.deploy_contracts(w3, str(deployer.address), build_dir=BUILD_DIR)


def record_path() -> Path:
    """Where the record goes: $RWA_DEPLOYMENT_FILE or <project>/.rwa/deployment.json."""
    configured = os.environ.get("RWA_DEPLOYMENT_FILE")
    return Path(configured) if configured else DEFAULT_RECORD


def write_record(record: dict, path: Path) -> Path:
    """Write `record` as JSON atomically (a reader never sees a half-written file)."""
    return _deploy.write_record(record, path)


def main() -> dict:
    record = deploy(accounts[0])
    path = write_record(record, record_path())
    print(f"deployment record written to {path}")
    print(json.dumps(record, indent=2))
    return record
