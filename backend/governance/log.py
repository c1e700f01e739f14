"""The public, hash-chained audit log: the one place entries are hashed, appended and checked.

hash = sha256(canonical JSON of the entry's fields except `hash`, `prev_hash` included);
canonical = sorted keys, no spaces, UTF-8, null for absent values. Entry 1's prev_hash is
GENESIS. Appending is serialized by the primary key: the next seq is read and inserted in one
transaction; if another writer took that number first the insert fails and is retried.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, func, select

from backend.models.governance import AuditEntry

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "action",
    "asset",
    "wallet",
    "reason_code",
    "reason",
    "document_hash",
    "tx_hash",
    "prev_hash",
)
APPEND_ATTEMPTS = 50
_append_lock = threading.Lock()  # in-process writers queue here; other processes race on seq


def entry_hash(fields: dict[str, Any]) -> str:
    """sha256 hex of the canonical JSON of HASHED_FIELDS of `fields`."""
    canonical = json.dumps(
        {name: fields.get(name) for name in HASHED_FIELDS}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in (*HASHED_FIELDS, "hash")}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Action:
    """What an entry records, before it has a place in the chain."""

    actor: str
    action: str
    reason_code: str
    reason: str
    asset: str | None = None
    wallet: str | None = None
    document_hash: str | None = None
    tx_hash: str | None = None


def append(session: Session, action: Action) -> AuditEntry:
    """Append `action` as the next entry and commit it (the caller's pending changes too)."""
    with _append_lock:
        for attempt in range(APPEND_ATTEMPTS):
            head = head_of(session)
            seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS)
            fields: dict[str, Any] = {
                "seq": seq,
                "at": now_iso(),
                "actor": action.actor,
                "action": action.action,
                "asset": action.asset,
                "wallet": action.wallet,
                "reason_code": action.reason_code,
                "reason": action.reason,
                "document_hash": action.document_hash,
                "tx_hash": action.tx_hash,
                "prev_hash": prev_hash,
            }
            entry = AuditEntry(**fields, hash=entry_hash(fields))
            session.add(entry)
            try:
                session.commit()
            except (IntegrityError, OperationalError):
                # Another process took this seq (PostgreSQL: the unique key), or wrote after our
                # read (SQLite WAL: the snapshot is stale, "database is locked"): read the new
                # head and retry.
                session.rollback()
                time.sleep(0.01 * (attempt + 1))
                continue
            session.refresh(entry)
            return entry
    raise RuntimeError("could not append to the audit log: too much contention")


def head_of(session: Session) -> AuditEntry | None:
    return session.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc()).limit(1)).first()


def entry_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AuditEntry)).one())


def list_entries(
    session: Session,
    *,
    asset: str | None = None,
    wallet: str | None = None,
    action: str | None = None,
    after_seq: int = 0,
    limit: int = 100,
) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if asset:
        query = query.where(AuditEntry.asset == asset.upper())
    if wallet:
        query = query.where(func.lower(AuditEntry.wallet) == wallet.lower())
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.exec(query.order_by(col(AuditEntry.seq)).limit(limit)))


def find_breaks(entries: list[dict[str, Any]]) -> list[str]:
    """Every break of the chain in `entries` (all of them, in seq order): a gap or a
    reordering (a deleted entry), a prev_hash that is not the previous hash, a hash that
    does not match the entry's content (an edited entry). Empty for a good log."""
    problems: list[str] = []
    expected_seq, prev = 1, GENESIS
    for entry in entries:
        seq = entry["seq"]
        if seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing (next is {seq}): an entry was deleted")
        if entry["prev_hash"] != prev:
            problems.append(f"entry {seq}: prev_hash does not match the hash of the entry before it")
        if entry_hash(entry) != entry["hash"]:
            problems.append(f"entry {seq}: hash does not match its content: the entry was edited")
        expected_seq, prev = seq + 1, entry["hash"]
    return problems
