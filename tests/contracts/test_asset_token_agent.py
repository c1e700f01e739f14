"""AssetToken agent actions: mint, burn, freezes, pause, forced transfer, wallet recovery."""

import pytest
from brownie import chain
from helpers import COUNTRY_US, DAY, E18, YEAR, ZERO_ADDRESS, missing_role, restricted, reverts


@pytest.fixture(scope="module")
def funded(token, agent, alice):
    token.mint(alice, 100 * E18, {"from": agent})
    return token


def test_only_agent_mints_burns_freezes_pauses(funded, alice, bob, mallory):
    role = funded.AGENT_ROLE()
    calls = [
        lambda: funded.mint(alice, 1, {"from": mallory}),
        lambda: funded.burn(alice, 1, {"from": mallory}),
        lambda: funded.setWalletFrozen(alice, True, {"from": mallory}),
        lambda: funded.freezePartialTokens(alice, 1, {"from": mallory}),
        lambda: funded.unfreezePartialTokens(alice, 1, {"from": mallory}),
        lambda: funded.setFrozenTokens(alice, 1, {"from": mallory}),
        lambda: funded.pause({"from": mallory}),
        lambda: funded.unpause({"from": mallory}),
        lambda: funded.forcedTransfer(alice, bob, 1, {"from": mallory}),
        lambda: funded.recoverWallet(alice, bob, {"from": mallory}),
    ]
    for call in calls:
        with missing_role(mallory, role):
            call()


def test_investor_cannot_act_as_agent(funded, alice):
    with missing_role(alice, funded.AGENT_ROLE()):
        funded.mint(alice, 1, {"from": alice})


def test_mint_to_zero_address_reverts(funded, agent):
    with reverts("AssetTokenZeroAddress()"):
        funded.mint(ZERO_ADDRESS, 1, {"from": agent})


def test_burn_reduces_supply(funded, agent, alice):
    tx = funded.burn(alice, 30 * E18, {"from": agent})
    assert funded.balanceOf(alice) == 70 * E18
    assert funded.totalSupply() == 70 * E18
    assert tuple(tx.events["Transfer"].values()) == (alice, ZERO_ADDRESS, 30 * E18)


def test_burn_more_than_free_balance_unfreezes_first(funded, agent, alice):
    funded.freezePartialTokens(alice, 80 * E18, {"from": agent})
    tx = funded.burn(alice, 50 * E18, {"from": agent})
    assert funded.frozenTokens(alice) == 50 * E18
    assert tx.events["TokensUnfrozen"]["amount"] == 30 * E18
    assert tx.events["Frozen"]["amount"] == 50 * E18


def test_burn_more_than_balance_reverts(funded, agent, alice):
    with reverts("ERC20InsufficientBalance(address,uint256,uint256)", alice.address, 100 * E18, 101 * E18):
        funded.burn(alice, 101 * E18, {"from": agent})


def test_wallet_freeze_and_unfreeze(funded, agent, alice, bob):
    tx = funded.setWalletFrozen(alice, True, {"from": agent})
    assert funded.isFrozen(alice)
    assert tuple(tx.events["WalletFrozen"].values()) == (alice, True)
    with restricted(9):
        funded.transfer(bob, E18, {"from": alice})
    funded.setWalletFrozen(alice, False, {"from": agent})
    funded.transfer(bob, E18, {"from": alice})


def test_partial_freeze_events_and_limits(funded, agent, alice):
    tx = funded.freezePartialTokens(alice, 60 * E18, {"from": agent})
    assert tuple(tx.events["TokensFrozen"].values()) == (alice, 60 * E18)
    assert tuple(tx.events["Frozen"].values()) == (alice, 60 * E18)
    with reverts("AssetTokenInsufficientUnfrozen(address,uint256,uint256)", alice.address, 41 * E18, 40 * E18):
        funded.freezePartialTokens(alice, 41 * E18, {"from": agent})

    tx = funded.unfreezePartialTokens(alice, 20 * E18, {"from": agent})
    assert funded.frozenTokens(alice) == 40 * E18
    assert tuple(tx.events["TokensUnfrozen"].values()) == (alice, 20 * E18)
    assert tuple(tx.events["Frozen"].values()) == (alice, 40 * E18)
    with reverts("AssetTokenInsufficientFrozen(address,uint256,uint256)", alice.address, 41 * E18, 40 * E18):
        funded.unfreezePartialTokens(alice, 41 * E18, {"from": agent})


