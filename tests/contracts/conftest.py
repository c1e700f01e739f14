"""Shared fixtures for the contract tests (brownie).

Module-scoped deployments, function isolation (every test starts from the module's snapshot),
accounts named by role. Helpers for exact custom-error matching and EIP-712 order signing live
in ``helpers.py``.
"""

import gc
import os
import sys
from types import SimpleNamespace

import pytest
import brownie.exceptions as brownie_exceptions
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
    web3,
)

from helpers import COUNTRY_DE, COUNTRY_US, EQUITY, FARM, OIL_WELL, YEAR, private_key_of  # noqa: F401


def _replayed_revert_data(txid):
    """The revert data of a reverted transaction, by replaying it as an eth_call (None if the
    replay does not revert the same way)."""
    tx = web3.eth.get_transaction(txid)
    call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"], "value": tx["value"]}
    try:
        web3.eth.call(call)
    except Exception as exc:  # noqa: BLE001 - we only want the revert payload
        payload = brownie_exceptions._normalize_rpc_error_payload(exc)
        data = payload.get("data") if isinstance(payload, dict) else None
        if isinstance(data, dict):  # brownie's middleware shape: {"0x": {"error", "reason"}}
            data = next((v.get("reason") for v in data.values() if isinstance(v, dict)), None)
        if isinstance(data, str) and data.startswith("0x"):
            return data
    return None


def _with_replayed_revert_data(normalize):
    """Wrap brownie's error normaliser: ganache 7 reports a reverted transaction without its
    revert data when it is a custom error, and brownie 1.22 then replays the whole trace
    (debug_traceTransaction) to decode it. An eth_call replay gives the same data far faster."""

    def _normalize(exc_data):
        data = normalize(exc_data)
        if isinstance(data, dict):
            for txid, entry in data.items():
                if isinstance(entry, dict) and entry.get("error") == "revert" and not entry.get("reason"):
                    replayed = _replayed_revert_data(txid)
                    if replayed is not None and len(replayed) > 2:
                        entry["reason"] = replayed
        return data

    return _normalize


@pytest.fixture(scope="session", autouse=True)
def fast_reverts(request):
    """Decode reverted transactions without brownie's full trace replay.

    ``brownie.reverts`` compares only the revert data; the trace adds a source traceback and
    costs a few hundred ms per revert. Set RWA_TRACE_REVERTS=1 (or run with --coverage, which
    needs traces) to get brownie's default behaviour and tracebacks back.
    """
    if (
        os.environ.get("RWA_TRACE_REVERTS") == "1"
        or request.config.getoption("coverage", False)
        or not hasattr(brownie_exceptions, "_normalize_tx_error_data")  # another brownie version
    ):
        yield
        return
    original = brownie_exceptions._normalize_tx_error_data
    brownie_exceptions._normalize_tx_error_data = _with_replayed_revert_data(original)
    web3._supports_traces = False
    yield
    brownie_exceptions._normalize_tx_error_data = original
    web3._supports_traces = None


class _CallerOnlyInspect:
    """Stand-in for the ``inspect`` module inside brownie.network.rpc.

    brownie 1.22 wraps every Rpc method (snapshot, revert, sleep, mine) in a guard that calls
    ``inspect.stack()[1]`` just to look at its caller; ``inspect.stack()`` reads the source of
    every frame of pytest's deep stack, ~0.1 s each, three times per test for fn_isolation.
    This returns the same two frames without building the rest.
    """

    @staticmethod
    def stack():
        guard = sys._getframe(1)
        return [SimpleNamespace(frame=guard), SimpleNamespace(frame=guard.f_back)]


@pytest.fixture(scope="session", autouse=True)
def fast_rpc_guard():
    """Cheap snapshot/revert: see _CallerOnlyInspect. Also moves everything loaded so far
    (project build, ABIs, compiled sources) out of the garbage collector's reach with
    gc.freeze(): brownie runs a full gc.collect() on every revert, twice per test."""
    gc.freeze()
    module = sys.modules.get("brownie.network.rpc")
    original = getattr(module, "inspect", None)
    if module is None or original is None:
        yield
        return
    module.inspect = _CallerOnlyInspect
    yield
    module.inspect = original


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
    contract = RevenueDistributor.deploy(cash, admin, {"from": admin})
    contract.grantRole(contract.DEPOSITOR_ROLE(), issuer, {"from": admin})
    return contract


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
    """create_asset(symbol, asset_class=EQUITY) -> (AssetToken, ComplianceRules)."""

    def _create(symbol, asset_class=EQUITY, name=None, terms="ipfs://terms"):
        tx = factory.createAsset(name or f"{symbol} asset", symbol, asset_class, terms, issuer, {"from": agent})
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


# --- stateful testing -------------------------------------------------------------------------


def _pure_python_stateful():
    """brownie.test.stateful from its .py source.

    eth-brownie 1.22.2 ships that module compiled with mypyc, and the compiled
    ``_BrownieStateMachine.__init__`` rejects the subclass ``state_machine()`` itself generates
    ("_BrownieStateMachine object expected; got ...BrownieStateMachine"), so every
    ``state_machine(...)`` call fails. The pure-Python source next to the extension works.
    """
    import importlib.util
    import sys

    import brownie.test

    name = "brownie_test_stateful_py"
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(brownie.test.__file__), "stateful.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


@pytest.fixture
def state_machine():
    """brownie's rule-based state machine runner (see _pure_python_stateful for why ours)."""
    yield _pure_python_stateful().state_machine
