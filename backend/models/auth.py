from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.clock import utcnow

ROLES = ("admin", "issuer", "investor")


class ApiKey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(index=True, unique=True, max_length=64)
    role: str = Field(max_length=16)
    investor_id: int | None = Field(default=None, foreign_key="investor.id", index=True)
    issuer_wallet: str | None = Field(default=None, max_length=42)
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
