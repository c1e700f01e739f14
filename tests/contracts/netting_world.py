"""Twin worlds for the netting differential test (test_settlement_netting_differential.py).

A world is one complete deployment, as tests/contracts/conftest.py deploys it: identity
registry, cash, revenue distributor, asset factory, settlement exchange and three assets with
non-trivial compliance rules. Two worlds live on the same ganache (same clock, same investor
wallets); every action but settlement is applied to both, so they differ only in how batches
settle. `read_state` reads everything a netting bug could change, through one JSON-RPC batch of
eth_calls per world (hundreds of values; one HTTP round trip instead of hundreds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import solcx
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
    web3,
)
from eth_abi import decode, encode
from eth_typing import HexStr
from eth_utils import keccak
from helpers import (
    COUNTRY_DE,
    COUNTRY_FR,
    COUNTRY_US,
    DAY,
    E18,
    EQUITY,
    FARM,
    OIL_WELL,
    SUPPLY_CAP,
    order_hash,
    order_tuple,
    private_key_of,
)

MAX_UINT = 2**256 - 1
USD = 10**6
COUNTRY_GB = 826


@dataclass(frozen=True)
class AssetSpec:
    """An asset and its rules: (allowed countries, accredited only, max holders, max balance, lock-up)."""

    symbol: str
    asset_class: int
    countries: tuple[int, ...]
    accredited_only: bool
    max_holders: int
    max_balance: int
    lockup: int


# Every rule bites somewhere: EQ has a holder cap, a balance cap, a lock-up and excludes FR;
# OIL is accredited-only with a tight balance cap; FARM has a tight holder cap and a lock-up.
ASSETS = (
    AssetSpec("EQ", EQUITY, (COUNTRY_US, COUNTRY_DE, COUNTRY_GB), False, 14, 400 * E18, 30 * DAY),
    AssetSpec("OIL", OIL_WELL, (), True, 0, 250 * E18, 0),
    AssetSpec("FARM", FARM, (), False, 9, 0, 7 * DAY),
)
COUNTRIES = (COUNTRY_US, COUNTRY_DE, COUNTRY_FR, COUNTRY_GB)


@dataclass
class Roles:
    admin: Any
    registrar: Any
    agent: Any
    issuer: Any
    operator: Any


@dataclass
class World:
    name: str
    registry: Any
    cash: Any
    distributor: Any
    exchange: Any
    assets: list[Any] = field(default_factory=list)
    rules: list[Any] = field(default_factory=list)


def deploy_world(name: str, roles: Roles) -> World:
    """The deployment of conftest.py's fixtures (registry, cash, distributor, factory, exchange)."""
    admin = roles.admin
    tx = {"from": admin}
    registry = IdentityRegistry.deploy(admin, tx)
    registry.grantRole(registry.REGISTRAR_ROLE(), roles.registrar, tx)
    cash = CashToken.deploy(admin, tx)
    distributor = RevenueDistributor.deploy(cash, admin, tx)
    factory = AssetFactory.deploy(
        registry, distributor, AssetTokenDeployer.deploy(tx), ComplianceRulesDeployer.deploy(tx), admin, tx
    )
    factory.grantRole(factory.DEPLOYER_ROLE(), roles.agent, tx)
    distributor.grantRole(distributor.ASSET_REGISTRAR_ROLE(), factory, tx)
    exchange = SettlementExchange.deploy(cash, admin, tx)
    exchange.grantRole(exchange.OPERATOR_ROLE(), roles.operator, tx)
    world = World(name, registry, cash, distributor, exchange)
    for spec in ASSETS:
        created = factory.createAsset(
            f"{spec.symbol} {name}",
            spec.symbol,
            spec.asset_class,
            "ipfs://terms",
            roles.issuer,
            SUPPLY_CAP,
            {"from": roles.agent},
        ).events["AssetCreated"]
        world.assets.append(AssetToken.at(created["token"]))
        world.rules.append(ComplianceRules.at(created["rules"]))
    return world


@dataclass
class Investor:
    account: Any
    key: str
    country: int
    accredited: bool

    @property
    def address(self) -> str:
        return str(self.account.address)


def make_investors(count: int, funder: Any) -> list[Investor]:
    """`count` wallets of the test mnemonic beyond ganache's ten, funded with gas money."""
    investors = []
    for n in range(count):
        key = private_key_of(10 + n)
        account = accounts.add(key)
        if account.balance() < 10**18:
            funder.transfer(account, 5 * 10**18)
        investors.append(Investor(account, key, COUNTRIES[n % len(COUNTRIES)], n % 3 != 2))
    return investors


class Twin:
    """The two worlds; `both(action)` applies an action to each and returns both results."""

    def __init__(self, netted: World, sequential: World, roles: Roles, investors: list[Investor], probe: str):
        self.probe = probe  # NettingProbe's address (stateless: reads both worlds)
        self.netted = netted
        self.sequential = sequential
        self.worlds = (netted, sequential)
        self.roles = roles
        self.investors = investors

    def both(self, action: Callable[[World], Any]) -> tuple[Any, Any]:
        return action(self.netted), action(self.sequential)


