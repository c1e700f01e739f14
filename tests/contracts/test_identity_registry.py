"""IdentityRegistry: the investor whitelist shared by every asset."""

import pytest
from brownie import chain
from helpers import COUNTRY_DE, COUNTRY_US, YEAR, ZERO_ADDRESS, missing_role, reverts


def test_register_investor_makes_wallet_verified(registry, registrar, alice):
    expiry = chain.time() + YEAR
    tx = registry.registerInvestor(alice, COUNTRY_US, True, expiry, {"from": registrar})

    assert registry.isVerified(alice)
    assert tuple(registry.investorOf(alice)) == (True, COUNTRY_US, True, expiry)
    assert tuple(tx.events["InvestorRegistered"].values()) == (alice, COUNTRY_US, True, expiry)


def test_unregistered_wallet_is_not_verified(registry, mallory):
    assert not registry.isVerified(mallory)
    assert tuple(registry.investorOf(mallory)) == (False, 0, False, 0)


def test_verification_ends_when_kyc_expires(registry, registrar, alice):
    expiry = chain.time() + 100
    registry.registerInvestor(alice, COUNTRY_US, False, expiry, {"from": registrar})
    assert registry.isVerified(alice)

    chain.sleep(200)
    chain.mine()
    assert not registry.isVerified(alice)
    assert registry.investorOf(alice)[0]  # still registered, only expired


def test_only_registrar_registers(registry, alice, mallory):
    with missing_role(mallory, registry.REGISTRAR_ROLE()):
        registry.registerInvestor(alice, COUNTRY_US, False, chain.time() + YEAR, {"from": mallory})


def test_register_twice_reverts(registry, registrar, alice):
    registry.registerInvestor(alice, COUNTRY_US, False, chain.time() + YEAR, {"from": registrar})
    with reverts("IdentityRegistryAlreadyRegistered(address)", alice.address):
        registry.registerInvestor(alice, COUNTRY_DE, False, chain.time() + YEAR, {"from": registrar})


def test_register_zero_address_reverts(registry, registrar):
    with reverts("IdentityRegistryZeroAddress()"):
        registry.registerInvestor(ZERO_ADDRESS, COUNTRY_US, False, chain.time() + YEAR, {"from": registrar})


def test_country_must_be_between_1_and_999(registry, registrar, alice):
    for country in (0, 1000, 65535):
        with reverts("IdentityRegistryInvalidCountry(uint16)", country):
            registry.registerInvestor(alice, country, False, chain.time() + YEAR, {"from": registrar})
    registry.registerInvestor(alice, 999, False, chain.time() + YEAR, {"from": registrar})
    with reverts("IdentityRegistryInvalidCountry(uint16)", 0):
        registry.updateInvestor(alice, 0, False, chain.time() + YEAR, {"from": registrar})


def test_update_investor_changes_record(registry, registrar, alice):
    registry.registerInvestor(alice, COUNTRY_US, False, chain.time() + YEAR, {"from": registrar})
    expiry = chain.time() + 2 * YEAR
    tx = registry.updateInvestor(alice, COUNTRY_DE, True, expiry, {"from": registrar})

    assert tuple(registry.investorOf(alice)) == (True, COUNTRY_DE, True, expiry)
    assert tuple(tx.events["InvestorUpdated"].values()) == (alice, COUNTRY_DE, True, expiry)


def test_update_unregistered_reverts(registry, registrar, mallory):
    with reverts("IdentityRegistryNotRegistered(address)", mallory.address):
        registry.updateInvestor(mallory, COUNTRY_US, False, chain.time() + YEAR, {"from": registrar})


def test_remove_investor_revokes_verification(registry, registrar, alice):
    registry.registerInvestor(alice, COUNTRY_US, False, chain.time() + YEAR, {"from": registrar})
    tx = registry.removeInvestor(alice, {"from": registrar})

    assert not registry.isVerified(alice)
    assert tuple(registry.investorOf(alice)) == (False, 0, False, 0)
    assert tx.events["InvestorRemoved"]["wallet"] == alice
    with reverts("IdentityRegistryNotRegistered(address)", alice.address):
        registry.removeInvestor(alice, {"from": registrar})


def test_recover_wallet_moves_record(registry, registrar, alice, bob):
    expiry = chain.time() + YEAR
    registry.registerInvestor(alice, COUNTRY_US, True, expiry, {"from": registrar})
    tx = registry.recoverWallet(alice, bob, {"from": registrar})

    assert tuple(registry.investorOf(bob)) == (True, COUNTRY_US, True, expiry)
    assert not registry.investorOf(alice)[0]
    assert tuple(tx.events["WalletRecovered"].values()) == (alice, bob)


def test_recover_wallet_checks(registry, registrar, alice, bob, mallory):
    expiry = chain.time() + YEAR
    with reverts("IdentityRegistryNotRegistered(address)", mallory.address):
        registry.recoverWallet(mallory, bob, {"from": registrar})
    registry.registerInvestor(alice, COUNTRY_US, True, expiry, {"from": registrar})
    registry.registerInvestor(bob, COUNTRY_US, True, expiry, {"from": registrar})
    with reverts("IdentityRegistryAlreadyRegistered(address)", bob.address):
        registry.recoverWallet(alice, bob, {"from": registrar})
    with reverts("IdentityRegistryZeroAddress()"):
        registry.recoverWallet(alice, ZERO_ADDRESS, {"from": registrar})
    with missing_role(mallory, registry.REGISTRAR_ROLE()):
        registry.recoverWallet(alice, mallory, {"from": mallory})


def test_plain_revert_is_not_mistaken_for_a_custom_error(registry, registrar, alice):
    """The helper must reject a different error (guards the matching helper itself)."""
    registry.registerInvestor(alice, COUNTRY_US, False, chain.time() + YEAR, {"from": registrar})
    with pytest.raises(AssertionError, match="Unexpected revert string"):
        with reverts("IdentityRegistryNotRegistered(address)", alice.address):
            registry.registerInvestor(alice, COUNTRY_US, False, chain.time() + YEAR, {"from": registrar})
