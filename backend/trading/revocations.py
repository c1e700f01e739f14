"""Orders die with the investor's right to trade.

An order resting on the book is the investor's standing consent to trade; it must not
outlive their right to trade. Revocation, a freeze, de-whitelisting (the wallet is no longer
registered in the IdentityRegistry) and KYC expiry cancel the investor's resting orders in
every market at once, through each market's sequencer (a journaled CancelAll, so a replay
rebuilds the same book), each order recording why in `cancel_reason`.

The service's own actions (the admin's revoke and freeze, `rwa resync`) call
`cancel_investor_orders` right away. `sweep` catches whatever changed another way (KYC
running out at midnight UTC, a freeze by an agent's script mirrored from the chain, a row
corrected by the registry sync): the chain-event watcher runs it at start and once a
minute. Cancelling what is no longer resting is a no-op, so a repeated sweep changes nothing.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlmodel import Session, col, select

from backend.clock import utc_today
from backend.models.assets import Asset
from backend.models.compliance import HolderState, Investor
from backend.models.trading import Order
from backend.statuses import OPEN_STATUSES, InvestorStatus
from backend.trading import service
from backend.trading.sequencer import Venue

log = logging.getLogger(__name__)

# cancel_reason values (docs/API.md)
REVOKED = "revoked"  # the admin revoked the investor (DELETE /v1/investors/{id})
DELISTED = "delisted"  # no longer registered in the IdentityRegistry (found by the registry sync)
FROZEN = "frozen"  # the wallet is frozen (every asset, or one asset's token)
KYC_EXPIRED = "kyc_expired"  # KYC ran out: kyc_expires < today (UTC)
NOT_REGISTERED = "not registered in the IdentityRegistry"  # registry_sync's status_reason


def cancel_investor_orders(
    session: Session, venue: Venue, *, investor_id: int, reason: str, symbols: list[str] | None = None
) -> int:
    """Cancel every resting order of the investor (in `symbols`, default every market);
    returns how many were cancelled."""
    query = (
        select(Order.symbol).where(Order.investor_id == investor_id, col(Order.status).in_(OPEN_STATUSES)).distinct()
    )
    found = session.exec(query).all()
    targets = sorted(s for s in found if symbols is None or s in symbols)
    cancelled = sum(
        service.cancel_all_orders(session, venue, investor_id=investor_id, symbol=symbol, reason=reason)
        for symbol in targets
    )
    if cancelled:
        log.info("investor %s: %d resting orders cancelled (%s)", investor_id, cancelled, reason)
    return cancelled


def cancel_if_barred(session: Session, venue: Venue, investor: Investor) -> int:
    """Cancel the investor's resting orders if they may no longer trade (`reason_for`)."""
    reason = reason_for(investor, utc_today())
    if reason is None:
        return 0
    return cancel_investor_orders(session, venue, investor_id=investor.id, reason=reason)  # type: ignore[arg-type]


def reason_for(investor: Investor, today: date) -> str | None:
    """Why this investor may no longer trade at all, or None if they may."""
    if investor.status != InvestorStatus.APPROVED:
        return DELISTED if investor.status_reason == NOT_REGISTERED else REVOKED
    if investor.frozen:
        return FROZEN
    if investor.kyc_expires < today:
        return KYC_EXPIRED
    return None


def sweep(session: Session, venue: Venue, *, today: date | None = None) -> dict[str, int]:
    """Cancel the resting orders of every investor who lost the right to trade, and of wallets
    frozen in one asset's token (in that asset); returns the count cancelled by reason."""
    today = today or utc_today()
    counts: dict[str, int] = {}
    owners = session.exec(
        select(Investor)
        .join(Order, Order.investor_id == Investor.id)  # type: ignore[arg-type]
        .where(
            col(Order.status).in_(OPEN_STATUSES),
            (Investor.status != InvestorStatus.APPROVED) | Investor.frozen | (Investor.kyc_expires < today),
        )
        .distinct()
    ).all()
    for investor in owners:
        reason = reason_for(investor, today)
        if reason is not None:
            n = cancel_investor_orders(session, venue, investor_id=investor.id, reason=reason)  # type: ignore[arg-type]
            counts[reason] = counts.get(reason, 0) + n
    frozen_in_asset = session.exec(
        select(Order.investor_id, Order.symbol)
        .join(Asset, Asset.symbol == Order.symbol)  # type: ignore[arg-type]
        .join(HolderState, (HolderState.asset_id == Asset.id) & (HolderState.wallet == Order.wallet))  # type: ignore[arg-type]
        .where(col(Order.status).in_(OPEN_STATUSES), HolderState.wallet_frozen)
        .distinct()
    ).all()
    for investor_id, symbol in frozen_in_asset:
        n = cancel_investor_orders(session, venue, investor_id=investor_id, reason=FROZEN, symbols=[symbol])
        counts[FROZEN] = counts.get(FROZEN, 0) + n
    return counts
