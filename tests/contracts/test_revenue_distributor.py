"""RevenueDistributor: pro-rata revenue across transfers, claims, rounding, access."""

import pytest
from brownie import RevenueDistributor
from helpers import E18, ZERO_ADDRESS, missing_role, reverts

USD = 10**6


@pytest.fixture(scope="module")
def funded_issuer(cash, distributor, admin, issuer):
    cash.mint(issuer, 1_000_000 * USD, {"from": admin})
    cash.approve(distributor, 2**256 - 1, {"from": issuer})
    return issuer


def claimed(distributor, cash, token, holder):
    """Cash paid to `holder` by a claim (its RevenueClaimed amount, checked against the balance)."""
    before = cash.balanceOf(holder)
    tx = distributor.claim(token, {"from": holder})
    amount = tx.events["RevenueClaimed"]["amount"]
    assert cash.balanceOf(holder) - before == amount
    return amount


def test_deposit_is_pro_rata(token, distributor, cash, agent, funded_issuer, alice, bob):
    token.mint(alice, 300 * E18, {"from": agent})
    token.mint(bob, 100 * E18, {"from": agent})
    tx = distributor.deposit(token, 1000 * USD, "Q1 dividend", {"from": funded_issuer})

    event = tx.events["RevenueDeposited"]
    assert (event["asset"], event["distributionId"], event["amount"], event["memo"]) == (
        token,
        1,
        1000 * USD,
        "Q1 dividend",
    )
    assert distributor.claimable(token, alice) == 750 * USD
    assert distributor.claimable(token, bob) == 250 * USD
    assert cash.balanceOf(distributor) == 1000 * USD


def test_revenue_distribution_pro_rata_across_a_transfer_between_deposits(
    token, distributor, cash, agent, funded_issuer, alice, bob
):
    token.mint(alice, 100 * E18, {"from": agent})
    distributor.deposit(token, 1000 * USD, "royalties March", {"from": funded_issuer})  # all to alice
    token.transfer(bob, 50 * E18, {"from": alice})
    distributor.deposit(token, 1000 * USD, "royalties April", {"from": funded_issuer})  # half each

    assert distributor.claimable(token, alice) == 1500 * USD
    assert distributor.claimable(token, bob) == 500 * USD
    assert claimed(distributor, cash, token, alice) == 1500 * USD
    assert claimed(distributor, cash, token, bob) == 500 * USD
    assert cash.balanceOf(alice) == 1500 * USD and cash.balanceOf(bob) == 500 * USD
    assert cash.balanceOf(distributor) == 0


def test_accrual_survives_transfers_mints_burns_and_forced_transfers(
    token, distributor, agent, funded_issuer, alice, bob, carol
):
    token.mint(alice, 100 * E18, {"from": agent})
    distributor.deposit(token, 100 * USD, "d1", {"from": funded_issuer})  # alice 100
    token.mint(bob, 100 * E18, {"from": agent})
    distributor.deposit(token, 100 * USD, "d2", {"from": funded_issuer})  # alice 50, bob 50
    token.forcedTransfer(bob, carol, 50 * E18, {"from": agent})
    token.burn(alice, 100 * E18, {"from": agent})
    distributor.deposit(token, 100 * USD, "d3", {"from": funded_issuer})  # bob 50, carol 50

    assert distributor.claimable(token, alice) == 150 * USD
    assert distributor.claimable(token, bob) == 100 * USD
    assert distributor.claimable(token, carol) == 50 * USD


def test_claim_twice_reverts_nothing_to_claim(token, distributor, agent, funded_issuer, alice, mallory):
    token.mint(alice, E18, {"from": agent})
    distributor.deposit(token, 10 * USD, "", {"from": funded_issuer})
    tx = distributor.claim(token, {"from": alice})
    assert tuple(tx.events["RevenueClaimed"].values()) == (token, alice, 10 * USD)
    with reverts("RevenueDistributorNothingToClaim(address)", alice.address):
        distributor.claim(token, {"from": alice})
    with reverts("RevenueDistributorHolderNotRegistered(address)", mallory.address):
        distributor.claim(token, {"from": mallory})  # never registered (test_revenue_distributor_recovery)
    with reverts("RevenueDistributorNothingToClaim(address)", alice.address):
        distributor.claim(mallory, {"from": alice})  # not an asset at all


