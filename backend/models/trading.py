from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.clock import utcnow
from backend.statuses import OrderStatus


class Order(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("investor_id", "client_order_id", name="uq_order_client_id"),)

    id: str = Field(primary_key=True, max_length=32)
    client_order_id: str | None = Field(default=None, max_length=64)
    investor_id: int = Field(foreign_key="investor.id", index=True)
    wallet: str = Field(max_length=42)
    symbol: str = Field(index=True, max_length=12)
    side: str = Field(max_length=4)
    type: str = Field(max_length=8)
    time_in_force: str = Field(max_length=3)
    post_only: bool = False
    # Integer ticks and lots of the asset's tick_size and lot_size.
    price_ticks: int | None = Field(default=None, sa_column=Column(BigInteger))
    quantity_lots: int = Field(sa_column=Column(BigInteger, nullable=False))
    filled_lots: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default=OrderStatus.OPEN, index=True, max_length=20)
    reject_code: str | None = Field(default=None, max_length=64)
    # The signed EIP-712 order: limit price in cash units per whole asset unit (decimal
    # string, uint256 may exceed 64 bits), nonce and expiry as signed.
    signed_price: str = Field(max_length=80)
    nonce: str = Field(max_length=80, index=True)  # order entry refuses a reused (wallet, nonce)
    expiry: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    signature: str = Field(max_length=200)
    # The EIP-712 digest of the signed order (0x hex): the chain's key for its fills and
    # cancellation, and half of every trade id it takes part in.
    order_hash: str | None = Field(default=None, max_length=66, index=True)
    # Why a cancelled or expired order left the book: the engine's reason ("ioc", "self_trade",
    # "expired", ...), or the service's ("user", "onchain", "revoked", "frozen", "kyc_expired", ...).
    cancel_reason: str | None = Field(default=None, max_length=24)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WalletNonce(SQLModel, table=True):
    """The next order nonce handed out to a wallet in typed data (a per-wallet sequence, so that
    SettlementExchange.cancelUpTo(n) invalidates exactly the orders below n)."""

    wallet: str = Field(primary_key=True, max_length=42)
    next_nonce: int = Field(default=1, sa_column=Column(BigInteger, nullable=False))
    # The wallet's on-chain nonce floor as last seen (decimal string: a uint256): order entry
    # refuses a nonce below it, since the chain would refuse its trades (code 6).
    floor: str = Field(default="0", max_length=80)


class ChainCursor(SQLModel, table=True):
    """The last block a chain-event watcher has processed, so it catches up after a restart."""

    name: str = Field(primary_key=True, max_length=40)
    block: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class JournalEntry(SQLModel, table=True):
    """Every accepted market command, in sequence. Replaying it rebuilds the book."""

    __table_args__ = (UniqueConstraint("symbol", "seq", name="uq_journal_symbol_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(index=True, max_length=12)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    command: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class FundsSnapshot(SQLModel, table=True):
    """The last balance, frozen amount and allowance read from the chain for a wallet and
    token: order entry's fallback while the node is unreachable (backend/trading/funds.py)."""

    wallet: str = Field(primary_key=True, max_length=42)
    token: str = Field(primary_key=True, max_length=42)
    balance: str = Field(max_length=80)  # uint256 values as decimal strings of integer units
    frozen: str = Field(default="0", max_length=80)
    allowance: str = Field(max_length=80)
    read_at: datetime


class DeadManSwitch(SQLModel, table=True):
    """An investor's cancel-all-after timer (backend/trading/dead_man.py). `deadline` is None
    when disarmed or after it fired."""

    investor_id: int = Field(primary_key=True, foreign_key="investor.id")
    timeout_seconds: int = 0
    deadline: datetime | None = Field(default=None, index=True)
    armed_at: datetime | None = None
    fired_at: datetime | None = None
    cancelled_orders: int = 0
