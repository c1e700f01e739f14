"""The hand-encoded settlement trade id equals keccak256(abi.encode(address, uint256)) by eth-abi."""

from __future__ import annotations

import random

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak

from backend.trading.service import chain_trade_id


def test_chain_trade_id_equals_eth_abis_encoding():
    rng = random.Random(5)
    for _ in range(200):
        token = Account.create().address
        seq = rng.choice((0, 1, rng.randrange(2**32), rng.randrange(2**64), 2**256 - 1))
        expected = "0x" + keccak(abi_encode(["address", "uint256"], [token, seq])).hex()
        assert chain_trade_id(token, seq) == chain_trade_id(token.lower(), seq) == expected
