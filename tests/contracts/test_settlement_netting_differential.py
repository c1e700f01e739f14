"""Netting changes nothing: random batches settled netted (one settle() on one deployment) and
one trade at a time (a settle() per trade on a twin deployment) leave both worlds identical.

Two worlds on one ganache, each a full deployment (netting_world.py): three assets whose rules
bite (holder caps, maximum balances, lock-ups, country and accreditation rules), a revenue
distributor with deposits between batches, 20 investors with balances and approvals. Every
batch (netting_batches.py: fresh signed orders, orders filled by several trades, investors
buying and selling in one batch, legs that must fail) settles both ways; then every asset and
cash balance, supply, holder count, lock (stored amount and release, active amount), frozen
amount, claimable revenue, order fill and each trade's outcome (TradeSettled, or TradeFailed and
its code) must be equal (netting_driver.py). The first batch with a difference stops the run.

RWA_NETTING_SEED, RWA_NETTING_BATCHES and RWA_NETTING_MAX_BATCH (default 17, 200 and 4: batches
of 1-3 or 4 to about 6 trades, to keep `make test` within minutes; a deeper run takes 12 or 24)
choose the run. It prints the seed, batches, trades, differences, outcome codes, the ERC-1404
restrictions behind the code-9 failures and where the time went (run with -s to see it).
"""

from __future__ import annotations

import os
import random
import time

import pytest
from helpers import E18
from netting_batches import LOT, Knowledge, OrderSpec, TradeSpec
from netting_driver import Differential, perturb, populate
from netting_world import ASSETS, Roles, Twin, deploy_probe, deploy_world, make_investors

SEED = int(os.environ.get("RWA_NETTING_SEED", "17"))
BATCHES = int(os.environ.get("RWA_NETTING_BATCHES", "200"))
MAX_BATCH = int(os.environ.get("RWA_NETTING_MAX_BATCH", "4"))
INVESTORS = 20
EQ, OIL, FARM = 0, 1, 2


@pytest.fixture(scope="module")
def twin(admin, registrar, agent, issuer, operator):
    roles = Roles(admin, registrar, agent, issuer, operator)
    netted, sequential = deploy_world("netted", roles), deploy_world("sequential", roles)
    return Twin(netted, sequential, roles, make_investors(INVESTORS, admin), deploy_probe(admin))


@pytest.fixture(scope="module")
def populated(twin):
    started = time.perf_counter()
    rng = random.Random(SEED)
    knowledge = Knowledge()
    skew = populate(twin, rng, knowledge)
    print(f"\nnetting differential: twin worlds populated in {time.perf_counter() - started:.1f} s")
    return rng, knowledge, skew


@pytest.fixture
def diff(twin, populated):
    rng, knowledge, skew = populated
    return Differential(twin, random.Random(rng.random()), Knowledge(poor=set(knowledge.poor)), dict(skew))


def report(d: Differential, seconds: float) -> str:
    s = d.stats
    tags = sorted({tag for tag, _ in s.tags})
    by_tag = ", ".join(
        f"{tag} {sum(n for (t, c), n in s.tags.items() if t == tag and c == 0)}/"
        f"{sum(n for (t, _), n in s.tags.items() if t == tag)}"
        for tag in tags
    )
    return "\n".join(
        [
            f"netting differential: seed {SEED}, {s.batches} batches, {s.trades} trades, "
            f"{s.differences} differences, {seconds:.1f} s",
            f"  outcomes (0 settled, else TradeFailed code): {dict(sorted(s.outcomes.items()))}",
            f"  ERC-1404 restriction behind code 9: {dict(sorted(s.restrictions.items()))}",
            f"  settled/total by motif: {by_tag}",
            f"  between batches: {dict(sorted(s.perturbations.items()))}",
            "  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(s.seconds.items())),
        ]
    )


def test_random_batches_settle_alike_netted_and_one_by_one(diff):
    started = time.perf_counter()
    rng = diff.rng
    for batch_no in range(BATCHES):
        perturb(diff, batch_no, BATCHES)
        size = rng.choice((1, 2, 3)) if rng.random() < 0.15 else rng.randint(4, MAX_BATCH)
        specs = diff.gen.batch(size)
        differences = diff.run_batch(specs, full=batch_no % 10 == 9 or batch_no == BATCHES - 1)
        if differences:
            print(report(diff, time.perf_counter() - started))
            listing = "\n".join(f"  {t}" for t in specs)
            pytest.fail(
                f"batch {batch_no} (seed {SEED}) differs:\n" + "\n".join(differences[:30]) + f"\ntrades:\n{listing}"
            )
    print("\n" + report(diff, time.perf_counter() - started))
    s = diff.stats
    assert s.batches == BATCHES and s.differences == 0
    # the run reached the paths it is about: settlements, both transfer failures, the order checks
    # and the rules behind failed asset legs (max holders, max balance, lock-up, frozen, ...)
    assert s.outcomes[0] > s.trades // 3
    if BATCHES >= 100:
        assert {1, 4, 5, 6, 7, 8, 9, 10} <= set(s.outcomes), s.outcomes
        assert {2, 4, 5, 6, 7, 8, 9, 11} <= set(s.restrictions), s.restrictions


# --- the hazards named by the issue, one batch each (both ways, compared, outcomes pinned) -------


def _order(d: Differential, trader: int, a: int, is_buy: bool, quantity: int) -> OrderSpec:
    return d.gen.new_order(trader, a, is_buy, quantity)


