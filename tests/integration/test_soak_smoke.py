"""A bounded soak (`make soak` in small): open-loop orders against a real service process.

Prints the figures (run with -s); asserts only what must hold whatever the machine's speed:
no server error (a saturated service answers 503 service.busy, never 500), and after the
outbox drains every invariant of bench/invariants.py.
"""

from __future__ import annotations

import os

from bench.soak import run_soak
from bench.stack import Stack
from tests.support.live_stack import TEST_PORT

RATE = float(os.environ.get("RWA_SOAK_SMOKE_RATE", "20"))
SECONDS = float(os.environ.get("RWA_SOAK_SMOKE_SECONDS", "20"))
SERVICE_PORT = int(os.environ.get("RWA_CHAOS_SERVICE_PORT", "8178"))


def test_open_loop_soak_keeps_every_invariant(node, tmp_path, stack_database_url):
    stack = Stack(
        tmp_path / "soak",
        chain_port=TEST_PORT,
        service_port=SERVICE_PORT,
        rpc_url=node.rpc_url,
        deployment_file=node.deployment_file,
        database_url=stack_database_url,
        env={"RWA_FUNDS_MAX_AGE_MS": "2000"},
    )
    stack.start_service()
    try:
        report = run_soak(stack, rate=RATE, seconds=SECONDS, traders=4, warmup_seconds=0, drain_timeout=600)
    finally:
        stack.close()
    print(f"\nsoak {RATE:g}/s for {SECONDS:g}s: {report.figures()}")
    load = report.load
    assert sum(load.statuses.values()) + sum(load.errors.values()) == load.scheduled
    assert load.statuses[201] > 0 and report.trades > 0
    assert not [status for status in load.statuses if status >= 500 and status != 503], load.statuses
    assert report.verdict is not None, "the settlement outbox did not drain"
    assert report.verdict.ok, report.verdict.summary()
