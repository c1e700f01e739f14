"""The transaction sender against a real node."""

from __future__ import annotations

from backend.chain.client import Chain


def test_a_second_sender_with_the_same_key_resyncs_its_nonce(settings, new_wallet):
    first, second = Chain(settings), Chain(settings)
    cash = first.core("cash_token")
    wallet = new_wallet().address
    second.transact(second.core("cash_token").functions.mint(wallet, 1))  # second learns its nonce
    for _ in range(3):  # first moves the account's nonce on behind second's back
        first.transact(cash.functions.mint(wallet, 1))
    receipt = second.transact(second.core("cash_token").functions.mint(wallet, 1))
    assert receipt["status"] == 1
    assert first.call(cash.functions.balanceOf(wallet)) == 5
