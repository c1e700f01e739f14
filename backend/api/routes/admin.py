"""Privileged actions (admin key), each with a reason, each appended to the audit log
(docs/API.md "Privileged actions and the audit log"). Governance-role transactions are
signed with the governance key, never the hot operator key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field

from backend.api.deps import AdminDep, ChainDep, SessionDep, SettingsDep, VenueDep
from backend.api.routes.compliance import RulesBody
from backend.api.routes.documents import StoreDep
from backend.api.schemas import ERRORS, PositiveDecimal, RowId, Strict, Wallet
from backend.auth.service import Principal
from backend.errors import InvalidInput, TooLarge
from backend.governance import anchoring, asset_actions, investor_actions, log
from backend.governance.common import Reason
from backend.models.governance import AuditEntry

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ERRORS)

ReasonCode = Annotated[str | None, Field(default=None, max_length=64, description="see docs/API.md")]
ReasonText = Annotated[str | None, Field(default=None, max_length=4000, description="required, free text")]


class ReasonBody(Strict):
    reason_code: ReasonCode = None
    reason: ReasonText = None


class WalletBody(ReasonBody):
    wallet: Wallet


class QuantityBody(WalletBody):
    quantity: PositiveDecimal


class ForcedTransferBody(ReasonBody):
    from_wallet: Wallet
    to_wallet: Wallet
    quantity: PositiveDecimal
    document_hash: str | None = Field(default=None, max_length=66)


class RecoveryBody(ReasonBody):
    lost_wallet: Wallet
    new_wallet: Wallet
    document_hash: str | None = Field(default=None, max_length=66)


class RulesChangeBody(RulesBody):
    reason_code: ReasonCode = None
    reason: ReasonText = None


class AuditEntryPublic(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    asset: str | None
    wallet: str | None
    reason_code: str
    reason: str
    document_hash: str | None
    tx_hash: str | None
    prev_hash: str
    hash: str


class ActionResult(BaseModel):
    entries: list[AuditEntryPublic]
    investor_id: int | None = None
    api_key: str | None = None


def actor_of(principal: Principal) -> str:
    return "admin-key" if principal.key_id is None else f"admin-key:{principal.key_id}"


def reason_of(principal: Principal, body: ReasonBody | RulesChangeBody) -> Reason:
    return Reason.of(actor_of(principal), body.reason_code, body.reason)


def result(*entries: AuditEntry, **extra: Any) -> ActionResult:
    return ActionResult(entries=[AuditEntryPublic(**log.as_dict(e)) for e in entries], **extra)


@router.post("/assets/{symbol}/freeze")
def freeze(symbol: str, body: WalletBody, s: SessionDep, c: ChainDep, v: VenueDep, p: AdminDep) -> ActionResult:
    """Freeze a whole wallet in this asset (its resting orders in the market are cancelled)."""
    reason = reason_of(p, body)
    return result(
        asset_actions.set_wallet_frozen(s, c, v, reason=reason, symbol=symbol, wallet=body.wallet, frozen=True)
    )


@router.post("/assets/{symbol}/unfreeze")
def unfreeze(symbol: str, body: WalletBody, s: SessionDep, c: ChainDep, v: VenueDep, p: AdminDep) -> ActionResult:
    reason = reason_of(p, body)
    return result(
        asset_actions.set_wallet_frozen(s, c, v, reason=reason, symbol=symbol, wallet=body.wallet, frozen=False)
    )


@router.post("/assets/{symbol}/freeze-partial")
def freeze_partial(
    symbol: str, body: QuantityBody, s: SessionDep, c: ChainDep, v: VenueDep, p: AdminDep
) -> ActionResult:
    """Freeze `quantity` of the wallet's tokens in this asset (its sells beyond the rest are cancelled)."""
    reason = reason_of(p, body)
    return result(
        asset_actions.freeze_tokens(
            s, c, reason=reason, symbol=symbol, wallet=body.wallet, quantity=body.quantity, freeze=True, venue=v
        )
    )


@router.post("/assets/{symbol}/unfreeze-partial")
def unfreeze_partial(symbol: str, body: QuantityBody, s: SessionDep, c: ChainDep, p: AdminDep) -> ActionResult:
    reason = reason_of(p, body)
    return result(
        asset_actions.freeze_tokens(
            s, c, reason=reason, symbol=symbol, wallet=body.wallet, quantity=body.quantity, freeze=False
        )
    )


@router.post("/assets/{symbol}/pause")
def pause(symbol: str, body: ReasonBody, s: SessionDep, c: ChainDep, p: AdminDep) -> ActionResult:
    """Stop every holder transfer of the asset on chain (settlement of its trades fails meanwhile)."""
    return result(asset_actions.set_paused(s, c, reason=reason_of(p, body), symbol=symbol, paused=True))


@router.post("/assets/{symbol}/unpause")
def unpause(symbol: str, body: ReasonBody, s: SessionDep, c: ChainDep, p: AdminDep) -> ActionResult:
    return result(asset_actions.set_paused(s, c, reason=reason_of(p, body), symbol=symbol, paused=False))


