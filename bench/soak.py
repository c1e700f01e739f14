"""Soak: N orders a second for M minutes against a live service on loopback.

    make soak                                  # SOAK_RATE=1000 SOAK_MINUTES=10
    SOAK_RATE=30 SOAK_MINUTES=10 make soak     # a rate this machine sustains
    python -m bench.soak               # the same, env: SOAK_RATE, SOAK_MINUTES, SOAK_TRADERS,
                                               # SOAK_WARMUP_SECONDS, SOAK_FUNDS_MAX_AGE_MS (2000),
                                               # SOAK_CHAIN_PORT, SOAK_SERVICE_PORT

Starts its own ganache (port 8578) and service (port 8177), sets up one market with
SOAK_TRADERS funded traders, warms up, then runs the open-loop generator of
bench/loadgen.py. Reports latency p50/p99/p99.9 from the scheduled send times,
offered and achieved rates, errors, the service's RSS growth, and the time from match to
on-chain settlement (TradeRecord.created_at -> settled_at), then lets the settlement outbox
drain and checks the invariants of bench/invariants.py.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from backend.clock import utcnow
from backend.config import ROOT
from backend.db import make_engine
from backend.models.settlement import TradeRecord
from bench.chaos import unfinished_trades, wait_settled
from bench.invariants import Verdict, balances, check
from bench.loadgen import LoadResult, load
from bench.stack import MarketSetup, Stack, set_up_market

MB = 1024 * 1024


@dataclass
class SoakReport:
    setup: MarketSetup
    load: LoadResult
    trades: int
    settled_by_end: int
    backlog_at_end: int
    drain_seconds: float | None
    settle_ms: list[float]  # match -> settled, every trade of the measured run
    verdict: Verdict | None

    def figures(self) -> str:
        r = self.load
        rss = [b for _, b in r.rss]
        quarters = " -> ".join(f"{rss[min(len(rss) - 1, len(rss) * q // 4)] / MB:.0f}" for q in range(5)) if rss else ""
        rss_line = (
            f"RSS {quarters} MB at 0/25/50/75/100% of the run (max {max(rss) / MB:.0f} MB, growth "
            f"{(rss[-1] - rss[0]) / MB:+.1f} MB)"
            if rss
            else "RSS not sampled"
        )
        settle = sorted(self.settle_ms)

        def pct(p: float) -> str:
            return f"{settle[min(len(settle) - 1, int(p / 100 * len(settle)))] / 1000:.1f}s" if settle else "n/a"

        drain = f"{self.drain_seconds:.0f}s" if self.drain_seconds is not None else "did not drain in time"
        return (
            f"offered {r.rate:g}/s for {r.seconds:.0f}s ({r.scheduled} orders), answered {sum(r.statuses.values())}"
            f" ({r.achieved:.1f}/s), statuses {dict(r.statuses)}, errors {dict(r.errors)}, max in flight "
            f"{r.max_in_flight}\n  latency from scheduled send: p50 {r.percentile(50):.0f} ms, p99 "
            f"{r.percentile(99):.0f} ms, p99.9 {r.percentile(99.9):.0f} ms, max {r.percentile(100):.0f} ms; "
            f"accepted orders only: p50 {r.percentile(50, accepted=True):.0f} ms, p99 "
            f"{r.percentile(99, accepted=True):.0f} ms, p99.9 {r.percentile(99.9, accepted=True):.0f} ms; "
            f"generator lateness p50 {r.lateness(50):.0f} ms, p99 {r.lateness(99):.0f} ms\n"
            f"  {rss_line}\n  trades {self.trades}: settled {self.settled_by_end} by the end of the load, "
            f"backlog {self.backlog_at_end}, drained {drain} after; match->settled p50 {pct(50)}, p99 "
            f"{pct(99)}, max {pct(100)}\n  invariants: {self.verdict.summary() if self.verdict else 'not checked'}"
        )


def trades_since(stack: Stack, symbol: str, since: datetime) -> list[TradeRecord]:
    engine = make_engine(str(stack.database_url))
    try:
        with Session(engine) as session:
            return list(
                session.exec(select(TradeRecord).where(TradeRecord.symbol == symbol, TradeRecord.created_at >= since))
            )
    finally:
        engine.dispose()


def run_soak(
    stack: Stack,
    *,
    rate: float,
    seconds: float,
    traders: int = 8,
    warmup_seconds: float = 10,
    drain_timeout: float = 900,
    setup: MarketSetup | None = None,
) -> SoakReport:
    """The service must be running (stack.service)."""
    setup = setup or set_up_market(stack, traders=traders)
    baseline = balances(stack, setup)
    acknowledged: dict = {}
    if warmup_seconds:
        acknowledged.update(load(stack.base_url, setup, rate=rate, seconds=warmup_seconds, tag="w").acknowledged)
    begun = utcnow()
    pid = stack.service.pid if stack.service else None
    result = load(stack.base_url, setup, rate=rate, seconds=seconds, pid=pid, tag="s")
    acknowledged.update(result.acknowledged)
    backlog = unfinished_trades(stack, setup.symbol)
    by_end = sum(t.settlement_status == "settled" for t in trades_since(stack, setup.symbol, begun))
    try:
        drain: float | None = wait_settled(stack, setup.symbol, timeout=drain_timeout)
    except TimeoutError:
        drain = None
    trades = trades_since(stack, setup.symbol, begun)
    settle_ms = [
        (t.settled_at - t.created_at).total_seconds() * 1000
        for t in trades
        if t.settlement_status == "settled" and t.settled_at is not None
    ]
    verdict = check(stack, setup, acknowledged, baseline) if drain is not None else None
    return SoakReport(setup, result, len(trades), by_end, backlog, drain, settle_ms, verdict)


def main() -> int:
    env = os.environ.get
    workdir = Path(env("SOAK_WORKDIR") or ROOT / ".rwa" / "bench" / f"soak-{int(time.time())}")
    stack = Stack(
        workdir,
        chain_port=int(env("SOAK_CHAIN_PORT", "8578")),
        service_port=int(env("SOAK_SERVICE_PORT", "8177")),
        database_url=env("SOAK_DATABASE_URL"),
        env={"RWA_FUNDS_MAX_AGE_MS": env("SOAK_FUNDS_MAX_AGE_MS", "2000")},
    )
    rate, minutes = float(env("SOAK_RATE", "1000")), float(env("SOAK_MINUTES", "10"))
    try:
        print(f"starting ganache and deploying (work dir {workdir})", flush=True)
        stack.start_chain()
        stack.start_service()
        print(
            f"soak: {rate:g} orders/s for {minutes:g} min, funds snapshots up to "
            f"{stack.env['RWA_FUNDS_MAX_AGE_MS']} ms old",
            flush=True,
        )
        report = run_soak(
            stack,
            rate=rate,
            seconds=minutes * 60,
            traders=int(env("SOAK_TRADERS", "8")),
            warmup_seconds=float(env("SOAK_WARMUP_SECONDS", "10")),
        )
        print(report.figures(), flush=True)
    finally:
        stack.close()
    return 0 if report.verdict is not None and report.verdict.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
