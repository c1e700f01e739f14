"""What an investor has committed and not yet settled, derived from the database.

available = on-chain balance - open orders' remaining - trades not yet settled.
Read the database BEFORE the chain: a settlement landing in between is then counted
twice (conservative), never not at all.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from backend.assets.models import Asset
from backend.money import ASSET_DECIMALS, CASH_DECIMALS, to_units
from backend.settlement.models import TradeRecord
from backend.trading.models import OPEN_STATUSES, Order

UNSETTLED = ("pending", "submitted")


def cost_units(asset: Asset, price_ticks: int, lots: int) -> int:
    return to_units(Decimal(asset.tick_size) * price_ticks * Decimal(asset.lot_size) * lots, CASH_DECIMALS)


def lots_units(asset: Asset, lots: int) -> int:
    return to_units(Decimal(asset.lot_size) * lots, ASSET_DECIMALS)


def reserved_asset_units(session: Session, *, investor_id: int, asset: Asset) -> int:
    lots = 0
    for order in session.exec(select(Order).where(Order.investor_id == investor_id, Order.symbol == asset.symbol,
                                                  Order.side == "sell", Order.status.in_(OPEN_STATUSES))):  # type: ignore[attr-defined]
        lots += order.quantity_lots - order.filled_lots
    for trade in session.exec(select(TradeRecord).where(TradeRecord.seller_investor_id == investor_id,
                                                        TradeRecord.symbol == asset.symbol,
                                                        TradeRecord.settlement_status.in_(UNSETTLED))):  # type: ignore[attr-defined]
        lots += trade.quantity_lots
    return lots_units(asset, lots)


def reserved_cash_units(session: Session, *, investor_id: int, assets: dict[str, Asset]) -> int:
    total = 0
    for order in session.exec(select(Order).where(Order.investor_id == investor_id, Order.side == "buy",
                                                  Order.status.in_(OPEN_STATUSES))):  # type: ignore[attr-defined]
        if order.price_ticks is not None:
            total += cost_units(assets[order.symbol], order.price_ticks, order.quantity_lots - order.filled_lots)
    for trade in session.exec(select(TradeRecord).where(TradeRecord.buyer_investor_id == investor_id,
                                                        TradeRecord.settlement_status.in_(UNSETTLED))):  # type: ignore[attr-defined]
        total += cost_units(assets[trade.symbol], trade.price_ticks, trade.quantity_lots)
    return total
