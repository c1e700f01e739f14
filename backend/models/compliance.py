from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.clock import utcnow
from backend.statuses import InvestorStatus

INVESTOR_STATUSES = tuple(InvestorStatus)  # what each means: backend/statuses.py


class Investor(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    wallet: str = Field(index=True, unique=True, max_length=42)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    accredited: bool = False
    kyc_expires: date
    frozen: bool = False
    status: str = Field(default=InvestorStatus.PENDING, max_length=16)
    status_reason: str | None = None
    tx_hash: str | None = Field(default=None, max_length=66)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# --- the compliance mirror (backend/compliance/mirror.py): what the evaluator reads ---------
# uint256 values (balances, caps, lock-up ends) are stored as decimal strings of integer
# units: they do not fit a 64-bit column.


class AssetRules(SQLModel, table=True):
    """An asset's ComplianceRules rule set as last seen on chain (RulesUpdated)."""

    asset_id: int = Field(primary_key=True, foreign_key="asset.id")
    allowed_countries: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    accredited_only: bool = False
    max_holders: str = Field(default="0", max_length=80)
    max_balance: str = Field(default="0", max_length=80)
    lockup_seconds: str = Field(default="0", max_length=24)
    tx_hash: str | None = Field(default=None, max_length=66)
    updated_at: datetime = Field(default_factory=utcnow)


class ComplianceState(SQLModel, table=True):
    """Token-wide state of one asset, current as of `synced_block`."""

    asset_id: int = Field(primary_key=True, foreign_key="asset.id")
    paused: bool = False
    holder_count: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    synced_block: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    block_timestamp: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    updated_at: datetime = Field(default_factory=utcnow)


class HolderState(SQLModel, table=True):
    """One wallet's state in one asset token: balance, freezes and lock-up."""

    __table_args__ = (UniqueConstraint("asset_id", "wallet", name="uq_holder_asset_wallet"),)

    id: int | None = Field(default=None, primary_key=True)
    asset_id: int = Field(index=True, foreign_key="asset.id")
    wallet: str = Field(max_length=42, index=True)
    balance: str = Field(default="0", max_length=80)
    frozen_tokens: str = Field(default="0", max_length=80)
    wallet_frozen: bool = False
    locked_until: str = Field(default="0", max_length=24)
    locked_amount: str = Field(default="0", max_length=80)  # tokens locked until locked_until
