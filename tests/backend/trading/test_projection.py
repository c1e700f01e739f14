"""The projection of matching-engine events into Order and TradeRecord rows (apply_events).

Each case gives the events the engine emits for one command (the sequences are the engine's
own, as tests/backend/matching checks them) and reads the rows back from a real SQLite file in
a fresh session: statuses, filled_lots, cancel_reason, reject_code, the trade rows and their
on-chain ids (tradeIdOf of both orders' EIP-712 hashes and the trade's sequence number). The
session is set up as the service's callers leave it: the order being placed is new in the
session (`known`), an order the user cancels is loaded, and makers and the orders a CancelAll
or an expiry takes are not loaded at all (they are updated in SQL, never read back).

The last test runs a seeded stream of commands through the real engine and checks, after
every command, that the rows say what the engine says.
(tests/backend/test_cancel_reasons.py covers the service's cancel reasons in detail.)
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from eth_utils import keccak
from sqlalchemy import event
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, SQLModel, select

import backend.models  # noqa: F401 - every table on the metadata
from backend.db import make_engine
from backend.matching import (
    CancelAll,
    CancelOrder,
    CancelReason,
    Expire,
    MarketConfig,
    MatchingEngine,
    OrderAccepted,
    OrderCancelled,
    OrderDone,
    OrderRejected,
    OrderRested,
    OrderType,
    PlaceOrder,
    RejectCode,
    Side,
    TimeInForce,
    Trade,
)
from backend.models.assets import Asset
from backend.models.compliance import Investor
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.statuses import OPEN_STATUSES
from backend.trading.projection import REJECT_CODES, apply_events, chain_trade_id

INVESTORS = (1, 2, 3)


@pytest.fixture
def db(tmp_path) -> Iterator[Any]:
    engine = make_engine(f"sqlite:///{tmp_path / 'projection.db'}")  # foreign keys enforced
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        for n in INVESTORS:
            session.add(Investor(id=n, wallet=f"0x{n:040x}", name=f"I{n}", country="US", kyc_expires=date(2099, 1, 1)))
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def asset() -> Asset:
    return Asset(
        symbol="ACME",
        name="Acme",
        kind="equity",
        tick_size="0.01",
        lot_size="1",
        total_supply="1000000",
        issuer_wallet="0x" + "44" * 20,
        token_address="0x" + "70" * 20,
        rules_address="0x" + "55" * 20,
    )


def _hash(order_id: str) -> str:
    return "0x" + keccak(text=order_id).hex()


def new_order(
    order_id: str, side: str, lots: int, *, investor: int = 1, price: int = 100, hashed: bool = True
) -> Order:
    """An order as order entry builds it (status open, nothing filled, its EIP-712 hash)."""
    return Order(
        id=order_id,
        investor_id=investor,
        wallet=f"0x{investor:040x}",
        symbol="ACME",
        side=side,
        type="limit",
        time_in_force="GTC",
        price_ticks=price,
        quantity_lots=lots,
        signed_price=str(price * 10**16),
        nonce=order_id,
        expiry=2_000_000_000,
        signature="0x" + "aa" * 65,
        order_hash=_hash(order_id) if hashed else None,
    )


def resting(db: Any, *orders: Order, filled: dict[str, int] | None = None) -> None:
    """Orders already on the book (committed by earlier commands), some partly filled."""
    with Session(db, expire_on_commit=False) as session:
        for order in orders:
            order.filled_lots = (filled or {}).get(order.id, 0)
            order.status = "partially_filled" if order.filled_lots else "open"
            session.add(order)
        session.commit()


def trade(seq: int, maker: str, taker: str, side: Side, lots: int, *, price: int = 100, owners: str = "21") -> Trade:
    """The engine's Trade: `side` is the taker's; owners = maker's then taker's investor id."""
    return Trade(seq, maker, taker, owners[0], owners[1], side, price, lots, 0)


def accepted(order: Order) -> OrderAccepted:
    return OrderAccepted(
        order.id, str(order.investor_id), Side(order.side), OrderType.LIMIT, order.price_ticks, order.quantity_lots,
        TimeInForce.GTC, False, 0,
    )  # fmt: skip


def orders(db: Any) -> dict[str, Order]:
    with Session(db, expire_on_commit=False) as session:
        return {o.id: o for o in session.exec(select(Order))}


def trades(db: Any) -> dict[str, TradeRecord]:
    with Session(db, expire_on_commit=False) as session:
        return {t.id: t for t in session.exec(select(TradeRecord))}


def state(order: Order) -> tuple[str, int, str | None]:
    return order.status, order.filled_lots, order.cancel_reason


class Statements:
    """The SQL a session sends, to see how a row was changed."""

    def __init__(self, db: Any):
        self.sql: list[str] = []
        event.listen(db, "before_cursor_execute", self._seen)
        self._db = db

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.sql.append(" ".join(statement.split()))

    def close(self) -> None:
        event.remove(self._db, "before_cursor_execute", self._seen)


# --- a taker against makers nobody loaded ------------------------------------------------------


def test_a_buy_taking_two_makers_records_both_trades_fills_the_makers_in_sql_and_rests_its_remainder(db, asset):
    resting(db, new_order("m1", "sell", 5, investor=2), new_order("m2", "sell", 3, investor=2, price=101))
    taker = new_order("t", "buy", 10, price=101)
    events = [
        accepted(taker),
        trade(7, "m1", "t", Side.BUY, 5),
        OrderDone("m1"),
        trade(8, "m2", "t", Side.BUY, 3, price=101),
        OrderDone("m2"),
        OrderRested("t", 2),
    ]
    seen = Statements(db)
    with Session(db, expire_on_commit=False) as session:
        session.add(taker)  # as place_order: added, not flushed, handed over as `known`
        rejection, recorded = apply_events(session, asset, events, {"t": taker})
        for maker in ("m1", "m2"):
            assert identity_key(Order, maker) not in session.identity_map  # never loaded
        session.commit()
    seen.close()
    assert rejection is None and [t.id for t in recorded] == ["ACME-7", "ACME-8"]
    rows = orders(db)
    assert state(rows["m1"]) == ("filled", 5, None)
    assert state(rows["m2"]) == ("filled", 3, None)
    assert state(rows["t"]) == ("partially_filled", 8, None)
    # The makers changed by UPDATE in SQL; no statement read a whole order row back.
    updates = [s for s in seen.sql if s.startswith('UPDATE "order" SET filled_lots=("order".filled_lots')]
    assert len(updates) == 2
    assert not [s for s in seen.sql if s.startswith("SELECT") and '"order".wallet' in s]
    rows_t = trades(db)
    assert set(rows_t) == {"ACME-7", "ACME-8"}
    first, second = rows_t["ACME-7"], rows_t["ACME-8"]
    assert (first.buy_order_id, first.sell_order_id, first.buyer_investor_id, first.seller_investor_id) == (
        "t",
        "m1",
        1,
        2,
    )
    assert (first.taker_side, first.price_ticks, first.quantity_lots, first.trade_seq) == ("buy", 100, 5, 7)
    assert (second.sell_order_id, second.price_ticks, second.quantity_lots) == ("m2", 101, 3)
    assert first.chain_trade_id == chain_trade_id(_hash("t"), _hash("m1"), 7)
    assert second.chain_trade_id == chain_trade_id(_hash("t"), _hash("m2"), 8)
    assert {t.settlement_status for t in rows_t.values()} == {"pending"}


def test_a_sell_taker_is_the_sell_side_and_the_maker_hash_comes_first_in_the_trade_id(db, asset):
    resting(db, new_order("m", "buy", 4, investor=2), filled={"m": 1})  # 3 left
    taker = new_order("t", "sell", 2, investor=3)
    events = [accepted(taker), trade(11, "m", "t", Side.SELL, 2, owners="23"), OrderDone("t")]
    with Session(db, expire_on_commit=False) as session:
        session.add(taker)
        apply_events(session, asset, events, {"t": taker})
        session.commit()
    rows = orders(db)
    assert state(rows["m"]) == ("partially_filled", 3, None)  # 1 before + 2 now, of 4
    assert state(rows["t"]) == ("filled", 2, None)
    [record] = trades(db).values()
    assert (record.buy_order_id, record.sell_order_id, record.taker_side) == ("m", "t", "sell")
    assert (record.buyer_investor_id, record.seller_investor_id) == (2, 3)
    assert record.chain_trade_id == chain_trade_id(_hash("m"), _hash("t"), 11)
    assert record.chain_trade_id != chain_trade_id(_hash("t"), _hash("m"), 11)


def test_a_maker_filled_in_sql_to_its_quantity_is_filled(db, asset):
    resting(db, new_order("m", "sell", 5, investor=2), filled={"m": 3})
    taker = new_order("t", "buy", 2)
    with Session(db, expire_on_commit=False) as session:
        session.add(taker)
        apply_events(
            session,
            asset,
            [accepted(taker), trade(1, "m", "t", Side.BUY, 2), OrderDone("m"), OrderDone("t")],
            {"t": taker},
        )
        session.commit()
    assert state(orders(db)["m"]) == ("filled", 5, None)


def test_a_trade_whose_order_has_no_hash_gets_an_empty_id_for_the_worker_to_derive(db, asset):
    resting(db, new_order("m", "sell", 5, investor=2, hashed=False))
    taker = new_order("t", "buy", 5)
    with Session(db, expire_on_commit=False) as session:
        session.add(taker)
        apply_events(
            session,
            asset,
            [accepted(taker), trade(3, "m", "t", Side.BUY, 5), OrderDone("m"), OrderDone("t")],
            {"t": taker},
        )
        session.commit()
    assert trades(db)["ACME-3"].chain_trade_id == ""


def test_a_maker_loaded_in_the_session_is_updated_as_the_object(db, asset):
    resting(db, new_order("m", "sell", 5, investor=2))
    taker = new_order("t", "buy", 2)
    with Session(db, expire_on_commit=False) as session:
        maker = session.get(Order, "m")
        session.add(taker)
        apply_events(session, asset, [accepted(taker), trade(4, "m", "t", Side.BUY, 2), OrderDone("t")], {"t": taker})
        assert state(maker) == ("partially_filled", 2, None)  # the object the caller holds is current
        session.commit()
    assert state(orders(db)["m"]) == ("partially_filled", 2, None)


# --- cancels, expiries, rejections ---------------------------------------------------------------


@pytest.mark.parametrize("reason", list(CancelReason), ids=[r.value for r in CancelReason])
@pytest.mark.parametrize("loaded", [True, False], ids=["loaded", "in-sql"])
def test_a_partly_filled_order_cancelled_for_each_reason_keeps_its_fill(db, asset, reason, loaded):
    resting(db, new_order("o", "buy", 6), filled={"o": 2})
    with Session(db, expire_on_commit=False) as session:
        held = session.get(Order, "o") if loaded else None  # held: the identity map is weak
        apply_events(session, asset, [OrderCancelled("o", 4, reason)])
        assert held is None or state(held) == ("expired" if reason is CancelReason.EXPIRED else "cancelled", 2, reason)
        session.commit()
    status = "expired" if reason is CancelReason.EXPIRED else "cancelled"
    assert state(orders(db)["o"]) == (status, 2, reason.value)


def test_an_ioc_taker_filled_in_part_is_cancelled_with_its_fill_and_reason(db, asset):
    resting(db, new_order("m", "buy", 2, investor=2))
    taker = new_order("t", "sell", 4, investor=3)
    taker.time_in_force = "IOC"
    events = [
        accepted(taker),
        trade(5, "m", "t", Side.SELL, 2, owners="23"),
        OrderDone("m"),
        OrderCancelled("t", 2, CancelReason.IOC),
    ]
    with Session(db, expire_on_commit=False) as session:
        session.add(taker)
        rejection, recorded = apply_events(session, asset, events, {"t": taker})
        session.commit()
    assert rejection is None and len(recorded) == 1
    rows = orders(db)
    assert state(rows["t"]) == ("cancelled", 2, "ioc")
    assert state(rows["m"]) == ("filled", 2, None)


def test_a_cancel_all_cancels_orders_nobody_loaded_with_the_service_reason(db, asset):
    resting(db, new_order("a", "buy", 3), new_order("b", "sell", 3, price=120), filled={"b": 1})
    resting(db, new_order("other", "buy", 3, investor=2))
    events = [OrderCancelled("a", 3, CancelReason.CANCEL_ALL), OrderCancelled("b", 2, CancelReason.CANCEL_ALL)]
    with Session(db, expire_on_commit=False) as session:
        apply_events(session, asset, events, cancel_reason="revoked")
        session.commit()
    rows = orders(db)
    assert state(rows["a"]) == ("cancelled", 0, "revoked")
    assert state(rows["b"]) == ("cancelled", 1, "revoked")
    assert state(rows["other"]) == ("open", 0, None)


@pytest.mark.parametrize("code", list(RejectCode), ids=[c.name for c in RejectCode])
def test_a_rejected_placement_is_recorded_rejected_with_its_code_and_no_trade(db, asset, code):
    taker = new_order("t", "buy", 5)
    with Session(db, expire_on_commit=False) as session:
        session.add(taker)
        rejection, recorded = apply_events(session, asset, [OrderRejected("t", code, "refused")], {"t": taker})
        session.commit()
    api_code, kind = REJECT_CODES[code.name]
    assert type(rejection) is kind and (rejection.code, rejection.status) == (api_code, kind.status)
    assert rejection.status in (404, 409, 422)
    assert recorded == [] and trades(db) == {}
    row = orders(db)["t"]
    assert (row.status, row.reject_code, row.filled_lots) == ("rejected", api_code, 0)


@pytest.mark.parametrize("loaded", [True, False], ids=["cancel_order", "cancel_orders"])
def test_a_cancel_that_meets_its_order_expired_leaves_it_expired(db, asset, loaded):
    # The engine's events for CancelOrder of an order whose expires_ts came (see the module test below).
    resting(db, new_order("o", "buy", 5))
    events = [OrderCancelled("o", 5, CancelReason.EXPIRED), OrderRejected("o", RejectCode.ORDER_NOT_FOUND, "gone")]
    with Session(db, expire_on_commit=False) as session:
        held = session.get(Order, "o") if loaded else None  # cancel_order loads it and holds it
        apply_events(session, asset, events, cancel_reason="user")
        assert held is None or held.status == "expired"
        session.commit()
    row = orders(db)["o"]
    assert (row.status, row.cancel_reason, row.reject_code) == ("expired", "expired", None)


def test_the_engine_expires_an_order_before_refusing_its_cancel():
    """The event sequence the test above projects, from the engine itself."""
    engine = MatchingEngine(MarketConfig(band_bps=10**9, collar_bps=10**9))
    engine.apply(PlaceOrder("o", "1", Side.BUY, OrderType.LIMIT, 100, 5, ts=1, expires_ts=100))
    events = engine.apply(CancelOrder("o", "1", ts=200))
    assert [type(e) for e in events] == [OrderCancelled, OrderRejected]
    assert events[0].reason == CancelReason.EXPIRED and events[1].code is RejectCode.ORDER_NOT_FOUND


# --- the rows follow the engine over a stream of commands ------------------------------------------


def test_rows_agree_with_the_engine_over_a_seeded_stream_of_commands(db, asset):
    """Place (limit GTC/IOC/FOK, post-only, market), cancel, cancel-all and expiry commands,
    each projected as the service does (its own session; the placed order new and `known`, a
    cancelled order loaded, everything else left to SQL). After every command: each order's
    filled_lots and status match the engine's book and the fills it reported, and the trade
    rows match the engine's trades."""
    rng = random.Random(20261204)
    engine = MatchingEngine(MarketConfig(band_bps=10**9, collar_bps=10**9))
    quantity: dict[str, int] = {}
    filled: dict[str, int] = {}
    final: dict[str, str] = {}  # order id -> the status the engine's events imply once off the book
    engine_trades: dict[int, tuple[str, str, int, int]] = {}  # seq -> (buy id, sell id, price, lots)
    ts = met_expiry = 0
    for step in range(300):
        ts += rng.randint(1, 5)
        kind = rng.choices(["place", "cancel", "cancel_all", "expire"], weights=[70, 15, 5, 10])[0]
        open_ids = [o for o in quantity if engine.order(o) is not None]
        known: dict[str, Order] = {}
        cancel_reason = None
        with Session(db, expire_on_commit=False) as session:
            if kind == "cancel" and open_ids:
                order_id = rng.choice(open_ids)
                due = engine.order(order_id).expires_ts  # type: ignore[union-attr]
                met_expiry += due is not None and due <= ts  # the engine expires it, then refuses the cancel
                row = session.get(Order, order_id)  # cancel_order loads it
                assert row is not None and row.status in OPEN_STATUSES
                command: Any = CancelOrder(order_id, str(row.investor_id), ts=ts)
                cancel_reason = "user"
            elif kind == "cancel_all":
                command, cancel_reason = CancelAll(str(rng.choice(INVESTORS)), ts=ts), "revoked"
            elif kind == "expire":
                command = Expire(ts=ts)
            else:
                order_id, investor = f"o{step}", rng.choice(INVESTORS)
                side = rng.choice(["buy", "sell"])
                order_type = OrderType.MARKET if rng.random() < 0.1 else OrderType.LIMIT
                tif = TimeInForce.GTC if order_type is OrderType.MARKET else rng.choice(list(TimeInForce))
                price = rng.randint(98, 102)
                lots = rng.randint(1, 8)
                order = new_order(order_id, side, lots, investor=investor, price=price)
                order.type, order.time_in_force = order_type.value, tif.value
                order.post_only = order_type is OrderType.LIMIT and tif is TimeInForce.GTC and rng.random() < 0.1
                session.add(order)
                known[order_id] = order
                quantity[order_id], filled[order_id] = lots, 0
                command = PlaceOrder(
                    order_id, str(investor), Side(side), order_type, price, lots, tif, order.post_only,
                    ts=ts, expires_ts=ts + rng.randint(5, 200) if rng.random() < 0.5 else None,
                )  # fmt: skip
            events = engine.apply(command)
            apply_events(session, asset, events, known, cancel_reason=cancel_reason)
            session.commit()
        for e in events:
            if isinstance(e, Trade):
                for order_id in (e.maker_order_id, e.taker_order_id):
                    filled[order_id] += e.quantity
                buy, sell = (
                    (e.taker_order_id, e.maker_order_id)
                    if e.taker_side is Side.BUY
                    else (e.maker_order_id, e.taker_order_id)
                )
                engine_trades[e.trade_seq] = (buy, sell, e.price, e.quantity)
            elif isinstance(e, OrderCancelled):
                final[e.order_id] = "expired" if e.reason == CancelReason.EXPIRED else "cancelled"
            elif isinstance(e, OrderDone):
                final[e.order_id] = "filled"
            elif isinstance(e, OrderRejected) and e.order_id in known:  # a refused cancel changes nothing
                final[e.order_id] = "rejected"
        if step % 50 == 49:  # every row now and then; else the rows this command touched
            _check_rows(db, engine, None, quantity, filled, final, engine_trades)
        else:
            touched = set(known) | {getattr(e, "order_id", None) for e in events} - {None}
            touched |= {e.maker_order_id for e in events if isinstance(e, Trade)}
            _check_rows(db, engine, touched, quantity, filled, final, engine_trades)
    _check_rows(db, engine, None, quantity, filled, final, engine_trades)
    assert met_expiry > 0
    assert len(engine_trades) > 30 and {"filled", "cancelled", "expired", "rejected"} <= set(final.values())


