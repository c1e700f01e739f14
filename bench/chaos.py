"""Faults under a steady order flow: SIGKILL the service K times, then stop the chain.

    make chaos                      # CHAOS_KILLS=20 (default), CHAOS_OUTAGE_SECONDS=20
    python -m bench.chaos   # the same

Kills: the service process is SIGKILLed at random moments (uniform in [CHAOS_MIN_GAP,
CHAOS_MAX_GAP] seconds after it came back) while every trader keeps sending orders, and
restarted each time. The traders send their orders through POST /v1/orders/batch,
CHAOS_BATCH (20) a request (0: one by one through POST /v1/orders), so a kill can cut a batch
in the middle: resent as it was, each of its orders is answered exactly once.
Afterwards the settlement outbox drains and bench/invariants.py
checks: acknowledged orders all present, no trade lost, none settled twice, books
identical to a replay of the journal, on-chain balances equal to the database's, no nonce
gap. Outage: ganache is stopped (SIGTERM; it keeps its state in --database.dbPath) for
CHAOS_OUTAGE_SECONDS under the same flow, then started again; matching must go on,
/health must say degraded, and settlement must drain after the node returns.
Ports: chain 8576, service 8176 (CHAOS_CHAIN_PORT, CHAOS_SERVICE_PORT).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import Session, select

from backend.config import ROOT
from backend.db import make_engine
from backend.models.settlement import TradeRecord
from bench.flow import OrderFlow
from bench.invariants import Verdict, balances, check
from bench.stack import MarketSetup, Stack, Trader, set_up_market


@dataclass
class ChaosResult:
    kills: int
    verdict: Verdict
    flow: OrderFlow
    restart_seconds: list[float] = field(default_factory=list)
    drain_seconds: float = 0.0
    flow_seconds: float = 0.0  # from the flow's start to its stop, kills and restarts included

    def figures(self) -> str:
        restarts = (
            f"restart to healthy mean {statistics.mean(self.restart_seconds):.1f}s max {max(self.restart_seconds):.1f}s"
            if self.restart_seconds
            else ""
        )
        rate = self.verdict.acknowledged / self.flow_seconds if self.flow_seconds else 0.0
        via = f"batches of {self.flow.batch}" if isinstance(self.flow, BatchFlow) else "one by one"
        return (
            f"orders sent {via}, {rate:.1f} acknowledged a second over {self.flow_seconds:.0f}s (kills and "
            f"restarts included); kills survived {self.kills}, orders sent {self.flow.sent}, acknowledged "
            f"{self.verdict.acknowledged}, in doubt at a kill and resent {sum(self.flow.in_doubt.values())} "
            f"({dict(self.flow.in_doubt)}), rejected {dict(self.flow.rejected)}, trades {self.verdict.trades}, "
            f"lost {self.verdict.lost}, doubled {self.verdict.doubled}; {restarts}; outbox drained in "
            f"{self.drain_seconds:.1f}s\n  invariants: {self.verdict.summary()}"
        )


class BatchFlow(OrderFlow):
    """The same steady flow through POST /v1/orders/batch: each trader sends `batch` orders a
    request. A batch cut off by a kill is in doubt as a whole and resent as it was: each of its
    orders is then answered 200 (committed before the kill) or 201 (not), exactly once."""

    def __init__(self, stack: Stack, setup: MarketSetup, *, batch: int, **kwargs: Any):
        super().__init__(stack, setup, **kwargs)
        self.batch = batch

    def _run(self, index: int, trader: Trader) -> None:
        rng = random.Random(self.seed * 1_000 + index)  # noqa: S311 - a reproducible flow
        with httpx.Client(base_url=self.stack.base_url, timeout=60) as client:
            count = 0
            while not self._stop.is_set():
                ids = range(count, count + self.batch)
                bodies = [self.next_body(rng, trader, f"{self.tag}-{index}-{i}") for i in ids]
                self.send_batch(client, trader, bodies)
                count += self.batch
                if self.pause:
                    time.sleep(self.pause)

    def send_batch(self, client: httpx.Client, trader: Trader, bodies: list[dict[str, Any]]) -> None:
        doubted, deadline = False, time.monotonic() + self.answer_timeout
        with self._lock:
            self.sent += len(bodies)
        while True:
            try:
                response = client.post("/v1/orders/batch", json={"orders": bodies}, headers=trader.headers)
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    with self._lock:
                        self.rejected["no_answer"] += len(bodies)
                    return
                doubted = True
                time.sleep(0.1)
                continue
            with self._lock:
                if response.status_code != 200:  # the batch as a whole (e.g. 503 service.busy)
                    code = response.json().get("error", {}).get("code", str(response.status_code))
                    self.rejected[code] += len(bodies)
                    return
                for result in response.json()["results"]:
                    if result["status"] in (200, 201):
                        self.acknowledged[result["order"]["id"]] = result["order"]
                        if doubted:
                            self.in_doubt["committed" if result["status"] == 200 else "not_committed"] += 1
                    else:
                        self.rejected[result["error"]["code"]] += 1
            return


def unfinished_trades(stack: Stack, symbol: str) -> int:
    engine = make_engine(str(stack.database_url))
    try:
        with Session(engine) as session:
            return int(
                session.exec(
                    select(func.count())
                    .select_from(TradeRecord)
                    .where(TradeRecord.symbol == symbol, TradeRecord.settlement_status.in_(("pending", "submitted")))  # type: ignore[attr-defined]
                ).one()
            )
    finally:
        engine.dispose()


def wait_settled(stack: Stack, symbol: str, timeout: float = 600) -> float:
    """Seconds until no trade of `symbol` is pending or submitted."""
    start = time.monotonic()
    while unfinished_trades(stack, symbol):
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"settlement of {symbol} did not drain within {timeout:.0f}s")
        time.sleep(0.25)
    return time.monotonic() - start


def run_chaos(
    stack: Stack,
    *,
    kills: int,
    traders: int = 4,
    seed: int = 7,
    min_gap: float = 0.5,
    max_gap: float = 3.0,
    batch: int = 0,
    log: Callable[[str], None] = print,
) -> ChaosResult:
    """The service must be running; returns the figures and the invariants' verdict. `batch`:
    the flow sends that many orders a request through POST /v1/orders/batch (0: one by one)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible timings, not secrets
    setup = set_up_market(stack, traders=traders)
    baseline = balances(stack, setup)
    flow = (
        BatchFlow(stack, setup, batch=batch, seed=seed, tag=f"k{seed}")
        if batch
        else OrderFlow(stack, setup, seed=seed, tag=f"k{seed}")
    )
    started = time.monotonic()
    result = ChaosResult(kills=0, verdict=Verdict(), flow=flow)
    flow.start()
    try:
        for k in range(kills):
            time.sleep(rng.uniform(min_gap, max_gap))
            stack.kill_service()
            killed = time.monotonic()
            stack.start_service()
            result.restart_seconds.append(time.monotonic() - killed)
            result.kills += 1
            log(
                f"kill {k + 1}/{kills}: restarted in {result.restart_seconds[-1]:.1f}s, "
                f"{len(flow.acknowledged)} orders acknowledged so far"
            )
        time.sleep(1.0)
    finally:
        flow.stop()
        result.flow_seconds = time.monotonic() - started
    result.drain_seconds = wait_settled(stack, setup.symbol)
    result.verdict = check(stack, setup, flow.acknowledged, baseline)
    return result


