"""SettlementExchange.verifyOrder: settle()'s signature verdict as a view, and the same answer.

Accepted: 65 bytes (r, s, v), v in {27, 28}, s in the lower half of the curve order, recovering
to order.trader. Everything else is refused, by the view and by settle() (codes 3 and 4) alike.
"""

import pytest
from brownie import chain
from eth_account import Account
from helpers import E18, ORDER_TYPES, order, order_tuple, settle_trades, trade

PRICE = 25 * 10**6
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@pytest.fixture(scope="module")
def orders(market, sign, alice, bob):
    buy = order(bob, market, True, PRICE, 100 * E18)
    sell = order(alice, market, False, PRICE, 100 * E18)
    return buy, sign(buy), sell, sign(sell)


@pytest.fixture(scope="module")
def variants(orders, sign, keys, exchange, mallory, bob):
    """label -> (signature of the buy order, expected verdict)."""
    buy, buy_sig, _, _ = orders
    r, s, v = buy_sig[:32], buy_sig[32:64], buy_sig[64]
    high_s = (SECP256K1_N - int.from_bytes(s, "big")).to_bytes(32, "big")
    other_domain = {"name": "RWA Settlement", "version": "2", "chainId": chain.id, "verifyingContract": str(exchange)}
    wrong_domain = bytes(Account.from_key(keys[bob.address]).sign_typed_data(other_domain, ORDER_TYPES, buy).signature)
    return {
        "good": (buy_sig, True),
        "high-s twin": (r + high_s + bytes([55 - v]), False),  # recovers to bob, but malleable
        "v 0/1": (r + s + bytes([v - 27]), False),
        "v 29/30": (r + s + bytes([v + 2]), False),
        "wrong signer": (sign(buy, signer=mallory), False),
        "wrong domain": (wrong_domain, False),
        "64 bytes": (buy_sig[:64], False),
        "66 bytes": (buy_sig + b"\x00", False),
        "empty": (b"", False),
        "zeros": (b"\x00" * 65, False),
    }


def test_high_s_twin_and_v_0_1_recover_the_trader_off_chain(exchange, orders, variants, bob):
    """Both refused variants are real signatures by bob: the refusal is the canonical-form rule
    (low s, v 27/28), not a broken signature."""
    from eth_keys import keys as eth_keys

    digest = bytes(exchange.hashOrder(order_tuple(orders[0])))
    for label in ("high-s twin", "v 0/1"):
        sig = variants[label][0]
        r, s, v = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]
        signature = eth_keys.Signature(vrs=(v % 27, r, s))
        assert signature.recover_public_key_from_msg_hash(digest).to_checksum_address() == bob.address
    assert int.from_bytes(variants["high-s twin"][0][32:64], "big") > SECP256K1_N // 2


def test_verify_order_gives_each_verdict_and_the_digest(exchange, orders, variants):
    buy = order_tuple(orders[0])
    digest = exchange.hashOrder(buy)
    for label, (signature, expected) in variants.items():
        valid, order_hash = exchange.verifyOrder(buy, signature)
        assert (label, valid) == (label, expected)
        assert order_hash == digest


def test_verify_order_checks_the_trader_not_any_signer(exchange, orders, sign, mallory):
    buy = orders[0]
    as_mallory = dict(buy, trader=str(mallory))
    mallory_sig = sign(as_mallory)
    assert exchange.verifyOrder(order_tuple(as_mallory), mallory_sig)[0]
    assert not exchange.verifyOrder(order_tuple(buy), mallory_sig)[0]


def test_verify_order_agrees_with_settle_codes_3_and_4(exchange, operator, orders, variants):
    """Every variant as the buy signature and as the sell signature: a False verdict is exactly
    the trade failing with code 3 (or 4); a True verdict is the trade settling."""
    buy, buy_sig, sell, sell_sig = orders
    sell_r, sell_s, sell_v = sell_sig[:32], sell_sig[32:64], sell_sig[64]
    sell_high_s = (SECP256K1_N - int.from_bytes(sell_s, "big")).to_bytes(32, "big")
    sell_variants = {
        "good": sell_sig,
        "high-s twin": sell_r + sell_high_s + bytes([55 - sell_v]),
        "v 0/1": sell_r + sell_s + bytes([sell_v - 27]),
        "64 bytes": sell_sig[:64],
        "wrong signer": buy_sig,
    }
    trades, expected = [], []
    for seq, (signature, _) in enumerate(variants.values(), start=1):
        if len(signature) != 65:
            continue  # settle()'s fixed-width records cannot carry it (verifyOrder says False)
        valid, _ = exchange.verifyOrder(order_tuple(buy), signature)
        trades.append(trade(seq, buy, signature, sell, sell_sig, PRICE, E18))
        expected.append(0 if valid else 3)
    for seq, signature in enumerate(sell_variants.values(), start=100):
        if len(signature) != 65:
            continue
        valid, _ = exchange.verifyOrder(order_tuple(sell), signature)
        trades.append(trade(seq, buy, buy_sig, sell, signature, PRICE, E18))
        expected.append(0 if valid else 4)

    tx = settle_trades(exchange, trades, {"from": operator})
    outcomes = []
    for event in tx.events:
        if event.name == "TradeSettled":
            outcomes.append(0)
        elif event.name == "TradeFailed":
            outcomes.append(event["code"])
    assert outcomes == expected
    assert expected.count(0) == 2  # only the two good signatures settled
