"""What every privileged action shares: the reason, the subject's checks, the chain calls
with the reason code, and the append after the transaction is mined."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from backend.chain.addresses import checksum_wallet
from backend.chain.client import Chain
from backend.disclosures.store import ContentStore
from backend.errors import InvalidInput, NotFound
from backend.governance import log
from backend.governance.reasons import check_reason
from backend.models.compliance import Investor
from backend.models.governance import AuditEntry
from backend.money import ASSET_DECIMALS, to_units

# The on-chain reason codes of AssetToken's agent actions (1..7, IAssetToken); the codes
# beyond them are recorded in the audit log only (the chain sees the reasonless form, 0).
ONCHAIN_REASON = {
    "court_order": 1,
    "lost_keys": 2,
    "sanctions": 3,
    "regulator_request": 4,
    "error_correction": 5,
    "corporate_action": 6,
    "market_integrity": 7,
}
HASH = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class Reason:
    """An action's checked (actor, reason_code, reason)."""

    actor: str
    code: str
    text: str

    @classmethod
    def of(cls, actor: str, reason_code: str | None, reason: str | None) -> Reason:
        code, text = check_reason(reason_code, reason)
        return cls(actor=actor, code=code, text=text)

    @property
    def onchain(self) -> int:
        return ONCHAIN_REASON.get(self.code, 0)


def record(
    session: Session,
    reason: Reason,
    action: str,
    *,
    asset: str | None = None,
    wallet: str | None = None,
    document_hash: str | None = None,
    receipt: dict | None = None,
) -> AuditEntry:
    """Append the entry of an action whose transaction (if any) was mined with status 1."""
    tx_hash = receipt["transactionHash"].to_0x_hex() if receipt else None
    return log.append(
        session,
        log.Action(
            actor=reason.actor,
            action=action,
            reason_code=reason.code,
            reason=reason.text,
            asset=asset,
            wallet=wallet,
            document_hash=document_hash,
            tx_hash=tx_hash,
        ),
    )


def known_investor(session: Session, wallet: str, *, field: str = "wallet") -> Investor:
    """The venue's investor of `wallet` (any status), or 404 governance.wallet_not_found."""
    address = checksum_wallet(wallet, field=field)
    investor = session.exec(select(Investor).where(Investor.wallet == address)).first()
    if investor is None:
        raise NotFound("governance.wallet_not_found", f"no investor has wallet {address}", details=[{"field": field}])
    return investor


def document_hash(store: ContentStore, value: str | None) -> str:
    """A supporting document's sha256 (lowercase hex, no 0x) that is in the content store."""
    if not value or not HASH.match(value):
        raise InvalidInput(
            "validation.invalid",
            "document_hash must be the sha256 (64 hex digits) of a stored document",
            details=[{"field": "document_hash"}],
        )
    digest = value.lower().removeprefix("0x")
    if not store.exists(digest):
        raise NotFound(
            "governance.document_not_found",
            f"no document {digest} in the store: upload it to /v1/admin/evidence first",
            details=[{"field": "document_hash"}],
        )
    return digest


def units(quantity: Decimal) -> int:
    if quantity <= 0:
        raise InvalidInput("validation.invalid", "quantity must be positive", details=[{"field": "quantity"}])
    return to_units(quantity, ASSET_DECIMALS)


def agent_call(contract: Any, name: str, types: list[str], args: list[Any], extra: list[tuple[str, Any]]) -> Any:
    """The agent function `name(types + extra types)` with `args + extra values` when the
    token's ABI has that overload (the reason-code forms), else the reasonless `name(types)`."""
    full = f"{name}({','.join(types + [t for t, _ in extra])})"
    try:
        return contract.get_function_by_signature(full)(*args, *[v for _, v in extra])
    except ValueError:
        return contract.get_function_by_signature(f"{name}({','.join(types)})")(*args)


def require_governance(chain: Chain) -> None:
    """403 governance.not_configured before anything is sent, when no governance key is held."""
    chain.governance_account()


def reason_args(reason: Reason, *more: tuple[str, Any]) -> list[tuple[str, Any]]:
    """The reason-code arguments of an agent call: none (the reasonless form) for a code the
    chain's vocabulary lacks."""
    return [] if reason.onchain == 0 else [("uint8", reason.onchain), *more]