@dataclass
class OutageResult:
    down_seconds: float
    health_while_down: dict[str, Any]
    acknowledged_while_down: int
    trades_while_down: int
    drain_seconds: float
    health_after: dict[str, Any]
    verdict: Verdict
    flow: OrderFlow

    def figures(self) -> str:
        return (
            f"chain down {self.down_seconds:.0f}s: /health {self.health_while_down.get('status')} "
            f"{self.health_while_down.get('reasons')}; orders acknowledged while down "
            f"{self.acknowledged_while_down}, trades matched while down {self.trades_while_down}; settlement "
            f"drained {self.drain_seconds:.1f}s after the node returned; /health then "
            f"{self.health_after.get('status')}; rejected {dict(self.flow.rejected)}\n"
            f"  invariants: {self.verdict.summary()}"
        )


def trade_count(stack: Stack, symbol: str) -> int:
    engine = make_engine(str(stack.database_url))
    try:
        with Session(engine) as session:
            return int(
                session.exec(select(func.count()).select_from(TradeRecord).where(TradeRecord.symbol == symbol)).one()
            )
    finally:
        engine.dispose()


def run_outage(
    stack: Stack,
    *,
    down_seconds: float,
    traders: int = 4,
    seed: int = 11,
    setup: MarketSetup | None = None,
    log: Callable[[str], None] = print,
) -> OutageResult:
    """Stop our ganache under a steady flow, start it again, let settlement drain."""
    setup = setup or set_up_market(stack, traders=traders)
    baseline = balances(stack, setup)
    flow = OrderFlow(stack, setup, seed=seed, tag=f"o{seed}", pause=0.02)
    flow.start()
    try:
        time.sleep(3)  # every trader's funds read live at least once before the node goes
        acknowledged, trades = len(flow.acknowledged), trade_count(stack, setup.symbol)
        stack.stop_chain()
        stopped = time.monotonic()
        log(f"chain stopped; {acknowledged} orders acknowledged before")
        time.sleep(down_seconds / 2)
        health_down = stack.health()
        time.sleep(max(0.0, down_seconds - (time.monotonic() - stopped)))
        acknowledged_down = len(flow.acknowledged) - acknowledged
        trades_down = trade_count(stack, setup.symbol) - trades
        stack.start_chain()
        log(f"chain back after {time.monotonic() - stopped:.1f}s")
        returned = time.monotonic()
    finally:
        flow.stop()
    wait_settled(stack, setup.symbol)
    drain = time.monotonic() - returned
    health_after = stack.health()
    verdict = check(stack, setup, flow.acknowledged, baseline)
    return OutageResult(down_seconds, health_down, acknowledged_down, trades_down, drain, health_after, verdict, flow)


