from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from backend.clock import utcnow

KINDS = ("equity", "oil_well", "farm")
# AssetToken.AssetClass enum order on chain.
KIND_TO_CLASS = {"equity": 0, "oil_well": 1, "farm": 2}


class Asset(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(index=True, unique=True, max_length=12)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    # Decimal strings; the venue works in integer ticks and lots of these sizes.
    tick_size: str = Field(max_length=40)
    lot_size: str = Field(max_length=40)
    total_supply: str = Field(max_length=60)
    issuer_wallet: str = Field(max_length=42)
    token_address: str = Field(max_length=42, index=True)
    rules_address: str = Field(max_length=42)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    tx_hash: str | None = Field(default=None, max_length=66)
    created_at: datetime = Field(default_factory=utcnow)
