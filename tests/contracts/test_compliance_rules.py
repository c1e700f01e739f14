"""ComplianceRules: every ERC-1404 restriction code, the evaluation order, holder count, lock-up."""

import pytest
from brownie import ComplianceRules, chain
from helpers import (
    COUNTRY_DE,
    COUNTRY_FR,
    COUNTRY_US,
    DAY,
    E18,
    YEAR,
    ZERO_ADDRESS,
    missing_role,
    restricted,
    reverts,
)


@pytest.fixture(scope="module")
def funded(token, agent, alice, bob):
    """alice holds 100, bob 50."""
    token.mint(alice, 100 * E18, {"from": agent})
    token.mint(bob, 50 * E18, {"from": agent})
    return token


def set_rules(rules, agent, countries=(), accredited=False, max_holders=0, max_balance=0, lockup=0):
    return rules.setRules(list(countries), accredited, max_holders, max_balance, lockup, {"from": agent})


def assert_code(token, sender, receiver, amount, code):
    """detectTransferRestriction says `code` - the token's (which passes the rules its own state)
    and the rules' (which read it from the token) alike - and the transfer itself reverts with
    it (or succeeds)."""
    assert token.detectTransferRestriction(sender, receiver, amount) == code
    assert ComplianceRules.at(token.complianceRules()).detectTransferRestriction(sender, receiver, amount) == code
    assert token.canTransfer(sender, receiver, amount) == (code == 0)
    if code:
        with restricted(code):
            token.transfer(receiver, amount, {"from": sender})
    else:
        token.transfer(receiver, amount, {"from": sender})


# --- each code reachable ---------------------------------------------------------------------


def test_code_0_transfer_between_verified_investors(funded, alice, bob):
    assert_code(funded, alice, bob, 10 * E18, 0)
    assert funded.balanceOf(bob) == 60 * E18


def test_code_1_sender_not_whitelisted(funded, registry, registrar, alice, bob):
    registry.removeInvestor(alice, {"from": registrar})
    assert_code(funded, alice, bob, E18, 1)


def test_code_2_receiver_not_whitelisted(funded, alice, mallory):
    assert_code(funded, alice, mallory, E18, 2)


def test_code_3_receiver_kyc_expired(funded, registry, registrar, alice, bob):
    registry.updateInvestor(bob, COUNTRY_DE, False, chain.time() + 60, {"from": registrar})
    chain.sleep(120)
    chain.mine()
    assert_code(funded, alice, bob, E18, 3)


def test_code_3_sender_kyc_expired(funded, registry, registrar, alice, bob):
    registry.updateInvestor(alice, COUNTRY_US, True, chain.time() + 60, {"from": registrar})
    chain.sleep(120)
    chain.mine()
    assert_code(funded, alice, bob, E18, 3)


def test_code_4_country_not_allowed(funded, rules, agent, alice, bob, carol):
    set_rules(rules, agent, countries=[COUNTRY_US])
    assert_code(funded, alice, bob, E18, 4)  # bob is German
    assert_code(funded, alice, carol, E18, 0)  # carol is American


def test_code_5_not_accredited(funded, rules, agent, alice, carol, dave):
    set_rules(rules, agent, accredited=True)
    assert_code(funded, alice, carol, E18, 5)
    assert_code(funded, alice, dave, E18, 0)


def test_code_6_max_holders(funded, rules, agent, alice, bob, carol):
    set_rules(rules, agent, max_holders=2)
    assert rules.holderCount() == 2
    assert_code(funded, alice, carol, E18, 6)  # alice would keep a balance: a third holder
    # moving a whole balance to a new wallet keeps the count at 2, so it passes
    assert_code(funded, bob, carol, 50 * E18, 0)
    assert rules.holderCount() == 2


def test_code_6_applies_to_mint(funded, rules, agent, carol):
    set_rules(rules, agent, max_holders=2)
    assert funded.detectTransferRestriction(ZERO_ADDRESS, carol, E18) == 6
    with restricted(6):
        funded.mint(carol, E18, {"from": agent})


def test_code_7_max_balance(funded, rules, agent, alice, bob):
    set_rules(rules, agent, max_balance=60 * E18)
    assert_code(funded, alice, bob, 10 * E18 + 1, 7)
    assert_code(funded, alice, bob, 10 * E18, 0)