@router.post("/assets/{symbol}/forced-transfer")
def forced_transfer(
    symbol: str, body: ForcedTransferBody, s: SessionDep, c: ChainDep, store: StoreDep, p: AdminDep
) -> ActionResult:
    """Move tokens between two investors' wallets; the receiver must pass the asset's rules."""
    reason = reason_of(p, body)
    entry = asset_actions.forced_transfer(
        s,
        c,
        store,
        reason=reason,
        symbol=symbol,
        from_wallet=body.from_wallet,
        to_wallet=body.to_wallet,
        quantity=body.quantity,
        document=body.document_hash,
    )
    return result(entry)


@router.post("/assets/{symbol}/mint")
def mint(symbol: str, body: QuantityBody, s: SessionDep, c: ChainDep, p: AdminDep) -> ActionResult:
    reason = reason_of(p, body)
    return result(
        asset_actions.mint_or_burn(
            s, c, reason=reason, symbol=symbol, wallet=body.wallet, quantity=body.quantity, mint=True
        )
    )


@router.post("/assets/{symbol}/burn")
def burn(symbol: str, body: QuantityBody, s: SessionDep, c: ChainDep, p: AdminDep) -> ActionResult:
    reason = reason_of(p, body)
    return result(
        asset_actions.mint_or_burn(
            s, c, reason=reason, symbol=symbol, wallet=body.wallet, quantity=body.quantity, mint=False
        )
    )


@router.put("/assets/{symbol}/rules")
def rules(symbol: str, body: RulesChangeBody, s: SessionDep, c: ChainDep, p: AdminDep) -> ActionResult:
    """Replace the asset's rule set on chain (the governance key is its rules admin)."""
    reason = reason_of(p, body)
    rule_set = body.model_dump(exclude={"reason_code", "reason"})
    return result(asset_actions.set_rules(s, c, reason=reason, symbol=symbol, rules=rule_set))


@router.post("/markets/{symbol}/halt")
def halt(symbol: str, body: ReasonBody, s: SessionDep, v: VenueDep, p: AdminDep) -> ActionResult:
    return result(asset_actions.halt_or_resume(s, v, reason=reason_of(p, body), symbol=symbol, halt=True))


@router.post("/markets/{symbol}/resume")
def resume(symbol: str, body: ReasonBody, s: SessionDep, v: VenueDep, p: AdminDep) -> ActionResult:
    return result(asset_actions.halt_or_resume(s, v, reason=reason_of(p, body), symbol=symbol, halt=False))


@router.post("/recoveries")
def recover(body: RecoveryBody, s: SessionDep, c: ChainDep, v: VenueDep, store: StoreDep, p: AdminDep) -> ActionResult:
    """Move a lost wallet's investor record, balances, freezes and revenue to a new wallet."""
    reason = reason_of(p, body)
    entries = investor_actions.recover(
        s,
        c,
        store,
        v,
        reason=reason,
        lost_wallet=body.lost_wallet,
        new_wallet=body.new_wallet,
        document=body.document_hash,
    )
    return result(*entries)


@router.post("/investors/{investor_id}/revoke")
def revoke(investor_id: RowId, body: ReasonBody, s: SessionDep, c: ChainDep, v: VenueDep, p: AdminDep) -> ActionResult:
    reason = reason_of(p, body)
    return result(investor_actions.revoke(s, c, v, reason=reason, investor_id=investor_id), investor_id=investor_id)


@router.post("/investors/{investor_id}/reinstate")
def reinstate(investor_id: RowId, body: ReasonBody, s: SessionDep, c: ChainDep, p: AdminDep) -> ActionResult:
    _, entry = investor_actions.reinstate(s, c, reason=reason_of(p, body), investor_id=investor_id)
    return result(entry, investor_id=investor_id)


@router.post("/investors/{investor_id}/rotate-key")
def rotate_key(investor_id: RowId, body: ReasonBody, s: SessionDep, p: AdminDep) -> ActionResult:
    """Revoke the investor's API keys and issue a new one (shown once, in `api_key`)."""
    key, entry = investor_actions.rotate_key(s, reason=reason_of(p, body), investor_id=investor_id)
    return result(entry, investor_id=investor_id, api_key=key)


class EvidencePublic(BaseModel):
    sha256: str
    size: int


@router.post("/evidence", status_code=201)
def upload_evidence(
    store: StoreDep, settings: SettingsDep, _: AdminDep, file: Annotated[UploadFile, File()]
) -> EvidencePublic:
    """Store a supporting document (not published) for a forced transfer or recovery."""
    data = file.file.read(settings.document_max_bytes + 1)
    if not data:
        raise InvalidInput("validation.invalid", "the file is empty", details=[{"field": "file"}])
    if len(data) > settings.document_max_bytes:
        raise TooLarge("request.too_large", "the file is too large")
    return EvidencePublic(sha256=store.put(data), size=len(data))


class AnchorPublic(BaseModel):
    seq: int
    hash: str
    tx_hash: str
    block: int
    at: str


@router.post("/audit/anchor")
def anchor(s: SessionDep, c: ChainDep, _: AdminDep) -> AnchorPublic | None:
    """Write the audit log's head on chain now (null when the log is empty)."""
    found = anchoring.anchor_head(s, c)
    return None if found is None else AnchorPublic(**found.model_dump())
