"""scripts/deploy.py: deploys and wires everything, writes the record the service reads."""

import json

from brownie import (
    AssetFactory,
    AssetToken,
    CashToken,
    IdentityRegistry,
    RevenueDistributor,
    SettlementExchange,
    accounts,
    chain,
    web3,
)
from helpers import E18, EQUITY

KEYS = {
    "identity_registry",
    "asset_factory",
    "settlement_exchange",
    "cash_token",
    "revenue_distributor",
    "audit_anchor",
}


def _deploy_module():
    import importlib

    return importlib.import_module("scripts.deploy")


def test_deploy_returns_the_record_shape():
    record = _deploy_module().deploy(accounts[0])

    assert set(record) == {"chain_id", "deployer", "governance", "block", "contracts"}
    assert record["chain_id"] == chain.id
    assert record["deployer"] == accounts[0].address
    assert isinstance(record["block"], int) and 0 < record["block"] <= chain.height
    assert set(record["contracts"]) == KEYS
    for address in record["contracts"].values():
        assert len(web3.eth.get_code(address)) > 0
    # the record's block contains the first deployment (the registry)
    assert (
        web3.eth.get_transaction_receipt(web3.eth.get_block(record["block"])["transactions"][0])["contractAddress"]
        == record["contracts"]["identity_registry"]
    )


def test_deployer_holds_the_operating_roles():
    record = _deploy_module().deploy(accounts[0])
    operator = accounts[0]
    c = record["contracts"]
    registry = IdentityRegistry.at(c["identity_registry"])
    cash = CashToken.at(c["cash_token"])
    distributor = RevenueDistributor.at(c["revenue_distributor"])
    factory = AssetFactory.at(c["asset_factory"])
    exchange = SettlementExchange.at(c["settlement_exchange"])

    assert registry.hasRole(registry.REGISTRAR_ROLE(), operator)
    assert cash.hasRole(cash.MINTER_ROLE(), operator)
    assert not hasattr(distributor, "DEPOSITOR_ROLE")  # the issuer deposits, with its own cash
    assert distributor.hasRole(distributor.ASSET_REGISTRAR_ROLE(), factory)
    assert factory.hasRole(factory.DEPLOYER_ROLE(), operator)
    assert exchange.hasRole(exchange.OPERATOR_ROLE(), operator)
    for contract in (registry, cash, distributor, factory, exchange):
        assert contract.hasRole("0x" + "00" * 32, operator)
    assert exchange.cashToken() == cash == distributor.cashToken()
    assert factory.identityRegistry() == registry and factory.revenueDistributor() == distributor


def test_deployed_system_creates_and_trades_an_asset():
    record = _deploy_module().deploy(accounts[0])
    operator, alice = accounts[0], accounts[5]
    c = record["contracts"]
    registry = IdentityRegistry.at(c["identity_registry"])
    factory = AssetFactory.at(c["asset_factory"])
    registry.registerInvestor(alice, 840, True, chain.time() + 3600, {"from": operator})
    tx = factory.createAsset("Acme", "ACME", EQUITY, "ipfs://terms", operator, 1000 * E18, {"from": operator})
    token = AssetToken.at(tx.events["AssetCreated"]["token"])
    token.mint(alice, E18, {"from": operator})
    assert token.balanceOf(alice) == E18


def test_main_writes_the_record_file(tmp_path, monkeypatch):
    target = tmp_path / "nested" / "deployment.json"
    monkeypatch.setenv("RWA_DEPLOYMENT_FILE", str(target))
    record = _deploy_module().main()

    assert json.loads(target.read_text()) == record
    assert set(record["contracts"]) == KEYS


def test_default_record_path(monkeypatch):
    module = _deploy_module()
    monkeypatch.delenv("RWA_DEPLOYMENT_FILE", raising=False)
    assert module.record_path() == module.PROJECT_ROOT / ".rwa" / "deployment.json"
