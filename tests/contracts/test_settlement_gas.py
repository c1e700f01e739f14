"""Gas used by settle() for batches of 1, 10 and 50 trades (printed; run with -s to see it).

Every trade uses two fresh orders and so a fresh derived trade id (new storage slots: the
realistic case for a venue of distinct orders), alternating two sellers and two buyers.
"""

import pytest
from helpers import E18, order, trade

PRICE = 25 * 10**6
BLOCK_GAS_LIMIT = 30_000_000


@pytest.fixture(scope="module")
def make_batch(market, sign, alice, bob, carol, dave):
    counter = {"nonce": 1000}

    def _make(size):
        trades = []
        for i in range(size):
            counter["nonce"] += 1
            nonce = counter["nonce"]
            buyer, seller = (bob, alice) if i % 2 == 0 else (dave, carol)
            buy = order(buyer, market, True, PRICE, 10 * E18, nonce=nonce)
            sell = order(seller, market, False, PRICE, 10 * E18, nonce=nonce)
            trades.append(trade(nonce, buy, sign(buy), sell, sign(sell), PRICE, 10 * E18))
        return trades

    return _make


@pytest.mark.parametrize("size", [1, 10, 50])
def test_settle_gas(exchange, operator, make_batch, size):
    exchange.settle(make_batch(2), {"from": operator})  # warm up: buyers already hold the asset
    tx = exchange.settle(make_batch(size), {"from": operator})

    assert len(tx.events["TradeSettled"]) == size
    assert "TradeFailed" not in tx.events
    per_trade = tx.gas_used / size
    print(f"\nsettle() batch of {size:2d}: gas used {tx.gas_used:>10,}  ({per_trade:,.0f} per trade)")
    assert per_trade < 250_000
    assert tx.gas_used < BLOCK_GAS_LIMIT
