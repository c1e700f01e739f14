"""The statuses of the service's rows (core layer: imports nothing of ours).

`StrEnum`s whose values are the strings stored in the database and shown by the API
(docs/API.md), so a member compares equal to the stored string and serialises as it.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REJECTED = "rejected"


# Resting on the book: cancellable, reserving funds.
OPEN_STATUSES = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


class SettlementStatus(StrEnum):
    """pending: in the outbox; submitted: in a settle() transaction (tx_hash); settled: the
    chain emitted TradeSettled; failed: TradeFailed (failure_code), reservations released."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    SETTLED = "settled"
    FAILED = "failed"


# Not yet final on chain: still reserving the seller's asset and the buyer's cash.
UNSETTLED = (SettlementStatus.PENDING, SettlementStatus.SUBMITTED)


class InvestorStatus(StrEnum):
    """pending: the whitelist transaction is being sent; approved: mined; failed: the chain
    refused it (status_reason says why); revoked: removed from the whitelist."""

    PENDING = "pending"
    APPROVED = "approved"
    FAILED = "failed"
    REVOKED = "revoked"


class AnchorStatus(StrEnum):
    """A disclosure document's setDocument transaction: pending until mined, then anchored."""

    PENDING = "pending"
    ANCHORED = "anchored"


class DistributionStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
