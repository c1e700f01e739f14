"""The differential itself: populate both worlds alike, settle a batch netted (one settle() in
the netted world) and one trade at a time (the sequential world), compare everything.

Between batches `perturb` does to both worlds what the market's operators and investors do:
freezes and unfreezes, de-whitelisting, partial freezes, issuance under lock-up, revenue
deposits and claims, on-chain cancels, tighter holder caps. Outcomes are never predicted here;
the sequential world is the reference, and the per-trade restriction code it reports (read just
before each of its trades) only feeds the statistics that show which rules were exercised.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from brownie import chain
from helpers import DAY, E18, YEAR, ZERO_ADDRESS, settle_trades, trade_id_of
from netting_batches import LOT, Generator, Knowledge, Signer, TradeSpec
from netting_world import ASSETS, MAX_UINT, USD, ReadPlan, Twin, read_state

GAS = {"gas_limit": 25_000_000}


def _tx(sender: Any) -> dict:
    return {"from": sender, **GAS}


def outcomes(exchange: Any, tx: Any, trades: list[tuple]) -> list[int]:
    """Per trade of `trades` (settled in `tx`): 0 for TradeSettled, else its TradeFailed code.
    Every trade must have exactly one outcome event (a duplicate's id is its original's)."""
    index: dict[str, list[int]] = {}
    for i, t in enumerate(trades):
        index.setdefault(trade_id_of(exchange, t), []).append(i)
    result: list[int | None] = [None] * len(trades)
    events = [(e, 0) for e in tx.events["TradeSettled"]] if "TradeSettled" in tx.events else []
    events += [(e, int(e["code"])) for e in tx.events["TradeFailed"]] if "TradeFailed" in tx.events else []
    for event, code in events:
        slots = index[str(event["tradeId"])]
        free = [i for i in slots if result[i] is None]
        assert free, f"more outcome events than trades for id {event['tradeId']}"
        result[free[0]] = code
    assert None not in result, f"trades without an outcome event: {result}"
    return [int(r) for r in result if r is not None]


def populate(twin: Twin, rng: random.Random, knowledge: Knowledge) -> dict[tuple[int, str], int]:
    """Register, fund and approve the investors; issue each asset to about 60% of the eligible,
    then apply the asset's full rules and issue a few locked amounts. Returns the lock release
    skew (netted world's minus sequential world's) per (asset, wallet) locked."""
    roles, investors = twin.roles, twin.investors
    expiry = chain.time() + 10 * YEAR
    for inv in investors:
        twin.both(
            lambda w: w.registry.registerInvestor(
                inv.address, inv.country, inv.accredited, expiry, _tx(roles.registrar)
            )
        )
    knowledge.poor = {len(investors) - 1, len(investors) - 4}
    for n, inv in enumerate(investors):
        cash = 30 * USD if n in knowledge.poor else rng.randint(20_000, 60_000) * USD
        twin.both(lambda w: w.cash.mint(inv.address, cash, _tx(roles.admin)))
        for w in twin.worlds:
            for token in (w.cash, *w.assets):
                token.approve(w.exchange, MAX_UINT, _tx(inv.account))
    for w in twin.worlds:
        w.cash.mint(roles.issuer, 10**9 * USD, _tx(roles.admin))
        w.cash.approve(w.distributor, MAX_UINT, _tx(roles.issuer))
    skew: dict[tuple[int, str], int] = {}
    for a, spec in enumerate(ASSETS):
        eligible = [
            i
            for i, inv in enumerate(investors)
            if (not spec.countries or inv.country in spec.countries) and (inv.accredited or not spec.accredited_only)
        ]
        holders = rng.sample(eligible, int(len(eligible) * 0.6))
        top = (spec.max_balance or 500 * E18) * 8 // 10
        for i in holders:
            amount = rng.randrange(20 * E18, top, LOT)
            twin.both(lambda w: w.assets[a].mint(investors[i].address, amount, _tx(roles.agent)))
        max_holders = len(holders) + 2 if spec.max_holders else 0
        rules = (list(spec.countries), spec.accredited_only, max_holders, spec.max_balance, spec.lockup)
        twin.both(lambda w: w.rules[a].setRules(*rules, _tx(roles.agent)))
        if spec.lockup:
            for i in rng.sample(holders, 4):
                lock_mint(twin, a, i, rng.randrange(5 * E18, 40 * E18, LOT), skew)
    return skew


def lock_mint(twin: Twin, a: int, i: int, amount: int, skew: dict[tuple[int, str], int]) -> bool:
    """Issue `amount` (locked under the asset's lock-up) to investor i in both worlds, when the
    rules admit it; record the release-time skew of the two mints."""
    wallet = twin.investors[i].address
    if twin.netted.assets[a].detectTransferRestriction(ZERO_ADDRESS, wallet, amount) != 0:
        return False
    twin.both(lambda w: w.assets[a].mint(wallet, amount, _tx(twin.roles.agent)))
    until_a, until_b = twin.both(lambda w: int(w.rules[a].lockedUntil(wallet)))
    skew[(a, wallet)] = until_a - until_b
    return True


@dataclass
class Stats:
    batches: int = 0
    trades: int = 0
    differences: int = 0
    outcomes: Counter = field(default_factory=Counter)  # TradeSettled (0) or TradeFailed code
    restrictions: Counter = field(default_factory=Counter)  # ERC-1404 code of code-9 failures
    tags: Counter = field(default_factory=Counter)  # (motif, outcome)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    perturbations: Counter = field(default_factory=Counter)


class Differential:
    def __init__(self, twin: Twin, rng: random.Random, knowledge: Knowledge, skew: dict[tuple[int, str], int]):
        self.twin = twin
        self.rng = rng
        self.k = knowledge
        self.skew = skew
        self.signer = Signer(twin.investors)
        self.gen = Generator(rng, twin.investors, knowledge, chain.time())
        self.wallets = [inv.address for inv in twin.investors]
        self.stats = Stats()
        self.orders: dict[Any, Any] = {}
        self.last_outcomes: list[int] = []
        self.view: dict[Any, Any] = {}  # the netted world's last reading of every key
        self.gen.state = self.view
        self.state_a, self.state_b = self.read()

    def read(self, specs: Sequence[TradeSpec] = (), full: bool = True) -> tuple[dict, dict]:
        """Both worlds' state after a batch: the totals (supply, holder counts, revenue deposited
        and claimed, the exchange's and the distributor's cash) and, for each trader of the batch,
        asset and cash balances, claimable revenue, locks, nonce bitmap words, and the fills of
        the batch's orders. Settlement only ever touches the wallets and orders of its calldata,
        so that is everything it can change; `full` reads every wallet, every resting order and
        the frozen amounts as well (every tenth batch: a bug elsewhere would still show)."""
        orders = {o for t in specs for o in (t.buy, t.sell)}
        traders = {self.wallets[o.trader] for o in orders}
        if full:
            orders |= set(self.k.resting)
        wallets = self.wallets if full else [w for w in self.wallets if w in traders]
        frozen = self.wallets if full else []
        words = {w: nonce // 128 for w, nonce in zip(self.wallets, self.gen.nonces, strict=True)}
        started = time.perf_counter()
        states = tuple(
            read_state(
                w,
                self.twin.probe,
                ReadPlan(wallets, frozen, words, {o: self.signer.order_of(w, o) for o in orders}),
            )
            for w in self.twin.worlds
        )
        self.stats.seconds["read"] += time.perf_counter() - started
        self.view.update(states[0])
        return states[0], states[1]

    def settle(self, specs: list[TradeSpec]) -> tuple[list[int], list[int]]:
        """The batch netted (one settle) and one trade at a time; both worlds' per-trade outcomes."""
        netted, sequential = self.twin.netted, self.twin.sequential
        operator = self.twin.roles.operator
        trades_a = self.signer.world_trades(netted, specs)
        trades_b = self.signer.world_trades(sequential, specs)
        started = time.perf_counter()
        tx = settle_trades(netted.exchange, trades_a, _tx(operator))
        out_a = outcomes(netted.exchange, tx, trades_a)
        self.stats.seconds["netted"] += time.perf_counter() - started
        started = time.perf_counter()
        out_b = []
        for spec, t in zip(specs, trades_b, strict=True):
            (code,) = outcomes(sequential.exchange, settle_trades(sequential.exchange, [t], _tx(operator)), [t])
            out_b.append(code)
            if code == 9:  # nothing moved: the rules' verdict now is the one the trade met
                restriction = sequential.assets[spec.buy.asset].detectTransferRestriction(
                    self.wallets[spec.sell.trader], self.wallets[spec.buy.trader], spec.quantity
                )
                self.stats.restrictions[int(restriction)] += 1
        self.stats.seconds["sequential"] += time.perf_counter() - started
        return out_a, out_b

    def run_batch(self, specs: list[TradeSpec], full: bool = True) -> list[str]:
        """Settle `specs` both ways and return the differences (empty when the worlds agree)."""
        out_a, out_b = self.settle(specs)
        self.last_outcomes = out_b
        self.state_a, self.state_b = self.read(specs, full)
        self.stats.batches += 1
        self.stats.trades += len(specs)
        for spec, code in zip(specs, out_b, strict=True):
            self.stats.outcomes[code] += 1
            self.stats.tags[(spec.tag, code)] += 1
        diffs = [
            f"trade seq {s.seq} ({s.tag}): netted {a}, one by one {b}"
            for s, a, b in zip(specs, out_a, out_b, strict=True)
            if a != b
        ]
        diffs += compare(self.state_a, self.state_b, self.skew)
        self.stats.differences += len(diffs)
        return diffs