def _trade(d: Differential, buyer: int, seller: int, a: int, quantity: int, tag: str) -> TradeSpec:
    return d.gen.fill(_order(d, buyer, a, True, quantity), _order(d, seller, a, False, quantity), quantity, tag)


def _holders_by_balance(d: Differential, a: int) -> list[int]:
    return sorted(d.gen.holders(a), key=lambda i: -d.gen.balance(a, i))


def _run(d: Differential, specs: list[TradeSpec]) -> list[int]:
    """Settle `specs` both ways, require no difference; the per-trade codes (equal in both)."""
    differences = d.run_batch(specs)
    assert differences == [], differences
    return d.last_outcomes


def _newcomer(d: Differential, a: int, *exclude: int) -> int:
    """An investor eligible for asset a, holding none of it, with cash to pay."""
    return next(
        i
        for i in range(INVESTORS)
        if i not in exclude and i not in d.k.poor and d.gen.eligible(a, i) and d.gen.balance(a, i) == 0
    )


def test_an_investor_buying_and_selling_in_one_batch(diff):
    """x buys from y, sells most of it on to z, tries to sell more than it holds, buys again."""
    a = OIL
    y = _holders_by_balance(diff, a)[0]
    x = _newcomer(diff, a, y)
    z = next(i for i in _holders_by_balance(diff, a) if i not in (x, y) and i not in diff.k.poor)
    specs = [
        _trade(diff, x, y, a, 10 * E18, "in"),
        _trade(diff, z, x, a, 8 * E18, "out"),
        _trade(diff, z, x, a, 3 * E18, "out, more than x holds"),
        _trade(diff, x, y, a, 1 * E18, "in again"),
    ]
    assert _run(diff, specs) == [0, 0, 9, 0]
    assert diff.stats.restrictions == {11: 1}
    assert diff.gen.balance(a, x) == 3 * E18


def test_a_net_zero_buyer_whose_gross_buy_breaks_max_balance(diff):
    """x sells q and buys q back: both settle. x buys q and sells q: net zero as well, but the buy
    comes first and takes x over OIL's maximum balance, so that leg fails alone."""
    a = OIL
    cap = ASSETS[a].max_balance
    holders = _holders_by_balance(diff, a)
    x = next(i for i in holders if i not in diff.k.poor)
    q = cap - diff.gen.balance(a, x) + LOT
    y = next(i for i in holders if i != x and diff.gen.balance(a, i) >= q)
    z = _newcomer(diff, a, x, y)
    before = diff.gen.balance(a, x)
    assert before >= q  # x can deliver the sell leg from what it holds
    assert _run(diff, [_trade(diff, z, x, a, q, "sell"), _trade(diff, x, y, a, q, "buy back")]) == [0, 0]
    assert diff.gen.balance(a, x) == before
    assert _run(diff, [_trade(diff, x, y, a, q, "buy over the cap"), _trade(diff, z, x, a, q, "sell")]) == [9, 0]
    assert diff.stats.restrictions == {7: 1}
    assert diff.gen.balance(a, x) == before - q


def test_a_failed_leg_re_nets_the_rest(diff, twin):
    """w -> x fails (w frozen), so x -> y has nothing to sell; a poor buyer's leg fails on cash and
    its onward sale with it; an unrelated trade settles. Netting must drop the failed legs and
    settle the rest as if they had never been in the batch."""
    a = EQ
    holders = _holders_by_balance(diff, a)
    w, other = holders[0], holders[1]
    x = _newcomer(diff, a, w, other)
    y = _newcomer(diff, a, w, other, x)
    poor = next(i for i in sorted(diff.k.poor) if diff.gen.eligible(a, i))
    agent = {"from": twin.roles.agent}
    twin.both(lambda world: world.assets[a].setWalletFrozen(diff.wallets[w], True, agent))
    specs = [
        _trade(diff, x, w, a, 10 * E18, "from a frozen wallet"),
        _trade(diff, y, x, a, 5 * E18, "onward sale of it"),
        _trade(diff, poor, other, a, 10 * E18, "buyer without the cash"),
        _trade(diff, y, poor, a, diff.gen.balance(a, poor) + 5 * E18, "onward sale of that"),
        _trade(diff, y, other, a, 1 * E18, "unrelated"),
    ]
    assert _run(diff, specs) == [9, 9, 10, 9, 0]
    assert diff.stats.restrictions == {9: 1, 11: 2}


def test_a_holder_leaving_makes_room_for_a_newcomer_only_after_it_left(diff, twin):
    """FARM's holder cap set to its holder count: a newcomer's buy fails (max holders) until a
    holder sells out in the same batch; then another newcomer's buy fits."""
    a = FARM
    spec = ASSETS[a]
    holders = _holders_by_balance(diff, a)
    rules = (list(spec.countries), spec.accredited_only, len(holders), spec.max_balance, spec.lockup)
    twin.both(lambda world: world.rules[a].setRules(*rules, {"from": twin.roles.agent}))
    s, receiver = holders[0], holders[1]
    leaver = next(i for i in reversed(holders) if diff.gen.locked(a, i) == 0 and i not in (s, receiver))
    first, second = _newcomer(diff, a), _newcomer(diff, a, _newcomer(diff, a))
    specs = [
        _trade(diff, first, s, a, 2 * E18, "newcomer at the cap"),
        _trade(diff, receiver, leaver, a, diff.gen.balance(a, leaver), "a holder sells out"),
        _trade(diff, second, s, a, 2 * E18, "newcomer after the exit"),
    ]
    assert _run(diff, specs) == [9, 0, 0]
    assert diff.stats.restrictions == {6: 1}
    assert diff.view[("holders", a)] == len(holders)
