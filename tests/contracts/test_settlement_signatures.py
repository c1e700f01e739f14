"""SettlementExchange EIP-712 signatures: hashing, wrong signers, tampering, malformed input."""

import pytest
from brownie import SettlementExchange, chain
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from helpers import E18, ORDER_TYPES, PackingError, order, order_tuple, pack_trades, settle_trades, sign_order, trade

PRICE = 25 * 10**6
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@pytest.fixture(scope="module")
def orders(market, sign, alice, bob):
    buy = order(bob, market, True, PRICE, 100 * E18)
    sell = order(alice, market, False, PRICE, 100 * E18)
    return buy, sign(buy), sell, sign(sell)


def codes(tx):
    return [event["code"] for event in tx.events["TradeFailed"]] if "TradeFailed" in tx.events else []


def test_domain_and_order_hash_match_eip712(exchange, orders):
    buy = orders[0]
    domain = {"name": "RWA Settlement", "version": "1", "chainId": chain.id, "verifyingContract": exchange.address}
    message = encode_typed_data(domain_data=domain, message_types=ORDER_TYPES, message_data=buy)
    digest = keccak(b"\x19\x01" + message.header + message.body)
    assert exchange.hashOrder(order_tuple(buy)) == "0x" + digest.hex()
    assert exchange.domainSeparator() == "0x" + message.header.hex()
    type_string = (
        "Order(address trader,address asset,bool isBuy,uint256 price,uint256 quantity,uint256 nonce,uint256 expiry)"
    )
    assert exchange.ORDER_TYPEHASH() == "0x" + keccak(text=type_string).hex()
    fields = exchange.eip712Domain()
    assert (fields[1], fields[2], fields[3], fields[4]) == ("RWA Settlement", "1", chain.id, exchange.address)


def test_valid_signatures_settle(exchange, operator, orders, tid):
    buy, buy_sig, sell, sell_sig = orders
    t = trade(1, buy, buy_sig, sell, sell_sig, PRICE, E18)
    tx = settle_trades(exchange, [t], {"from": operator})
    assert codes(tx) == [] and exchange.settled(tid(t), t[0])


def test_buy_signed_by_someone_else_fails_with_code_3(exchange, operator, orders, sign, mallory):
    buy, _, sell, sell_sig = orders
    forged = sign(buy, signer=mallory)
    tx = settle_trades(exchange, [trade(1, buy, forged, sell, sell_sig, PRICE, E18)], {"from": operator})
    assert codes(tx) == [3]


def test_sell_signed_by_someone_else_fails_with_code_4(exchange, operator, orders, sign, bob):
    buy, buy_sig, sell, _ = orders
    forged = sign(sell, signer=bob)  # the buyer signs the seller's order
    tx = settle_trades(exchange, [trade(2, buy, buy_sig, sell, forged, PRICE, E18)], {"from": operator})
    assert codes(tx) == [4]


def test_tampered_order_fails(exchange, operator, orders):
    buy, buy_sig, sell, sell_sig = orders
    richer_buy = dict(buy, price=PRICE * 2)  # operator raises the buyer's limit
    bigger_sell = dict(sell, quantity=sell["quantity"] * 2)
    tx = settle_trades(
        exchange,
        [
            trade(3, richer_buy, buy_sig, sell, sell_sig, PRICE, E18),
            trade(4, buy, buy_sig, bigger_sell, sell_sig, PRICE, E18),
        ],
        {"from": operator},
    )
    assert codes(tx) == [3, 4]


def test_malformed_signatures_fail_without_reverting_the_batch(exchange, operator, orders, tid):
    buy, buy_sig, sell, sell_sig = orders
    r, s, v = buy_sig[:32], buy_sig[32:64], buy_sig[64]
    high_s = (SECP256K1_N - int.from_bytes(s, "big")).to_bytes(32, "big")
    # a signature of any other length than 65 bytes cannot even be sent (settle()'s records are
    # fixed-width): the encoder refuses it
    for wrong_length in (b"", buy_sig[:64], buy_sig + b"\x00"):
        with pytest.raises(PackingError):
            pack_trades([trade(1, buy, wrong_length, sell, sell_sig, PRICE, E18)])
    malformed = {
        "zero": b"\x00" * 65,
        "bad-v": r + s + bytes([v + 2]),
        "v-0-or-1": r + s + bytes([v - 27]),  # the contract takes v 27/28 only
        "malleable-high-s": r + high_s + bytes([55 - v]),  # the other valid-looking twin
        "garbage": b"\xff" * 65,
    }
    trades = [trade(seq, buy, sig, sell, sell_sig, PRICE, E18) for seq, sig in enumerate(malformed.values())]
    trades.append(trade(100, buy, buy_sig, sell, b"\x01" * 65, PRICE, E18))
    trades.append(trade(101, buy, buy_sig, sell, sell_sig, PRICE, E18))
    tx = settle_trades(exchange, trades, {"from": operator})
    assert codes(tx) == [3] * len(malformed) + [4]
    assert exchange.settled(tid(trades[-1]), trades[-1][0])


