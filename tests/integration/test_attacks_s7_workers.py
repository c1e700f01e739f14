"""Attack review s7 (issue 16): the worker process (backend/workers.py) - settlement, the
compliance mirror and anchoring in a child of the service - and what /health says of it.

A child that stops reporting while it stays alive (stopped, wedged in its main loop, a frozen
container process) was `running` and /health answered `ok` for as long as it lasted, while
nothing settled and the mirror fell behind (found in this review; fixed in 1cbac9e: `silent`,
degraded). The child reports every STATUS_INTERVAL (0.5 s), so silence for several intervals
is a fact the parent has.

The same stale report is what order admission sheds on (backend/api/admission.py: 503
settlement.backlog past settlement_max_backlog unsettled trades): in process mode the count is
the child's last one, so while the child is silent (or between a crash and its restarted
child's first pass) the bound on unsettled exposure holds whatever the outbox held before.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time

from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.workers import STATUS_INTERVAL

SILENCE = 6 * STATUS_INTERVAL  # a dozen reports missed


def _wait_running(client: TestClient, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        workers = client.get("/health").json().get("workers") or {}
        if workers.get("state") == "running":
            return workers
        assert time.monotonic() < deadline, f"worker process not running: {workers}"
        time.sleep(0.1)


def test_a_worker_process_that_stops_reporting_is_not_healthy(settings, tmp_path):
    # A service of its own in process mode (the session's app runs its workers in threads), on
    # a database of its own: its child is the only settlement sender there.
    own = settings.model_copy(update={"workers": "process", "database_url": f"sqlite:///{tmp_path / 'w.db'}"})
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        pid = _wait_running(client)["pid"]
        assert client.get("/health").json()["status"] == "ok"
        os.kill(pid, signal.SIGSTOP)  # alive, silent: nothing settles, nothing is mirrored
        try:
            time.sleep(SILENCE)
            health = client.get("/health").json()
        finally:
            os.kill(pid, signal.SIGCONT)
        assert health["status"] == "degraded", f"a worker process silent for {SILENCE:.0f} s: {health}"
        assert any("workers" in reason for reason in health["reasons"]), health


def _pending_trades(db_file, count: int) -> None:
    """`count` unsettled trades in the outbox, as matching would leave them (the orders they
    name are not needed by what this test reads: foreign keys off on this connection only)."""
    connection = sqlite3.connect(db_file)
    try:
        connection.execute("PRAGMA foreign_keys=OFF")
        for seq in range(1, count + 1):
            connection.execute(
                "INSERT INTO traderecord (id, symbol, trade_seq, chain_trade_id, buy_order_id, sell_order_id,"
                " buyer_investor_id, seller_investor_id, taker_side, price_ticks, quantity_lots,"
                " settlement_status, attempts, created_at) VALUES (?, 'ZZZ', ?, '', 'b', 's', 1, 2, 'buy', 1, 1,"
                " 'pending', 0, '2026-12-05 00:00:00')",
                (f"ZZZ-{seq}", seq),
            )
        connection.commit()
    finally:
        connection.close()


def test_the_backlog_bound_holds_while_the_worker_process_is_silent(settings, tmp_path):
    db_file = tmp_path / "b.db"
    own = settings.model_copy(
        update={"workers": "process", "database_url": f"sqlite:///{db_file}", "settlement_max_backlog": 2}
    )
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        pid = _wait_running(client)["pid"]
        time.sleep(SILENCE)  # a few passes: the child has reported its count (0)
        os.kill(pid, signal.SIGSTOP)
        try:
            _pending_trades(db_file, 5)  # matching went on: 5 trades wait, the bound is 2
            assert client.get("/health").json()["settlement"]["pending"] == 5
            time.sleep(SILENCE)
            answer = client.post("/v1/orders", json={})
        finally:
            os.kill(pid, signal.SIGCONT)
        assert answer.status_code == 503, f"admitted past the backlog bound: {answer.status_code} {answer.text}"
        assert answer.json()["error"]["code"] == "settlement.backlog"
