"""A batch's projection (projection.Rows: detached order rows, trades and journal left for one
INSERT each) writes exactly the rows the one-command-at-a-time projection writes.

One seeded stream of batches through the real engine, projected twice into two SQLite files:
once as order entry's batches do (place batches: new orders detached and `known`, the batch's
earlier orders among them; cancel batches: the orders loaded; Rows.write, then one commit), once
command by command through the ORM as the single endpoints do. Every order row and trade row
must be the same (timestamps aside)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, select

from backend.clock import utcnow
from backend.db import make_engine
from backend.matching import CancelOrder, MarketConfig, MatchingEngine, OrderType, PlaceOrder, Side, TimeInForce
from backend.models.compliance import Investor
from backend.models.settlement import TradeRecord
from backend.models.trading import JournalEntry, Order
from backend.statuses import OPEN_STATUSES
from backend.trading.projection import Rows, apply_events, detached
from backend.trading.sequencer import encode_command
from tests.backend.trading.test_projection import INVESTORS, asset, db, new_order  # noqa: F401 - fixtures

TIMES = {"created_at", "updated_at"}


@pytest.fixture
def twin(tmp_path) -> Iterator[Any]:
    engine = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(Investor(id=n, wallet=f"0x{n:040x}", name=f"I{n}", country="US", kyc_expires=date(2099, 1, 1))
                        for n in INVESTORS)  # fmt: skip
        session.commit()
    yield engine
    engine.dispose()


def _columns(order: Order) -> dict[str, Any]:
    return {c.name: getattr(order, c.name) for c in Order.__table__.columns}  # type: ignore[attr-defined]


def _batches(rng: random.Random) -> Iterator[tuple[str, list[Any]]]:
    step = 0
    for _ in range(40):
        kind = rng.choices(["place", "cancel"], weights=[3, 1])[0]
        size = rng.randint(1, 20)
        items = []
        for _ in range(size):
            step += 1
            items.append((f"o{step}", rng.choice(INVESTORS), rng.choice(["buy", "sell"]), rng.randint(97, 103)))
        yield kind, items


def test_a_batch_projected_through_rows_writes_what_one_command_at_a_time_writes(db, twin, asset):  # noqa: F811
    rng = random.Random(20261205)
    engines = {name: MatchingEngine(MarketConfig(band_bps=10**9, collar_bps=10**9)) for name in ("rows", "orm")}
    placed: list[str] = []
    hashes: dict[str, str] = {}  # the market's hashes of its resting orders (Market.hashes), rows side only
    ts = 0
    for kind, items in _batches(rng):
        commands: list[Any] = []
        if kind == "place":
            for order_id, investor, side, price in items:
                ts += 1
                tif = rng.choice(list(TimeInForce))
                commands.append(
                    PlaceOrder(
                        order_id, str(investor), Side(side), OrderType.LIMIT, price, rng.randint(1, 6), tif, ts=ts
                    )
                )
                placed.append(order_id)
        else:
            live = [o for o in placed if engines["rows"].order(o) is not None]
            for order_id in rng.sample(live, min(len(live), len(items))):
                ts += 1
                owner = engines["rows"].order(order_id).owner  # type: ignore[union-attr]
                commands.append(CancelOrder(order_id, owner, ts=ts))
        _as_a_batch(db, asset, engines["rows"], commands, hashes)
        _one_by_one(twin, asset, engines["orm"], commands)
    with Session(db) as a, Session(twin) as b:
        rows_orders = {o.id: _columns(o) for o in a.exec(select(Order))}
        orm_orders = {o.id: _columns(o) for o in b.exec(select(Order))}
        rows_trades = [_trade(t) for t in a.exec(select(TradeRecord))]
        orm_trades = [_trade(t) for t in b.exec(select(TradeRecord))]
        journal = a.exec(select(JournalEntry)).all()
    strip = lambda row: {k: v for k, v in row.items() if k not in TIMES}  # noqa: E731
    assert {k: strip(v) for k, v in rows_orders.items()} == {k: strip(v) for k, v in orm_orders.items()}
    assert sorted(rows_trades) == sorted(orm_trades) and len(rows_trades) > 40
    statuses = {o["status"] for o in rows_orders.values()}
    assert {"open", "filled", "cancelled", "rejected"} <= statuses, statuses
    assert [e.seq for e in journal] == list(range(1, len(journal) + 1))
    # the makers' hashes came from memory: exactly the orders resting now are remembered
    assert hashes and set(hashes) == {o for o in placed if engines["rows"].order(o) is not None}
    assert all(rows_orders[o]["order_hash"] == h for o, h in hashes.items())


def _trade(t: TradeRecord) -> tuple[Any, ...]:
    return (t.id, t.trade_seq, t.chain_trade_id, t.buy_order_id, t.sell_order_id, t.price_ticks, t.quantity_lots,
            t.buyer_investor_id, t.seller_investor_id, t.taker_side, t.settlement_status)  # fmt: skip


def _as_a_batch(
    database: Any, market: Any, engine: MatchingEngine, commands: list[Any], hashes: dict[str, str]
) -> None:
    rows, pending = Rows(), {}
    with Session(database, expire_on_commit=False) as session:
        for command in commands:
            known = dict(pending)
            if isinstance(command, PlaceOrder):
                order = _detached(command)
                rows.orders.append(order)
                known[order.id] = order
            else:
                loaded = session.get(Order, command.order_id)
                assert loaded is not None and loaded.status in OPEN_STATUSES
                known[loaded.id] = loaded
            rows.journal.append({"symbol": "ACME", "seq": engine.sequence + 1, "command": encode_command(command),
                                 "created_at": utcnow()})  # fmt: skip
            apply_events(session, market, engine.apply(command), known, cancel_reason="user", rows=rows, hashes=hashes)
            if isinstance(command, PlaceOrder):
                pending[command.order_id] = known[command.order_id]
        rows.write(session)
        session.commit()


def _one_by_one(database: Any, market: Any, engine: MatchingEngine, commands: list[Any]) -> None:
    for command in commands:
        with Session(database, expire_on_commit=False) as session:
            known: dict[str, Order] = {}
            if isinstance(command, PlaceOrder):
                order = _model(command)
                session.add(order)
                known[order.id] = order
            else:
                loaded = session.get(Order, command.order_id)
                assert loaded is not None
                known[loaded.id] = loaded
            apply_events(session, market, engine.apply(command), known, cancel_reason="user")
            session.commit()


def _fields(command: PlaceOrder) -> dict[str, Any]:
    base = new_order(command.order_id, command.side.value, command.quantity, investor=int(command.owner),
                     price=command.price or 0)  # fmt: skip
    base.time_in_force = command.tif.value
    return _columns(base)


def _model(command: PlaceOrder) -> Order:
    fields = _fields(command)
    return Order(**{k: v for k, v in fields.items() if k not in TIMES})


def _detached(command: PlaceOrder) -> Order:
    now = utcnow()
    return detached(Order, {**_fields(command), "created_at": now, "updated_at": now})