# --- reading state ------------------------------------------------------------------------------


# A multicall: one eth_call makes every view call of a reading (ganache spends ~10 ms on each
# eth_call, so a reading of ~1,000 values costs one call instead of ten seconds). Compiled here,
# not in contracts/: it is the test's reading instrument, deployed by the test alone.
PROBE_SOURCE = """
// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;
contract NettingProbe {
    function probe(address[] calldata targets, bytes[] calldata data) external view returns (bytes[] memory results) {
        results = new bytes[](targets.length);
        for (uint256 i = 0; i < targets.length; ++i) {
            (bool ok, bytes memory result) = targets[i].staticcall(data[i]);
            require(ok, "probe call reverted");
            results[i] = result;
        }
    }
}
"""
_PROBE_SELECTOR = keccak(text="probe(address[],bytes[])")[:4]


def deploy_probe(deployer: Any) -> str:
    """Deploy NettingProbe from `deployer` (a node-held account); its address."""
    tx_hash = web3.eth.send_transaction({"from": str(deployer), "data": HexStr(_probe_bytecode()), "gas": 2_000_000})
    return str(web3.eth.wait_for_transaction_receipt(tx_hash)["contractAddress"])


@cache
def _probe_bytecode() -> str:
    compiled = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"NettingProbe.sol": {"content": PROBE_SOURCE}},
            "settings": {
                "evmVersion": "berlin",
                "optimizer": {"enabled": True, "runs": 200},
                "outputSelection": {"*": {"NettingProbe": ["evm.bytecode.object"]}},
            },
        },
        solc_version="0.8.28",
    )
    return "0x" + compiled["contracts"]["NettingProbe.sol"]["NettingProbe"]["evm"]["bytecode"]["object"]


class CallBatch:
    """View calls collected under keys and made in one eth_call (through NettingProbe)."""

    def __init__(self, probe: str) -> None:
        self._probe = probe
        self._calls: list[tuple[Any, Any, Any]] = []

    def add(self, key: Any, method: Any, *args: Any) -> None:
        self._calls.append((key, method, args))

    def run(self) -> dict[Any, Any]:
        if not self._calls:
            return {}
        targets = [str(method._address) for _, method, _ in self._calls]
        data = [bytes.fromhex(method.encode_input(*args)[2:]) for _, method, args in self._calls]
        call = _PROBE_SELECTOR + encode(["address[]", "bytes[]"], [targets, data])
        output = web3.eth.call({"to": self._probe, "data": HexStr("0x" + call.hex()), "gas": 29_000_000})
        (results,) = decode(["bytes[]"], bytes(output))
        return {
            key: method.decode_output("0x" + r.hex()) for (key, method, _), r in zip(self._calls, results, strict=True)
        }


@dataclass
class ReadPlan:
    """What to read besides the totals: asset and cash balances, claimable revenue, locks and
    nonce bitmap words (up to `nonce_words[wallet]`) of `wallets`; frozen amounts of
    `frozen_wallets`; the fill of each order in `orders` (key -> this world's order)."""

    wallets: list[str]
    frozen_wallets: list[str]
    nonce_words: dict[str, int]
    orders: dict[Any, dict]


def read_state(world: World, probe: str, plan: ReadPlan) -> dict[Any, Any]:
    """Every value settlement may change, keyed so that both worlds' readings compare directly."""
    batch = CallBatch(probe)
    for a, (token, rules) in enumerate(zip(world.assets, world.rules, strict=True)):
        batch.add(("supply", a), token.totalSupply)
        batch.add(("holders", a), rules.holderCount)
        batch.add(("deposited", a), world.distributor.totalDeposited, token)
        batch.add(("claimed", a), world.distributor.totalClaimed, token)
        for w in plan.wallets:
            batch.add(("balance", a, w), token.balanceOf, w)
            batch.add(("claimable", a, w), world.distributor.claimable, token, w)
            batch.add(("lock", a, w), rules.lockOf, w)
        for w in plan.frozen_wallets:
            batch.add(("frozen", a, w), token.frozenTokens, w)
    for w in plan.wallets:
        batch.add(("cash", w), world.cash.balanceOf, w)
    batch.add(("cash", "exchange"), world.cash.balanceOf, world.exchange)
    batch.add(("cash", "distributor"), world.cash.balanceOf, world.distributor)
    for key, o in plan.orders.items():
        batch.add(("filled", key), *filled_call(world.exchange, o))
    if hasattr(world.exchange, "nonceBitmap"):
        for w in plan.wallets:
            for word in range(plan.nonce_words.get(w, 0) + 1):
                batch.add(("nonce bits", w, word), world.exchange.nonceBitmap, w, word)
    return batch.run()


def filled_call(exchange: Any, o: dict) -> tuple[Any, ...]:
    """The view giving an order's filled quantity, with its arguments: filled(Order) since the
    nonce bitmap (issue 17), filled(bytes32 orderHash) before (the one place that knows)."""
    if exchange.filled.abi["inputs"][0]["type"] == "tuple":
        return exchange.filled, order_tuple(o)
    return exchange.filled, "0x" + order_hash(exchange, o).hex()