def _check_rows(
    db: Any,
    engine: MatchingEngine,
    ids: set[str] | None,
    quantity: dict[str, int],
    filled: dict[str, int],
    final: dict[str, str],
    engine_trades: dict[int, tuple[str, str, int, int]],
) -> None:
    """The rows of `ids` (None: all, and every trade row) against the engine's account."""
    with Session(db) as session:
        statement = select(Order) if ids is None else select(Order).where(Order.id.in_(ids))  # type: ignore[attr-defined]
        rows = {o.id: o for o in session.exec(statement)}
        recorded = list(session.exec(select(TradeRecord)))
    assert set(rows) == (set(quantity) if ids is None else ids)
    for order_id, row in rows.items():
        on_book = engine.order(order_id)
        assert row.filled_lots == filled[order_id], order_id
        if on_book is not None:
            assert on_book.remaining == quantity[order_id] - filled[order_id], order_id
            assert row.status == ("partially_filled" if filled[order_id] else "open"), order_id
        else:
            assert row.status == final[order_id], order_id
    assert {t.trade_seq for t in recorded} == set(engine_trades)
    for t in recorded if ids is None else [t for t in recorded if t.buy_order_id in ids or t.sell_order_id in ids]:
        assert (t.buy_order_id, t.sell_order_id, t.price_ticks, t.quantity_lots) == engine_trades[t.trade_seq]
        assert t.chain_trade_id == chain_trade_id(_hash(t.buy_order_id), _hash(t.sell_order_id), t.trade_seq)