def test_signature_for_another_exchange_or_chain_fails(exchange, cash, admin, operator, orders, keys, alice, bob):
    buy, _, sell, sell_sig = orders
    other = SettlementExchange.deploy(cash, admin, {"from": admin})
    signed_elsewhere = sign_order(other, buy, keys[bob.address])
    domain = {"name": "RWA Settlement", "version": "1", "chainId": chain.id + 1, "verifyingContract": exchange.address}
    other_chain = bytes(Account.from_key(keys[bob.address]).sign_typed_data(domain, ORDER_TYPES, buy).signature)
    wrong_name = {
        "name": "RWA Settlement v2",
        "version": "1",
        "chainId": chain.id,
        "verifyingContract": exchange.address,
    }
    renamed = bytes(Account.from_key(keys[bob.address]).sign_typed_data(wrong_name, ORDER_TYPES, buy).signature)
    tx = settle_trades(
        exchange,
        [
            trade(5, buy, signed_elsewhere, sell, sell_sig, PRICE, E18),
            trade(6, buy, other_chain, sell, sell_sig, PRICE, E18),
            trade(7, buy, renamed, sell, sell_sig, PRICE, E18),
        ],
        {"from": operator},
    )
    assert codes(tx) == [3, 3, 3]


def test_personal_sign_of_the_digest_is_not_accepted(exchange, operator, orders, keys, bob):
    """Only the EIP-712 digest itself counts, not an eth_sign wrapping of it."""
    from eth_account.messages import encode_defunct

    buy, _, sell, sell_sig = orders
    digest = bytes(exchange.hashOrder(order_tuple(buy)))
    wrapped = bytes(Account.sign_message(encode_defunct(primitive=digest), keys[bob.address]).signature)
    tx = settle_trades(exchange, [trade(8, buy, wrapped, sell, sell_sig, PRICE, E18)], {"from": operator})
    assert codes(tx) == [3]


def test_check_order_first_failing_check_wins(exchange, operator, orders, sign, market, alice, bob):
    buy, buy_sig, sell, sell_sig = orders
    expired_buy = dict(buy, nonce=99, expiry=chain.time() - 100)
    expired_sig = sign(expired_buy)
    exchange.cancelOrder(order_tuple(expired_buy), {"from": bob})
    below_floor_sell = dict(sell, nonce=0)  # alice's floor becomes 1 below
    below_floor_sig = sign(below_floor_sell)
    exchange.cancelUpTo(1, {"from": alice})
    bad = b"\x01" * 65
    settled_first = trade(1, buy, buy_sig, sell, sell_sig, PRICE, E18)
    settle_trades(exchange, [settled_first], {"from": operator})
    tx = settle_trades(
        exchange,
        [
            # already settled (1) wins over everything: the same orders and seq again, with an
            # invalid price and quantity
            (settled_first[0], settled_first[1], settled_first[2], settled_first[3], settled_first[4], 0, 0),
            # invalid pair (2) wins over bad signatures (3, 4)
            trade(2, sell, bad, sell, bad, PRICE, E18),
            # bad buy signature (3) wins over bad sell signature (4)
            trade(3, buy, bad, sell, bad, PRICE, E18),
            # bad sell signature (4) wins over expiry (5)
            trade(4, expired_buy, expired_sig, sell, bad, PRICE, E18),
            # expiry (5) wins over cancellation (6) and price (7)
            trade(5, expired_buy, expired_sig, sell, sell_sig, PRICE * 9, E18),
            # below the nonce floor (6) wins over price (7)
            trade(6, buy, buy_sig, below_floor_sell, below_floor_sig, PRICE * 9, E18),
            # price (7) wins over quantity (8)
            trade(7, buy, buy_sig, sell, sell_sig, PRICE + 1, 0),
        ],
        {"from": operator},
    )
    assert codes(tx) == [1, 2, 3, 4, 5, 6, 7]
