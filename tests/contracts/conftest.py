"""Shared fixtures for the contract tests (brownie).

Module-scoped deployments, function isolation (every test starts from the module's snapshot),
accounts named by role. Helpers for exact custom-error matching and EIP-712 order signing live
in ``helpers.py``.
"""

import os

import harness
import pytest
from brownie import (
    AssetFactory,
    AssetToken,
    AssetTokenDeployer,
    CashToken,
    ComplianceRules,
    ComplianceRulesDeployer,
    IdentityRegistry,
    RevenueDistributor,
    SettlementExchange,
    accounts,
    chain,
)
from helpers import COUNTRY_DE, COUNTRY_US, EQUITY, SUPPLY_CAP, YEAR, private_key_of


@pytest.fixture(scope="session", autouse=True)
def fast_brownie(request):
    """Work around brownie 1.22's per-test and per-revert overheads (see harness.py).

    RWA_TRACE_REVERTS=1 (or --coverage, which needs traces) keeps brownie's trace replay of
    reverted transactions, and with it the source tracebacks of unexpected reverts.
    """
    keep_traces = os.environ.get("RWA_TRACE_REVERTS") == "1" or request.config.getoption("coverage", False)
    with harness.cheap_snapshots(), harness.revert_data_without_traces(enabled=not keep_traces):
        yield


@pytest.fixture(scope="function", autouse=True)
def isolate(fn_isolation):
    """Every test runs on a snapshot and is rolled back afterwards."""


# --- accounts named by role ----------------------------------------------------------------


@pytest.fixture(scope="module")
def admin():
    return accounts[0]


@pytest.fixture(scope="module")
def registrar():
    return accounts[1]


@pytest.fixture(scope="module")
def agent():
    """Creates assets through the factory, so it is admin, agent and rules admin of each."""
    return accounts[2]


@pytest.fixture(scope="module")
def issuer():
    return accounts[3]


@pytest.fixture(scope="module")
def operator():
    return accounts[4]


@pytest.fixture(scope="module")
def alice():
    return accounts[5]


@pytest.fixture(scope="module")
def bob():
    return accounts[6]


@pytest.fixture(scope="module")
def carol():
    return accounts[7]


@pytest.fixture(scope="module")
def dave():
    return accounts[8]


@pytest.fixture(scope="module")
def mallory():
    """Never registered in the identity registry."""
    return accounts[9]


# --- deployments ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry(admin, registrar):
    contract = IdentityRegistry.deploy(admin, {"from": admin})
    contract.grantRole(contract.REGISTRAR_ROLE(), registrar, {"from": admin})
    return contract


@pytest.fixture(scope="module")
def cash(admin):
    return CashToken.deploy(admin, {"from": admin})


@pytest.fixture(scope="module")
def distributor(cash, admin, issuer):
    return RevenueDistributor.deploy(cash, admin, {"from": admin})


@pytest.fixture(scope="module")
def factory(registry, distributor, admin, agent):
    token_deployer = AssetTokenDeployer.deploy({"from": admin})
    rules_deployer = ComplianceRulesDeployer.deploy({"from": admin})
    contract = AssetFactory.deploy(registry, distributor, token_deployer, rules_deployer, admin, {"from": admin})
    contract.grantRole(contract.DEPLOYER_ROLE(), agent, {"from": admin})
    distributor.grantRole(distributor.ASSET_REGISTRAR_ROLE(), contract, {"from": admin})
    return contract


@pytest.fixture(scope="module")
def exchange(cash, admin, operator):
    contract = SettlementExchange.deploy(cash, admin, {"from": admin})
    contract.grantRole(contract.OPERATOR_ROLE(), operator, {"from": admin})
    return contract


@pytest.fixture(scope="module")
def create_asset(factory, agent, issuer):
    """create_asset(symbol, asset_class=EQUITY, supply_cap=SUPPLY_CAP) -> (AssetToken, ComplianceRules)."""

    def _create(symbol, asset_class=EQUITY, name=None, terms="ipfs://terms", supply_cap=SUPPLY_CAP):
        tx = factory.createAsset(
            name or f"{symbol} asset", symbol, asset_class, terms, issuer, supply_cap, {"from": agent}
        )
        event = tx.events["AssetCreated"]
        return AssetToken.at(event["token"]), ComplianceRules.at(event["rules"])

    return _create


@pytest.fixture(scope="module")
def investors(registry, registrar, alice, bob, carol, dave):
    """alice (US, accredited), bob (DE), carol (US), dave (DE, accredited); mallory is unregistered."""
    expiry = chain.time() + 10 * YEAR
    registry.registerInvestor(alice, COUNTRY_US, True, expiry, {"from": registrar})
    registry.registerInvestor(bob, COUNTRY_DE, False, expiry, {"from": registrar})
    registry.registerInvestor(carol, COUNTRY_US, False, expiry, {"from": registrar})
    registry.registerInvestor(dave, COUNTRY_DE, True, expiry, {"from": registrar})
    return [alice, bob, carol, dave]


@pytest.fixture(scope="module")
def asset_pair(create_asset, investors):
    return create_asset("ACME", EQUITY, name="Acme Corp shares")


@pytest.fixture(scope="module")
def token(asset_pair):
    return asset_pair[0]


@pytest.fixture(scope="module")
def rules(asset_pair):
    return asset_pair[1]


@pytest.fixture(scope="module")
def keys():
    """address -> private key of ganache's deterministic accounts (for EIP-712 signing)."""
    return {acct.address: private_key_of(i) for i, acct in enumerate(accounts[:10])}


# --- a funded market for settlement ---------------------------------------------------------

MAX_UINT = 2**256 - 1


@pytest.fixture(scope="module")
def market(token, cash, exchange, agent, admin, alice, bob, carol, dave):
    """alice and carol hold 1,000 ACME each; bob and dave hold 1,000,000 cash each; all approved."""
    for seller in (alice, carol):
        token.mint(seller, 1000 * 10**18, {"from": agent})
        token.approve(exchange, MAX_UINT, {"from": seller})
    for buyer in (bob, dave):
        cash.mint(buyer, 1_000_000 * 10**6, {"from": admin})
        cash.approve(exchange, MAX_UINT, {"from": buyer})
    return token


@pytest.fixture(scope="module")
def sign(exchange, keys):
    """sign(order) -> the trader's EIP-712 signature (eth_account, independent of the contract)."""
    from helpers import sign_order

    def _sign(o, signer=None):
        key = keys[str(signer) if signer is not None else o["trader"]]
        return sign_order(exchange, o, key)

    return _sign


@pytest.fixture(scope="module")
def tid(exchange):
    """tid(trade tuple) -> its derived on-chain trade id (0x hex), computed in Python."""
    from helpers import trade_id_of

    return lambda t: trade_id_of(exchange, t)


# --- stateful testing -------------------------------------------------------------------------


@pytest.fixture
def state_machine():
    """brownie's rule-based state machine runner (see harness.pure_python_stateful for why ours)."""
    yield harness.pure_python_stateful().state_machine
