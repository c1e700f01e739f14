"""Lock-up: only issued tokens are locked, by amount; dust cannot lock or re-lock a holder.

A lock is (amount, release time) per wallet. Mints create it; holder transfers never touch it;
agent moves (forced transfer, recovery, burn) take free tokens first and carry the locked part
with its release time. docs/compliance.md has the reasoning.
"""

import pytest
from brownie import chain
from helpers import DAY, E18, restricted

LOCKED_UP = 8


@pytest.fixture(scope="module")
def held(token, rules, agent, alice, bob):
    """alice and bob hold 100 and 50 free tokens; then the asset gets a one-day lock-up."""
    token.mint(alice, 100 * E18, {"from": agent})
    token.mint(bob, 50 * E18, {"from": agent})
    rules.setRules([], False, 0, 0, DAY, {"from": agent})
    return token


def lock_of(rules, wallet):
    amount, until = rules.lockOf(wallet)
    return int(amount), int(until)


def later(seconds):
    chain.sleep(seconds)
    chain.mine()


def test_dust_received_does_not_lock_the_receivers_holdings(held, rules, alice, bob, carol):
    """The review's reproduction: 1 wei to a holder used to lock its whole balance for a day."""
    held.transfer(bob, 1, {"from": alice})
    assert held.detectTransferRestriction(bob, carol, 50 * E18 + 1) == 0
    held.transfer(carol, 50 * E18 + 1, {"from": bob})
    assert rules.lockedBalance(bob) == 0


def test_a_purchase_is_free_to_resell(held, rules, alice, bob, carol):
    held.transfer(bob, 10 * E18, {"from": alice})
    held.transfer(carol, 60 * E18, {"from": bob})
    assert held.balanceOf(bob) == 0


def test_mint_locks_only_the_minted_amount(held, rules, agent, bob, carol):
    tx = held.mint(bob, 10 * E18, {"from": agent})
    until = rules.lockedUntil(bob)
    assert until >= chain.time() + DAY - 5
    assert rules.lockedBalance(bob) == 10 * E18
    assert tuple(tx.events["LockUpdated"].values()) == (bob, 10 * E18, until)
    assert held.detectTransferRestriction(bob, carol, 50 * E18 + 1) == LOCKED_UP
    with restricted(LOCKED_UP):
        held.transfer(carol, 50 * E18 + 1, {"from": bob})
    held.transfer(carol, 50 * E18, {"from": bob})  # what bob held before the mint stays free
    later(DAY + 1)
    assert rules.lockedBalance(bob) == 0
    held.transfer(carol, 10 * E18, {"from": bob})


def test_dust_cannot_extend_a_lock(held, rules, agent, alice, bob, carol):
    held.mint(bob, 10 * E18, {"from": agent})
    until = rules.lockedUntil(bob)
    later(DAY // 2)
    tx = held.transfer(bob, 1, {"from": alice})
    assert "LockUpdated" not in tx.events
    assert rules.lockedUntil(bob) == until and rules.lockedBalance(bob) == 10 * E18
    later(DAY // 2 + 1)
    held.transfer(carol, 60 * E18 + 1, {"from": bob})  # everything, the dust included


def test_a_second_mint_merges_conservatively(held, rules, agent, bob):
    held.mint(bob, 10 * E18, {"from": agent})
    later(DAY // 2)
    held.mint(bob, 5 * E18, {"from": agent})
    assert rules.lockedBalance(bob) == 15 * E18  # both amounts, until the later release
    assert rules.lockedUntil(bob) >= chain.time() + DAY - 5


def test_an_expired_lock_is_not_revived_by_a_new_mint(held, rules, agent, bob, carol):
    held.mint(bob, 10 * E18, {"from": agent})
    later(DAY + 1)
    held.mint(bob, 5 * E18, {"from": agent})
    assert rules.lockedBalance(bob) == 5 * E18
    held.transfer(carol, 60 * E18, {"from": bob})


def test_forced_transfer_takes_free_tokens_first_and_carries_the_lock(held, rules, agent, bob, carol, dave):
    held.mint(bob, 10 * E18, {"from": agent})  # bob: 50 free + 10 locked
    until = int(rules.lockedUntil(bob))
    held.forcedTransfer(bob, carol, 55 * E18, {"from": agent})
    assert lock_of(rules, bob) == (5 * E18, until)
    assert lock_of(rules, carol) == (5 * E18, until)  # the locked part keeps its release time
    assert held.detectTransferRestriction(carol, dave, 50 * E18) == 0
    assert held.detectTransferRestriction(carol, dave, 50 * E18 + 1) == LOCKED_UP


def test_recovery_carries_the_lock(held, rules, registry, registrar, agent, bob, mallory):
    held.mint(bob, 10 * E18, {"from": agent})
    until = int(rules.lockedUntil(bob))
    registry.recoverWallet(bob, mallory, {"from": registrar})
    held.recoverWallet(bob, mallory, {"from": agent})
    assert lock_of(rules, bob) == (0, until)
    assert lock_of(rules, mallory) == (10 * E18, until)
    assert rules.lockedBalance(mallory) == 10 * E18


def test_burn_caps_the_lock_at_what_is_left(held, rules, agent, bob):
    held.mint(bob, 10 * E18, {"from": agent})
    held.burn(bob, 55 * E18, {"from": agent})
    assert rules.lockedBalance(bob) == 5 * E18
    assert held.balanceOf(bob) == 5 * E18


def test_zero_and_self_transfers_touch_no_lock(held, rules, agent, alice, bob):
    held.mint(bob, 10 * E18, {"from": agent})
    before = lock_of(rules, bob)
    for tx in (held.transfer(bob, 0, {"from": alice}), held.transfer(bob, E18, {"from": bob})):
        assert "LockUpdated" not in tx.events
    assert lock_of(rules, bob) == before
