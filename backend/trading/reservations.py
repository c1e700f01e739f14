"""What an investor has committed and not yet settled, derived from the database.

available = on-chain balance - open orders' remaining - trades not yet settled.
Read the database BEFORE the chain: a settlement landing in between is then counted
twice (conservative), never not at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, union_all
from sqlmodel import Session, col, select

from backend.assets.units import cost_units, lots_units
from backend.models.assets import Asset
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.statuses import OPEN_STATUSES, UNSETTLED


def reserved_asset_units(session: Session, *, investor_id: int, asset: Asset) -> int:
    # Sums in SQL (integer lots, one row each) rather than loading every open order.
    lots = _sum_pair(session, _RESERVED_ASSET, investor_id=investor_id, symbol=asset.symbol)
    return lots_units(asset, lots)


def open_and_unsettled(side: str) -> Any:
    """SELECT (remaining lots of the investor's open `side` orders in a market, lots of its
    unsettled trades on that side there): two scalar sums, one statement, built once
    (bind parameters `investor_id` and `symbol`; order entry runs it per order)."""
    trade_investor = TradeRecord.seller_investor_id if side == "sell" else TradeRecord.buyer_investor_id
    open_lots = select(func.coalesce(func.sum(Order.quantity_lots - Order.filled_lots), 0)).where(
        Order.investor_id == bindparam("investor_id"),
        Order.symbol == bindparam("symbol"),
        Order.side == side,
        col(Order.status).in_(OPEN_STATUSES),
    )
    traded_lots = select(func.coalesce(func.sum(TradeRecord.quantity_lots), 0)).where(
        trade_investor == bindparam("investor_id"),
        TradeRecord.symbol == bindparam("symbol"),
        col(TradeRecord.settlement_status).in_(UNSETTLED),
    )
    return select(open_lots.scalar_subquery(), traded_lots.scalar_subquery())


def _sum_pair(session: Session, statement: Any, **params: Any) -> int:
    a, b = session.exec(statement, params=params).one()
    return int(a) + int(b)


_RESERVED_ASSET = open_and_unsettled("sell")
# Open buy orders and bought, unsettled trades, lots summed per (market, price), in one
# statement (UNION ALL), built once.
_RESERVED_CASH: Any = union_all(
    select(Order.symbol, Order.price_ticks, func.sum(Order.quantity_lots - Order.filled_lots))
    .where(
        Order.investor_id == bindparam("investor_id"),
        Order.side == "buy",
        col(Order.status).in_(OPEN_STATUSES),
        col(Order.price_ticks).is_not(None),
    )
    .group_by(Order.symbol, Order.price_ticks),  # type: ignore[arg-type]
    select(TradeRecord.symbol, TradeRecord.price_ticks, func.sum(TradeRecord.quantity_lots))
    .where(
        TradeRecord.buyer_investor_id == bindparam("investor_id"),
        col(TradeRecord.settlement_status).in_(UNSETTLED),
    )
    .group_by(TradeRecord.symbol, TradeRecord.price_ticks),  # type: ignore[arg-type]
)


def reserved_cash_units(session: Session, *, investor_id: int, assets: dict[str, Asset]) -> int:
    # Lots summed in SQL per (market, price): one row per price level, not per order; the
    # cash arithmetic stays in Python (exact), never in SQL, where a product could overflow.
    total = 0
    for symbol, price_ticks, lots in session.exec(_RESERVED_CASH, params={"investor_id": investor_id}):
        total += cost_units(assets[symbol], price_ticks or 0, int(lots))  # price_ticks IS NOT NULL above
    return total
