"""The demo's price collapse on ACME and the reopening call auction (issue 14).

Bids step down to a stink bid far below the market; a panic sell trades down to the 10%
band and stops there: the market enters a limit state, and, with no bid back inside the
band, halts. The halt ends in a call: orders come back, nothing matches, the indicative
price moves as they arrive; the call uncrosses at one price and the stink bid is not swept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rich.progress import Progress

from backend.demo.api import Api, ScenarioError
from backend.demo.summary import DemoResult, Refusal
from backend.demo.wallet import Wallet

Say = Callable[..., None]
SYMBOL = "ACME"


def limit(symbol: str, side: str, price: str, quantity: str, cid: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "side": side,
        "type": "limit",
        "price": price,
        "quantity": quantity,
        "time_in_force": "GTC",
        "client_order_id": cid,
    }


def status(api: Api, symbol: str) -> str:
    return str(api.ok("GET", f"/v1/assets/{symbol}", "asset")["market_status"])


def wait_status(api: Api, symbol: str, prefix: str, timeout: float = 120) -> str:
    """Poll the market's status until it starts with `prefix`."""
    deadline = time.monotonic() + timeout
    while not (now := status(api, symbol)).startswith(prefix):
        if time.monotonic() > deadline:
            raise ScenarioError(f"{symbol} should reach {prefix!r}, but is {now}")
        time.sleep(0.25)
    return now


def figures(call: dict[str, Any]) -> str:
    """A call's indicative figures in one phrase."""
    if call["indicative_price"] is None:
        return "no indicative price yet (nothing crosses)"
    imbalance = "no imbalance"
    if call["imbalance_side"] is not None and Decimal(call["imbalance_quantity"]) > 0:
        imbalance = f"imbalance {call['imbalance_quantity']} to {call['imbalance_side']}"
    return f"indicative price {Decimal(call['indicative_price']):.2f} for {call['matched_quantity']}, {imbalance}"


def opening(api: Api, symbols: list[str], say: Say) -> None:
    """New listings open through a call: their first orders meet there and uncross at one price."""
    for symbol in symbols:
        call = api.ok("GET", f"/v1/markets/{symbol}/auction", "auction")
        if call["phase"] == "none":
            continue
        say(f"[cyan]…[/] {symbol} is a new listing: it opens through a call until {call['ends_at']}: {figures(call)}")
    for symbol in symbols:
        wait_status(api, symbol, "open")
        say(f"[green]✓[/] {symbol} opened: the call uncrossed at one price")


def collapse(api: Api, wallets: dict[str, Wallet], result: DemoResult, say: Say, progress: Progress) -> None:
    bids = [("bertie", "12.30", "50"), ("kenji", "12.00", "50"), ("chiara", "9.50", "100")]
    for investor, price, qty in bids:
        api.place(wallets[investor], investor, limit(SYMBOL, "buy", price, qty, f"{investor}-bid"), "bid")
    say("[green]✓[/] ACME bids: 50 @ 12.30 (Bertie), 50 @ 12.00 (Kenji), a stink bid of 100 @ 9.50 (Chiara)")
    panic = api.place(wallets["alice"], "alice", limit(SYMBOL, "sell", "8.00", "400", "alice-panic"), "panic sell")
    tripped = datetime.now(UTC)
    fills = ", ".join(f"{f['quantity']} @ {Decimal(f['price']):.2f}" for f in panic.get("fills", []))
    say(
        f"[yellow]![/] Alice panic-sells 400 ACME @ 8.00: filled {fills or 'nothing'}; the next price (9.50) is "
        f"outside the 10% band: ACME enters a limit state and the rest of her order is {panic['status']} "
        f"({panic.get('cancel_reason')})"
    )
    wait = progress.add_task("limit state: waiting for a bid back inside the band", total=None)
    halted_status = wait_status(api, SYMBOL, "halted: volatility")
    progress.remove_task(wait)
    say(f"[yellow]![/] no bid came back inside the band: {halted_status}")
    halted = api.refused(
        wallets["bertie"], "bertie", limit(SYMBOL, "buy", "12.00", "10", "bertie-halted"), "order during the halt"
    )
    result.refusals.append(
        Refusal("Bertie Hughes", "buy 10 ACME @ 12.00", halted["code"], halted["message"], "ACME is halted")
    )
    say(f"[green]✓[/] during the halt new orders are refused: {halted['code']}")
    wait = progress.add_task("volatility halt: waiting for the reopening call", total=None)
    wait_status(api, SYMBOL, "auction: reopening")
    progress.remove_task(wait)
    call = api.ok("GET", f"/v1/markets/{SYMBOL}/auction", "auction")
    say(
        f"[cyan]…[/] the halt ends in a reopening call until {call['ends_at']}: orders are accepted, nothing "
        f"matches; reference {Decimal(call['reference_price']):.2f}, collars "
        f"{Decimal(call['collar_low']):.2f}-{Decimal(call['collar_high']):.2f}"
    )
    returning = [
        ("kenji", "Kenji", limit(SYMBOL, "buy", "11.80", "60", "kenji-call"), "buys 60 @ 11.80"),
        ("alice", "Alice", limit(SYMBOL, "sell", "11.00", "100", "alice-call"), "sells 100 @ 11.00"),
        ("bertie", "Bertie", limit(SYMBOL, "buy", "11.40", "40", "bertie-call"), "buys 40 @ 11.40"),
    ]
    placed = []
    for investor, name, order, text in returning:
        placed.append((investor, api.place(wallets[investor], investor, order, f"{name}'s order in the call")))
        call = api.ok("GET", f"/v1/markets/{SYMBOL}/auction", "auction")
        say(f"[cyan]…[/] {name} {text}: {figures(call)}")
    indicative = call["indicative_price"]
    wait = progress.add_task("reopening call: waiting for the uncross", total=None)
    wait_status(api, SYMBOL, "open")
    progress.remove_task(wait)
    reopened = datetime.now(UTC)
    trades = api.settle_all()
    result.trades = trades
    crossed = [
        o
        for investor, o in placed
        if api.ok("GET", f"/v1/orders/{o['id']}", "order", key=api.keys[investor]).get("fills")
    ]
    price = trades[-1]["price"] if trades else indicative
    bids_left = api.ok("GET", f"/v1/markets/{SYMBOL}/book", "book")["bids"]
    stink = next((q for p, q in bids_left if Decimal(p) == Decimal("9.50")), "0")
    if Decimal(stink) != 100:
        raise ScenarioError(f"the stink bid should be untouched after the reopening, book bids: {bids_left}")
    volume = sum(Decimal(t["quantity"]) for t in trades if t["price"] == price and t["executed_at"] >= _iso(tripped))
    say(
        f"[green]✓[/] ACME reopened by auction at {Decimal(price):.2f} ({reopened:%H:%M:%S} UTC): {volume} ACME "
        f"from {len(crossed)} orders crossed at one price, settled on chain; Chiara's stink bid of 100 @ 9.50 "
        "was not swept"
    )
    result.halt = {
        "tripped_at": tripped.strftime("%H:%M:%S UTC"),
        "status": halted_status,
        "reopened_at": reopened.strftime("%H:%M:%S UTC"),
        "panic_fills": fills,
        "panic_status": panic["status"],
        "auction_price": f"{Decimal(price):.2f}",
        "auction_volume": str(volume),
        "auction_orders": str(len(crossed)),
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
