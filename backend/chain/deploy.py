"""Deploy the exchange's contracts from Python: web3.py and brownie's compiled artifacts.

The one deployment function the demo, `rwa deploy`, the tests, the benchmarks and
`brownie run scripts/deploy.py` all call. It never goes through `brownie run`, which
imports a script under a module name made of its absolute path and so fails in any clone
whose path has a dot in a folder name (eth-brownie/brownie#1081).

From the deployer (the service's operator account): IdentityRegistry, CashToken,
RevenueDistributor, the two creation-code deployers, AssetFactory, SettlementExchange and
AuditAnchor. The factory receives ASSET_REGISTRAR_ROLE on the distributor so every asset it
creates can report balance changes.

Roles, least privilege (docs/security.md "Keys and roles"), with a `governance` address:
the governance key gets DEFAULT_ADMIN_ROLE everywhere and DEPLOYER_ROLE on the factory (so
it creates assets and is therefore admin, agent and rules admin of each); the deployer (the
hot operator key) keeps only OPERATOR_ROLE (exchange), REGISTRAR_ROLE (registry, while
onboarding stays online), ANCHORER_ROLE (audit anchor) and, on
a test chain only, the cash MINTER_ROLE (the faucet), then renounces DEFAULT_ADMIN_ROLE. On
a test chain the governance account is paid gas money from the deployer. Without a
`governance` address (brownie's scripts/deploy.py) the deployer keeps every role as before.

The record (written by `write_record`, read by backend.chain.artifacts.load_deployment):
    {"chain_id": int, "deployer": "0x..", "governance": "0x.." | null, "block": int,
     "contracts": {"identity_registry", "asset_factory", "settlement_exchange",
                   "cash_token", "revenue_distributor", "audit_anchor"}}
`block` is the block of the first deployment transaction: scan events from there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import keccak
from web3 import Web3

# Enough for the largest creation (AssetFactory) on a berlin chain; a role grant needs far less.
CREATE_GAS = 8_000_000
CALL_GAS = 200_000
RECEIPT_TIMEOUT = 120
TEST_CHAIN_IDS = frozenset({1337, 31337})  # as backend.config.TEST_CHAIN_IDS
GOVERNANCE_GAS_MONEY = 100 * 10**18  # test chains: the governance account's gas


class DeployError(RuntimeError):
    """A deployment transaction failed, or the compiled artifacts are missing."""


def deploy_contracts(
    w3: Web3, deployer: LocalAccount | str, *, build_dir: Path, governance: str | None = None
) -> dict[str, Any]:
    """Deploy and wire every contract from `deployer`; return the deployment record.

    `deployer` is a local account (its transactions are signed here) or the address of an
    account the node has unlocked (ganache's and anvil's own; brownie's `accounts[0]`).
    """
    sender = _Sender(w3, deployer)

    def create(name: str, *args: Any) -> tuple[ChecksumAddress, int]:
        artifact = _artifact(build_dir, name)
        factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = sender.send(None, factory.constructor(*args).data_in_transaction, CREATE_GAS, f"deploy {name}")
        return Web3.to_checksum_address(receipt["contractAddress"]), int(receipt["blockNumber"])

    op = sender.address
    registry, first_block = create("IdentityRegistry", op)
    cash, _ = create("CashToken", op)
    distributor, _ = create("RevenueDistributor", cash, op)
    token_deployer, _ = create("AssetTokenDeployer")
    rules_deployer, _ = create("ComplianceRulesDeployer")
    factory, _ = create("AssetFactory", registry, distributor, token_deployer, rules_deployer, op)
    exchange, _ = create("SettlementExchange", cash, op)
    anchor, _ = create("AuditAnchor", op)

    gov = Web3.to_checksum_address(governance) if governance else None
    grants: list[tuple[str, str, str, str]] = [
        ("IdentityRegistry", registry, "REGISTRAR_ROLE", op),
        ("AssetFactory", factory, "DEPLOYER_ROLE", gov or op),
        ("SettlementExchange", exchange, "OPERATOR_ROLE", op),
        ("RevenueDistributor", distributor, "ASSET_REGISTRAR_ROLE", factory),
        ("AuditAnchor", anchor, "ANCHORER_ROLE", op),
    ]
    administered = (
        ("IdentityRegistry", registry),
        ("CashToken", cash),
        ("RevenueDistributor", distributor),
        ("AssetFactory", factory),
        ("SettlementExchange", exchange),
        ("AuditAnchor", anchor),
    )
    if gov:
        grants += [(name, address, "DEFAULT_ADMIN_ROLE", gov) for name, address in administered]
    for name, address, role, account in grants:
        data = _contract(w3, build_dir, name, address).functions.grantRole(_role(role), account)
        sender.send(address, data._encode_transaction_data(), CALL_GAS, f"grant {role} on {name}")
    if gov:
        test_chain = int(w3.eth.chain_id) in TEST_CHAIN_IDS
        renounce = [] if test_chain else [("CashToken", cash, "MINTER_ROLE")]
        renounce += [(name, address, "DEFAULT_ADMIN_ROLE") for name, address in administered]
        for name, address, role in renounce:
            data = _contract(w3, build_dir, name, address).functions.renounceRole(_role(role), op)
            sender.send(address, data._encode_transaction_data(), CALL_GAS, f"renounce {role} on {name}")
        if test_chain and w3.eth.get_balance(gov) < GOVERNANCE_GAS_MONEY // 10:
            sender.send(gov, b"", 21_000, "gas money for the governance account", value=GOVERNANCE_GAS_MONEY)

    return {
        "chain_id": int(w3.eth.chain_id),
        "deployer": op,
        "governance": gov,
        "block": first_block,
        "contracts": {
            "identity_registry": registry,
            "asset_factory": factory,
            "settlement_exchange": exchange,
            "cash_token": cash,
            "revenue_distributor": distributor,
            "audit_anchor": anchor,
        },
    }


def write_record(record: dict[str, Any], path: Path) -> Path:
    """Write `record` as JSON atomically (a reader never sees a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n")
    temporary.replace(path)
    return path


def _contract(w3: Web3, build_dir: Path, name: str, address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=_artifact(build_dir, name)["abi"])


def _role(name: str) -> bytes:
    return b"\x00" * 32 if name == "DEFAULT_ADMIN_ROLE" else keccak(text=name)


def _artifact(build_dir: Path, name: str) -> dict[str, Any]:
    path = build_dir / f"{name}.json"
    if not path.exists():
        raise DeployError(f"{path} is missing: run `make compile` first")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


class _Sender:
    """One account's transactions, one at a time, each waited for and checked."""

    def __init__(self, w3: Web3, deployer: LocalAccount | str):
        self.w3 = w3
        self.account = None if isinstance(deployer, str) else deployer
        self.address = Web3.to_checksum_address(deployer if isinstance(deployer, str) else deployer.address)

    def send(self, to: str | None, data: Any, gas: int, what: str, value: int = 0) -> Any:
        tx: dict[str, Any] = {
            "from": self.address,
            "data": data,
            "gas": gas,
            "gasPrice": self.w3.eth.gas_price,
            "value": value,
        }
        if to is not None:
            tx["to"] = to
        if self.account is None:
            tx_hash = self.w3.eth.send_transaction(tx)  # type: ignore[arg-type]
        else:
            tx["nonce"] = self.w3.eth.get_transaction_count(self.address, "pending")
            tx["chainId"] = self.w3.eth.chain_id
            signed = self.account.sign_transaction(tx)
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT)
        if receipt["status"] != 1:
            raise DeployError(f"{what} reverted (transaction {receipt['transactionHash'].to_0x_hex()})")
        return receipt
