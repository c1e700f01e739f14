"""The benchmark's tables and the paragraphs written to docs/benchmarks.md."""

from __future__ import annotations

import json

from backend.config import ROOT
from bench.settlement.measure import FLOOR_VARIANTS, Floor, Result


def node_version(node: str) -> str:
    try:
        data = json.loads(
            (
                ROOT / "node_modules" / {"ganache": "ganache", "anvil": "@foundry-rs/anvil"}[node] / "package.json"
            ).read_text()
        )
        return f"{node} {data['version']}"
    except (OSError, ValueError, KeyError):
        return node


def table(results: list[Result]) -> str:
    lines = [
        "| node | batch | trades settled | settle() txs | wall time | trades/s (median) | slowest-fastest run "
        "| gas/trade |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.batch == 0:
            continue
        lines.append(
            f"| {node_version(r.node)} | {r.batch} | {r.settled}/{r.trades} | {r.transactions} | "
            f"{r.seconds:.2f} s | {r.trades_per_second:,.1f} | {r.spread[0]:,.1f}-{r.spread[1]:,.1f} | "
            f"{r.gas_per_trade:,} |"
        )
    return "\n".join(lines)


def baseline_table(results: list[Result]) -> str:
    lines = [
        "| node | plain cash transfers | wall time | transfers/s | gas/transfer | ms/transaction |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.batch == 0:
            lines.append(
                f"| {node_version(r.node)} | {r.settled}/{r.trades} | {r.seconds:.2f} s | "
                f"{r.trades_per_second:,.1f} | {r.gas_per_trade:,} | {1000 * r.seconds / r.trades:.1f} |"
            )
    return "\n".join(lines)


def per_trade_ms(results: list[Result]) -> str:
    """Milliseconds of node time per settled trade, by node and batch size."""
    parts = []
    for r in results:
        if r.batch and r.settled:
            parts.append(f"{r.node} batch {r.batch}: {1000 * r.seconds / r.settled:.1f} ms")
    return "; ".join(parts)


def floor_table(results: list[Result], floors: list[Floor]) -> str:
    if not floors:
        return ""
    lines = [
        "\nWhat a trade costs before it moves anything: batches of trades that all fail at one check "
        "(each trade's failure code checked), node time per trade, and the trades/s that alone would allow "
        "(a ceiling however cheap the transfers were made).\n",
        "| node | batch | the trades stop after | ms/trade | ceiling trades/s | full trade, ms |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for f in floors:
        full = [r for r in results if r.node == f.node and r.batch and r.settled]
        full_ms = f"{1000 * full[-1].seconds / full[-1].settled:.1f}" if full else "-"
        batch = full[-1].batch if full else 0
        lines.append(
            f"| {node_version(f.node)} | {batch} | {f.what} | {f.ms_per_trade:.1f} | "
            f"{1000 / f.ms_per_trade:,.0f} | {full_ms} |"
        )
    verified = [f for f in floors if f.what == FLOOR_VARIANTS[-1][0]]
    for f in verified:
        budget = 1000 / TARGETS.get(f.node, 0) if TARGETS.get(f.node) else None
        if budget is not None and budget < 2 * f.ms_per_trade:  # where the floor is what limits
            lines.append(
                f"\nOn {f.node}, the target of {TARGETS[f.node]:,} trades/s allows {budget:.1f} ms a trade; "
                f"verifying the two signed orders alone took {f.ms_per_trade:.1f} ms, leaving "
                f"{budget - f.ms_per_trade:.1f} ms for both transfers with their compliance, the fill and "
                f"trade-id records and the event."
            )
    return "\n".join(lines) + "\n"


TARGETS = {"ganache": 60, "anvil": 1000}  # trades/s, issue 5


def limits(results: list[Result]) -> str:
    """Where the time goes: a settled trade's node time beside a whole plain-transfer transaction's."""
    lines = []
    for node in dict.fromkeys(r.node for r in results):
        base = next((r for r in results if r.node == node and r.batch == 0 and r.settled), None)
        batched = [r for r in results if r.node == node and r.batch and r.settled]
        if base is None or not batched:
            continue
        largest = max(batched, key=lambda r: r.batch)
        trade_ms = 1000 * largest.seconds / largest.settled
        tx_ms = 1000 * base.seconds / base.trades
        lines.append(
            f"on {node} a trade settled in a batch of {largest.batch} takes {trade_ms:.1f} ms of node "
            f"time, {trade_ms / tx_ms:.1f}x a whole plain-transfer transaction ({tx_ms:.1f} ms)"
        )
    if not lines:
        return ""
    return (
        "\nWhere the time goes: " + "; ".join(lines) + ". Batching removes the per-transaction "
        "part only; what is left is each trade's own EVM work (the calls listed below), which ganache's "
        "JavaScript EVM runs at a few milliseconds a contract call.\n" + LEVER
    )


LEVER = (
    "\nWhat was done, and what is left: the rules no longer call back into the token for its state (the "
    "token passes it: 18 -> 10 calls a trade). Issue 17 removed the fresh storage slots of a trade (order "
    "state in a per-trader nonce bitmap, a slot only for partial fills; the trade id as a 64-bit fingerprint, "
    "four sequence numbers a slot; each order loaded once a batch): gas at batch 50 122k -> 75k a trade, "
    "docs/gas.md; on ganache the rate moved little, because node time is the calls and the signatures. "
    "Netting a batch - checking each trade's compliance in memory "
    "against the balances the batch's earlier trades leave, then moving each participant's net asset and cash "
    "once - would leave per trade only the checks measured as the floor above plus the fill and trade-id "
    "records, so the transfers would scale with participants instead of trades. It needs the compliance rules "
    "as a pure function of per-wallet state the exchange reads once per participant, and a settlement-only "
    "net-move function on AssetToken (a role the exchange holds) that keeps holder count, lock-ups, the "
    "distributor's checkpoints and allowances as trade-by-trade transfers would. On ganache it cannot reach "
    "60 trades/s either way: the floor alone (the two signatures above all: ganache's ecrecover is JavaScript) "
    "takes nearly the whole budget of a trade.\n"
)