def test_code_8_lockup_of_issued_tokens(funded, rules, agent, alice, bob, carol):
    set_rules(rules, agent, lockup=DAY)
    funded.mint(bob, E18, {"from": agent})  # primary issuance: locked for a day
    assert rules.lockedUntil(bob) >= chain.time() + DAY - 5
    assert rules.lockedBalance(bob) == E18
    assert_code(funded, bob, carol, 50 * E18 + 1, 8)  # the 50 bob held before stay free
    chain.sleep(DAY + 1)
    chain.mine()
    assert rules.lockedBalance(bob) == 0
    assert_code(funded, bob, carol, 51 * E18, 0)


def test_lockup_applies_to_minted_tokens(funded, rules, agent, alice, carol):
    set_rules(rules, agent, lockup=7 * DAY)
    funded.mint(carol, E18, {"from": agent})
    assert_code(funded, carol, alice, E18, 8)


def test_zero_amount_transfer_does_not_extend_someone_elses_lockup(funded, rules, agent, alice, bob):
    set_rules(rules, agent, lockup=DAY)
    before = rules.lockedUntil(bob)
    funded.transfer(bob, 0, {"from": alice})
    assert rules.lockedUntil(bob) == before == 0


def test_code_9_frozen_sender_or_receiver(funded, agent, alice, bob):
    funded.setWalletFrozen(alice, True, {"from": agent})
    assert_code(funded, alice, bob, E18, 9)
    assert_code(funded, bob, alice, E18, 9)


def test_code_10_paused(funded, agent, alice, bob):
    funded.pause({"from": agent})
    assert_code(funded, alice, bob, E18, 10)
    funded.unpause({"from": agent})
    assert_code(funded, alice, bob, E18, 0)


def test_code_11_insufficient_unfrozen_balance(funded, agent, alice, bob):
    funded.freezePartialTokens(alice, 95 * E18, {"from": agent})
    assert_code(funded, alice, bob, 6 * E18, 11)
    assert_code(funded, alice, bob, 5 * E18, 0)


def test_code_11_more_than_balance(funded, alice, bob):
    assert_code(funded, alice, bob, 100 * E18 + 1, 11)


# --- evaluation order --------------------------------------------------------------------------


def test_order_paused_before_frozen(funded, agent, alice, bob):
    funded.setWalletFrozen(alice, True, {"from": agent})
    funded.pause({"from": agent})
    assert funded.detectTransferRestriction(alice, bob, E18) == 10


def test_order_frozen_before_whitelist(funded, agent, alice, mallory):
    funded.setWalletFrozen(alice, True, {"from": agent})
    assert funded.detectTransferRestriction(alice, mallory, E18) == 9


def test_order_sender_before_receiver(funded, registry, registrar, alice, mallory):
    registry.removeInvestor(alice, {"from": registrar})
    assert funded.detectTransferRestriction(alice, mallory, E18) == 1


def test_order_whitelist_before_kyc_country_accreditation(funded, rules, agent, alice, mallory):
    set_rules(rules, agent, countries=[COUNTRY_FR], accredited=True)
    assert funded.detectTransferRestriction(alice, mallory, E18) == 2


def test_order_kyc_before_country(funded, rules, registry, registrar, agent, alice, bob):
    set_rules(rules, agent, countries=[COUNTRY_US])
    registry.updateInvestor(bob, COUNTRY_DE, False, chain.time() + 60, {"from": registrar})
    chain.sleep(120)
    chain.mine()
    assert funded.detectTransferRestriction(alice, bob, E18) == 3


def test_order_country_before_accreditation(funded, rules, agent, alice, bob):
    set_rules(rules, agent, countries=[COUNTRY_US], accredited=True)
    assert funded.detectTransferRestriction(alice, bob, E18) == 4


def test_order_accreditation_before_balance(funded, rules, agent, alice, carol):
    set_rules(rules, agent, accredited=True)
    assert funded.detectTransferRestriction(alice, carol, 10**30) == 5


def test_order_unfrozen_balance_before_lockup(funded, rules, agent, alice, bob):
    set_rules(rules, agent, lockup=DAY)
    funded.mint(alice, E18, {"from": agent})  # alice: 100 free, 1 locked
    assert funded.detectTransferRestriction(alice, bob, 1000 * E18) == 11
    assert funded.detectTransferRestriction(alice, bob, 101 * E18) == 8
    assert funded.detectTransferRestriction(alice, bob, 100 * E18) == 0


