"""The audit log's tables: entries (hash-chained) and the anchors of its head on chain."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class AuditEntry(SQLModel, table=True):
    """One privileged action. `seq` is the primary key: two appends racing for the same
    number cannot both commit (the loser retries on the next one), on SQLite and PostgreSQL.
    `at` is kept as the exact ISO 8601 string that was hashed."""

    seq: int = Field(primary_key=True)
    at: str = Field(max_length=40)
    actor: str = Field(max_length=200)
    action: str = Field(index=True, max_length=40)
    asset: str | None = Field(default=None, index=True, max_length=12)
    wallet: str | None = Field(default=None, index=True, max_length=42)
    reason_code: str = Field(max_length=40)
    reason: str = Field(max_length=1000)
    document_hash: str | None = Field(default=None, max_length=64)
    tx_hash: str | None = Field(default=None, max_length=66)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(unique=True, max_length=64)


class AuditAnchorRecord(SQLModel, table=True):
    """The head (seq, hash) written on chain by AuditAnchor.anchor, and where."""

    __tablename__ = "auditanchor"

    seq: int = Field(primary_key=True)
    hash: str = Field(max_length=64)
    tx_hash: str = Field(max_length=66)
    block: int
    at: str = Field(max_length=40)
