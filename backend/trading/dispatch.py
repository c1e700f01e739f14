"""Run one command through a market's sequencer: journal it, apply it to the engine, project
its events into rows, commit, then publish the changes to the feed, all under the market's lock.

Every path that changes a book (order entry, cancels, expiry, halts) goes through run_command,
so the journal, the rows and the feed never disagree about the order of events.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlmodel import Session

from backend.errors import DomainError
from backend.matching import AuctionStarted, AuctionUncrossed, Command, Event, MarketHalted, MarketResumed
from backend.matching.base import Depth
from backend.models.assets import Asset
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.money import fmt
from backend.trading.feed import level_changes
from backend.trading.markets import auction_public, trade_public
from backend.trading.projection import apply_events
from backend.trading.sequencer import Market, Venue

log = logging.getLogger(__name__)


def run_command(
    session: Session,
    venue: Venue,
    market: Market,
    asset: Asset,
    command: Command,
    known: dict[str, Order] | None = None,
    trades_out: list[TradeRecord] | None = None,
    cancel_reason: str | None = None,
) -> DomainError | None:
    """Journal + apply + record effects in one transaction. Returns the engine's rejection, if any.
    The caller holds the market's lock; `known` are orders of this session the events may name
    (the one being placed: not yet flushed, a lookup would flush and read it back); the trades
    recorded are appended to `trades_out` once committed; `cancel_reason` is recorded on the
    orders a CancelOrder/CancelAll cancels (who asked: "user", "onchain", "revoked", ...)."""
    if market.stale:
        venue.rebuild(session, market)
    before = market.engine.depth(None)
    try:
        events = market.submit(session, command)
        rejection, trades = apply_events(session, asset, events, known, cancel_reason=cancel_reason)
        session.commit()
    except Exception:
        session.rollback()
        market.stale = True  # the engine ran ahead of the database: rebuild it from the journal
        try:
            venue.rebuild(session, market)
        except Exception:  # noqa: BLE001 - e.g. the database is still unreachable: the next command rebuilds
            log.warning("market %s stays stale until its next command", asset.symbol)
        raise
    # Still under the market lock: increments reach subscribers in sequence order.
    if trades_out is not None:
        trades_out.extend(trades)
    publish(venue, market, asset, before, events, trades)
    return rejection


def publish(
    venue: Venue, market: Market, asset: Asset, before: Depth, events: list[Event], trades: list[TradeRecord]
) -> None:
    """The command's changes as feed messages: book levels, trades, the call's figures, the status."""
    sequence = market.next_seq - 1
    changes = level_changes(before, market.engine.depth(None))
    tick, lot = Decimal(asset.tick_size), Decimal(asset.lot_size)
    if changes["bids"] or changes["asks"]:
        venue.feed.publish(
            asset.symbol,
            {
                "type": "book",
                "symbol": asset.symbol,
                "sequence": sequence,
                **{side: [[fmt(tick * p), fmt(lot * q)] for p, q in levels] for side, levels in changes.items()},
            },
        )
    for trade in trades:
        venue.feed.publish(
            asset.symbol,
            {"type": "trade", "symbol": asset.symbol, "sequence": sequence, "trade": trade_public(asset, trade)},
        )
    if market.engine.phase == "auction" or market.auction_seen is not None:
        # An `auction` message whenever the call's figures change (start, orders, extension, uncross).
        state = market.engine.auction_state()
        seen = None if state.phase == "none" else state
        if state != market.auction_seen:
            venue.feed.publish(
                asset.symbol,
                {"type": "auction", "symbol": asset.symbol, "sequence": sequence, **auction_public(asset, state)},
            )
        market.auction_seen = seen
    if any(isinstance(e, MarketHalted | MarketResumed | AuctionStarted | AuctionUncrossed) for e in events):
        venue.feed.publish(
            asset.symbol,
            {
                "type": "status",
                "symbol": asset.symbol,
                "sequence": sequence,
                "halted": market.engine.halted is not None,
            },
        )
