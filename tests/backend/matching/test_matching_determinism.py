"""Determinism: replaying a journal rebuilds the same state, and state_hash proves it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.matching import (
    CancelAll,
    CancelOrder,
    Expire,
    Halt,
    MarketConfig,
    MatchingEngine,
    OpenAuction,
    ReferenceEngine,
    Resume,
)
from backend.trading.sequencer import decode_command, encode_command
from bench.matching_core import random_commands
from tests.backend.matching.harness import SECOND, buy, sell
from tests.backend.matching.streams import seeded_stream

ROOT = Path(__file__).resolve().parents[3]
HASH_SCRIPT = (
    "from backend.matching import MatchingEngine\n"
    "from bench.matching_core import random_commands\n"
    "e = MatchingEngine()\n"
    "for c in random_commands(3000, seed=11): e.apply(c)\n"
    "print(e.state_hash())\n"
)


def test_replaying_the_journal_gives_the_same_events_and_state_hash():
    journal = random_commands(20_000, seed=3)
    live, replica = MatchingEngine(), MatchingEngine()
    live_events = [live.apply(c) for c in journal]
    assert [replica.apply(c) for c in journal] == live_events
    assert replica.state_hash() == live.state_hash()
    assert replica.depth() == live.depth()
    assert (replica.sequence, replica.trade_seq) == (live.sequence, live.trade_seq)


@pytest.mark.parametrize("seed", range(3))
def test_replaying_a_json_journal_with_expiries_rebuilds_the_same_state(seed):
    """The sequencer's journal (JSON rows) carries expires_ts and Expire commands: a
    replay of it gives the same events, the same expiries and the same state hash."""
    config, journal = seeded_stream(seed, 1500)
    rows = [json.loads(json.dumps(encode_command(c))) for c in journal]
    live, replica = MatchingEngine(config), MatchingEngine(config)
    live_events = [live.apply(c) for c in journal]
    assert [replica.apply(decode_command(row)) for row in rows] == live_events
    assert replica.state_hash() == live.state_hash()
    assert replica.next_expiry() == live.next_expiry()
    assert any(row["kind"] == "Expire" for row in rows)
    assert sum(1 for events in live_events for e in events if getattr(e, "reason", None) == "expired") > 10


@pytest.mark.parametrize("seed", range(3))
def test_a_replay_across_call_auctions_has_the_same_state_hash_at_every_phase_change(seed):
    config, journal = seeded_stream(seed, 1500)
    live, replica = MatchingEngine(config), ReferenceEngine(config)
    checked = 0
    for command in journal:
        events = live.apply(command)
        assert replica.apply(decode_command(json.loads(json.dumps(encode_command(command))))) == events
        if any(type(e).__name__.startswith(("Auction", "LimitState")) for e in events):
            assert replica.state_hash() == live.state_hash()
            checked += 1
    assert checked > 20


def test_a_journal_row_written_before_expiry_existed_replays_as_an_order_that_never_expires():
    old_row = {
        "kind": "PlaceOrder",
        "order_id": "o1",
        "owner": "7",
        "side": "sell",
        "type": "limit",
        "price": 100,
        "quantity": 5,
        "tif": "GTC",
        "post_only": False,
        "ts": 1,
    }
    command = decode_command(old_row)
    assert command.expires_ts is None
    engine = MatchingEngine()
    engine.apply(command)
    assert engine.apply(decode_command({"kind": "Expire", "ts": 10**30})) == []
    assert engine.order("o1").remaining == 5
    assert encode_command(Expire(ts=5)) == {"kind": "Expire", "ts": 5}


def test_state_hash_tracks_the_state_command_by_command():
    journal = random_commands(400, seed=5)
    a, b = MatchingEngine(), MatchingEngine()
    for command in journal:
        a.apply(command)
        b.apply(command)
        assert a.state_hash() == b.state_hash()


def test_fast_and_reference_engines_hash_the_same_state_alike():
    journal = random_commands(1_500, seed=9)
    fast, slow = MatchingEngine(), ReferenceEngine()
    for command in journal:
        fast.apply(command)
        slow.apply(command)
    assert fast.state_hash() == slow.state_hash()


def test_state_hash_is_the_same_in_another_process_with_another_hash_seed():
    expected = MatchingEngine()
    for command in random_commands(3000, seed=11):
        expected.apply(command)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", HASH_SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == expected.state_hash()


@pytest.mark.parametrize(
    "extra",
    [
        [sell("x", 101, 1)],  # the book
        [sell("x", 101, 1), CancelOrder("x", "alice")],  # the used order ids
        [Halt("operator")],  # the halt state
        [Halt("operator"), Resume()],  # the command count, the call that ends the halt
        [CancelAll("nobody", ts=SECOND)],  # the clock
        [Expire(ts=SECOND)],  # the clock, by Expire alone
        [OpenAuction(ts=0)],  # the call
        [sell("x", 100, 1, ts=0), buy("y", 100, 1, owner="bob", ts=0)],  # trade_seq, reference window
    ],
    ids=["book", "ids", "halt", "sequence", "clock", "expire", "call", "trades"],
)
def test_state_hash_changes_with_anything_that_decides_future_behaviour(extra):
    base = MatchingEngine()
    base.apply(sell("s0", 105, 1))
    changed = MatchingEngine()
    changed.apply(sell("s0", 105, 1))
    for command in extra:
        changed.apply(command)
    assert changed.state_hash() != base.state_hash()


def test_state_hash_covers_the_config():
    assert MatchingEngine(MarketConfig(band_bps=500)).state_hash() != MatchingEngine().state_hash()


def test_same_trades_at_another_time_leave_another_reference_window():
    early, late = MatchingEngine(), MatchingEngine()
    for engine, ts in ((early, 0), (late, SECOND)):
        engine.apply(sell("s", 100, 1, ts=ts))
        engine.apply(buy("b", 100, 1, ts=ts))
        engine.apply(CancelAll("nobody", ts=2 * SECOND))
    assert early.state_hash() != late.state_hash()
