"""Investor onboarding: a DB row, then the IdentityRegistry transaction, then the status.

The database mirrors the chain; the chain wins. A row is written as `pending` and
committed before the transaction is sent, so a crash in between leaves a visible
pending row (resync settles it) rather than a whitelisted wallet nobody knows about.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from backend.auth.service import issue_key, revoke_keys_of_investor
from backend.chain.addresses import checksum_wallet
from backend.chain.client import Chain
from backend.clock import utcnow
from backend.compliance.countries import numeric_code
from backend.errors import ChainRejected, Conflict, InvalidInput, NotFound
from backend.models.compliance import Investor
from backend.statuses import InvestorStatus

if TYPE_CHECKING:
    from backend.compliance.barring import OrderCanceller


def kyc_expiry_timestamp(day: date) -> int:
    """KYC is valid through the whole expiry day (UTC)."""
    return calendar.timegm(day.timetuple()) + 86_400


def create_investor(
    session: Session, chain: Chain, *, wallet: str, name: str, country: str, accredited: bool, kyc_expires: date
) -> tuple[Investor, str]:
    wallet = checksum_wallet(wallet)
    country_num = numeric_code(country)
    if kyc_expires <= date.today():
        raise InvalidInput(
            "validation.invalid", "kyc_expires must be in the future", details=[{"field": "kyc_expires"}]
        )
    if session.exec(select(Investor).where(Investor.wallet == wallet)).first():
        raise Conflict("investor.duplicate_wallet", f"an investor with wallet {wallet} exists")
    investor = Investor(
        wallet=wallet, name=name, country=country.upper(), accredited=accredited, kyc_expires=kyc_expires
    )
    session.add(investor)
    session.commit()
    session.refresh(investor)
    registry = chain.core("identity_registry")
    fn = registry.functions.registerInvestor(wallet, country_num, accredited, kyc_expiry_timestamp(kyc_expires))
    _apply_chain_change(session, chain, investor, fn, approved_status=InvestorStatus.APPROVED)
    if investor.status != InvestorStatus.APPROVED:
        raise ChainRejected("investor.whitelist_failed", f"whitelisting {wallet} failed: {investor.status_reason}")
    api_key = issue_key(session, role="investor", investor_id=investor.id, label=name)
    session.commit()
    return investor, api_key


def get_investor(session: Session, investor_id: int) -> Investor:
    investor = session.get(Investor, investor_id)
    if investor is None:
        raise NotFound("investor.not_found", f"no investor with id {investor_id}")
    return investor


def update_investor(
    session: Session,
    chain: Chain,
    *,
    investor_id: int,
    country: str | None = None,
    accredited: bool | None = None,
    kyc_expires: date | None = None,
    frozen: bool | None = None,
    venue: OrderCanceller | None = None,
) -> Investor:
    """Chain first, then the mirror: a refused transaction changes nothing in the database.

    The registry record is only rewritten when country, accreditation or expiry change;
    `frozen` freezes (or unfreezes) the wallet in every asset token (AssetToken.setWalletFrozen),
    each followed by a sync of that asset's compliance mirror. With the `venue`, an investor
    left without the right to trade (frozen, KYC expired) has its resting orders cancelled.
    """
    investor = get_investor(session, investor_id)
    if investor.status != InvestorStatus.APPROVED:
        raise Conflict("investor.not_approved", f"investor {investor_id} is {investor.status}")
    new_country = (country or investor.country).upper()
    new_accredited = investor.accredited if accredited is None else accredited
    new_expiry = kyc_expires or investor.kyc_expires
    current = (investor.country, investor.accredited, investor.kyc_expires)
    if (new_country, new_accredited, new_expiry) != current:
        registry = chain.core("identity_registry")
        receipt = chain.transact(
            registry.functions.updateInvestor(
                investor.wallet, numeric_code(new_country), new_accredited, kyc_expiry_timestamp(new_expiry)
            )
        )
        investor.country, investor.accredited, investor.kyc_expires = new_country, new_accredited, new_expiry
        investor.tx_hash = receipt["transactionHash"].to_0x_hex()
        investor.updated_at = utcnow()
        session.add(investor)
        session.commit()
    if frozen is not None:  # sent even when the mirror agrees: the chain is what counts
        from backend.compliance.freezes import set_wallet_frozen_everywhere  # freezes -> sync -> mirror -> here

        set_wallet_frozen_everywhere(session, chain, wallet=investor.wallet, frozen=frozen)
        investor.frozen = frozen
        investor.updated_at = utcnow()
        session.add(investor)
        session.commit()
    if venue is not None:
        venue.cancel_orders_if_barred(session, investor)
    return investor


def revoke_investor(
    session: Session, chain: Chain, *, investor_id: int, venue: OrderCanceller | None = None
) -> Investor:
    """Remove the wallet from the whitelist and revoke its keys; with the `venue`, its resting
    orders are cancelled (cancel_reason "revoked"), again on a repeated call."""
    investor = get_investor(session, investor_id)
    if investor.status == InvestorStatus.REVOKED:
        if venue is not None:
            venue.cancel_orders_if_barred(session, investor)
        return investor
    receipt = chain.transact(chain.core("identity_registry").functions.removeInvestor(investor.wallet))
    investor.status = InvestorStatus.REVOKED
    investor.tx_hash = receipt["transactionHash"].to_0x_hex()
    investor.updated_at = utcnow()
    session.add(investor)
    revoke_keys_of_investor(session, investor_id=investor.id)  # type: ignore[arg-type]
    session.commit()
    if venue is not None:
        venue.cancel_orders_if_barred(session, investor)
    return investor


def _apply_chain_change(
    session: Session, chain: Chain, investor: Investor, fn: object, *, approved_status: str
) -> None:
    """Send the whitelist transaction of a pending investor and record the outcome.

    A refusal marks the row failed with the reason; an unreachable node leaves it
    pending (the resync settles it) and re-raises.
    """
    try:
        receipt = chain.transact(fn)
    except ChainRejected as exc:
        investor.status = InvestorStatus.FAILED
        investor.status_reason = exc.message
        session.add(investor)
        session.commit()
        return
    investor.status = approved_status
    investor.status_reason = None
    investor.tx_hash = receipt["transactionHash"].to_0x_hex()
    investor.updated_at = utcnow()
    session.add(investor)
    session.commit()
