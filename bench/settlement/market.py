"""The benchmark's market: the contracts deployed by backend.chain.deploy (the one deployment
the demo, the service and the tests use), one asset with compliance applied, and investors
registered, funded and approved to the exchange."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from web3 import Web3

from backend.chain.deploy import deploy_contracts
from backend.config import ROOT
from bench.settlement.rpc import Rpc, run_and_check
from bench.settlement.sender import Sender

BUILD = ROOT / "build" / "contracts"
ASSET_UNIT = 10**18
CASH_UNIT = 10**6
COUNTRY = 840


@dataclass
class Contracts:
    w3: Web3
    registry: Any
    cash: Any
    factory: Any
    exchange: Any
    asset: Any = None
    rules: Any = None


def artifact(name: str) -> dict:
    data: dict = json.loads((BUILD / f"{name}.json").read_text())
    return data


def deploy(w3: Web3, operator_key: str) -> Contracts:
    """backend.chain.deploy's contracts and roles, from the operator's key. Deploy before
    making the operator's Sender: the deployment takes nonces the Sender must not reuse."""
    record = deploy_contracts(w3, Account.from_key(operator_key), build_dir=BUILD)
    addresses = record["contracts"]

    def at(name: str, key: str) -> Any:
        return w3.eth.contract(address=Web3.to_checksum_address(addresses[key]), abi=artifact(name)["abi"])

    return Contracts(
        w3=w3,
        registry=at("IdentityRegistry", "identity_registry"),
        cash=at("CashToken", "cash_token"),
        factory=at("AssetFactory", "asset_factory"),
        exchange=at("SettlementExchange", "settlement_exchange"),
    )


def onboard(rpc: Rpc, c: Contracts, op: Sender, investors: list[Sender]) -> None:
    """One asset with compliance applied, investors registered, funded and approved."""
    w3 = c.w3
    args: list[Any] = ["Bench Shares", "BNCH", 0, "ipfs://bench-terms", op.address]
    if len(c.factory.get_function_by_name("createAsset").abi["inputs"]) > len(args):
        args.append(2**255)  # a factory with a supply cap: one that never binds here
    fn = c.factory.functions.createAsset(*args)
    run_and_check(
        rpc, [op.sign(to=c.factory.address, data=fn._encode_transaction_data(), gas=12_000_000)], "createAsset"
    )
    token = c.factory.functions.tokenBySymbol("BNCH").call()
    c.asset = w3.eth.contract(address=token, abi=artifact("AssetToken")["abi"])
    c.rules = w3.eth.contract(
        address=c.asset.functions.complianceRules().call(), abi=artifact("ComplianceRules")["abi"]
    )
    # every rule active (no lock-up: a buyer must be able to sell in the next batch)
    huge = 10**12 * ASSET_UNIT
    raws = [
        op.sign(
            to=c.rules.address,
            gas=500_000,
            data=c.rules.functions.setRules([COUNTRY, 826, 276], False, 1000, huge, 0)._encode_transaction_data(),
        )
    ]
    expiry = int(time.time()) + 10 * 365 * 86400
    for inv in investors:
        raws.append(
            op.sign(
                to=c.registry.address,
                gas=300_000,
                data=c.registry.functions.registerInvestor(
                    inv.address, COUNTRY, True, expiry
                )._encode_transaction_data(),
            )
        )
    for inv in investors:
        raws.append(
            op.sign(
                to=c.asset.address,
                gas=400_000,
                data=c.asset.functions.mint(inv.address, 10**9 * ASSET_UNIT)._encode_transaction_data(),
            )
        )
        raws.append(
            op.sign(
                to=c.cash.address,
                gas=200_000,
                data=c.cash.functions.mint(inv.address, 10**12 * CASH_UNIT)._encode_transaction_data(),
            )
        )
    run_and_check(rpc, raws, "onboarding")
    approvals = []
    for inv in investors:
        for token_contract in (c.asset, c.cash):
            approvals.append(
                inv.sign(
                    to=token_contract.address,
                    gas=100_000,
                    data=token_contract.functions.approve(c.exchange.address, 2**256 - 1)._encode_transaction_data(),
                )
            )
    run_and_check(rpc, approvals, "approvals")
