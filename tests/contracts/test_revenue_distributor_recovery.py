"""RevenueDistributor and the agent: a recovery moves the unclaimed revenue to the new wallet;
a frozen wallet, or one the identity registry no longer lists, cannot claim."""

import pytest
from brownie import chain
from helpers import COUNTRY_US, E18, YEAR, reverts

USD = 10**6


@pytest.fixture(scope="module")
def paid(token, distributor, cash, agent, admin, issuer, alice, bob):
    """alice 200, bob 100; 900 cash distributed: alice accrued 600, bob 300."""
    token.mint(alice, 200 * E18, {"from": agent})
    token.mint(bob, 100 * E18, {"from": agent})
    cash.mint(issuer, 900 * USD, {"from": admin})
    cash.approve(distributor, 900 * USD, {"from": issuer})
    distributor.deposit(token, 900 * USD, "Q1", {"from": issuer})
    return token


def test_recovery_moves_accrued_revenue_to_the_new_wallet(
    paid, distributor, cash, registry, registrar, agent, alice, mallory
):
    registry.recoverWallet(alice, mallory, {"from": registrar})
    tx = paid.recoverWallet(alice, mallory, 2, "0x" + "11" * 32, {"from": agent})
    assert tuple(tx.events["AccruedRevenueMoved"].values()) == (paid, alice, mallory, 600 * USD)
    assert distributor.claimable(paid, alice) == 0
    assert distributor.claimable(paid, mallory) == 600 * USD
    distributor.claim(paid, {"from": mallory})
    assert cash.balanceOf(mallory) == 600 * USD


def test_recovery_onto_a_wallet_with_its_own_accrual_adds_up(paid, distributor, agent, alice, bob):
    """Both wallets' accruals are settled first; bob keeps his 300 and gains alice's 600."""
    paid.recoverWallet(alice, bob, {"from": agent})
    assert distributor.claimable(paid, bob) == 900 * USD
    assert distributor.claimable(paid, alice) == 0


def test_a_frozen_wallet_cannot_claim(paid, distributor, agent, alice):
    """The review's reproduction: a frozen wallet claimed its share."""
    paid.setWalletFrozen(alice, True, {"from": agent})
    with reverts("RevenueDistributorHolderFrozen(address,address)", paid.address, alice.address):
        distributor.claim(paid, {"from": alice})
    paid.setWalletFrozen(alice, False, {"from": agent})
    assert distributor.claim(paid, {"from": alice}).events["RevenueClaimed"]["amount"] == 600 * USD


def test_a_removed_wallet_cannot_claim(paid, distributor, registry, registrar, bob):
    registry.removeInvestor(bob, {"from": registrar})
    with reverts("RevenueDistributorHolderNotRegistered(address)", bob.address):
        distributor.claim(paid, {"from": bob})
    assert distributor.claimable(paid, bob) == 300 * USD  # kept, not lost
    registry.registerInvestor(bob, COUNTRY_US, False, chain.time() + YEAR, {"from": registrar})
    assert distributor.claim(paid, {"from": bob}).events["RevenueClaimed"]["amount"] == 300 * USD


def test_only_a_registered_asset_reports_a_recovery(distributor, alice, bob, mallory):
    with reverts("RevenueDistributorOnlyAsset(address)", mallory.address):
        distributor.walletRecovered(alice, bob, {"from": mallory})