def test_rounding_never_pays_more_than_deposited(token, distributor, cash, agent, funded_issuer, alice, bob, carol):
    for holder in (alice, bob, carol):
        token.mint(holder, 1 * E18, {"from": agent})
    for amount in (100, 7, 1, 1_000_001):
        distributor.deposit(token, amount, "odd", {"from": funded_issuer})
    token.transfer(bob, E18 // 3, {"from": alice})
    distributor.deposit(token, 5, "odd", {"from": funded_issuer})
    total = sum(distributor.claimable(token, h) for h in (alice, bob, carol))
    assert total <= distributor.totalDeposited(token)
    assert total >= distributor.totalDeposited(token) - 10  # at most a few units of dust
    for holder in (alice, bob, carol):
        distributor.claim(token, {"from": holder})
    assert distributor.totalClaimed(token) == total
    assert cash.balanceOf(distributor) == distributor.totalDeposited(token) - total


def test_deposit_with_no_supply_reverts(token, distributor, funded_issuer):
    with reverts("RevenueDistributorNoSupply(address)", token.address):
        distributor.deposit(token, 100 * USD, "", {"from": funded_issuer})


def test_deposit_checks(token, distributor, agent, funded_issuer, alice, mallory):
    token.mint(alice, E18, {"from": agent})
    with reverts("RevenueDistributorZeroAmount()"):
        distributor.deposit(token, 0, "", {"from": funded_issuer})
    with reverts("RevenueDistributorUnknownAsset(address)", mallory.address):
        distributor.deposit(mallory, 1, "", {"from": funded_issuer})
    with reverts("RevenueDistributorNotIssuer(address,address)", token.address, mallory.address):
        distributor.deposit(token, 1, "", {"from": mallory})


def test_only_the_assets_issuer_pays_in_and_only_from_its_own_cash(
    token, create_asset, distributor, cash, agent, admin, issuer, alice, mallory
):
    """No shared operator balance: a wallet with cash and an approval that is not the asset's
    issuer cannot distribute; the issuer's deposit is pulled from the issuer's own wallet."""
    token.mint(alice, E18, {"from": agent})
    cash.mint(admin, 500 * USD, {"from": admin})  # the operator / admin, rich and approved
    cash.approve(distributor, 2**256 - 1, {"from": admin})
    with reverts("RevenueDistributorNotIssuer(address,address)", token.address, admin.address):
        distributor.deposit(token, 100 * USD, "", {"from": admin})
    other, _ = create_asset("OTHER")
    other.revokeRole(other.ISSUER_ROLE(), issuer, {"from": agent})
    other.grantRole(other.ISSUER_ROLE(), mallory, {"from": agent})
    with reverts("RevenueDistributorNotIssuer(address,address)", token.address, mallory.address):
        distributor.deposit(token, 1, "", {"from": mallory})  # the issuer of another asset
    cash.mint(issuer, 100 * USD, {"from": admin})
    cash.approve(distributor, 2**256 - 1, {"from": issuer})
    before = cash.balanceOf(issuer)
    distributor.deposit(token, 100 * USD, "", {"from": issuer})
    assert cash.balanceOf(issuer) == before - 100 * USD and cash.balanceOf(admin) == 500 * USD
    left = cash.balanceOf(issuer)
    with reverts("ERC20InsufficientBalance(address,uint256,uint256)", issuer.address, left, left + 1):
        distributor.deposit(token, left + 1, "", {"from": issuer})  # only what it has paid in


def test_deposit_ids_increase(token, distributor, agent, funded_issuer, alice):
    token.mint(alice, E18, {"from": agent})
    first = distributor.deposit(token, 1, "", {"from": funded_issuer}).events["RevenueDeposited"]["distributionId"]
    second = distributor.deposit(token, 1, "", {"from": funded_issuer}).events["RevenueDeposited"]["distributionId"]
    assert second == first + 1 == distributor.distributionCount()


def test_only_registered_assets_report_balance_changes(distributor, alice, bob, mallory):
    with reverts("RevenueDistributorOnlyAsset(address)", mallory.address):
        distributor.beforeBalanceChange(alice, bob, {"from": mallory})


def test_asset_registration(distributor, token, factory, admin, mallory):
    assert distributor.isRegisteredAsset(token)
    assert distributor.hasRole(distributor.ASSET_REGISTRAR_ROLE(), factory)
    with missing_role(mallory, distributor.ASSET_REGISTRAR_ROLE()):
        distributor.registerAsset(mallory, {"from": mallory})
    distributor.grantRole(distributor.ASSET_REGISTRAR_ROLE(), admin, {"from": admin})
    with reverts("RevenueDistributorAssetAlreadyRegistered(address)", token.address):
        distributor.registerAsset(token, {"from": admin})


def test_register_asset_emits(distributor, admin, mallory):
    distributor.grantRole(distributor.ASSET_REGISTRAR_ROLE(), admin, {"from": admin})
    tx = distributor.registerAsset(mallory, {"from": admin})
    assert tx.events["AssetRegistered"]["asset"] == mallory
    with reverts("RevenueDistributorZeroAddress()"):
        distributor.registerAsset(ZERO_ADDRESS, {"from": admin})


def test_views_and_constructor(distributor, cash, admin):
    assert distributor.cashToken() == cash
    with reverts("RevenueDistributorZeroAddress()"):
        RevenueDistributor.deploy(ZERO_ADDRESS, admin, {"from": admin})
