"""Agent moves answer to the asset's own rules and say why: forced transfer and recovery check
the receiver against the rules (country, accreditation, KYC), every agent action emits
AgentActionTaken(agent, action, wallet, counterparty, amount, reason code, document hash),
and mint never exceeds the supply cap fixed at creation."""

import pytest
from brownie import chain
from helpers import COUNTRY_US, E18, SUPPLY_CAP, YEAR, restricted, reverts

COURT_ORDER, LOST_KEYS, SANCTIONS, REGULATOR_REQUEST = 1, 2, 3, 4
ERROR_CORRECTION, CORPORATE_ACTION, MARKET_INTEGRITY = 5, 6, 7
MINT, BURN, FREEZE_WALLET, UNFREEZE_WALLET, FREEZE_TOKENS, UNFREEZE_TOKENS = 0, 1, 2, 3, 4, 5
SET_FROZEN_TOKENS, PAUSE, UNPAUSE, FORCED_TRANSFER, RECOVERY = 6, 7, 8, 9, 10
DOC = "0x" + "ab" * 32
NO_DOC = "0x" + "00" * 32
ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture(scope="module")
def us_only(token, rules, agent, alice):
    """A US-only, accredited-only asset; alice (US, accredited) holds 100."""
    rules.setRules([COUNTRY_US], True, 0, 0, 0, {"from": agent})
    token.mint(alice, 100 * E18, {"from": agent})
    return token


def action(tx):
    event = tx.events["AgentActionTaken"]
    return tuple(event.values())


# --- 1. the receiver of an agent move passes the asset's rules --------------------------------


def test_forced_transfer_to_a_german_non_accredited_wallet_reverts(us_only, agent, alice, bob):
    """The review's reproduction: bob (DE, not accredited) received a US-only asset."""
    with restricted(4):  # country not allowed
        us_only.forcedTransfer(alice, bob, E18, {"from": agent})
    with restricted(4):
        us_only.forcedTransfer(alice, bob, E18, COURT_ORDER, DOC, {"from": agent})
    assert us_only.balanceOf(bob) == 0


def test_forced_transfer_to_a_us_non_accredited_wallet_reverts(us_only, agent, alice, carol, dave):
    with restricted(5):  # carol is US but not accredited
        us_only.forcedTransfer(alice, carol, E18, {"from": agent})
    with restricted(4):  # dave is accredited but German
        us_only.forcedTransfer(alice, dave, E18, {"from": agent})


def test_forced_transfer_to_an_expired_kyc_wallet_reverts(us_only, registry, registrar, agent, alice, mallory):
    registry.registerInvestor(mallory, COUNTRY_US, True, chain.time() + 30, {"from": registrar})
    chain.sleep(60)
    chain.mine()
    with restricted(3):
        us_only.forcedTransfer(alice, mallory, E18, {"from": agent})


def test_recovery_to_a_wallet_the_rules_refuse_reverts(us_only, agent, alice, bob):
    with restricted(4):
        us_only.recoverWallet(alice, bob, {"from": agent})
    with restricted(4):
        us_only.recoverWallet(alice, bob, LOST_KEYS, DOC, {"from": agent})
    assert us_only.balanceOf(alice) == 100 * E18


def test_forced_transfer_to_an_eligible_wallet_still_bypasses_pause_and_freeze(
    us_only, rules, agent, alice, mallory, registry, registrar
):
    registry.registerInvestor(mallory, COUNTRY_US, True, chain.time() + YEAR, {"from": registrar})
    us_only.pause({"from": agent})
    us_only.setWalletFrozen(alice, True, {"from": agent})
    us_only.forcedTransfer(alice, mallory, E18, COURT_ORDER, DOC, {"from": agent})
    assert us_only.balanceOf(mallory) == E18


def test_receiver_restriction_view(us_only, rules, alice, bob, carol, mallory):
    assert [rules.receiverRestriction(w) for w in (alice, bob, carol, mallory)] == [0, 4, 5, 2]


# --- 6. the agent, the reason and the document on chain ----------------------------------------


def test_forced_transfer_emits_agent_reason_and_document(us_only, registry, registrar, agent, alice, mallory):
    registry.registerInvestor(mallory, COUNTRY_US, True, chain.time() + YEAR, {"from": registrar})
    tx = us_only.forcedTransfer(alice, mallory, 3 * E18, COURT_ORDER, DOC, {"from": agent})
    assert action(tx) == (agent, FORCED_TRANSFER, alice, mallory, 3 * E18, COURT_ORDER, DOC)
    assert tuple(tx.events["ForcedTransfer"].values()) == (alice, mallory, 3 * E18)


def test_recovery_emits_agent_reason_and_document(us_only, registry, registrar, agent, alice, mallory):
    registry.recoverWallet(alice, mallory, {"from": registrar})
    tx = us_only.recoverWallet(alice, mallory, LOST_KEYS, DOC, {"from": agent})
    assert action(tx) == (agent, RECOVERY, alice, mallory, 100 * E18, LOST_KEYS, DOC)
    assert tuple(tx.events["WalletRecovered"].values()) == (alice, mallory, 100 * E18)


