from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from backend.db import utcnow

# pending: the whitelist transaction is being sent; approved: mined; failed: the chain
# refused it (status_reason says why); revoked: removed from the whitelist.
INVESTOR_STATUSES = ("pending", "approved", "failed", "revoked")


class Investor(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    wallet: str = Field(index=True, unique=True, max_length=42)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    accredited: bool = False
    kyc_expires: date
    frozen: bool = False
    status: str = Field(default="pending", max_length=16)
    status_reason: str | None = None
    tx_hash: str | None = Field(default=None, max_length=66)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
