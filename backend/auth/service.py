"""Issue and resolve API keys. Keys are stored as SHA-256 digests and shown once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, select

from backend.clock import utcnow
from backend.config import Settings
from backend.errors import Forbidden, Unauthorized
from backend.models.auth import ROLES, ApiKey
from backend.models.compliance import Investor


@dataclass(frozen=True)
class Principal:
    role: str
    key_id: int | None = None
    investor_id: int | None = None
    issuer_wallet: str | None = None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(
    session: Session, *, role: str, investor_id: int | None = None, issuer_wallet: str | None = None, label: str = ""
) -> str:
    assert role in ROLES
    key = f"rwa_{role[:3]}_{secrets.token_urlsafe(24)}"
    session.add(
        ApiKey(key_hash=_digest(key), role=role, investor_id=investor_id, issuer_wallet=issuer_wallet, label=label)
    )
    return key


def revoke_keys_of_investor(session: Session, *, investor_id: int) -> None:
    for key in session.exec(select(ApiKey).where(ApiKey.investor_id == investor_id)):
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            session.add(key)


def resolve_key(session: Session, *, settings: Settings, key: str | None) -> Principal:
    if not key:
        raise Unauthorized("auth.missing_key", "send your API key in the X-API-Key header")
    # Both comparisons are constant-time: the env admin key directly, stored keys by digest lookup.
    if hmac.compare_digest(key.encode(), settings.admin_key.encode()):
        return Principal(role="admin")
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == _digest(key))).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("auth.invalid_key", "unknown or revoked API key")
    return Principal(role=row.role, key_id=row.id, investor_id=row.investor_id, issuer_wallet=row.issuer_wallet)


def resolve_investor_key(session: Session, *, settings: Settings, key: str | None) -> tuple[Principal, Investor | None]:
    """resolve_key and the key's investor (None when it has none or it no longer exists) in
    one query: order entry's authentication, still read per request (a revoked key is
    refused at once)."""
    if not key:
        raise Unauthorized("auth.missing_key", "send your API key in the X-API-Key header")
    if hmac.compare_digest(key.encode(), settings.admin_key.encode()):
        return Principal(role="admin"), None
    found = session.exec(_KEY_AND_INVESTOR, params={"key_hash": _digest(key)}).first()
    if found is None or found[0].revoked_at is not None:
        raise Unauthorized("auth.invalid_key", "unknown or revoked API key")
    row, investor = found
    principal = Principal(role=row.role, key_id=row.id, investor_id=row.investor_id, issuer_wallet=row.issuer_wallet)
    return principal, investor


_KEY_AND_INVESTOR = (
    select(ApiKey, Investor)
    .outerjoin(Investor, Investor.id == ApiKey.investor_id)  # type: ignore[arg-type]
    .where(ApiKey.key_hash == bindparam("key_hash"))
)  # built once: every investor request runs it


def require_asset_authority(principal: Principal, *, issuer_wallet: str, symbol: str, action: str) -> None:
    """Admins act on any asset; an issuer key only on assets of its own issuer wallet."""
    if principal.role == "admin":
        return
    if (
        principal.role == "issuer"
        and principal.issuer_wallet
        and principal.issuer_wallet.lower() == issuer_wallet.lower()
    ):
        return
    raise Forbidden("auth.forbidden", f"this key may not {action} for {symbol}")
