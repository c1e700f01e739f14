from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.clock import utcnow
from backend.statuses import SettlementStatus

SETTLEMENT_STATUSES = tuple(SettlementStatus)  # what each means: backend/statuses.py


class TradeRecord(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("symbol", "trade_seq", name="uq_trade_symbol_seq"),)

    id: str = Field(primary_key=True, max_length=40)
    symbol: str = Field(index=True, max_length=12)
    trade_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    # bytes32 id on chain: keccak256(abi.encode(buyHash, sellHash, trade_seq)) of both orders' EIP-712
    # digests (SettlementExchange.tradeIdOf): a reused trade_seq with other orders is another id.
    # "" until the settlement worker derives it, for a trade whose order had no stored hash.
    chain_trade_id: str = Field(max_length=66, index=True)
    buy_order_id: str = Field(foreign_key="order.id", index=True, max_length=32)
    sell_order_id: str = Field(foreign_key="order.id", index=True, max_length=32)
    buyer_investor_id: int = Field(index=True)
    seller_investor_id: int = Field(index=True)
    taker_side: str = Field(max_length=4)
    price_ticks: int = Field(sa_column=Column(BigInteger, nullable=False))
    quantity_lots: int = Field(sa_column=Column(BigInteger, nullable=False))
    settlement_status: str = Field(default=SettlementStatus.PENDING, index=True, max_length=12)
    tx_hash: str | None = Field(default=None, max_length=66)
    failure_code: int | None = None
    failure_reason: str | None = None
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    settled_at: datetime | None = None
