"""apply_events records why an order left the book: the engine's reason, or the service's.

An order the engine expired gets the status "expired"; the cancels of a CancelOrder /
CancelAll take the service's reason when it gives one ("onchain", "revoked", ...), never
overriding the engine's own reasons (expired, ioc, self_trade). Both paths: an order in the
session (updated as an object) and a resting order nobody loaded (one UPDATE in SQL).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from backend.db import create_tables, make_engine
from backend.matching import OrderCancelled
from backend.models.compliance import Investor
from backend.models.trading import Order
from backend.trading.projection import apply_events
from backend.trading.revocations import DELISTED, FROZEN, KYC_EXPIRED, NOT_REGISTERED, REVOKED, reason_for


@pytest.fixture
def session(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'rwa.db'}")
    create_tables(engine)
    with Session(engine, expire_on_commit=False) as session:
        investor = Investor(wallet="0x" + "11" * 20, name="A", country="US", kyc_expires=date(2099, 1, 1))
        session.add(investor)
        session.commit()
        yield session
    engine.dispose()


def _order(session: Session, order_id: str) -> Order:
    order = Order(
        id=order_id,
        investor_id=1,
        wallet="0x" + "11" * 20,
        symbol="ACME",
        side="buy",
        type="limit",
        time_in_force="GTC",
        price_ticks=100,
        quantity_lots=5,
        signed_price="1",
        nonce=order_id[-1],
        signature="0x",
    )
    session.add(order)
    session.commit()
    return order


CASES = [
    # (engine reason, service reason, expected status, expected cancel_reason)
    ("expired", None, "expired", "expired"),
    ("expired", "onchain", "expired", "expired"),  # the engine's own expiry is never renamed
    ("user", None, "cancelled", "user"),
    ("user", "onchain", "cancelled", "onchain"),
    ("cancel_all", "revoked", "cancelled", "revoked"),
    ("cancel_all", None, "cancelled", "cancel_all"),
    ("ioc", "kyc_expired", "cancelled", "ioc"),
    ("self_trade", None, "cancelled", "self_trade"),
]


@pytest.mark.parametrize("in_session", [True, False], ids=["in-session", "resting-sql"])
@pytest.mark.parametrize(("engine_reason", "service_reason", "status", "recorded"), CASES)
def test_cancel_reason_and_status(session, in_session, engine_reason, service_reason, status, recorded):
    held = _order(session, "o1")  # held: the session's identity map is weak, an unheld row is not in it
    if not in_session:
        session.expunge_all()  # nobody loaded it: apply_events updates it in SQL
    apply_events(session, None, [OrderCancelled("o1", 5, engine_reason)], cancel_reason=service_reason)  # type: ignore[arg-type]
    session.commit()
    assert held is not None
    session.expunge_all()
    row = session.get(Order, "o1")
    assert (row.status, row.cancel_reason) == (status, recorded)


def test_reason_for_each_lost_right_to_trade():
    today = date(2026, 12, 4)

    def investor(**changes) -> Investor:
        fields = {"wallet": "0x" + "22" * 20, "name": "B", "country": "US", "kyc_expires": today, "status": "approved"}
        return Investor(**{**fields, **changes})

    assert reason_for(investor(), today) is None  # KYC valid through its expiry day
    assert reason_for(investor(kyc_expires=today - timedelta(days=1)), today) == KYC_EXPIRED
    assert reason_for(investor(frozen=True), today) == FROZEN
    assert reason_for(investor(status="revoked"), today) == REVOKED
    assert reason_for(investor(status="revoked", status_reason=NOT_REGISTERED), today) == DELISTED