_PARTIAL_BITS = int("01" * 128, 2)  # bit 0 of every nonce's two bits: "partially filled"


def spent_wins(word: int) -> int:
    """A nonce bitmap word with the "partially filled" bit cleared wherever "spent" is set: an
    order partly filled in one batch and completed in the next keeps both bits, one completed
    within a batch only "spent"; both read as filled completely (filled(order) is compared too)."""
    return word & ~((word >> 1) & _PARTIAL_BITS)


def compare(a: dict, b: dict, skew: dict[tuple[int, str], int]) -> list[str]:
    diffs = []
    for key in sorted(a, key=repr):
        va, vb = a[key], b[key]
        if key[0] == "nonce bits":
            va, vb = spent_wins(int(va)), spent_wins(int(vb))
        if key[0] == "lock":
            # the release times of one mint in each world differ by the mints' block times
            va, vb = (int(va[0]), int(va[1]) - skew.get((key[1], key[2]), 0)), (int(vb[0]), int(vb[1]))
        if va != vb:
            diffs.append(f"{key}: netted {va}, one by one {vb}")
    return diffs


def perturb(d: Differential, batch_no: int, total: int) -> None:
    """Random operator and investor actions, identical in both worlds."""
    twin, rng, k, gen = d.twin, d.rng, d.k, d.gen
    roles, n = twin.roles, len(twin.investors)
    agent, wallets = _tx(roles.agent), d.wallets
    if batch_no == total // 2:
        chain.sleep(31 * DAY)  # every lock-up issued so far releases; resting orders stay live
        chain.mine()
        gen.now = chain.time()
        d.stats.perturbations["31 days pass"] += 1
    if rng.random() < 0.10:
        if len(k.frozen) < 2:
            a, i = rng.randrange(len(ASSETS)), rng.randrange(n)
            twin.both(lambda w: w.assets[a].setWalletFrozen(wallets[i], True, agent))
            k.frozen.add((a, i))
            d.stats.perturbations["freeze"] += 1
        else:
            a, i = rng.choice(sorted(k.frozen))
            twin.both(lambda w: w.assets[a].setWalletFrozen(wallets[i], False, agent))
            k.frozen.discard((a, i))
            d.stats.perturbations["unfreeze"] += 1
    if rng.random() < 0.06:
        if not k.removed:
            i = rng.randrange(n)
            twin.both(lambda w: w.registry.removeInvestor(wallets[i], _tx(roles.registrar)))
            k.removed.add(i)
            d.stats.perturbations["de-whitelist"] += 1
        else:
            i = k.removed.pop()
            inv = twin.investors[i]
            expiry = chain.time() + 10 * YEAR
            twin.both(
                lambda w: w.registry.registerInvestor(
                    wallets[i], inv.country, inv.accredited, expiry, _tx(roles.registrar)
                )
            )
            d.stats.perturbations["re-whitelist"] += 1
    if rng.random() < 0.06:
        a, i = rng.randrange(len(ASSETS)), rng.randrange(n)
        token = twin.netted.assets[a]  # read live: the view holds only the last batch's traders
        frozen, balance = int(token.frozenTokens(wallets[i])), int(token.balanceOf(wallets[i]))
        if frozen:
            twin.both(lambda w: w.assets[a].unfreezePartialTokens(wallets[i], frozen, agent))
            d.stats.perturbations["partial unfreeze"] += 1
        elif balance:
            amount = gen.part_of(balance, 0.2, 0.8)
            twin.both(lambda w: w.assets[a].freezePartialTokens(wallets[i], amount, agent))
            d.stats.perturbations["partial freeze"] += 1
    if rng.random() < 0.15:
        a = rng.randrange(len(ASSETS))
        amount = rng.randint(1, 5_000) * USD + rng.randint(0, 999_999)
        twin.both(lambda w: w.distributor.deposit(w.assets[a], amount, "revenue", _tx(roles.issuer)))
        d.stats.perturbations["revenue deposit"] += 1
    if rng.random() < 0.08:
        a, i = rng.randrange(len(ASSETS)), rng.randrange(n)
        due = twin.netted.distributor.claimable(twin.netted.assets[a], wallets[i])
        if due and (a, i) not in k.frozen and i not in k.removed:
            twin.both(lambda w: w.distributor.claim(w.assets[a], _tx(twin.investors[i].account)))
            d.stats.perturbations["claim"] += 1
    if rng.random() < 0.08:
        a = rng.choice([x for x, spec in enumerate(ASSETS) if spec.lockup])
        if lock_mint(twin, a, rng.randrange(n), rng.randrange(E18, 30 * E18, LOT), d.skew):
            d.stats.perturbations["issuance under lock-up"] += 1
    if rng.random() < 0.06 and k.resting:
        spec = rng.choice(k.resting)
        for w in twin.worlds:
            o = d.signer.order_of(w, spec)
            w.exchange.cancelOrder(tuple(o.values()), _tx(twin.investors[spec.trader].account))
        k.resting.remove(spec)
        k.cancelled.append(spec)
        d.stats.perturbations["cancelOrder"] += 1
    if rng.random() < 0.04:
        a = rng.choice([x for x, spec in enumerate(ASSETS) if spec.max_holders])
        spec = ASSETS[a]
        cap = int(d.view[("holders", a)]) + rng.choice((0, 1, 3))
        rules = (list(spec.countries), spec.accredited_only, cap, spec.max_balance, spec.lockup)
        twin.both(lambda w: w.rules[a].setRules(*rules, agent))
        d.stats.perturbations["holder cap set"] += 1