def test_set_frozen_tokens_overwrites_and_may_exceed_balance(funded, agent, alice, bob):
    tx = funded.setFrozenTokens(alice, 150 * E18, {"from": agent})
    assert funded.getFrozenTokens(alice) == 150 * E18
    assert tx.events["TokensFrozen"]["amount"] == 150 * E18
    assert tx.events["Frozen"]["amount"] == 150 * E18
    assert funded.detectTransferRestriction(alice, bob, 1) == 11
    tx = funded.setFrozenTokens(alice, 10 * E18, {"from": agent})
    assert tx.events["TokensUnfrozen"]["amount"] == 140 * E18
    assert funded.detectTransferRestriction(alice, bob, 90 * E18) == 0


def test_pause_blocks_holder_transfers(funded, agent, alice, bob):
    tx = funded.pause({"from": agent})
    assert funded.paused()
    assert tx.events["Paused"]["account"] == agent
    with restricted(10):
        funded.transfer(bob, E18, {"from": alice})
    tx = funded.unpause({"from": agent})
    assert not funded.paused()
    assert tx.events["Unpaused"]["account"] == agent
    funded.transfer(bob, E18, {"from": alice})


def test_forced_transfer_bypasses_rules(funded, rules, agent, alice, bob):
    rules.setRules([], False, 0, E18, DAY, {"from": agent})  # max balance 1, lock-up a day
    funded.pause({"from": agent})
    funded.setWalletFrozen(alice, True, {"from": agent})
    tx = funded.forcedTransfer(alice, bob, 40 * E18, {"from": agent})

    assert funded.balanceOf(bob) == 40 * E18
    assert tuple(tx.events["ForcedTransfer"].values()) == (alice, bob, 40 * E18)
    assert tuple(tx.events["Transfer"].values()) == (alice, bob, 40 * E18)


def test_forced_transfer_to_unverified_wallet_reverts(funded, registry, registrar, agent, alice, bob, mallory):
    with restricted(2):  # not registered
        funded.forcedTransfer(alice, mallory, E18, {"from": agent})
    # registered but KYC expired is not verified either
    registry.updateInvestor(bob, 276, False, chain.time() + 30, {"from": registrar})
    chain.sleep(60)
    chain.mine()
    with restricted(3):
        funded.forcedTransfer(alice, bob, E18, {"from": agent})
    with reverts("AssetTokenZeroAddress()"):
        funded.forcedTransfer(alice, ZERO_ADDRESS, E18, {"from": agent})


def test_forced_transfer_unfreezes_what_it_takes(funded, agent, alice, bob):
    funded.freezePartialTokens(alice, 90 * E18, {"from": agent})
    tx = funded.forcedTransfer(alice, bob, 30 * E18, {"from": agent})
    assert funded.frozenTokens(alice) == 70 * E18
    assert funded.balanceOf(alice) == 70 * E18
    # ERC-7943: the Frozen event precedes the Transfer event
    names = [event.name for event in tx.events]
    assert names.index("Frozen") < names.index("Transfer")


def test_forced_transfer_leaves_frozen_tokens_alone_when_free_balance_suffices(funded, agent, alice, bob):
    funded.freezePartialTokens(alice, 50 * E18, {"from": agent})
    tx = funded.forcedTransfer(alice, bob, 50 * E18, {"from": agent})
    assert funded.frozenTokens(alice) == 50 * E18
    assert "Frozen" not in tx.events


def test_recovery_moves_balance_and_frozen_state(funded, registry, registrar, agent, alice, mallory):
    funded.freezePartialTokens(alice, 30 * E18, {"from": agent})
    funded.setWalletFrozen(alice, True, {"from": agent})
    registry.registerInvestor(mallory, COUNTRY_US, False, chain.time() + YEAR, {"from": registrar})
    new_wallet = mallory  # the investor's replacement wallet

    tx = funded.recoverWallet(alice, new_wallet, {"from": agent})

    assert funded.balanceOf(alice) == 0
    assert funded.balanceOf(new_wallet) == 100 * E18
    assert funded.frozenTokens(alice) == 0
    assert funded.frozenTokens(new_wallet) == 30 * E18
    assert not funded.isFrozen(alice)
    assert funded.isFrozen(new_wallet)
    assert tuple(tx.events["WalletRecovered"].values()) == (alice, new_wallet, 100 * E18)


def test_recovery_after_identity_recovery(funded, registry, registrar, agent, alice, mallory, bob):
    """The registrar moves the identity first; the agent then moves the tokens."""
    registry.recoverWallet(alice, mallory, {"from": registrar})
    funded.recoverWallet(alice, mallory, {"from": agent})
    assert funded.balanceOf(mallory) == 100 * E18
    funded.transfer(bob, E18, {"from": mallory})
    with restricted(1):
        funded.transfer(bob, 0, {"from": alice})


def test_recovery_to_unverified_wallet_reverts(funded, agent, alice, mallory):
    with restricted(2):
        funded.recoverWallet(alice, mallory, {"from": agent})
    with reverts("AssetTokenZeroAddress()"):
        funded.recoverWallet(alice, ZERO_ADDRESS, {"from": agent})
