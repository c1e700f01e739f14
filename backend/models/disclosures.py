"""Disclosure documents: one row per uploaded version; the bytes live in the store by hash."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.clock import utcnow
from backend.statuses import AnchorStatus

# API.md vocabulary. Each name must fit the token's bytes32 document key (ERC-1643).
DOC_TYPES = (
    "offering_memorandum",
    "financial_statements",
    "reserve_report",
    "production_report",
    "land_title",
    "harvest_report",
    "risk_factors",
    "other",
)

# pending: the setDocument transaction was sent but is not known to be mined (a chain
# timeout); anchored: mined. Rows whose transaction never reached the chain are deleted,
# so a version number always means "this was filed on chain, or is on its way".
ANCHOR_STATUSES = tuple(AnchorStatus)


class Document(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("symbol", "doc_type", "version", name="uq_document_version"),)

    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(index=True, max_length=12)
    doc_type: str = Field(max_length=32)
    title: str = Field(max_length=200)
    # 1, 2, 3 ... per (symbol, doc_type): a new upload of a type supersedes the previous one.
    version: int
    sha256: str = Field(index=True, max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    content_type: str = Field(max_length=127)
    filename: str = Field(max_length=255)
    uri: str = Field(default="", max_length=200)
    # The date the document speaks for (defaults to the upload date); policy ages count from it.
    effective_date: date
    effective_until: date | None = None
    tx_hash: str | None = Field(default=None, max_length=66)
    anchor_status: str = Field(default=AnchorStatus.PENDING, max_length=16)
    anchored_at: datetime | None = None
    # Who filed it: "admin" or "issuer:<key id>" (an audit trail, not an authorization).
    uploaded_by: str = Field(default="", max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
