"""Privileged actions on an investor: revocation and reinstatement (the registry, signed by
the operator key's REGISTRAR_ROLE), API key rotation, and wallet recovery (the registry,
then every asset the lost wallet held, as the governance key)."""

from __future__ import annotations

from sqlmodel import Session, select

from backend.assets.service import list_assets, token_contract
from backend.auth.service import issue_key, revoke_keys_of_investor
from backend.chain.addresses import checksum_wallet
from backend.chain.client import Chain
from backend.clock import utcnow
from backend.compliance.codes import translate_chain_error
from backend.compliance.countries import numeric_code
from backend.compliance.onboarding import get_investor, kyc_expiry_timestamp, revoke_investor
from backend.compliance.sync import sync as compliance_sync
from backend.disclosures.store import ContentStore
from backend.errors import ChainRejected, Conflict
from backend.governance.common import Reason, agent_call, document_hash, known_investor, reason_args, record
from backend.governance.common import require_governance as _require_governance
from backend.models.compliance import Investor
from backend.models.governance import AuditEntry
from backend.statuses import InvestorStatus
from backend.trading import revocations
from backend.trading.sequencer import Venue


def revoke(session: Session, chain: Chain, venue: Venue | None, *, reason: Reason, investor_id: int) -> AuditEntry:
    investor = get_investor(session, investor_id)
    if investor.status != InvestorStatus.APPROVED:
        raise Conflict("investor.not_approved", f"investor {investor_id} is {investor.status}")
    investor = revoke_investor(session, chain, investor_id=investor_id, venue=venue)
    receipt = {"transactionHash": _Hex(investor.tx_hash or "")} if investor.tx_hash else None
    return record(session, reason, "investor.revoke", wallet=investor.wallet, receipt=receipt)


def reinstate(session: Session, chain: Chain, *, reason: Reason, investor_id: int) -> tuple[Investor, AuditEntry]:
    """Whitelist a revoked investor's wallet again with its last known record. Its API keys
    stay revoked: rotate-key issues a new one."""
    investor = get_investor(session, investor_id)
    if investor.status != InvestorStatus.REVOKED:
        raise Conflict("investor.not_revoked", f"investor {investor_id} is {investor.status}, not revoked")
    registry = chain.core("identity_registry")
    receipt = chain.transact(
        registry.functions.registerInvestor(
            investor.wallet,
            numeric_code(investor.country),
            investor.accredited,
            kyc_expiry_timestamp(investor.kyc_expires),
        )
    )
    investor.status, investor.status_reason = InvestorStatus.APPROVED, None
    investor.tx_hash = receipt["transactionHash"].to_0x_hex()
    investor.updated_at = utcnow()
    session.add(investor)
    entry = record(session, reason, "investor.reinstate", wallet=investor.wallet, receipt=receipt)
    session.refresh(investor)
    return investor, entry


def rotate_key(session: Session, *, reason: Reason, investor_id: int) -> tuple[str, AuditEntry]:
    """Revoke every key of the investor and issue a new one (shown once)."""
    investor = get_investor(session, investor_id)
    if investor.status == InvestorStatus.REVOKED:
        raise Conflict("investor.not_approved", f"investor {investor_id} is revoked: reinstate it first")
    revoke_keys_of_investor(session, investor_id=investor_id)
    key = issue_key(session, role="investor", investor_id=investor_id, label=investor.name)
    entry = record(session, reason, "api_key.rotate", wallet=investor.wallet)  # commits the key change too
    return key, entry


def issue_issuer_key(session: Session, *, reason: Reason, wallet: str, name: str) -> tuple[str, AuditEntry]:
    """An issuer API key (shown once) for the assets whose issuer_wallet is `wallet`: it files
    documents, sets rules, issues and distributes, so its creation is in the audit log."""
    key = issue_key(session, role="issuer", issuer_wallet=wallet, label=name)
    entry = record(session, reason, "api_key.issue_issuer", wallet=wallet)  # commits the key too
    return key, entry


def recover(
    session: Session,
    chain: Chain,
    store: ContentStore,
    venue: Venue | None,
    *,
    reason: Reason,
    lost_wallet: str,
    new_wallet: str,
    document: str | None,
) -> list[AuditEntry]:
    """Move the investor of `lost_wallet` to `new_wallet`: the registry record (operator key,
    registrar), then each asset's balance, freezes and accrued revenue (governance key).
    One entry per mined transaction; a failure part way keeps the entries that landed."""
    investor = known_investor(session, lost_wallet, field="lost_wallet")
    new = checksum_wallet(new_wallet, field="new_wallet")
    digest = document_hash(store, document)
    if new == investor.wallet or session.exec(select(Investor).where(Investor.wallet == new)).first():
        raise Conflict("investor.duplicate_wallet", f"wallet {new} already belongs to an investor")
    _require_governance(chain)
    lost = investor.wallet
    if venue is not None:  # its resting orders are signed by the lost wallet
        revocations.cancel_investor_orders(
            session,
            venue,
            investor_id=investor.id,  # type: ignore[arg-type]
            reason=revocations.REVOKED,
        )
    entries = []
    registry = chain.core("identity_registry")
    if chain.call(registry.functions.isVerified(lost)):
        receipt = chain.transact(registry.functions.recoverWallet(lost, new))
        investor.wallet = new
        investor.tx_hash = receipt["transactionHash"].to_0x_hex()
        investor.updated_at = utcnow()
        session.add(investor)
        entries.append(record(session, reason, "wallet.recover", wallet=lost, document_hash=digest, receipt=receipt))
    for asset in list_assets(session):
        token = token_contract(chain, asset)
        holds = chain.call(token.functions.balanceOf(lost)) or chain.call(token.functions.frozenTokens(lost))
        if not holds and not chain.call(token.functions.isFrozen(lost)):
            continue
        fn = agent_call(
            token,
            "recoverWallet",
            ["address", "address"],
            [lost, new],
            reason_args(reason, ("bytes32", bytes.fromhex(digest))),
        )
        try:
            receipt = chain.transact(fn, governance=True)
        except ChainRejected as exc:
            raise translate_chain_error(exc) from None
        compliance_sync(session, chain, asset, min_block=int(receipt["blockNumber"]))
        entries.append(
            record(
                session,
                reason,
                "wallet.recover",
                asset=asset.symbol,
                wallet=lost,
                document_hash=digest,
                receipt=receipt,
            )
        )
    if not entries:
        raise Conflict("governance.nothing_to_recover", f"wallet {lost} is not registered and holds nothing")
    return entries


class _Hex(str):
    def to_0x_hex(self) -> str:
        return str(self)
