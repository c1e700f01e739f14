"""Order expiry: resting orders leave the book at their expiry even when nothing trades.

The engine cancels an order whose ``expires_ts`` has come at the start of any command
(order entry passes ``expires_ts = (signed expiry - RWA_ORDER_EXPIRY_MARGIN_SECONDS)`` in
ns, so an order leaves the book before the chain would refuse it as expired). In a quiet
market no command may come for a long time, so this sweeper, about once a second, looks at
each loaded market's ``engine.next_expiry()`` and, when it is due, submits ``Expire(ts=now)``
through the market's sequencer like any order entry command (``dispatch.run_command``): the expiry
is journaled (a replay expires the same orders at the same point), the orders' rows become
``expired`` and the book change is published on the feed.

Markets are loaded (replayed from their journal) on first use; the sweeper loads every
market with open orders when it starts, so orders that expired while the service was down
leave the book at once after a restart, not on the market's next order.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.assets.service import get_asset
from backend.matching import Expire
from backend.models.trading import Order
from backend.periodic import PeriodicWorker
from backend.statuses import OPEN_STATUSES
from backend.trading import dispatch
from backend.trading.sequencer import Market, Venue, now_ns

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 1.0


def load_open_markets(session: Session, venue: Venue) -> list[str]:
    """Load (replay) every market that has open orders; returns their symbols."""
    symbols = sorted(session.exec(select(Order.symbol).where(col(Order.status).in_(OPEN_STATUSES)).distinct()).all())
    for symbol in symbols:
        venue.market(session, symbol)
    return symbols


def expire_market(session: Session, venue: Venue, market: Market, *, now: int | None = None) -> bool:
    """Submit ``Expire`` to ``market`` if one of its resting orders is due at ``now``
    (default: the clock, read under the market's lock); returns whether it did."""
    with market.lock:
        if market.stale:  # its engine ran ahead of a failed commit: ask the rebuilt one
            venue.rebuild(session, market)
        ts = now_ns() if now is None else now
        # An order's expiry, or the end of a limit state, timed halt or call (an uncross).
        dues = [t for t in (market.engine.next_expiry(), market.engine.next_deadline()) if t is not None]
        if not dues or min(dues) > ts:
            return False
        asset = get_asset(session, market.symbol)
        dispatch.run_command(session, venue, market, asset, Expire(ts=ts))
        return True


def sweep(session: Session, venue: Venue, *, now: int | None = None) -> int:
    """Expire what is due in every loaded market; returns how many markets had some.
    A market that fails is logged and skipped (the others still expire)."""
    swept = 0
    for market in venue.loaded():
        try:
            swept += expire_market(session, venue, market, now=now)
        except Exception:
            log.exception("expiry sweep of market %s failed", market.symbol)
            session.rollback()
    return swept


class ExpiryWorker(PeriodicWorker):
    """The background sweeper (backend/periodic.py). Loads every market with open orders on its
    first pass, so orders resting since before a restart expire too."""

    name = "order-expiry"

    def __init__(self, db: Engine, venue: Venue, *, interval: float = SWEEP_INTERVAL_SECONDS):
        super().__init__(interval=interval)
        self.db, self.venue = db, venue
        self._loaded = False

    def run_once(self) -> int:
        with Session(self.db, expire_on_commit=False) as session:
            if not self._loaded:
                load_open_markets(session, self.venue)
                self._loaded = True
            return sweep(session, self.venue)
