"""The settlement worker, compliance mirror and anchoring run in a child process of the served
app (backend/workers.py, RWA_WORKERS=process): it settles trades, it is restarted when it dies,
and it never outlives its service, not even a SIGKILL of it (make chaos kills the service 20
times; an orphaned settlement worker would be a second sender with the hot key)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend.db import create_tables, make_engine
from bench.chaos import wait_settled
from bench.stack import ADMIN_KEY, Stack, order_body, set_up_market
from tests.integration import test_chaos
from tests.integration.demo_stack import alive

service = test_chaos.service  # the chaos tests' served app: uvicorn --factory, RWA_CHAOS_SERVICE_PORT


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)


def running_worker(stack: Stack) -> dict:
    """/health's `workers` once the child reports; its pid is a child of the service."""
    workers = wait_for(
        lambda: (w := stack.health().get("workers")) and w["state"] == "running" and w, 60, "worker process running"
    )
    assert workers["mode"] == "process"
    assert stack.service is not None and parent_of(workers["pid"]) == stack.service.pid
    return workers


def test_the_worker_process_settles_the_services_trades(service):
    setup = set_up_market(service, traders=2)
    seller, buyer = setup.traders
    with service.client() as client:
        for trader, side in ((seller, "sell"), (buyer, "buy")):
            body = order_body(setup, trader, side=side, price_ticks=100, lots=3, client_order_id=f"w-{side}")
            placed = client.post("/v1/orders", json=body, headers=trader.headers)
            assert placed.status_code == 201, placed.text
        wait_settled(service, setup.symbol, timeout=60)
        trades = client.get("/v1/trades", headers={"X-API-Key": ADMIN_KEY}, params={"symbol": setup.symbol}).json()
    assert [t["settlement_status"] for t in trades] == ["settled"]
    health = service.health()
    assert health["settlement"] == {"pending": 0, "submitted": 0, "last_error": None}
    assert health["workers"]["state"] == "running" and health["workers"]["restarts"] == 0


def test_the_worker_process_dies_with_a_sigkilled_service(service):
    worker = running_worker(service)["pid"]
    service.kill_service()  # SIGKILL: no lifespan shutdown runs
    # PR_SET_PDEATHSIG sends the child SIGKILL at once (the getppid watch within 0.2 s)
    wait_for(lambda: not alive(worker), 2, f"the worker process {worker} gone after its service's SIGKILL")


def test_a_worker_process_that_dies_is_restarted_and_health_says_so(service):
    first = running_worker(service)
    assert first["restarts"] == 0
    os.kill(first["pid"], signal.SIGKILL)
    again = wait_for(
        lambda: (w := service.health()["workers"])["restarts"] == 1 and w["state"] == "running" and w,
        60,
        "the worker process restarted",
    )
    assert again["pid"] != first["pid"] and alive(again["pid"]) and not alive(first["pid"])
    assert again["last_exit_code"] == -signal.SIGKILL
    assert parent_of(again["pid"]) == service.service.pid
    log = (service.workdir / "service.log").read_text()
    assert f"the worker process {first['pid']} exited with -9: restarting it" in log
    assert f"worker process restarted: pid {again['pid']}" in log

    service.stop_service()  # SIGTERM: the lifespan stops the child
    assert not alive(again["pid"])


def test_rwa_workers_runs_alone_until_sigterm_and_refuses_development_keys_in_production(node, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'alone.db'}",
        "RPC_URL": node.rpc_url,
        "RWA_DEPLOYMENT_FILE": str(node.deployment_file),
    }
    for name in ("RWA_ENV", "RWA_ADMIN_KEY", "RWA_OPERATOR_KEY", "RWA_GOVERNANCE_KEY"):
        env.pop(name, None)
    command = [sys.executable, "-m", "backend.cli", "workers"]
    refused = subprocess.run(command, env={**env, "RWA_ENV": "production"}, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "RWA_ADMIN_KEY" in refused.stdout, refused.stdout + refused.stderr

    create_tables(make_engine(env["DATABASE_URL"]))  # as the service would have
    alone = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert alone.stdout is not None
        output, deadline = "", time.monotonic() + 60
        while "running: settlement, compliance_mirror, anchors" not in output:
            assert alone.poll() is None and time.monotonic() < deadline, output
            output += alone.stdout.readline()
        alone.send_signal(signal.SIGTERM)
        assert alone.wait(timeout=10) == 0
    finally:
        alone.kill()


def test_a_silent_worker_process_makes_health_degraded_until_it_reports_again(service):
    pid = running_worker(service)["pid"]
    os.kill(pid, signal.SIGSTOP)  # alive but silent (stopped, frozen): nothing settles
    try:
        health = wait_for(lambda: (h := service.health())["status"] == "degraded" and h, 10, "degraded")
    finally:
        os.kill(pid, signal.SIGCONT)
    assert health["workers"]["state"] == "silent" and health["workers"]["pid"] == pid
    assert "workers: the worker process has stopped reporting" in health["reasons"]
    again = wait_for(lambda: (h := service.health())["status"] == "ok" and h, 10, "ok again")
    assert again["workers"] == {**health["workers"], "state": "running"}  # the same process, not restarted
