"""The mirror's event projection (sync.apply) and verdicts read back from the database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from eth_utils import to_checksum_address
from sqlmodel import Session, SQLModel, create_engine, select

import backend.models  # noqa: F401 - every table on the metadata
from backend.compliance import mirror
from backend.compliance import rules as ev
from backend.compliance.sync import Event, _Projection, apply
from backend.models.assets import Asset
from backend.models.compliance import AssetRules, ComplianceState, HolderState, Investor

ZERO = mirror.ZERO_ADDRESS
ALICE = to_checksum_address("0x" + "A1" * 20)
BOB = to_checksum_address("0x" + "B0" * 20)
UNIT = 10**18


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        asset = Asset(
            id=1,
            symbol="TST",
            name="Test",
            kind="equity",
            tick_size="0.01",
            lot_size="1",
            total_supply="1000",
            issuer_wallet=ZERO,
            token_address=ZERO,
            rules_address=ZERO,
        )
        session.add(asset)
        session.add(ComplianceState(asset_id=1))
        for wallet, country in ((ALICE, "US"), (BOB, "GB")):
            session.add(
                Investor(
                    wallet=wallet,
                    name=wallet[:6],
                    country=country,
                    accredited=True,
                    kyc_expires=date.today() + timedelta(days=30),
                    status="approved",
                )
            )
        session.commit()
        yield session


def run(session: Session, *events: Event) -> None:
    state = session.get(ComplianceState, 1)
    rules = session.get(AssetRules, 1) or AssetRules(asset_id=1)
    projection = _Projection(session, 1, state, rules)
    for event in events:
        apply(projection, event)
    for row in (state, rules, *projection.holders.values()):
        session.add(row)
    session.commit()


def transfer(sender: str, receiver: str, value: int, timestamp: int = 1_000) -> Event:
    return Event(
        "Transfer", {"from": sender, "to": receiver, "value": value}, block=1, tx_hash="0x", timestamp=timestamp
    )


def rules_updated(*, lockup: int = 0, countries: tuple[int, ...] = (), max_holders: int = 0) -> Event:
    return Event(
        "RulesUpdated",
        {
            "allowedCountries": list(countries),
            "accreditedOnly": False,
            "maxHolders": max_holders,
            "maxBalance": 0,
            "lockupSeconds": lockup,
        },
        block=1,
        tx_hash="0xabc",
    )


def lock_updated(wallet: str, amount: int, until: int) -> Event:
    return Event("LockUpdated", {"wallet": wallet, "amount": amount, "until": until}, block=1, tx_hash="0x")


def test_transfers_move_balances_and_count_holders_and_locks_come_from_lock_events(session):
    run(
        session,
        rules_updated(lockup=100),
        transfer(ZERO, ALICE, 10 * UNIT, 1_000),
        lock_updated(ALICE, 10 * UNIT, 1_100),  # the rule set's own account of the mint's lock
        transfer(ALICE, BOB, 4 * UNIT, 1_050),
        transfer(ALICE, ALICE, 6 * UNIT, 1_060),
        transfer(ALICE, BOB, 0, 1_070),
    )
    state = session.get(ComplianceState, 1)
    assert state.holder_count == 2
    assert mirror.holding(session, 1, ALICE) == mirror.Holding(
        balance=6 * UNIT, locked_until=1_100, locked_amount=10 * UNIT
    )
    assert mirror.holding(session, 1, BOB) == mirror.Holding(balance=4 * UNIT)  # a transfer locks nothing

    run(
        session,
        lock_updated(ALICE, 2 * UNIT, 1_100),  # an agent move took 8 locked tokens ...
        lock_updated(BOB, 8 * UNIT, 1_100),  # ... and they stay locked at the receiver
        transfer(ALICE, BOB, 6 * UNIT, 2_000),
        transfer(BOB, ZERO, 10 * UNIT),
    )
    assert session.get(ComplianceState, 1).holder_count == 0
    assert mirror.holding(session, 1, ALICE).locked_amount == 2 * UNIT
    assert mirror.holding(session, 1, BOB) == mirror.Holding(locked_until=1_100, locked_amount=8 * UNIT)
    assert session.get(AssetRules, 1).tx_hash == "0xabc"


def test_freezes_and_pauses_are_projected(session):
    run(
        session,
        transfer(ZERO, ALICE, 10 * UNIT),
        Event("WalletFrozen", {"wallet": BOB, "frozen": True}, 1, "0x"),
        Event("Frozen", {"account": ALICE, "amount": 7 * UNIT}, 1, "0x"),
        Event("Paused", {"account": ZERO}, 1, "0x"),
    )
    assert session.get(ComplianceState, 1).paused
    assert mirror.holding(session, 1, BOB).wallet_frozen
    assert mirror.holding(session, 1, ALICE).frozen_tokens == 7 * UNIT
    run(
        session,
        Event("Unpaused", {"account": ZERO}, 1, "0x"),
        Event("WalletFrozen", {"wallet": BOB, "frozen": False}, 1, "0x"),
    )
    assert not session.get(ComplianceState, 1).paused
    assert not mirror.holding(session, 1, BOB).wallet_frozen
    assert len(session.exec(select(HolderState)).all()) == 2


def test_verdicts_come_from_the_mirrored_rows(session):
    asset = session.get(Asset, 1)
    run(
        session,
        rules_updated(countries=(840,)),
        transfer(ZERO, ALICE, 10 * UNIT),
        Event("Frozen", {"account": ALICE, "amount": 7 * UNIT}, 1, "0x"),
    )

    def check(sender: str, receiver: str, amount: int) -> int:
        return mirror.check_transfer(
            session, asset=asset, from_wallet=sender, to_wallet=receiver, amount=amount, now=2_000_000_000 - 10**9
        ).code

    assert check(ALICE, BOB, UNIT) == ev.COUNTRY_NOT_ALLOWED  # BOB is in GB
    assert check(ZERO, ALICE, UNIT) == ev.OK  # issuance
    assert check(ALICE, ALICE, 3 * UNIT) == ev.OK
    assert check(ALICE, ALICE, 3 * UNIT + 1) == ev.INSUFFICIENT_UNFROZEN
    assert check(BOB, ALICE, 0) == ev.OK
    assert check(to_checksum_address("0x" + "C0" * 20), ALICE, 0) == ev.SENDER_NOT_WHITELISTED
    investor = session.exec(select(Investor).where(Investor.wallet == ALICE)).one()
    investor.kyc_expires = date(2000, 1, 1)
    session.add(investor)
    session.commit()
    assert check(ZERO, ALICE, UNIT) == ev.KYC_EXPIRED
