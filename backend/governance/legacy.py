"""The older routes that change the same things as /v1/admin (halt/resume, PATCH frozen,
DELETE investor, PUT rules, issue) keep their bodies for existing clients, but still append
to the audit log, so nothing privileged escapes it: with reason_code `unspecified` and a
reason naming the route (docs/API.md)."""

from __future__ import annotations

from sqlmodel import Session

from backend.auth.service import Principal
from backend.governance import log
from backend.models.governance import AuditEntry

UNSPECIFIED = "unspecified"


def actor_of(principal: Principal) -> str:
    if principal.role == "admin":
        return "admin-key" if principal.key_id is None else f"admin-key:{principal.key_id}"
    return f"{principal.role}-key:{principal.key_id}"


def audit_legacy(
    session: Session,
    principal: Principal,
    action: str,
    route: str,
    *,
    asset: str | None = None,
    wallet: str | None = None,
    tx_hash: str | None = None,
) -> AuditEntry:
    return log.append(
        session,
        log.Action(
            actor=actor_of(principal),
            action=action,
            reason_code=UNSPECIFIED,
            reason=f"no reason given (older route {route}; use /v1/admin)",
            asset=asset,
            wallet=wallet,
            tx_hash=tx_hash,
        ),
    )
