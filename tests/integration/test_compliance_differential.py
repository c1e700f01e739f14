"""Differential test: the backend's evaluator, fed from its mirror, against the real contracts.

A handful of assets and investors are set up once; then a seeded random walk changes the
world the way the exchange does (rule sets, investor records with expired KYC, issuance,
wallet-to-wallet transfers, forced transfers, burns, whole-wallet and partial freezes,
pauses, short lock-ups that run out while the test runs) and, after every change, asks
both sides about random transfers (mints, self-transfers, boundary amounts). Each case
pins one block: the chain answers detectTransferRestriction at that block, the backend
answers from its mirror synced to that block with that block's timestamp. No
evm_increaseTime: lock-ups of a few seconds expire in real time.

RWA_DIFF_SEED and RWA_DIFF_STEPS change the walk.
"""

from __future__ import annotations

import os
import random
from collections import Counter

from backend.compliance import mirror
from backend.compliance.mirror import ZERO_ADDRESS as ZERO
from backend.compliance.sync import sync
from tests.support.compliance import UNIT, db_session
from tests.support.compliance_walk import World, build_world, mutate, pick_amount, pick_wallet

SEED = int(os.environ.get("RWA_DIFF_SEED", "20261125"))
STEPS = int(os.environ.get("RWA_DIFF_STEPS", "48"))
QUERIES = 12  # per step: 48 x 12 = 576 cases (9 random, 3 aimed at the rarer codes)


def aimed_queries(world: World) -> list[tuple[str, str, int]]:
    """Transfers that reach the deep checks: a mint, a sale to a wallet holding nothing, a sale by
    the wallet locked up longest."""
    rng = world.rng
    registered = [i.wallet.address for i in world.investors[1:]]
    receiver = rng.choice(registered)
    room = world.cap - world.holding(receiver).balance
    mint = (ZERO, receiver, rng.choice([UNIT, UNIT, max(room + 1, 0) if world.cap else 0]))
    holders = [w for w in registered if world.holding(w).balance > UNIT] or registered
    empty = [w for w in registered if not world.holding(w).balance] or registered
    seller = rng.choice(holders)
    sale = (seller, rng.choice(empty), rng.randint(1, 3) * UNIT)
    locked = max(registered, key=lambda w: (world.holding(w).locked_until, w))
    return [mint, sale, (locked, rng.choice(registered), UNIT)]


def chain_codes(world: World, symbol: str, queries: list[tuple[str, str, int]]) -> list[int]:
    """detectTransferRestriction for every query, in one JSON-RPC batch."""
    rules = world.rules[symbol]
    with world.w3.batch_requests() as batch:
        for sender, receiver, amount in queries:
            batch.add(rules.functions.detectTransferRestriction(sender, receiver, amount))
        return [int(code) for code in batch.execute()]


def run_step(world: World, symbol: str, step: int, *, mutation: bool) -> tuple[str, list[int], list[str]]:
    """Maybe change the world, then ask both sides about QUERIES transfers of `symbol` at one block."""
    rng, client = world.rng, world.client
    world.refresh(symbol)
    kind = mutate(world, symbol) if mutation else "none"
    head = world.chain.block("latest")
    with db_session(client) as session:
        block = sync(session, world.chain, world.assets[symbol], min_block=int(head["number"]))
    world.refresh(symbol)
    queries = aimed_queries(world)
    for _ in range(QUERIES - len(queries)):
        sender = pick_wallet(world, sender=True)
        receiver = sender if rng.random() < 0.06 else pick_wallet(world, sender=False)
        queries.append((sender, receiver, pick_amount(world, sender, receiver)))
    theirs = chain_codes(world, symbol, queries)
    assert world.chain.block_number() == block, "the chain moved under the test"
    mismatches = []
    with db_session(client) as session:
        for (sender, receiver, amount), chain_code in zip(queries, theirs, strict=True):
            ours = mirror.check_transfer(
                session,
                asset=world.assets[symbol],
                from_wallet=sender,
                to_wallet=receiver,
                amount=amount,
                now=int(head["timestamp"]),
            )
            assert ours.as_of_block == block
            if ours.code != chain_code:
                mismatches.append(
                    f"step {step} ({kind}) {symbol} block {block}: {sender} -> {receiver} "
                    f"{amount}: backend {ours.code}, chain {chain_code}"
                )
    return kind, theirs, mismatches


def test_backend_evaluator_agrees_with_detect_transfer_restriction(
    client, admin, node, make_asset, make_investor, new_wallet, capsys
):
    rng = random.Random(SEED)
    world = build_world(client, admin, node, make_asset, make_investor, new_wallet, rng)
    locked, frozen, paused = world.assets

    codes: Counter[int] = Counter()
    mutations: Counter[str] = Counter()
    mismatches: list[str] = []
    plan = [(symbol, False) for symbol in (locked, frozen, paused)]  # the set-up state as it is
    plan += [(rng.choice([locked, frozen, paused]), True) for _ in range(STEPS - len(plan))]
    for step, (symbol, mutation) in enumerate(plan):
        kind, theirs, wrong = run_step(world, symbol, step, mutation=mutation)
        codes.update(theirs)
        mutations[kind] += 1
        mismatches += wrong
    total = sum(codes.values())
    with capsys.disabled():
        print(
            f"\ncompliance differential (seed {SEED}): {total} cases, {len(mismatches)} mismatches; "
            f"chain codes {dict(sorted(codes.items()))}; steps {dict(sorted(mutations.items()))}"
        )
    assert not mismatches, "\n".join(mismatches[:20])
    assert total >= 500
    assert len(codes) >= 11, f"the walk reached too few restriction codes: {dict(codes)}"  # of 12
