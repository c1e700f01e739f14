"""AssetToken holder transfers: ERC-20 behaviour under compliance, ERC-7943 views, ERC-165."""

from brownie import web3
from helpers import E18, EQUITY, ZERO_ADDRESS, restricted, reverts


def test_token_facts(token, registry, rules, distributor):
    assert token.decimals() == 18
    assert token.name() == "Acme Corp shares"
    assert token.symbol() == "ACME"
    assert token.assetClass() == EQUITY
    assert token.termsURI() == "ipfs://terms"
    assert token.identityRegistry() == registry
    assert token.complianceRules() == rules
    assert token.revenueDistributor() == distributor


def test_transfer_between_verified_investors(token, agent, alice, bob):
    token.mint(alice, 10 * E18, {"from": agent})
    tx = token.transfer(bob, 4 * E18, {"from": alice})

    assert token.balanceOf(alice) == 6 * E18
    assert token.balanceOf(bob) == 4 * E18
    assert tuple(tx.events["Transfer"].values()) == (alice, bob, 4 * E18)


def test_transfer_to_non_whitelisted_wallet_reverts_with_code_2(token, agent, alice, mallory):
    token.mint(alice, 10 * E18, {"from": agent})
    with restricted(2):
        token.transfer(mallory, E18, {"from": alice})
    assert token.balanceOf(mallory) == 0


def test_mint_to_non_whitelisted_wallet_reverts_with_code_2(token, agent, mallory):
    with restricted(2):
        token.mint(mallory, E18, {"from": agent})
    assert token.totalSupply() == 0


def test_mint_while_paused_reverts_with_code_10(token, agent, alice):
    token.pause({"from": agent})
    with restricted(10):
        token.mint(alice, E18, {"from": agent})


def test_transfer_from_is_restricted_like_transfer(token, agent, alice, bob, carol, mallory):
    token.mint(alice, 10 * E18, {"from": agent})
    token.approve(carol, 5 * E18, {"from": alice})
    with restricted(2):
        token.transferFrom(alice, mallory, E18, {"from": carol})
    token.transferFrom(alice, bob, 2 * E18, {"from": carol})
    assert token.balanceOf(bob) == 2 * E18
    assert token.allowance(alice, carol) == 3 * E18


def test_transfer_from_needs_allowance(token, agent, alice, bob, carol):
    token.mint(alice, 10 * E18, {"from": agent})
    with reverts("ERC20InsufficientAllowance(address,uint256,uint256)", carol.address, 0, E18):
        token.transferFrom(alice, bob, E18, {"from": carol})


def test_an_unregistered_spender_cannot_move_to_unregistered_wallet_but_may_relay(token, agent, alice, bob, mallory):
    """Compliance looks at the holders (from, to), not at the spender."""
    token.mint(alice, 10 * E18, {"from": agent})
    token.approve(mallory, E18, {"from": alice})
    token.transferFrom(alice, bob, E18, {"from": mallory})
    assert token.balanceOf(bob) == E18


def test_transfer_to_zero_address_is_restricted(token, agent, alice):
    token.mint(alice, E18, {"from": agent})
    with restricted(2):
        token.transfer(ZERO_ADDRESS, E18, {"from": alice})


def test_frozen_tokens_cannot_be_moved_by_the_holder(token, agent, alice, bob):
    token.mint(alice, 10 * E18, {"from": agent})
    token.freezePartialTokens(alice, 7 * E18, {"from": agent})
    with restricted(11):
        token.transfer(bob, 4 * E18, {"from": alice})
    token.transfer(bob, 3 * E18, {"from": alice})
    assert token.balanceOf(alice) == 7 * E18 == token.frozenTokens(alice)


def test_erc7943_views(token, agent, alice, bob, mallory):
    token.mint(alice, 10 * E18, {"from": agent})
    token.setFrozenTokens(alice, 4 * E18, {"from": agent})
    assert token.getFrozenTokens(alice) == 4 * E18
    assert token.canTransfer(alice, bob, 6 * E18)
    assert not token.canTransfer(alice, bob, 6 * E18 + 1)
    assert not token.canTransfer(alice, mallory, 1)
    assert token.canSend(alice) and token.canReceive(bob)
    assert not token.canSend(mallory) and not token.canReceive(mallory)


def test_supports_erc7943_erc165_and_access_control(token):
    assert token.supportsInterface("0x3edbb4c4")  # ERC-7943 fungible (uRWA)
    assert token.supportsInterface("0x01ffc9a7")  # ERC-165
    assert token.supportsInterface("0x7965db0b")  # IAccessControl
    assert not token.supportsInterface("0xffffffff")
    assert not token.supportsInterface("0x12345678")


def test_erc7943_interface_id_is_the_spec_value():
    from eth_utils import keccak

    selectors = [
        "forcedTransfer(address,address,uint256)",
        "setFrozenTokens(address,uint256)",
        "canSend(address)",
        "canReceive(address)",
        "getFrozenTokens(address)",
        "canTransfer(address,address,uint256)",
    ]
    value = 0
    for signature in selectors:
        value ^= int.from_bytes(keccak(text=signature)[:4], "big")
    assert value == 0x3EDBB4C4


def test_every_transfer_notifies_rules_after_the_balance_change(token, rules, agent, alice, bob):
    """rules.transferred sees post-transfer balances: holder count tracks them exactly."""
    token.mint(alice, E18, {"from": agent})
    token.transfer(bob, E18, {"from": alice})
    assert rules.holderCount() == 1
    assert token.balanceOf(alice) == 0


def test_code_size_under_eip170(token):
    assert len(web3.eth.get_code(token.address)) <= 24576
