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

A partial freeze (part of a wallet's tokens in one asset) bars only what cannot be delivered:
`trim_sells` cancels the wallet's resting sells there, newest first, until what they still
offer fits in balance - frozen - locked - sold and not yet settled (cancel_reason "frozen").
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from backend.assets.units import lots_units
from backend.clock import utc_today
from backend.compliance import mirror, registry_sync
from backend.compliance.rules import locked_balance
from backend.models.assets import Asset
from backend.models.compliance import HolderState, Investor
from backend.models.trading import Order
from backend.statuses import OPEN_STATUSES, InvestorStatus
from backend.trading import entry, reservations
from backend.trading.sequencer import Venue

log = logging.getLogger(__name__)

# cancel_reason values (docs/API.md)
REVOKED = "revoked"  # the admin revoked the investor (DELETE /v1/investors/{id})
DELISTED = "delisted"  # no longer registered in the IdentityRegistry (found by the registry sync)
FROZEN = "frozen"  # the wallet is frozen (every asset, or one asset's token)
KYC_EXPIRED = "kyc_expired"  # KYC ran out: kyc_expires < today (UTC)
INELIGIBLE = "ineligible"  # a buy in an asset whose rules no longer admit the investor's country or accreditation
NOT_REGISTERED = registry_sync.NOT_REGISTERED  # registry_sync's status_reason


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
        entry.cancel_all_orders(session, venue, investor_id=investor_id, symbol=symbol, reason=reason)
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


def barred_now(session: Session, investor_id: int) -> bool:
    """Whether the investor's row, read now, bars it from trading (reason_for's test on three
    columns; no ORM refresh): order entry's re-check after placing an order that rests."""
    row = session.exec(_STANDING, params={"investor_id": investor_id}).one_or_none()
    if row is None:
        return True
    status, frozen, kyc_expires = row
    return status != InvestorStatus.APPROVED or bool(frozen) or kyc_expires < utc_today()


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
    frozen in one asset's token (in that asset); returns the count cancelled by reason (reasons
    with orders cancelled only)."""
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
            _count(counts, reason, n)
    frozen_in_asset = session.exec(
        select(Order.investor_id, Order.symbol)
        .join(Asset, Asset.symbol == Order.symbol)  # type: ignore[arg-type]
        .join(HolderState, (HolderState.asset_id == Asset.id) & (HolderState.wallet == Order.wallet))  # type: ignore[arg-type]
        .where(col(Order.status).in_(OPEN_STATUSES), HolderState.wallet_frozen)
        .distinct()
    ).all()
    for investor_id, symbol in frozen_in_asset:
        n = cancel_investor_orders(session, venue, investor_id=investor_id, reason=FROZEN, symbols=[symbol])
        _count(counts, FROZEN, n)
    # the asset's id, not its row: PostgreSQL cannot DISTINCT a JSON column (Asset.details)
    partly_frozen = session.exec(
        select(Order.investor_id, Order.wallet, Asset.id)
        .join(Asset, Asset.symbol == Order.symbol)  # type: ignore[arg-type]
        .join(HolderState, (HolderState.asset_id == Asset.id) & (HolderState.wallet == Order.wallet))  # type: ignore[arg-type]
        .where(col(Order.status).in_(OPEN_STATUSES), Order.side == "sell", HolderState.frozen_tokens != "0")
        .distinct()
    ).all()
    for investor_id, wallet, asset_id in partly_frozen:
        asset = session.get(Asset, asset_id)
        assert asset is not None  # joined just above
        n = trim_sells(session, venue, investor_id=investor_id, wallet=wallet, asset=asset)
        _count(counts, FROZEN, n)
    return counts


def _count(counts: dict[str, int], reason: str, n: int) -> None:
    """Only reasons that cancelled something: a partly frozen wallet whose sells still fit
    (nothing trimmed) is not news."""
    if n:
        counts[reason] = counts.get(reason, 0) + n


def trim_sells(session: Session, venue: Venue, *, investor_id: int, wallet: str, asset: Asset) -> int:
    """Cancel the wallet's resting sells in `asset`, newest first, until what they still offer
    fits in what it can deliver per the compliance mirror: balance - frozen tokens - tokens
    in a running lock-up - units sold in trades not yet settled (cancel_reason "frozen");
    returns how many were cancelled."""
    state, held, _rules = mirror.asset_view(session, asset, wallet)
    locked = locked_balance(amount=held.locked_amount, until=held.locked_until, now=mirror.chain_now(state))
    _open, unsettled_lots = session.exec(
        _OPEN_AND_UNSETTLED_SELLS, params={"investor_id": investor_id, "symbol": asset.symbol}
    ).one()
    deliverable = held.balance - held.frozen_tokens - locked - lots_units(asset, int(unsettled_lots))
    sells = session.exec(
        select(Order)
        .where(
            Order.investor_id == investor_id,
            Order.symbol == asset.symbol,
            Order.side == "sell",
            col(Order.status).in_(OPEN_STATUSES),
        )
        .order_by(col(Order.created_at).desc(), col(Order.id).desc())
    ).all()
    offered = lots_units(asset, sum(o.quantity_lots - o.filled_lots for o in sells))
    excess: list[str] = []
    for order in sells:  # newest first
        if offered <= deliverable:
            break
        excess.append(order.id)
        offered -= lots_units(asset, order.quantity_lots - order.filled_lots)
    if not excess:
        return 0
    n = entry.cancel_orders(session, venue, symbol=asset.symbol, order_ids=excess, reason=FROZEN)
    if n:
        log.info("wallet %s: %d sells in %s cancelled beyond its unfrozen balance", wallet, n, asset.symbol)
    return n


def cancel_ineligible_buys(session: Session, venue: Venue, investor: Investor) -> int:
    """Cancel the investor's resting buys in assets whose rules no longer admit its country or
    accreditation (after a registry update: the tokens could never be received, code 4 or 5);
    returns how many were cancelled."""
    record = mirror.identity(investor)
    if not record.registered:
        return 0
    symbols = session.exec(
        select(Order.symbol)
        .where(Order.investor_id == investor.id, Order.side == "buy", col(Order.status).in_(OPEN_STATUSES))
        .distinct()
    ).all()
    cancelled = 0
    for asset in session.exec(select(Asset).where(col(Asset.symbol).in_(symbols)).order_by(Asset.symbol)).all():
        rules = mirror.rules_of(session, asset)
        if rules.country_ok(record.country) and (record.accredited or not rules.accredited_only):
            continue
        buys = session.exec(
            select(Order.id).where(
                Order.investor_id == investor.id,
                Order.symbol == asset.symbol,
                Order.side == "buy",
                col(Order.status).in_(OPEN_STATUSES),
            )
        ).all()
        cancelled += entry.cancel_orders(session, venue, symbol=asset.symbol, order_ids=list(buys), reason=INELIGIBLE)
    return cancelled


_OPEN_AND_UNSETTLED_SELLS = reservations.open_and_unsettled("sell")
_STANDING = select(col(Investor.status), col(Investor.frozen), col(Investor.kyc_expires)).where(
    Investor.id == bindparam("investor_id")
)  # built once: every resting order runs it
