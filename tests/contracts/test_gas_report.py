"""Gas of a compliant AssetToken transfer and of a revenue claim (printed; run with -s).

With test_settlement_gas.py this is what `make gas` reports (figures kept in docs/gas.md).
"""

from helpers import E18

USD = 10**6


def test_compliant_transfer_gas(token, agent, alice, bob):
    token.mint(alice, 10 * E18, {"from": agent})
    token.mint(bob, 1 * E18, {"from": agent})  # both already hold the asset: the usual case
    tx = token.transfer(bob, 4 * E18, {"from": alice})
    assert tx.events["Transfer"]["value"] == 4 * E18
    print(f"\nAssetToken.transfer (compliant, verified investors): gas used {tx.gas_used:>10,}")
    assert tx.gas_used < 250_000


def test_revenue_claim_gas(token, distributor, cash, agent, admin, issuer, alice, bob):
    token.mint(alice, 300 * E18, {"from": agent})
    token.mint(bob, 100 * E18, {"from": agent})
    cash.mint(issuer, 1_000 * USD, {"from": admin})
    cash.approve(distributor, 1_000 * USD, {"from": issuer})
    distributor.deposit(token, 1_000 * USD, "Q1 dividend", {"from": issuer})
    tx = distributor.claim(token, {"from": alice})
    assert tx.events["RevenueClaimed"]["amount"] == 750 * USD
    print(f"\nRevenueDistributor.claim (one distribution):          gas used {tx.gas_used:>10,}")
    assert tx.gas_used < 250_000


def test_compliant_transfer_gas_under_a_lockup(token, rules, agent, alice, bob, chain):
    """The same transfer when the asset has a lock-up (expired for alice's tokens by then)."""
    rules.setRules([], False, 0, 0, 86_400, {"from": agent})
    token.mint(alice, 10 * E18, {"from": agent})
    token.mint(bob, 1 * E18, {"from": agent})
    chain.sleep(86_401)
    chain.mine()
    tx = token.transfer(bob, 4 * E18, {"from": alice})
    assert tx.events["Transfer"]["value"] == 4 * E18
    print(f"\nAssetToken.transfer (compliant, 1-day lock-up):       gas used {tx.gas_used:>10,}")
    assert tx.gas_used < 250_000
