"""A trade record as SettlementExchange.settle() takes it, and its derived on-chain id.

The trade `(seq, buy, buySignature, sell, sellSignature, price, quantity)`: the orders exactly as
their wallets signed them (the EIP-712 `Order`), the venue's trade sequence number, the fill;
settle() takes the trades packed back to back (`packing.pack_trade`, fixed-width fields).
The contract names the trade keccak256(abi.encode(buyHash, sellHash, seq)) of the orders'
EIP-712 digests (`tradeIdOf`), so the id is computed here from the same digests: an order's
`order_hash` as order entry stored it, or, for an order placed before hashes were kept, the
digest computed from its row (and stored back).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hexbytes import HexBytes
from sqlmodel import Session, col, select

from backend.assets.units import lots_units, price_units
from backend.chain.client import Chain
from backend.models.assets import Asset
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.settlement.packing import PackingError, pack_trade
from backend.trading.projection import chain_trade_id
from backend.trading.signing import order_digest, typed_data

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """A trade ready to send: its record, its settle() tuple and that tuple packed (None, with
    `unsendable` saying why, when a value does not fit settle()'s fixed-width fields)."""

    trade: TradeRecord
    struct: tuple
    packed: bytes | None
    unsendable: str | None = None


def packed_batch(items: list[Prepared]) -> bytes:
    """settle()'s argument for `items` (each packed)."""
    return b"".join(item.packed or b"" for item in items)


def order_struct(order: Order, asset: Asset) -> tuple:
    """The `Order` the wallet signed: (trader, asset, isBuy, price, quantity, nonce, expiry)."""
    return (
        order.wallet,
        asset.token_address,
        order.side == "buy",
        int(order.signed_price),
        lots_units(asset, order.quantity_lots),
        int(order.nonce),
        order.expiry,
    )


def order_hash(chain: Chain, order: Order, asset: Asset) -> str:
    """The order's EIP-712 digest (0x hex): its stored `order_hash`, else computed from the row."""
    if order.order_hash:
        return order.order_hash
    trader, token, is_buy, price, quantity, nonce, expiry = order_struct(order, asset)
    digest = order_digest(
        typed_data(
            chain_id=chain.chain_id,
            exchange=chain.deployment.contracts["settlement_exchange"],
            trader=trader,
            asset=token,
            is_buy=is_buy,
            price=price,
            quantity=quantity,
            nonce=nonce,
            expiry=expiry,
        )
    )
    return "0x" + digest.hex()


def trade_struct(trade: TradeRecord, buy: Order, sell: Order, asset: Asset) -> tuple:
    """settle()'s `Trade`: (seq, buy, buySignature, sell, sellSignature, price, quantity)."""
    price = price_units(asset, trade.price_ticks)
    quantity = lots_units(asset, trade.quantity_lots)
    return (
        trade.trade_seq,
        order_struct(buy, asset),
        HexBytes(buy.signature),
        order_struct(sell, asset),
        HexBytes(sell.signature),
        price,
        quantity,
    )


def prepare(session: Session, chain: Chain, trades: list[TradeRecord]) -> list[Prepared]:
    """The trades' structs, their orders and assets read with one query each. Sets each
    trade's `chain_trade_id` to the id the contract derives (a row recorded before its orders'
    hashes were known has none yet), and stores an order's computed hash. Not committed."""
    order_ids = {t.buy_order_id for t in trades} | {t.sell_order_id for t in trades}
    orders = {o.id: o for o in session.exec(select(Order).where(col(Order.id).in_(order_ids)))}
    symbols = {t.symbol for t in trades}
    assets = {a.symbol: a for a in session.exec(select(Asset).where(col(Asset.symbol).in_(symbols)))}
    prepared = []
    for trade in trades:
        asset, buy, sell = assets[trade.symbol], orders[trade.buy_order_id], orders[trade.sell_order_id]
        hashes = []
        for order in (buy, sell):
            digest = order_hash(chain, order, asset)
            if order.order_hash != digest:
                order.order_hash = digest
                session.add(order)
            hashes.append(digest)
        trade_id = chain_trade_id(hashes[0], hashes[1], trade.trade_seq)
        if trade.chain_trade_id != trade_id:
            if trade.chain_trade_id:
                log.warning("trade %s: recorded id %s, derived %s", trade.id, trade.chain_trade_id, trade_id)
            trade.chain_trade_id = trade_id
            session.add(trade)
        struct = trade_struct(trade, buy, sell, asset)
        try:
            prepared.append(Prepared(trade, struct, pack_trade(struct)))
        except PackingError as exc:
            prepared.append(Prepared(trade, struct, None, f"settle() cannot carry this trade: {exc}"))
    return prepared
