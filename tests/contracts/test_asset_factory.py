"""AssetFactory: one call creates a bound token + rule set for each asset class, under EIP-170."""

import pytest
from brownie import AssetFactory, AssetToken, AssetTokenDeployer, ComplianceRules, ComplianceRulesDeployer, web3
from helpers import E18, EQUITY, FARM, OIL_WELL, SUPPLY_CAP, ZERO_ADDRESS, missing_role, reverts

EIP170_LIMIT = 24576


@pytest.mark.parametrize(
    "symbol,asset_class,terms",
    [
        ("ACMEX", EQUITY, "ipfs://acme-articles"),
        ("WELL7", OIL_WELL, "ipfs://well-7-royalty-deed"),
        ("FARM3", FARM, "ipfs://farm-3-revenue-share"),
    ],
)
def test_create_each_asset_class(factory, registry, distributor, agent, issuer, symbol, asset_class, terms):
    tx = factory.createAsset(f"{symbol} asset", symbol, asset_class, terms, issuer, SUPPLY_CAP, {"from": agent})

    event = tx.events["AssetCreated"]
    token = AssetToken.at(event["token"])
    rules = ComplianceRules.at(event["rules"])
    assert (event["symbol"], event["assetClass"], event["issuer"]) == (symbol, asset_class, issuer)
    assert token.assetClass() == asset_class
    assert token.termsURI() == terms
    assert token.symbol() == symbol and token.decimals() == 18
    assert token.complianceRules() == rules and rules.token() == token
    assert token.identityRegistry() == registry == rules.identityRegistry()
    assert token.revenueDistributor() == distributor
    assert distributor.isRegisteredAsset(token)
    assert factory.tokenBySymbol(symbol) == token
    assert list(factory.allTokens()) == [token]


def test_creator_and_issuer_roles(factory, agent, issuer, create_asset):
    token, rules = create_asset("ROLE")
    assert token.hasRole(token.DEFAULT_ADMIN_ROLE(), agent)
    assert token.hasRole(token.AGENT_ROLE(), agent)
    assert rules.hasRole(rules.DEFAULT_ADMIN_ROLE(), agent)
    assert rules.hasRole(rules.RULES_ADMIN_ROLE(), agent)
    assert token.hasRole(token.ISSUER_ROLE(), issuer)
    assert not token.hasRole(token.AGENT_ROLE(), issuer)
    # the factory keeps no power over what it created
    for role in (token.DEFAULT_ADMIN_ROLE(), token.AGENT_ROLE()):
        assert not token.hasRole(role, factory)
    assert not rules.hasRole(rules.RULES_ADMIN_ROLE(), factory)


def test_created_token_works_end_to_end(create_asset, investors, agent, alice, bob):
    token, rules = create_asset("E2E", FARM)
    token.mint(alice, 5 * E18, {"from": agent})
    token.transfer(bob, 2 * E18, {"from": alice})
    assert rules.holderCount() == 2


def test_symbol_must_be_unique(factory, agent, issuer, create_asset):
    create_asset("DUP")
    with reverts("AssetFactorySymbolTaken(string)", "DUP"):
        factory.createAsset("again", "DUP", EQUITY, "", issuer, SUPPLY_CAP, {"from": agent})


def test_only_deployer_role_creates(factory, issuer, mallory):
    with missing_role(mallory, factory.DEPLOYER_ROLE()):
        factory.createAsset("x", "X", EQUITY, "", issuer, SUPPLY_CAP, {"from": mallory})


def test_unknown_symbol_is_zero_and_views(factory, registry, distributor):
    assert factory.tokenBySymbol("NOPE") == ZERO_ADDRESS
    assert factory.identityRegistry() == registry
    assert factory.revenueDistributor() == distributor


def test_asset_without_issuer(factory, agent):
    tx = factory.createAsset("No issuer", "NOISS", EQUITY, "", ZERO_ADDRESS, SUPPLY_CAP, {"from": agent})
    token = AssetToken.at(tx.events["AssetCreated"]["token"])
    assert not token.hasRole(token.ISSUER_ROLE(), ZERO_ADDRESS)


def test_factory_and_created_contracts_under_eip170_size_limit(factory, create_asset):
    token, rules = create_asset("SIZE")
    sizes = {
        "AssetFactory": len(web3.eth.get_code(factory.address)),
        "AssetTokenDeployer": len(web3.eth.get_code(factory.tokenDeployer())),
        "ComplianceRulesDeployer": len(web3.eth.get_code(factory.rulesDeployer())),
        "AssetToken": len(web3.eth.get_code(token.address)),
        "ComplianceRules": len(web3.eth.get_code(rules.address)),
    }
    print("runtime sizes:", sizes)
    for name, size in sizes.items():
        assert 0 < size <= EIP170_LIMIT, name


def test_factory_rejects_zero_addresses(registry, distributor, admin):
    token_deployer = AssetTokenDeployer.deploy({"from": admin})
    rules_deployer = ComplianceRulesDeployer.deploy({"from": admin})
    with reverts("AssetFactoryZeroAddress()"):
        AssetFactory.deploy(ZERO_ADDRESS, distributor, token_deployer, rules_deployer, admin, {"from": admin})
    # a factory without distributor is allowed: its tokens notify no one
    bare = AssetFactory.deploy(registry, ZERO_ADDRESS, token_deployer, rules_deployer, admin, {"from": admin})
    bare.grantRole(bare.DEPLOYER_ROLE(), admin, {"from": admin})
    tx = bare.createAsset("Bare", "BARE", EQUITY, "", ZERO_ADDRESS, SUPPLY_CAP, {"from": admin})
    assert AssetToken.at(tx.events["AssetCreated"]["token"]).revenueDistributor() == ZERO_ADDRESS
