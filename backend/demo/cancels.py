"""The demo's on-chain cancel: a wallet invalidates its own signed orders, and the book obeys.

Kenji rests two PERMIAN1 bids, then (from his own wallet, without asking the venue) calls
SettlementExchange.cancelUpTo(his highest order nonce + 1). The service's watcher sees the
NonceFloorRaised event and takes both bids off the book within seconds, recording
cancel_reason "onchain" (backend/trading/chain_cancels.py).
"""

from __future__ import annotations

import time
from typing import Any

from backend.demo.api import Api, ScenarioError
from backend.demo.market import NAMES, Say, _limit
from backend.demo.wallet import Wallet

OBEYED_WITHIN = 10.0  # seconds


def cancel_onchain(api: Api, wallets: dict[str, Wallet], exchange: str, say: Say) -> None:
    investor, symbol = "kenji", "PERMIAN1"
    name, key = NAMES[investor], api.keys[investor]
    bids = [
        api.place(wallets[investor], investor, _limit(symbol, "buy", price, "10", f"kenji-rest-{i}"), "resting bid")
        for i, price in enumerate(("41.00", "40.00"))
    ]
    book = api.ok("GET", f"/v1/markets/{symbol}/book", "book")["bids"]
    say(
        f"[green]✓[/] {name} rests two {symbol} bids (10 @ 41.00, 10 @ 40.00; nonces "
        f"{', '.join(b['nonce'] for b in bids)}); book bids {book}"
    )
    floor = max(int(b["nonce"]) for b in bids) + 1
    tx_hash = wallets[investor].cancel_up_to(exchange, floor)
    sent = time.monotonic()
    say(f"[green]✓[/] {name}'s own wallet calls SettlementExchange.cancelUpTo({floor}), tx {tx_hash}")
    orders: list[dict[str, Any]] = []
    while time.monotonic() - sent < OBEYED_WITHIN:
        orders = [api.ok("GET", f"/v1/orders/{b['id']}", "order", key=key) for b in bids]
        if all(o["status"] == "cancelled" for o in orders):
            break
        time.sleep(0.2)
    else:
        raise ScenarioError(f"the on-chain cancelUpTo({floor}) did not take {name}'s bids off the book: {orders}")
    took = time.monotonic() - sent
    book = api.ok("GET", f"/v1/markets/{symbol}/book", "book")["bids"]
    reasons = ", ".join(sorted({o["cancel_reason"] for o in orders}))
    say(
        f"[green]✓[/] the venue saw NonceFloorRaised and cancelled both bids in {took:.1f}s "
        f"(cancel_reason {reasons}); book bids {book}: those signatures can never settle now"
    )
