"""The demo's readable summary: positions (chain vs database), trades, refusals, the
royalty distribution, the circuit breaker, and where to look next."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from backend.settlement.reconcile import Report


@dataclass(frozen=True)
class Refusal:
    investor: str
    order: str
    code: str
    message: str
    why: str


@dataclass(frozen=True)
class Claim:
    investor: str
    held: str
    amount: str
    tx_hash: str


@dataclass
class DemoResult:
    keys: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    keys_file: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    trade_parties: dict[str, tuple[str, str]] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    distribution: dict[str, Any] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    halt: dict[str, str] = field(default_factory=dict)
    market_order: dict[str, str] = field(default_factory=dict)
    positions: Report | None = None
    audit: list[dict[str, Any]] = field(default_factory=list)  # GET /v1/audit (backend/demo/powers.py)
    elapsed: float = 0.0


def _table(title: str, *columns: str) -> Table:
    table = Table(title=f"[bold]{title}", title_justify="left")
    for column in columns:
        table.add_column(column)
    return table


def render(console: Console, result: DemoResult) -> None:
    from backend.commands.reconcile import positions_table, summary_line, unexplained_table

    console.rule("[bold]Demo summary")
    if result.positions is not None:
        console.print(
            positions_table(result.positions, "Positions: on-chain balance vs the venue's ledger (reconcile)")
        )
        if result.positions.unexplained:
            console.print(unexplained_table(result.positions))
        console.print(summary_line(result.positions), highlight=False)

    trades = _table(
        "Trades settled on chain (DvP: asset and cash in one transaction)",
        "trade",
        "asset",
        "quantity @ price",
        "seller -> buyer",
        "status",
        "tx hash",
    )
    for t in result.trades:
        seller, buyer = result.trade_parties.get(t["id"], ("?", "?"))
        trades.add_row(
            t["id"],
            t["symbol"],
            f"{t['quantity']} @ {Decimal(t['price']):.2f}",
            f"{seller} -> {buyer}",
            t["settlement_status"],
            t["tx_hash"] or "",
        )
    console.print(trades)

    refused = _table("Orders refused before they could rest or match", "investor", "order", "code", "why")
    for r in result.refusals:
        refused.add_row(r.investor, r.order, f"[red]{r.code}[/]", r.why)
    console.print(refused)

    if result.distribution:
        d = result.distribution
        console.print(
            f"[bold]Revenue distribution[/]: {d['amount']} cash to {d['symbol']} holders pro rata, "
            f"deposit tx {d.get('tx_hash')}",
            highlight=False,
            soft_wrap=True,
        )
        claims = _table(
            "Each holder's claim, sent from its own wallet", "holder", f"{d['symbol']} held", "claimed", "claim tx"
        )
        for c in result.claims:
            claims.add_row(c.investor, c.held, c.amount, c.tx_hash)
        console.print(claims)
        console.print(f"  memo: {d['memo']}", highlight=False)

    if result.market_order:
        m = result.market_order
        console.print(
            f"[bold]Market order[/]: Chiara's market buy signed a limit of {m['limit']} (the collar around the "
            f"reference price) and filled {m['fills']}: the venue can never settle it above its signed limit.",
            highlight=False,
        )

    if result.halt:
        h = result.halt
        console.print(
            f"[bold]Circuit breaker[/]: ACME price collapse at {h['tripped_at']}: the panic sell filled "
            f"{h['panic_fills']} and stopped at the 10% band (a limit state); the order's remainder was "
            f"{h['panic_status']}; no bid came back: {h['status']}.",
            highlight=False,
        )
        console.print(
            f"[bold]Reopening auction[/]: ACME reopened at {h['auction_price']} at {h['reopened_at']}: "
            f"{h['auction_volume']} ACME from {h['auction_orders']} orders crossed in the call at one price; "
            "the stink bid of 100 @ 9.50 was not swept.",
            highlight=False,
        )

    from backend.demo.powers import render_audit

    render_audit(console, result.audit)

    base = result.base_url
    console.print()
    console.print(f"[bold]Where to look next[/] (scenario ran in {result.elapsed:.0f}s)")
    console.print(f"  UI:        {base}/")
    console.print(f"  API docs:  {base}/docs")
    console.print(f"  API keys:  {result.keys_file} (admin and each investor)")
    console.print("  CLI:       .venv/bin/rwa reconcile | rules show ACME | documents verify PERMIAN1, after")
    console.print(
        "             export " + " ".join(f"{k}={v}" for k, v in result.env.items()), highlight=False, soft_wrap=True
    )
