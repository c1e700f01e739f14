"""Batch order entry (backend/trading/batch.place_orders) on a real chain: each order answered on
its own with the single path's codes, one commit for the batch (every answered order durable and
in the journal), funds and compliance counted across the batch, client_order_id retries."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from backend.auth.service import resolve_investor_key
from backend.errors import DomainError
from backend.models.compliance import Investor as InvestorRow
from backend.models.trading import JournalEntry, Order
from backend.trading.batch import place_orders
from backend.trading.entry import OrderRequest, Placed
from backend.trading.sequencer import Venue
from tests.support.trading import fund_and_approve


def _signed(who, client, order: dict) -> OrderRequest:
    """An order request signed by `who` over the typed data the API hands out."""
    typed = client.post("/v1/orders/typed-data", json=order, headers=who.headers).json()
    assert "message" in typed, typed
    return OrderRequest(
        symbol=order["symbol"],
        side=order["side"],
        type=order.get("type", "limit"),
        quantity=Decimal(order["quantity"]),
        price=Decimal(order["price"]),
        time_in_force=order.get("time_in_force", "GTC"),
        client_order_id=order.get("client_order_id"),
        signature=who.wallet.sign_order(typed),
        nonce=typed["message"]["nonce"],
        expires_at=typed["message"]["expiry"],
    )


def _place(client, who, reqs: list[OrderRequest]) -> list[Placed | DomainError]:
    state = client.app.state
    with Session(state.db, expire_on_commit=False) as session:
        _principal, investor = resolve_investor_key(session, settings=state.settings, key=who.api_key)
        assert isinstance(investor, InvestorRow)
        return place_orders(session, state.chain, state.venue, investor, reqs)


def _codes(results: list[Placed | DomainError]) -> list[str]:
    return [
        "placed" if isinstance(r, Placed) and r.created else ("again" if isinstance(r, Placed) else r.code)
        for r in results
    ]


def test_a_mixed_batch_answers_each_order_and_commits_the_good_ones(
    client, admin, chain_info, make_asset, make_investor
):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    resting = _signed(seller, client, {"symbol": symbol, "side": "sell", "price": "2", "quantity": "3"})
    assert _codes(_place(client, seller, [resting])) == ["placed"]

    bid = _signed(
        buyer, client, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "2", "client_order_id": "b1"}
    )
    bad_tick = replace(bid, price=Decimal("1.001"), client_order_id=None)
    taker = _signed(buyer, client, {"symbol": symbol, "side": "buy", "price": "2", "quantity": "2"})
    forged = replace(bid, price=Decimal("1.5"), client_order_id=None)
    replayed_bid = replace(bid, client_order_id=None)
    results = _place(client, buyer, [bid, bad_tick, taker, bid, forged, replayed_bid])
    assert _codes(results) == [
        "placed",
        "order.invalid_tick",
        "placed",
        "again",  # the same client_order_id later in the batch: the first one's order
        "order.bad_signature",  # signed for another price
        "order.duplicate_nonce",  # the first order's signature again, without its client id
    ]
    first, third = results[0], results[2]
    assert isinstance(first, Placed) and isinstance(third, Placed) and isinstance(results[3], Placed)
    assert results[3].order.id == first.order.id
    assert third.fills and sum(t.quantity_lots for t in third.fills) == 2
    assert third.order.status == "filled"

    # durable: a fresh session sees both orders, the journal holds them, and it replays to the live book
    with Session(client.app.state.db) as session:
        stored = {o.id: o.status for o in session.exec(select(Order).where(Order.symbol == symbol))}
        assert stored[first.order.id] == "open" and stored[third.order.id] == "filled"
        journal = [e.command for e in session.exec(select(JournalEntry).where(JournalEntry.symbol == symbol))]
        placed = {c["order_id"] for c in journal if c["kind"] == "PlaceOrder"}
        assert {first.order.id, third.order.id} <= placed
        replayed = Venue.for_settings(client.app.state.settings).market(session, symbol).engine
    assert replayed.state_hash() == client.app.state.venue.market(None, symbol).engine.state_hash()
    book = client.get(f"/v1/markets/{symbol}/book").json()
    assert book["bids"] == [["1", "2"]] and book["asks"] == [["2", "1"]]


def test_the_batch_never_commits_more_cash_than_the_wallet_has(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    buyer = make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, buyer, cash="100")
    symbol = asset["symbol"]
    reqs = [
        _signed(buyer, client, {"symbol": symbol, "side": "buy", "price": "1", "quantity": q})
        for q in ("60", "60", "40")
    ]
    # each alone is affordable; the second would take the batch past 100
    assert _codes(_place(client, buyer, reqs)) == ["placed", "order.insufficient_cash", "placed"]
    # and what the batch committed counts for the next request
    more = _signed(buyer, client, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"})
    assert _codes(_place(client, buyer, [more])) == ["order.insufficient_cash"]


def test_a_later_order_of_the_batch_may_cancel_an_earlier_one(client, admin, chain_info, make_asset, make_investor):
    """Self-trade prevention inside one batch: the sell cancels the batch's own resting buy, an
    order not yet written when the sell is sequenced."""
    asset = make_asset()
    trader = make_investor()
    fund_and_approve(client, admin, chain_info, asset, trader, trader)
    symbol = asset["symbol"]
    buy = _signed(trader, client, {"symbol": symbol, "side": "buy", "price": "2", "quantity": "1"})
    sell = _signed(trader, client, {"symbol": symbol, "side": "sell", "price": "2", "quantity": "1"})
    results = _place(client, trader, [buy, sell])
    assert _codes(results) == ["placed", "placed"]
    first = results[0]
    assert isinstance(first, Placed)
    with Session(client.app.state.db) as session:
        stored = session.get(Order, first.order.id)
        assert stored is not None and stored.status == "cancelled"
        replayed = Venue.for_settings(client.app.state.settings).market(session, symbol).engine
    assert replayed.state_hash() == client.app.state.venue.market(None, symbol).engine.state_hash()


def test_a_batch_whose_commit_fails_leaves_nothing_behind(client, admin, chain_info, make_asset, make_investor):
    """The group commit fails: the batch raises, none of its orders is stored, and the engine is
    rebuilt from the journal (it had run ahead of the database), so the book shows none of them."""
    asset = make_asset()
    buyer = make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, buyer)
    symbol = asset["symbol"]
    reqs = [_signed(buyer, client, {"symbol": symbol, "side": "buy", "price": p, "quantity": "1"}) for p in ("1", "2")]
    state = client.app.state
    before = state.venue.market(None, symbol).engine.state_hash()

    class Failing(Session):
        def commit(self) -> None:
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    with Failing(state.db, expire_on_commit=False) as session:
        _principal, investor = resolve_investor_key(session, settings=state.settings, key=buyer.api_key)
        assert investor is not None
        with pytest.raises(OperationalError):
            place_orders(session, state.chain, state.venue, investor, reqs)
    assert state.venue.market(None, symbol).engine.state_hash() == before
    with Session(state.db) as session:
        assert session.exec(select(Order).where(Order.symbol == symbol)).all() == []
    assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == []
    # and the same signed orders go through once the database is back
    assert _codes(_place(client, buyer, reqs)) == ["placed", "placed"]


def test_a_batch_writes_nothing_before_it_holds_its_markets_locks(client, admin, chain_info, make_asset, make_investor):
    """Lock order: a market's lock, then the database's write lock, never the other way round.
    While another thread holds the market's lock, a batch that has checked its orders (a live
    funds reading among them) waits for that lock without holding SQLite's write lock: the
    holder can still write."""
    state = client.app.state
    url = str(state.settings.database_url)
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite's single write lock")
    asset = make_asset()
    trader = make_investor()
    fund_and_approve(client, admin, chain_info, asset, trader, trader)
    symbol = asset["symbol"]
    reqs = [  # a buy (a live cash reading), then a sell (its reservations read after that reading)
        _signed(trader, client, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"}),
        _signed(trader, client, {"symbol": symbol, "side": "sell", "price": "5", "quantity": "1"}),
    ]
    state.venue.balances.recent.clear()  # no reading in memory: the batch reads the node live
    market = state.venue.market(None, symbol)
    results: list = []
    with market.lock:
        worker = threading.Thread(target=lambda: results.extend(_place(client, trader, reqs)))
        worker.start()
        time.sleep(3)  # the batch has checked its orders and waits for the market's lock
        assert worker.is_alive()
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=2)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if the batch took the write lock
            other.execute("ROLLBACK")
        finally:
            other.close()
    worker.join(timeout=60)
    assert _codes(results) == ["placed", "placed"]
