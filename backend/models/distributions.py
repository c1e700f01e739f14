"""One row per deposit into RevenueDistributor. The chain keeps the money and the shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.clock import utcnow
from backend.statuses import DistributionStatus

# What a distribution is called, by asset kind (API.md vocabulary of `kind`).
KIND_LABELS = {"equity": "dividend", "oil_well": "royalty", "farm": "harvest_revenue"}

# pending: the deposit transaction was sent but is not known to be mined (a chain timeout);
# confirmed: mined. Rows whose transaction reverted are deleted (chain wins).
STATUSES = tuple(DistributionStatus)

MEMO_MAX = 200


def kind_label(asset_kind: str) -> str:
    """royalty / harvest_revenue / dividend for oil_well / farm / equity ("revenue" otherwise)."""
    return KIND_LABELS.get(asset_kind, "revenue")


class Distribution(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("symbol", "distribution_id", name="uq_distribution_chain_id"),)

    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(index=True, max_length=12)
    kind: str = Field(max_length=16)
    # Cash, a canonical decimal string (the cash token has 6 decimals).
    amount: str = Field(max_length=60)
    memo: str = Field(default="", max_length=MEMO_MAX)
    status: str = Field(default=DistributionStatus.PENDING, max_length=16)
    # RevenueDistributor's distributionId (RevenueDeposited event); None while pending.
    distribution_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Holders of the asset at the deposit's block (ComplianceRules.holderCount); None while pending.
    holder_count: int | None = None
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Who asked for it: "admin" or "issuer:<key id>" (an audit trail, not an authorization).
    created_by: str = Field(default="", max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
