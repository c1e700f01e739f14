"""The service's clock: aware UTC timestamps (core layer: imports nothing of ours)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    # Aware UTC: the locked sqlmodel (0.0.50) maps `datetime` fields to UTCDateTime, which
    # refuses naive values on insert and returns aware ones on read.
    return datetime.now(UTC)


def utc_today() -> date:
    return datetime.now(UTC).date()
