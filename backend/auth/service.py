"""Issue and resolve API keys. Keys are stored as SHA-256 digests and shown once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
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
    known_investor_keys.forget_investor(investor_id)


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
    return _key_and_investor(session, _digest(key))


def _key_and_investor(session: Session, digest: str) -> tuple[Principal, Investor | None]:
    found = session.exec(_KEY_AND_INVESTOR, params={"key_hash": digest}).first()
    if found is None or found[0].revoked_at is not None:
        raise Unauthorized("auth.invalid_key", "unknown or revoked API key")
    row, investor = found
    principal = Principal(role=row.role, key_id=row.id, investor_id=row.investor_id, issuer_wallet=row.issuer_wallet)
    return principal, investor


def investor_of(principal: Principal, investor: Investor | None) -> Investor:
    """The investor of a resolved key: 403 for a key of another role, or whose investor is gone."""
    if principal.role != "investor" or principal.investor_id is None:
        raise Forbidden("auth.forbidden", "this needs an investor key")
    if investor is None:
        raise Forbidden("auth.forbidden", "the investor of this key no longer exists")
    return investor


def investor_by_digest(session: Session, digest: str) -> Investor:
    """The investor of the key with this digest, read now (one query): 401 when the key is
    unknown or revoked, 403 when it is not an investor's. Remembers the digest as a known
    investor key (KnownKeys)."""
    investor = investor_of(*_key_and_investor(session, digest))
    known_investor_keys.remember(digest, investor.id)  # type: ignore[arg-type]
    return investor


def key_digest(key: str) -> str:
    return _digest(key)


class KnownKeys:
    """Digests of investor keys seen to resolve in this process, with their investor: lets
    order entry check the key before the body (401/403 before 422) without a query. Never
    grants anything: the route reads the key and its investor again (investor_by_digest)
    before the order, so a revocation - in this process or another (the `rwa` CLI) - refuses
    the very next order. Revoking here forgets the investor's keys at once; a key revoked by
    another process is refused by that read (its bad body answered 422 first, at most)."""

    def __init__(self, limit: int = 100_000):
        self._known: OrderedDict[str, int] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def __contains__(self, digest: str) -> bool:
        return digest in self._known

    def remember(self, digest: str, investor_id: int) -> None:
        with self._lock:
            self._known[digest] = investor_id
            self._known.move_to_end(digest)
            while len(self._known) > self._limit:
                self._known.popitem(last=False)

    def forget_investor(self, investor_id: int) -> None:
        with self._lock:
            for digest in [d for d, i in self._known.items() if i == investor_id]:
                del self._known[digest]


known_investor_keys = KnownKeys()


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
