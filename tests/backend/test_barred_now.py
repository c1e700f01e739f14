"""revocations.barred_now: order entry's re-check of an investor's standing after placing an
order that rests (three columns read now, no ORM refresh) agrees with reason_for."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from backend.clock import utc_today
from backend.db import create_tables, make_engine
from backend.models.compliance import Investor
from backend.trading.revocations import barred_now, reason_for


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'rwa.db'}")
    create_tables(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize(
    ("change", "barred"),
    [
        ({}, False),
        ({"frozen": True}, True),
        ({"status": "revoked"}, True),
        ({"kyc_expires": date.today() - timedelta(days=2)}, True),
        ({"kyc_expires": utc_today()}, False),  # expires at the end of its day
    ],
)
def test_barred_now_reads_the_row_as_it_is_now(session, change, barred):
    investor = Investor(
        wallet="0x" + "11" * 20,
        name="Standing",
        country="US",
        accredited=True,
        kyc_expires=date.today() + timedelta(days=30),
        status="approved",
    )
    session.add(investor)
    session.commit()
    session.refresh(investor)
    assert barred_now(session, investor.id) is False
    for name, value in change.items():  # changed behind the loaded object's back, as another request would
        session.connection().exec_driver_sql(f"UPDATE investor SET {name} = ? WHERE id = ?", (value, investor.id))
    assert barred_now(session, investor.id) is barred
    session.expire_all()
    assert (reason_for(session.get(Investor, investor.id), utc_today()) is not None) is barred


def test_an_investor_gone_is_barred(session):
    assert barred_now(session, 12345) is True