def test_order_lockup_before_max_balance(funded, rules, agent, alice, bob):
    set_rules(rules, agent, lockup=DAY)
    funded.mint(alice, E18, {"from": agent})
    set_rules(rules, agent, lockup=DAY, max_balance=50 * E18)  # bob holds 50 already
    assert funded.detectTransferRestriction(alice, bob, 101 * E18) == 8
    assert funded.detectTransferRestriction(alice, bob, E18) == 7


def test_order_max_balance_before_max_holders(funded, rules, agent, alice, carol):
    set_rules(rules, agent, max_holders=2, max_balance=E18)
    assert funded.detectTransferRestriction(alice, carol, 2 * E18) == 7
    assert funded.detectTransferRestriction(alice, carol, E18) == 6


def test_self_transfer_skips_max_balance(funded, rules, agent, alice):
    set_rules(rules, agent, max_balance=E18, max_holders=1)
    assert_code(funded, alice, alice, 10 * E18, 0)


def test_zero_amount_passes_the_same_checks(funded, alice, bob, mallory):
    assert funded.detectTransferRestriction(alice, bob, 0) == 0
    assert funded.detectTransferRestriction(alice, mallory, 0) == 2


# --- messages ----------------------------------------------------------------------------------

MESSAGES = {
    0: "no restriction",
    1: "sender not whitelisted",
    2: "receiver not whitelisted",
    3: "KYC expired",
    4: "receiver country not allowed",
    5: "receiver not accredited",
    6: "maximum number of holders reached",
    7: "maximum balance per investor exceeded",
    8: "sender tokens are locked up",
    9: "wallet frozen",
    10: "transfers paused",
    11: "insufficient unfrozen balance",
}


def test_message_for_every_code(token, rules):
    for code, text in MESSAGES.items():
        assert rules.messageForTransferRestriction(code) == text
        assert token.messageForTransferRestriction(code) == text
    for code in (12, 99, 255):
        assert rules.messageForTransferRestriction(code) == "unknown restriction"


# --- holder count --------------------------------------------------------------------------------


def test_holder_count_across_mint_transfer_burn(create_asset, investors, agent, alice, bob, carol):
    token, rules = create_asset("HOLD")
    assert rules.holderCount() == 0
    token.mint(alice, 10 * E18, {"from": agent})
    assert rules.holderCount() == 1
    token.mint(alice, 5 * E18, {"from": agent})  # existing holder
    assert rules.holderCount() == 1
    token.transfer(bob, 5 * E18, {"from": alice})
    assert rules.holderCount() == 2
    token.transfer(bob, 0, {"from": alice})  # zero amount changes nothing
    token.transfer(alice, 1 * E18, {"from": alice})  # self transfer changes nothing
    assert rules.holderCount() == 2
    token.transfer(carol, 10 * E18, {"from": alice})  # alice empties her wallet
    assert rules.holderCount() == 2
    token.burn(bob, 2 * E18, {"from": agent})
    assert rules.holderCount() == 2
    token.burn(bob, 3 * E18, {"from": agent})
    assert rules.holderCount() == 1
    token.forcedTransfer(carol, alice, 10 * E18, {"from": agent})
    assert rules.holderCount() == 1
    token.forcedTransfer(alice, bob, 4 * E18, {"from": agent})
    assert rules.holderCount() == 2


def test_holder_count_across_recovery(create_asset, investors, registry, registrar, agent, alice, bob, mallory):
    token, rules = create_asset("RECO")
    token.mint(alice, 10 * E18, {"from": agent})
    token.mint(bob, 10 * E18, {"from": agent})
    registry.registerInvestor(mallory, COUNTRY_US, False, chain.time() + YEAR, {"from": registrar})
    token.recoverWallet(alice, mallory, {"from": agent})
    assert rules.holderCount() == 2
    token.recoverWallet(mallory, bob, {"from": agent})  # merging into an existing holder
    assert rules.holderCount() == 1


# --- administration -------------------------------------------------------------------------------


def test_set_rules_stores_and_emits(rules, agent):
    tx = rules.setRules([COUNTRY_US, COUNTRY_DE], True, 10, 5 * E18, DAY, {"from": agent})
    countries, accredited, max_holders, max_balance, lockup = rules.getRules()
    assert list(countries) == [COUNTRY_US, COUNTRY_DE]
    assert (accredited, max_holders, max_balance, lockup) == (True, 10, 5 * E18, DAY)
    event = tx.events["RulesUpdated"]
    assert tuple(event["allowedCountries"]) == (COUNTRY_US, COUNTRY_DE)
    assert (event["accreditedOnly"], event["maxHolders"], event["maxBalance"], event["lockupSeconds"]) == (
        True,
        10,
        5 * E18,
        DAY,
    )