def test_the_reasonless_erc7943_forced_transfer_records_reason_zero(
    us_only, registry, registrar, agent, alice, mallory
):
    registry.registerInvestor(mallory, COUNTRY_US, True, chain.time() + YEAR, {"from": registrar})
    tx = us_only.forcedTransfer(alice, mallory, E18, {"from": agent})
    assert action(tx) == (agent, FORCED_TRANSFER, alice, mallory, E18, 0, NO_DOC)


def test_every_agent_action_takes_a_reason(us_only, agent, alice):
    cases = [
        (lambda: us_only.mint(alice, E18, CORPORATE_ACTION, {"from": agent}), (MINT, alice, E18)),
        (lambda: us_only.burn(alice, E18, ERROR_CORRECTION, {"from": agent}), (BURN, alice, E18)),
        (
            lambda: us_only.freezePartialTokens(alice, 2 * E18, SANCTIONS, {"from": agent}),
            (FREEZE_TOKENS, alice, 2 * E18),
        ),
        (lambda: us_only.unfreezePartialTokens(alice, E18, SANCTIONS, {"from": agent}), (UNFREEZE_TOKENS, alice, E18)),
        (lambda: us_only.setWalletFrozen(alice, True, SANCTIONS, {"from": agent}), (FREEZE_WALLET, alice, 0)),
        (
            lambda: us_only.setWalletFrozen(alice, False, REGULATOR_REQUEST, {"from": agent}),
            (UNFREEZE_WALLET, alice, 0),
        ),
        (lambda: us_only.pause(MARKET_INTEGRITY, {"from": agent}), (PAUSE, ZERO, 0)),
        (lambda: us_only.unpause(MARKET_INTEGRITY, {"from": agent}), (UNPAUSE, ZERO, 0)),
    ]
    for call, (kind, wallet, amount) in cases:
        tx = call()
        agent_, kind_, wallet_, other, amount_, reason, doc = action(tx)
        assert (agent_, kind_, wallet_, other, amount_, doc) == (agent, kind, wallet, ZERO, amount, NO_DOC)
        assert 1 <= reason <= 7
    assert us_only.frozenTokens(alice) == E18 and not us_only.paused()


def test_a_reason_outside_the_vocabulary_reverts(us_only, agent, alice, bob):
    for bad in (0, 8, 255):
        with reverts("AssetTokenInvalidReason(uint8)", bad):
            us_only.pause(bad, {"from": agent})
        with reverts("AssetTokenInvalidReason(uint8)", bad):
            us_only.forcedTransfer(alice, bob, E18, bad, DOC, {"from": agent})
    assert not us_only.paused()


def test_reasoned_overloads_are_agent_only(us_only, alice, mallory):
    role = us_only.AGENT_ROLE()
    from helpers import missing_role

    with missing_role(mallory, role):
        us_only.forcedTransfer(alice, mallory, E18, COURT_ORDER, DOC, {"from": mallory})
    with missing_role(mallory, role):
        us_only.recoverWallet(alice, mallory, LOST_KEYS, DOC, {"from": mallory})
    with missing_role(mallory, role):
        us_only.mint(mallory, E18, CORPORATE_ACTION, {"from": mallory})


# --- 5. the supply cap --------------------------------------------------------------------------


def test_mint_beyond_the_supply_cap_reverts(create_asset, agent, alice):
    capped, _ = create_asset("CAPD", supply_cap=1000 * E18)
    assert capped.supplyCap() == 1000 * E18
    capped.mint(alice, 999 * E18, {"from": agent})
    with reverts("AssetTokenSupplyCapExceeded(uint256,uint256,uint256)", 1000 * E18, 999 * E18, E18 + 1):
        capped.mint(alice, E18 + 1, {"from": agent})
    capped.mint(alice, E18, {"from": agent})  # exactly at the cap
    assert capped.totalSupply() == 1000 * E18
    with reverts("AssetTokenSupplyCapExceeded(uint256,uint256,uint256)", 1000 * E18, 1000 * E18, 1):
        capped.mint(alice, 1, CORPORATE_ACTION, {"from": agent})
    capped.burn(alice, E18, {"from": agent})  # burning makes room again
    capped.mint(alice, E18, {"from": agent})


def test_a_huge_mint_reverts_with_the_cap_error_not_an_overflow(create_asset, agent, alice):
    capped, _ = create_asset("CAPH", supply_cap=SUPPLY_CAP)
    capped.mint(alice, E18, {"from": agent})
    with reverts("AssetTokenSupplyCapExceeded(uint256,uint256,uint256)", SUPPLY_CAP, E18, 2**256 - 1):
        capped.mint(alice, 2**256 - 1, {"from": agent})


def test_a_zero_supply_cap_is_refused(create_asset):
    with reverts("AssetTokenZeroSupplyCap()"):
        create_asset("NOCAP", supply_cap=0)
