"""Attack review s7 (issue 16): the worker process (backend/workers.py) - settlement, the
compliance mirror and anchoring in a child of the service - and what /health says of it.

The parent marks the child `running` on each report line and never asks how old the last one
is: a child that stops reporting while it stays alive (stopped, wedged in its main loop, a
swapped-out or frozen container process) is `running` and /health answers `ok` for as long as it
lasts, while nothing settles and the mirror falls behind. The child reports every
STATUS_INTERVAL (0.5 s), so silence for several intervals is a fact the parent has.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
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


@pytest.mark.xfail(strict=True, reason="/health says ok (running) for a worker process that stopped reporting")
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