def test_replacing_the_country_list_forgets_old_countries(funded, rules, agent, alice, bob, carol):
    set_rules(rules, agent, countries=[COUNTRY_DE])
    assert funded.detectTransferRestriction(alice, carol, E18) == 4
    set_rules(rules, agent, countries=[COUNTRY_US])
    assert funded.detectTransferRestriction(alice, bob, E18) == 4
    assert funded.detectTransferRestriction(alice, carol, E18) == 0
    set_rules(rules, agent)  # empty list: every country
    assert funded.detectTransferRestriction(alice, bob, E18) == 0


def test_set_rules_rejects_invalid_country(rules, agent):
    with reverts("ComplianceRulesInvalidCountry(uint16)", 1000):
        set_rules(rules, agent, countries=[COUNTRY_US, 1000])
    with reverts("ComplianceRulesInvalidCountry(uint16)", 0):
        set_rules(rules, agent, countries=[0])


def test_only_rules_admin_sets_rules(rules, mallory):
    with missing_role(mallory, rules.RULES_ADMIN_ROLE()):
        rules.setRules([], False, 0, 0, 0, {"from": mallory})


def test_the_rules_evaluate_the_token_state_they_are_given(funded, rules, alice, bob):
    """detectTransferRestrictionWith judges the state passed in, not the token's own: each of
    the token-side codes follows its field alone (the token itself is unpaused, nobody frozen)."""
    balance, to_balance = funded.balanceOf(alice), funded.balanceOf(bob)
    clean = (False, False, False, balance, 0, to_balance)
    assert rules.detectTransferRestrictionWith(alice, bob, E18, clean) == 0
    assert rules.detectTransferRestrictionWith(alice, bob, E18, (True, False, False, balance, 0, to_balance)) == 10
    assert rules.detectTransferRestrictionWith(alice, bob, E18, (False, True, False, balance, 0, to_balance)) == 9
    assert rules.detectTransferRestrictionWith(alice, bob, E18, (False, False, True, balance, 0, to_balance)) == 9
    assert (
        rules.detectTransferRestrictionWith(alice, bob, E18, (False, False, False, balance, balance, to_balance)) == 11
    )
    assert rules.detectTransferRestrictionWith(alice, bob, E18, (False, False, False, 0, 0, to_balance)) == 11


def test_only_token_reports_transfers(rules, mallory, alice, bob):
    with reverts("ComplianceRulesOnlyToken(address)", mallory.address):
        rules.transferred(alice, bob, 1, 0, 1, {"from": mallory})


def test_token_is_bound_once_by_the_factory(token, rules, factory, mallory):
    assert rules.token() == token
    with reverts("ComplianceRulesOnlyBinder(address)", mallory.address):
        rules.bindToken(mallory, {"from": mallory})


def test_unbound_rules_can_be_bound_only_once(registry, admin, alice, bob):
    fresh = ComplianceRules.deploy(registry, admin, admin, {"from": admin})
    tx = fresh.bindToken(alice, {"from": admin})
    assert tx.events["TokenBound"]["token"] == alice
    with reverts("ComplianceRulesTokenAlreadyBound(address)", alice.address):
        fresh.bindToken(bob, {"from": admin})
    with reverts("ComplianceRulesZeroAddress()"):
        ComplianceRules.deploy(registry, ZERO_ADDRESS, admin, {"from": admin})


def test_eligible_receiver_and_erc7943_account_checks(
    funded, rules, registry, registrar, agent, alice, bob, carol, mallory
):
    set_rules(rules, agent, countries=[COUNTRY_US], accredited=True)
    assert rules.isEligibleReceiver(alice)
    assert not rules.isEligibleReceiver(bob)  # German
    assert not rules.isEligibleReceiver(carol)  # not accredited
    assert not rules.isEligibleReceiver(mallory)
    assert funded.canReceive(alice) and not funded.canReceive(carol)
    assert funded.canSend(bob) and not funded.canSend(mallory)
    funded.setWalletFrozen(alice, True, {"from": agent})
    assert not funded.canReceive(alice) and not funded.canSend(alice)
