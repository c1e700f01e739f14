"""A batch's rows (backend/trading/projection.Rows): its journal entries, orders and trades are
written with one INSERT each before the group commit, and what is stored is what the batch
answered: every order's final state, every trade, a journal that replays to the live book."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from backend.auth.service import resolve_investor_key
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.trading.batch import place_orders, reread_resting
from backend.trading.entry import Placed
from backend.trading.revocations import cancel_investor_orders
from backend.trading.sequencer import Venue
from tests.integration.test_batch_entry import _codes, _place, _signed
from tests.support.trading import fund_and_approve


def _inserts(engine: Any) -> tuple[list[tuple[str, int]], Any]:
    """(table, rows) of every INSERT the engine runs while the listener is on."""
    seen: list[tuple[str, int]] = []

    def listen(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO"):
            table = statement.split()[2].strip('"')
            seen.append((table, len(parameters) if executemany else 1))

    event.listen(engine, "before_cursor_execute", listen)
    return seen, lambda: event.remove(engine, "before_cursor_execute", listen)


def test_a_batch_writes_its_rows_in_one_insert_each_and_stores_what_it_answered(
    client, admin, chain_info, make_asset, make_investor
):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    asks = [
        _signed(seller, client, {"symbol": symbol, "side": "sell", "price": p, "quantity": "2"})
        for p in ("2", "2.01", "2.02", "2.03")
    ]
    assert _codes(_place(client, seller, asks)) == ["placed"] * 4

    orders = [
        {"symbol": symbol, "side": "buy", "price": "2.01", "quantity": "3", "time_in_force": "IOC"},  # fills 2 + 1
        {"symbol": symbol, "side": "buy", "price": "1.5", "quantity": "1"},  # rests
        {"symbol": symbol, "side": "buy", "price": "2.05", "quantity": "9", "time_in_force": "IOC"},  # the rest, 4
        {"symbol": symbol, "side": "buy", "price": "1.4", "quantity": "2", "client_order_id": "rows-1"},  # rests
        {"symbol": symbol, "side": "buy", "price": "1.3", "quantity": "1", "time_in_force": "FOK"},  # refused
    ]
    reqs = [_signed(buyer, client, order) for order in orders]
    engine = client.app.state.db
    inserts, stop = _inserts(engine)
    try:
        results = _place(client, buyer, reqs)
    finally:
        stop()
    assert _codes(results) == ["placed", "placed", "placed", "placed", "order.fok_unfilled"]
    # one INSERT per table for the whole batch (the FOK's order row is stored too, rejected)
    by_table = {table: rows for table, rows in inserts if table in ("order", "traderecord", "journalentry")}
    assert [t for t, _ in inserts if t in by_table] == ["journalentry", "order", "traderecord"], inserts
    assert by_table == {"journalentry": 5, "order": 5, "traderecord": 5}

    placed = [r for r in results if isinstance(r, Placed)]
    fills = [t for r in placed for t in r.fills or []]
    assert [(t.price_ticks, t.quantity_lots) for t in fills] == [(200, 2), (201, 1), (201, 1), (202, 2), (203, 2)]
    with Session(engine) as session:
        stored = {o.id: o for o in session.exec(select(Order).where(Order.symbol == symbol))}
        for result in placed:
            row, answered = stored[result.order.id], result.order
            assert (row.status, row.filled_lots, row.cancel_reason, row.order_hash) == (
                answered.status,
                answered.filled_lots,
                answered.cancel_reason,
                answered.order_hash,
            )
        assert [stored[r.order.id].status for r in placed] == ["filled", "open", "cancelled", "open"]
        assert stored[placed[2].order.id].filled_lots == 5
        trades = session.exec(
            select(TradeRecord).where(TradeRecord.symbol == symbol).order_by(col(TradeRecord.trade_seq))
        ).all()
        assert [(t.id, t.price_ticks, t.quantity_lots, t.chain_trade_id) for t in trades] == [
            (t.id, t.price_ticks, t.quantity_lots, t.chain_trade_id) for t in fills
        ]
        assert all(t.settlement_status == "pending" and t.chain_trade_id.startswith("0x") for t in trades)
        # the makers, resting before the batch, were updated in place: all four asks filled
        assert sorted(o.status for o in stored.values() if o.side == "sell") == ["filled"] * 4
        replayed = Venue.for_settings(client.app.state.settings).market(session, symbol).engine
    assert replayed.state_hash() == client.app.state.venue.market(None, symbol).engine.state_hash()


def test_a_cancel_batch_over_two_markets_is_one_commit_and_replays(
    client, admin, chain_info, make_asset, make_investor
):
    first, second = make_asset(), make_asset()
    trader, other = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, first, None, trader)
    fund_and_approve(client, admin, chain_info, second, None, trader)
    bids = [
        _signed(trader, client, {"symbol": asset["symbol"], "side": "buy", "price": p, "quantity": "1"})
        for asset in (second, first)
        for p in ("1", "1.1", "1.2")
    ]
    placed = _place(client, trader, bids)
    assert _codes(placed) == ["placed"] * 6
    ids = [r.order.id for r in placed if isinstance(r, Placed)]
    asked = [ids[4], ids[0], ids[4], "no-such-order", ids[2], ids[5]]
    engine = client.app.state.db
    inserts, stop = _inserts(engine)
    try:
        response = client.post("/v1/orders/cancel-batch", headers=trader.headers, json={"order_ids": asked})
    finally:
        stop()
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["status"], r.get("error", {}).get("code")) for r in results] == [
        (200, None),
        (200, None),
        (409, "order.not_open"),  # the batch cancelled it a moment before
        (404, "order.not_found"),
        (200, None),
        (200, None),
    ]
    assert [r for t, r in inserts if t == "journalentry"] == [4]  # the four cancels: one INSERT, one commit
    # the other investor's key cannot cancel them: answered as if they did not exist
    theirs = client.post("/v1/orders/cancel-batch", headers=other.headers, json={"order_ids": [ids[1]]}).json()
    assert theirs["results"][0]["error"]["code"] == "order.not_found"
    with Session(engine) as session:
        stored = {o.id: (o.status, o.cancel_reason) for o in session.exec(select(Order).where(col(Order.id).in_(ids)))}
        assert [stored[i] for i in ids] == [
            ("cancelled", "user"),
            ("open", None),
            ("cancelled", "user"),
            ("open", None),
            ("cancelled", "user"),
            ("cancelled", "user"),
        ]
        for asset in (first, second):
            replayed = Venue.for_settings(client.app.state.settings).market(session, asset["symbol"]).engine
            live = client.app.state.venue.market(None, asset["symbol"]).engine
            assert replayed.state_hash() == live.state_hash()
    assert client.get(f"/v1/markets/{second['symbol']}/book").json()["bids"] == [["1.1", "1"]]
    assert client.get(f"/v1/markets/{first['symbol']}/book").json()["bids"] == [["1", "1"]]


def test_a_batch_keeps_the_wallets_nonce_sequence_ahead_of_its_highest_nonce(
    client, admin, chain_info, make_asset, make_investor
):
    asset = make_asset()
    trader = make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, trader)
    symbol = asset["symbol"]
    order = {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"}
    chosen = [_signed(trader, client, {**order, "nonce": n}) for n in (5_000, 7_000, 6_000)]
    tif_rejected = _signed(trader, client, {**order, "nonce": 9_000, "time_in_force": "FOK"})  # sequenced, refused
    refused = replace(_signed(trader, client, {**order, "nonce": 12_000}), price=Decimal("1.001"))  # never sequenced
    assert _codes(_place(client, trader, [*chosen, tif_rejected, refused])) == [
        "placed",
        "placed",
        "placed",
        "order.fok_unfilled",
        "order.invalid_tick",
    ]
    handed = client.post("/v1/orders/typed-data", json=order, headers=trader.headers).json()["message"]["nonce"]
    assert handed == 9_001  # past every nonce the batch sequenced (as one by one), not past the refused one


def test_orders_a_revocation_cancels_after_the_batch_are_answered_cancelled(
    client, admin, chain_info, make_asset, make_investor
):
    """The batch's orders are detached objects (written with one INSERT): a revocation's cancel
    right after the batch (order entry's re-check) updates their rows, and reread_resting gives
    the answer those rows, as the single endpoint's refresh does."""
    asset = make_asset()
    trader = make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, trader)
    symbol = asset["symbol"]
    reqs = [_signed(trader, client, {"symbol": symbol, "side": "buy", "price": p, "quantity": "1"}) for p in ("1", "2")]
    state = client.app.state
    with Session(state.db, expire_on_commit=False) as session:
        _principal, investor = resolve_investor_key(session, settings=state.settings, key=trader.api_key)
        assert investor is not None
        results = place_orders(session, state.chain, state.venue, investor, reqs)
        assert [r.order.status for r in results if isinstance(r, Placed)] == ["open", "open"]
        assert cancel_investor_orders(session, state.venue, investor_id=trader.id, reason="revoked") == 2
        reread_resting(session, results)
    assert [(r.order.status, r.order.cancel_reason) for r in results if isinstance(r, Placed)] == [
        ("cancelled", "revoked"),
        ("cancelled", "revoked"),
    ]
