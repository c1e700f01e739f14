"""What compliance needs from the trading venue, without importing it (trading imports compliance).

An investor who may no longer trade (revoked, delisted, frozen, KYC expired) must not keep
resting orders: compliance's own actions hand the investor to whatever `OrderCanceller` the
caller gives them (in the service's process, the venue: backend/trading/sequencer.py).
"""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from backend.models.compliance import Investor


class OrderCanceller(Protocol):
    def cancel_orders_if_barred(self, session: Session, investor: Investor) -> int:
        """Cancel the investor's resting orders in every market if they may no longer trade;
        returns how many were cancelled."""
        ...