def main() -> int:
    env = os.environ.get
    workdir = Path(env("CHAOS_WORKDIR") or ROOT / ".rwa" / "bench" / f"chaos-{int(time.time())}")
    stack = Stack(
        workdir,
        chain_port=int(env("CHAOS_CHAIN_PORT", "8576")),
        service_port=int(env("CHAOS_SERVICE_PORT", "8176")),
        database_url=env("CHAOS_DATABASE_URL"),
        env={"RWA_FUNDS_MAX_AGE_MS": env("CHAOS_FUNDS_MAX_AGE_MS", "1000")},
    )
    kills = int(env("CHAOS_KILLS", "20"))
    try:
        print(f"starting ganache and deploying (work dir {workdir})", flush=True)
        stack.start_chain()
        stack.start_service()
        chaos = run_chaos(
            stack,
            kills=kills,
            traders=int(env("CHAOS_TRADERS", "4")),
            min_gap=float(env("CHAOS_MIN_GAP", "0.5")),
            max_gap=float(env("CHAOS_MAX_GAP", "3")),
            batch=int(env("CHAOS_BATCH", "20")),
            log=lambda line: print(line, flush=True),
        )
        print(f"SIGKILL x{kills}: {chaos.figures()}", flush=True)
        outage = run_outage(
            stack, down_seconds=float(env("CHAOS_OUTAGE_SECONDS", "20")), log=lambda line: print(line, flush=True)
        )
        print(f"chain outage: {outage.figures()}", flush=True)
    finally:
        stack.close()
    return 0 if chaos.verdict.ok and outage.verdict.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
