"""The hand-encoded settlement trade id equals keccak256(abi.encode(bytes32, bytes32, uint256)) by
eth-abi (SettlementExchange.tradeIdOf; tests/integration/test_settlement_batches.py checks it
against the deployed contract), and it depends on both orders, not on the sequence number alone."""

from __future__ import annotations

import os
import random

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from backend.trading.projection import chain_trade_id


def _hash() -> str:
    return "0x" + os.urandom(32).hex()


def test_chain_trade_id_equals_eth_abis_encoding():
    rng = random.Random(5)
    for _ in range(200):
        buy, sell = _hash(), _hash()
        seq = rng.choice((0, 1, rng.randrange(2**32), rng.randrange(2**64), 2**256 - 1))
        expected = (
            "0x"
            + keccak(
                abi_encode(["bytes32", "bytes32", "uint256"], [bytes.fromhex(buy[2:]), bytes.fromhex(sell[2:]), seq])
            ).hex()
        )
        assert chain_trade_id(buy, sell, seq) == chain_trade_id(buy.upper().replace("0X", "0x"), sell, seq) == expected


def test_a_reused_sequence_number_with_other_orders_is_another_id():
    buy, sell, other = _hash(), _hash(), _hash()
    ids = {chain_trade_id(buy, sell, 7), chain_trade_id(other, sell, 7), chain_trade_id(buy, other, 7)}
    assert len(ids) == 3
    assert chain_trade_id(buy, sell, 7) != chain_trade_id(sell, buy, 7)  # the sides are not interchangeable
    assert chain_trade_id(buy, sell, 7) != chain_trade_id(buy, sell, 8)


@pytest.mark.parametrize(
    ("buy", "sell", "seq"),
    [
        ("0x" + "ab" * 31, "0x" + "cd" * 32, 1),
        ("0x" + "ab" * 32, "0x" + "cd" * 33, 1),
        ("0x" + "ab" * 32, "0x" + "cd" * 32, -1),
        ("0x" + "ab" * 32, "0x" + "cd" * 32, 2**256),
    ],
)
def test_malformed_input_is_refused(buy, sell, seq):
    with pytest.raises(ValueError):
        chain_trade_id(buy, sell, seq)
