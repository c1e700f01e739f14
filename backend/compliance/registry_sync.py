"""Rebuild the Investor mirror from the IdentityRegistry (the chain wins).

Every Investor row is compared with `investorOf(wallet)`; wallets registered on chain that
the database does not know (registered by a script, or a recovered wallet) get a row.
KYC expiry is kept as a date: an on-chain expiry that is not the end of a UTC day is
rounded down to the last whole day (the mirror may call KYC expired a little early,
never late).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address
from hexbytes import HexBytes
from sqlmodel import Session, select

from backend.chain.client import Chain
from backend.clock import utcnow
from backend.compliance.countries import alpha2_code
from backend.errors import InvalidInput
from backend.models.compliance import Investor
from backend.statuses import InvestorStatus

if TYPE_CHECKING:
    from backend.compliance.barring import OrderCanceller

REGISTRY_EVENTS = ("InvestorRegistered", "WalletRecovered")
NOT_REGISTERED = "not registered in the IdentityRegistry"  # status_reason of a delisted investor


@dataclass
class InvestorResync:
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    delisted: list[Investor] = field(default_factory=list)


def expiry_date(timestamp: int) -> date:
    """The latest `kyc_expires` date whose end-of-day is not after `timestamp`."""
    return datetime.fromtimestamp(timestamp, tz=UTC).date() - timedelta(days=1)


def resync_investors(session: Session, chain: Chain, *, venue: OrderCanceller | None = None) -> InvestorResync:
    """With the `venue` (in the service's process), investors found no longer registered have
    their resting orders cancelled at once (cancel_reason "delisted"); elsewhere (`rwa resync`)
    the service's right-to-trade sweep does it within a minute."""
    registry = chain.core("identity_registry")
    result = InvestorResync()
    known = {row.wallet: row for row in session.exec(select(Investor))}
    for wallet in sorted(set(known) | _registered_wallets(chain, registry)):
        registered, country, accredited, kyc_expiry = chain.call(registry.functions.investorOf(wallet))
        row = known.get(wallet)
        result.checked += 1
        if row is None:
            if registered:
                row = Investor(
                    wallet=wallet, name=f"on-chain investor {wallet[:10]}", country="", kyc_expires=date.today()
                )
                _apply(row, country, accredited, kyc_expiry)
                row.status_reason = "imported from the IdentityRegistry"
                session.add(row)
                result.imported.append(wallet)
            continue
        follow_record(session, row, (registered, country, accredited, kyc_expiry), result)
    session.commit()
    if venue is not None:
        for row in result.delisted:  # revoked as "not registered": cancel_reason "delisted"
            venue.cancel_orders_if_barred(session, row)
    return result


def resync_wallets(session: Session, chain: Chain, wallets: Iterable[str]) -> InvestorResync:
    """`resync_investors` for the known investors among `wallets` only (the registry events the
    service's watcher saw: backend/trading/chain_cancels.py); commits."""
    registry = chain.core("identity_registry")
    result = InvestorResync()
    for wallet in sorted(set(wallets)):
        row = session.exec(select(Investor).where(Investor.wallet == wallet)).first()
        if row is None:
            continue
        result.checked += 1
        follow_record(session, row, chain.call(registry.functions.investorOf(wallet)), result)
    session.commit()
    return result


def follow_record(session: Session, row: Investor, record: Sequence[Any], result: InvestorResync) -> None:
    """Bring a known investor's row to its registry record (registered, country, accredited,
    kycExpiry): a wallet no longer registered is revoked as "not registered" (delisted)."""
    registered, country, accredited, kyc_expiry = record
    before = (row.status, row.country, row.accredited, row.kyc_expires)
    if registered:
        _apply(row, country, accredited, kyc_expiry)
    elif row.status == InvestorStatus.APPROVED:
        row.status, row.status_reason = InvestorStatus.REVOKED, NOT_REGISTERED
        result.delisted.append(row)
    elif row.status == InvestorStatus.PENDING:
        row.status, row.status_reason = InvestorStatus.FAILED, "the whitelist transaction never took effect"
    if (row.status, row.country, row.accredited, row.kyc_expires) != before:
        row.updated_at = utcnow()
        session.add(row)
        result.changed.append(row.wallet)


def _apply(row: Investor, country: int, accredited: bool, kyc_expiry: int) -> None:
    try:
        row.country = alpha2_code(int(country))
    except InvalidInput:
        row.country = "ZZ"  # a numeric code pycountry does not know; never in an allow-list by alpha-2
    row.accredited = bool(accredited)
    row.kyc_expires = expiry_date(int(kyc_expiry))
    row.status, row.status_reason = InvestorStatus.APPROVED, None


def _registered_wallets(chain: Chain, registry: object) -> set[str]:
    wallets: set[str] = set()
    logs = chain.logs(
        addresses=[registry.address],  # type: ignore[attr-defined]
        from_block=chain.deployment.block,
        to_block=chain.block_number(),
    )
    registered = registry.events.InvestorRegistered()  # type: ignore[attr-defined]
    recovered = registry.events.WalletRecovered()  # type: ignore[attr-defined]
    topics = {
        bytes(HexBytes(registered.topic)): ("wallet", registered),
        bytes(HexBytes(recovered.topic)): ("newWallet", recovered),
    }
    for log in logs:
        entry = topics.get(bytes(log["topics"][0])) if log["topics"] else None
        if entry is not None:
            key, event = entry
            wallets.add(to_checksum_address(event.process_log(log)["args"][key]))
    return wallets
