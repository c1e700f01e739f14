"""The pure evaluator: every code, the contract's order of checks, and its edge cases."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.compliance import rules as ev
from backend.compliance.rules import InvestorRecord, RuleSet, detect_restriction

NOW = 1_800_000_000
UNIT = 10**18
US, GB, DE = 840, 826, 276
GOOD = InvestorRecord(registered=True, country=US, accredited=True, kyc_expiry=NOW + 86_400)


def transfer(**overrides: object) -> int:
    """A passing transfer of 10 units between two good investors, with some fields changed."""
    args: dict[str, object] = dict(
        rules=RuleSet(),
        sender=GOOD,
        receiver=GOOD,
        amount=10 * UNIT,
        sender_balance=100 * UNIT,
        receiver_balance=0,
        sender_frozen_tokens=0,
        holder_count=1,
        sender_locked_until=0,
        sender_locked_amount=100 * UNIT,  # all of it, while the lock runs (sender_locked_until)
        paused=False,
        now=NOW,
    )
    args.update(overrides)
    return detect_restriction(**args)  # type: ignore[arg-type]


def test_a_plain_transfer_passes():
    assert transfer() == ev.OK


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"paused": True}, ev.PAUSED),
        ({"sender": dataclasses.replace(GOOD, wallet_frozen=True)}, ev.FROZEN),
        ({"receiver": dataclasses.replace(GOOD, wallet_frozen=True)}, ev.FROZEN),
        ({"sender": ev.UNREGISTERED}, ev.SENDER_NOT_WHITELISTED),
        ({"receiver": ev.UNREGISTERED}, ev.RECEIVER_NOT_WHITELISTED),
        ({"sender": dataclasses.replace(GOOD, kyc_expiry=NOW)}, ev.KYC_EXPIRED),
        ({"receiver": dataclasses.replace(GOOD, kyc_expiry=NOW - 1)}, ev.KYC_EXPIRED),
        ({"rules": RuleSet(allowed_countries=(GB, DE))}, ev.COUNTRY_NOT_ALLOWED),
        (
            {"rules": RuleSet(accredited_only=True), "receiver": dataclasses.replace(GOOD, accredited=False)},
            ev.NOT_ACCREDITED,
        ),
        ({"amount": 101 * UNIT}, ev.INSUFFICIENT_UNFROZEN),
        ({"sender_frozen_tokens": 95 * UNIT}, ev.INSUFFICIENT_UNFROZEN),
        ({"sender_locked_until": NOW + 1}, ev.LOCKED_UP),
        ({"rules": RuleSet(max_balance=5 * UNIT)}, ev.MAX_BALANCE),
        ({"rules": RuleSet(max_holders=1)}, ev.MAX_HOLDERS),
    ],
)
def test_each_rule_refuses_with_its_code(overrides, code):
    assert transfer(**overrides) == code


def test_first_failing_check_wins_in_the_contracts_order():
    # every rule broken at once, then repaired one at a time in the contract's order
    broken: dict[str, object] = dict(
        paused=True,
        sender=InvestorRecord(wallet_frozen=True),
        receiver=InvestorRecord(kyc_expiry=0),
        rules=RuleSet(allowed_countries=(GB,), accredited_only=True, max_holders=1, max_balance=UNIT),
        amount=200 * UNIT,
        sender_locked_until=NOW + 10,
    )
    expected = [
        ev.PAUSED,
        ev.FROZEN,
        ev.SENDER_NOT_WHITELISTED,
        ev.RECEIVER_NOT_WHITELISTED,
        ev.KYC_EXPIRED,
        ev.COUNTRY_NOT_ALLOWED,
        ev.NOT_ACCREDITED,
        ev.INSUFFICIENT_UNFROZEN,
        ev.LOCKED_UP,
        ev.MAX_BALANCE,
        ev.MAX_HOLDERS,
        ev.OK,
    ]
    receiver = InvestorRecord(registered=True, country=US, accredited=False, kyc_expiry=0)
    repairs: list[dict[str, object]] = [
        {"paused": False},
        {"sender": InvestorRecord()},
        {"sender": GOOD},
        {"receiver": receiver},
        {"receiver": dataclasses.replace(receiver, kyc_expiry=NOW + 1)},
        {"rules": RuleSet(allowed_countries=(GB, US), accredited_only=True, max_holders=1, max_balance=UNIT)},
        {"receiver": dataclasses.replace(receiver, kyc_expiry=NOW + 1, accredited=True)},
        {"amount": 10 * UNIT},
        {"sender_locked_until": NOW},
        {"rules": RuleSet(allowed_countries=(GB, US), accredited_only=True, max_holders=1)},
        {"rules": RuleSet(allowed_countries=(GB, US), accredited_only=True, max_holders=2)},
    ]
    seen = [transfer(**broken)]
    for repair in repairs:
        broken.update(repair)
        seen.append(transfer(**broken))
    assert seen == expected


def test_kyc_expiring_exactly_now_is_expired_and_a_lockup_ending_now_is_over():
    assert transfer(receiver=dataclasses.replace(GOOD, kyc_expiry=NOW)) == ev.KYC_EXPIRED
    assert transfer(receiver=dataclasses.replace(GOOD, kyc_expiry=NOW + 1)) == ev.OK
    assert transfer(sender_locked_until=NOW) == ev.OK


def test_frozen_tokens_above_the_balance_leave_nothing_to_send():
    assert transfer(sender_frozen_tokens=500 * UNIT, amount=1) == ev.INSUFFICIENT_UNFROZEN
    assert transfer(sender_frozen_tokens=500 * UNIT, amount=0) == ev.OK
    assert transfer(sender_frozen_tokens=90 * UNIT, amount=10 * UNIT) == ev.OK


def test_max_balance_boundary_counts_the_receivers_holdings():
    rules = RuleSet(max_balance=30 * UNIT)
    assert transfer(rules=rules, receiver_balance=20 * UNIT) == ev.OK
    assert transfer(rules=rules, receiver_balance=20 * UNIT + 1) == ev.MAX_BALANCE


def test_holder_cap_only_stops_a_new_holder_that_adds_to_the_count():
    rules = RuleSet(max_holders=3)
    assert transfer(rules=rules, holder_count=3) == ev.MAX_HOLDERS
    assert transfer(rules=rules, holder_count=2) == ev.OK
    assert transfer(rules=rules, holder_count=3, receiver_balance=1) == ev.OK  # already a holder
    assert transfer(rules=rules, holder_count=3, amount=0) == ev.OK  # nothing arrives
    assert transfer(rules=rules, holder_count=3, amount=100 * UNIT) == ev.OK  # the sender sells out


def test_mint_skips_the_sender_side_but_not_the_caps_or_a_frozen_zero_address():
    mint = dict(mint=True, sender=ev.UNREGISTERED, sender_balance=0, sender_locked_until=NOW + 99)
    assert transfer(**mint) == ev.OK
    assert transfer(**mint, rules=RuleSet(max_holders=1), holder_count=1) == ev.MAX_HOLDERS
    assert transfer(**mint, rules=RuleSet(max_balance=UNIT)) == ev.MAX_BALANCE
    assert transfer(**{**mint, "sender": InvestorRecord(wallet_frozen=True)}) == ev.FROZEN
    assert transfer(**mint, receiver=ev.UNREGISTERED) == ev.RECEIVER_NOT_WHITELISTED


def test_a_self_transfer_skips_the_caps_but_not_the_balance_or_lockup():
    capped = RuleSet(max_balance=UNIT, max_holders=1)
    assert transfer(same_wallet=True, rules=capped, receiver_balance=100 * UNIT) == ev.OK
    assert transfer(same_wallet=True, amount=101 * UNIT) == ev.INSUFFICIENT_UNFROZEN
    assert transfer(same_wallet=True, sender_locked_until=NOW + 1) == ev.LOCKED_UP


def test_one_sided_checks_follow_the_same_order():
    assert (
        ev.sender_side(
            sender=GOOD,
            amount=1,
            balance=UNIT,
            frozen_tokens=0,
            locked_until=NOW + 1,
            locked_amount=UNIT,
            paused=False,
            now=NOW,
        )
        == ev.LOCKED_UP
    )
    assert (
        ev.sender_side(
            sender=dataclasses.replace(GOOD, wallet_frozen=True),
            amount=0,
            balance=0,
            frozen_tokens=0,
            locked_until=0,
            locked_amount=0,
            paused=True,
            now=NOW,
        )
        == ev.PAUSED
    )
    assert (
        ev.sender_side(
            sender=ev.UNREGISTERED,
            amount=0,
            balance=0,
            frozen_tokens=0,
            locked_until=0,
            locked_amount=0,
            paused=False,
            now=NOW,
        )
        == ev.SENDER_NOT_WHITELISTED
    )
    rules = RuleSet(max_holders=2, max_balance=10 * UNIT)
    assert (
        ev.receiver_side(rules=rules, receiver=GOOD, amount=UNIT, balance=0, holder_count=2, paused=False, now=NOW)
        == ev.MAX_HOLDERS
    )
    assert (
        ev.receiver_side(rules=rules, receiver=GOOD, amount=UNIT, balance=UNIT, holder_count=2, paused=False, now=NOW)
        == ev.OK
    )
    assert (
        ev.receiver_side(
            rules=rules, receiver=GOOD, amount=UNIT, balance=9 * UNIT + 1, holder_count=0, paused=False, now=NOW
        )
        == ev.MAX_BALANCE
    )


def test_a_lock_holds_back_only_its_amount_and_only_until_its_release():
    """Dust received never locks what a holder had: only the locked amount is held back."""
    locked = dict(sender_locked_until=NOW + 1, sender_locked_amount=10 * UNIT)  # 90 of 100 free
    assert transfer(**locked, amount=90 * UNIT) == ev.OK
    assert transfer(**locked, amount=90 * UNIT + 1) == ev.LOCKED_UP
    assert transfer(**locked, amount=90 * UNIT, sender_frozen_tokens=1) == ev.LOCKED_UP  # frozen and locked add up
    assert transfer(**locked, amount=101 * UNIT) == ev.INSUFFICIENT_UNFROZEN  # 11 before 8
    assert transfer(sender_locked_until=NOW, sender_locked_amount=100 * UNIT, amount=100 * UNIT) == ev.OK
    assert ev.locked_balance(amount=5, until=NOW + 1, now=NOW) == 5
    assert ev.locked_balance(amount=5, until=NOW, now=NOW) == 0


records = st.builds(
    InvestorRecord,
    registered=st.booleans(),
    country=st.sampled_from([US, GB, DE]),
    accredited=st.booleans(),
    kyc_expiry=st.integers(NOW - 2, NOW + 2),
    wallet_frozen=st.booleans(),
)
rule_sets = st.builds(
    RuleSet,
    allowed_countries=st.lists(st.sampled_from([US, GB, DE]), max_size=2).map(tuple),
    accredited_only=st.booleans(),
    max_holders=st.integers(0, 4),
    max_balance=st.integers(0, 40),
    lockup_seconds=st.just(0),
)


@settings(max_examples=400, deadline=None)
@given(
    rules=rule_sets,
    sender=records,
    receiver=records,
    amount=st.integers(0, 40),
    sender_balance=st.integers(0, 40),
    receiver_balance=st.integers(0, 40),
    frozen=st.integers(0, 50),
    holders=st.integers(0, 5),
    locked=st.integers(NOW - 2, NOW + 2),
    locked_amount=st.integers(0, 40),
    paused=st.booleans(),
    mint=st.booleans(),
)
def test_ok_means_every_rule_holds(
    rules,
    sender,
    receiver,
    amount,
    sender_balance,
    receiver_balance,
    frozen,
    holders,
    locked,
    locked_amount,
    paused,
    mint,
):
    code = detect_restriction(
        rules=rules,
        sender=sender,
        receiver=receiver,
        amount=amount,
        sender_balance=sender_balance,
        receiver_balance=receiver_balance,
        sender_frozen_tokens=frozen,
        holder_count=holders,
        sender_locked_until=locked,
        sender_locked_amount=locked_amount,
        paused=paused,
        now=NOW,
        mint=mint,
    )
    assert 0 <= code <= 11
    every_rule_holds = (
        not paused
        and not sender.wallet_frozen
        and not receiver.wallet_frozen
        and (
            mint
            or (
                sender.registered
                and sender.kyc_expiry > NOW
                and amount <= sender_balance - frozen - (locked_amount if locked > NOW else 0)
            )
        )
        and receiver.registered
        and receiver.kyc_expiry > NOW
        and (not rules.allowed_countries or receiver.country in rules.allowed_countries)
        and (receiver.accredited or not rules.accredited_only)
        and (not rules.max_balance or receiver_balance + amount <= rules.max_balance)
        and not (
            rules.max_holders
            and receiver_balance == 0
            and amount
            and (mint or sender_balance > amount)
            and holders >= rules.max_holders
        )
    )
    assert (code == ev.OK) == every_rule_holds
