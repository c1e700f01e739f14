"""The load generator's fast order signer makes exactly eth-account's signatures."""

from __future__ import annotations

import secrets

from eth_account import Account

from backend.trading.signing import recover_signer, sign, typed_data
from bench.signer import OrderSigner


def test_fast_signatures_equal_eth_accounts_and_recover_to_the_trader():
    exchange, asset = Account.create().address, Account.create().address
    for is_buy, price, expiry in ((True, 12_500_000, 0), (False, 1, 2**40), (True, 2**256 - 1, 17)):
        account = Account.create()
        order = {
            "asset": asset,
            "is_buy": is_buy,
            "price": price,
            "quantity": 3 * 10**18,
            "nonce": secrets.randbits(128),
            "expiry": expiry,
        }
        data = typed_data(chain_id=1337, exchange=exchange, trader=account.address, **order)
        fast = OrderSigner(account.key.to_0x_hex(), chain_id=1337, exchange=exchange, trader=account.address)
        signature = fast.sign(**order)
        assert signature == sign(data, account.key.to_0x_hex())
        assert recover_signer(data, signature) == account.address
