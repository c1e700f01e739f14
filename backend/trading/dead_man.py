"""A dead-man's switch per investor: cancel all of its orders when its heartbeats stop.

Opt-in, like Kraken's cancelAllOrdersAfter and Coinbase's dead man's switch. The investor
arms it with a timeout (POST /v1/orders/dead-man) and keeps sending that call as a
heartbeat, each one pushing the deadline out again; timeout 0 disarms it. When a deadline
lapses, a background sweeper cancels every open order of the investor in every market,
through each market's sequencer (a journaled CancelAll, so a replay rebuilds the same book),
and disarms the switch (it fires once; arming again starts a new one).

The deadline lives in the database, so a restarted service honours it: a switch that lapsed
while the service was down fires on the first sweep after start.

Firing is idempotent and race-free: orders are cancelled first, then the switch is marked
fired with a compare-and-set on the deadline it saw. A heartbeat that lands in between
keeps its new deadline (the orders were rightly cancelled: the old deadline had passed); a
crash in between fires again after restart, and a CancelAll of nothing changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.clock import utcnow
from backend.models.compliance import Investor
from backend.models.trading import DeadManSwitch, Order
from backend.periodic import PeriodicWorker
from backend.statuses import OPEN_STATUSES
from backend.trading import entry
from backend.trading.sequencer import Venue

log = logging.getLogger(__name__)

MAX_TIMEOUT_SECONDS = 86_400
SWEEP_INTERVAL_SECONDS = 0.25


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None


def public(switch: DeadManSwitch | None, now: datetime) -> dict[str, Any]:
    if switch is None:
        return {
            "armed": False,
            "timeout_seconds": 0,
            "deadline": None,
            "now": _iso(now),
            "fired_at": None,
            "cancelled_orders": 0,
        }
    return {
        "armed": switch.deadline is not None,
        "timeout_seconds": switch.timeout_seconds,
        "deadline": _iso(switch.deadline),
        "now": _iso(now),
        "fired_at": _iso(switch.fired_at),
        "cancelled_orders": switch.cancelled_orders,
    }


def arm(session: Session, *, investor: Investor, timeout_seconds: int, now: datetime | None = None) -> dict[str, Any]:
    """Arm or refresh the switch (deadline = now + timeout); timeout 0 disarms it."""
    now = now or utcnow()
    switch = session.get(DeadManSwitch, investor.id) or DeadManSwitch(investor_id=investor.id)  # type: ignore[arg-type]
    switch.timeout_seconds = timeout_seconds
    if timeout_seconds:
        switch.deadline, switch.armed_at = now + timedelta(seconds=timeout_seconds), now
    else:
        switch.deadline = None
    session.add(switch)
    session.commit()
    return public(switch, now)


def status(session: Session, *, investor: Investor) -> dict[str, Any]:
    return public(session.get(DeadManSwitch, investor.id), utcnow())


def sweep(session: Session, venue: Venue, *, now: datetime | None = None) -> int:
    """Fire every switch whose deadline has passed; returns how many fired."""
    now = now or utcnow()
    due = list(session.exec(select(DeadManSwitch).where(DeadManSwitch.deadline <= now)))  # type: ignore[operator]
    fired = 0
    for switch in due:
        investor_id, deadline = switch.investor_id, switch.deadline
        symbols = session.exec(
            select(Order.symbol)
            .where(Order.investor_id == investor_id, col(Order.status).in_(OPEN_STATUSES))
            .distinct()
        ).all()
        cancelled = sum(
            entry.cancel_all_orders(session, venue, investor_id=investor_id, symbol=symbol)
            for symbol in sorted(symbols)
        )
        won = session.exec(
            update(DeadManSwitch)
            .where(
                DeadManSwitch.investor_id == investor_id,  # type: ignore[arg-type]
                DeadManSwitch.deadline == deadline,  # type: ignore[arg-type]
            )
            .values(deadline=None, fired_at=now, cancelled_orders=cancelled)
        )
        session.commit()
        if won.rowcount == 1:
            fired += 1
            log.warning("dead-man's switch of investor %s fired: %d orders cancelled", investor_id, cancelled)
    return fired


class DeadManWorker(PeriodicWorker):
    """The background sweeper, about four times a second (backend/periodic.py)."""

    name = "dead-man"

    def __init__(self, db: Engine, venue: Venue, *, interval: float = SWEEP_INTERVAL_SECONDS):
        super().__init__(interval=interval)
        self.db, self.venue = db, venue

    def run_once(self) -> int:
        with Session(self.db, expire_on_commit=False) as session:
            return sweep(session, self.venue)
