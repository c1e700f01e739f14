"""SettlementExchange on OpenZeppelin primitives, and the hand-written code that stayed, pinned.

The exchange recovers signers with ECDSA.tryRecover, hashes orders with abi.encode, computes the
cash amount with Math.mulDiv and calls its executeTransfers with try/catch (docs/gas.md has the
measurements). Two pieces of assembly stayed, each checked here against the plain version:
TrySafeERC20's transferFrom call (a plain Solidity call costs about 1.1% more per trade) and the
reuse of each trade's memory in settle(). A third check: order words with dirty bits revert, as
they did when the struct hash was assembly (abi.encode of the calldata struct validates them).
"""

import random

import pytest
from brownie import ScriptedReturnToken, TrySafeERC20Pin, web3
from eth_abi import encode
from helpers import E18, order, order_hash, order_tuple, settle_trades, trade

PRICE = 25 * 10**6
WORD_1 = (1).to_bytes(32, "big")


def library_rule(output: bytes, reverts: bool) -> bool:
    """What both versions must answer for a token contract ending transferFrom with `output`."""
    if reverts:
        return False
    if len(output) == 0:
        return True  # a token with code that returns nothing (USDT style) succeeded
    return len(output) >= 32 and output[:32] == WORD_1


def scripted_outputs() -> list[tuple[bytes, bool]]:
    """Edge cases, then random return data (fixed seed: a failure names its case)."""
    cases = [
        (b"", False),
        (b"", True),
        (WORD_1, False),
        (WORD_1, True),
        ((0).to_bytes(32, "big"), False),
        ((2).to_bytes(32, "big"), False),
        ((2**256 - 1).to_bytes(32, "big"), False),
        ((1 << 255 | 1).to_bytes(32, "big"), False),
        (WORD_1[:31], False),
        (WORD_1[1:], False),  # 31 bytes ending in 0x01
        (b"\x01", False),
        (WORD_1 + b"\xff" * 32, False),  # longer, first word 1
        (WORD_1 + b"\x00", False),
        ((0).to_bytes(32, "big") + WORD_1, False),  # longer, second word 1
        (encode(["string"], ["nope"]), False),
    ]
    rng = random.Random(20261204)
    for _ in range(40):
        length = rng.choice([0, 1, 31, 32, 33, 64, rng.randrange(0, 130)])
        output = bytes(rng.getrandbits(8) for _ in range(length))
        if length >= 32 and rng.random() < 0.5:
            output = WORD_1 + output[32:]
        cases.append((output, rng.random() < 0.2))
    return cases


@pytest.fixture(scope="module")
def pin(admin):
    return TrySafeERC20Pin.deploy({"from": admin})


@pytest.fixture(scope="module")
def scripted(admin):
    return ScriptedReturnToken.deploy({"from": admin})


def test_try_safe_transfer_from_agrees_with_the_plain_call_on_every_return(pin, scripted, admin, alice, bob):
    for output, reverts in scripted_outputs():
        scripted.script(output, reverts, {"from": admin})
        case = f"output=0x{output.hex()} reverts={reverts}"
        via_library = pin.viaLibrary.call(scripted, alice, bob, E18)
        via_plain = pin.viaPlainCall.call(scripted, alice, bob, E18)
        assert via_library == via_plain == library_rule(output, reverts), case


def test_try_safe_transfer_from_an_address_without_code_is_false(pin, alice, bob, mallory):
    assert pin.viaLibrary.call(mallory, alice, bob, E18) is False
    assert pin.viaPlainCall.call(mallory, alice, bob, E18) is False


def test_try_safe_transfer_from_moves_a_real_token_or_reports_why_not(pin, cash, admin, alice, bob):
    cash.mint(alice, 10 * 10**6, {"from": admin})
    assert pin.viaLibrary.call(cash, alice, bob, 10**6) is False  # no allowance: ERC-20 reverts
    assert pin.viaPlainCall.call(cash, alice, bob, 10**6) is False
    cash.approve(pin, 10**6, {"from": alice})
    assert pin.viaLibrary.call(cash, alice, bob, 10**6) is True
    assert pin.viaPlainCall.call(cash, alice, bob, 10**6) is True
    pin.viaLibrary(cash, alice, bob, 10**6, {"from": admin})
    assert cash.balanceOf(bob) == 10**6 and cash.balanceOf(alice) == 9 * 10**6


def _dirty_calls(exchange, o, signature):
    """(label, calldata) of hashOrder / verifyOrder / cancelOrder with one order word made dirty."""
    calls = {
        "hashOrder": exchange.hashOrder.encode_input(order_tuple(o)),
        "verifyOrder": exchange.verifyOrder.encode_input(order_tuple(o), signature),
        "cancelOrder": exchange.cancelOrder.encode_input(order_tuple(o)),
    }
    dirty = []
    for name, data in calls.items():
        raw = bytes.fromhex(data[2:])
        # the order is the first argument, in place: words 0 (trader), 1 (asset), 2 (isBuy)
        for word, label, value in ((0, "trader", b"\x01"), (1, "asset", b"\x80"), (2, "isBuy", None)):
            start = 4 + 32 * word
            if value is None:
                patched = raw[:start] + (2).to_bytes(32, "big") + raw[start + 32 :]
            else:
                patched = raw[:start] + value + raw[start + 1 :]
            dirty.append((f"{name} {label}", "0x" + patched.hex(), "0x" + raw.hex()))
    return dirty


def test_order_words_with_dirty_bits_revert_and_clean_ones_hash_as_eip712(exchange, market, sign, bob):
    o = order(bob, market, True, PRICE, 10 * E18)
    expected = order_hash(exchange, o)
    assert bytes(exchange.hashOrder(order_tuple(o))) == expected
    for label, dirty, clean in _dirty_calls(exchange, o, sign(o)):
        web3.eth.call({"to": exchange.address, "from": bob.address, "data": clean})  # the clean call works
        try:
            web3.eth.call({"to": exchange.address, "from": bob.address, "data": dirty})
        except ValueError as exc:  # the node's answer to a reverted eth_call
            assert "revert" in str(exc), label
            continue
        pytest.fail(f"{label}: a dirty word was accepted")


def test_a_long_batch_with_failures_in_between_gives_each_trade_its_own_outcome(
    exchange, market, cash, operator, sign, tid, alice, bob
):
    """settle() reuses each trade's memory for the next: in a batch mixing settled and failing
    trades, each must still get the outcome it gets alone (its code, fills and balances)."""
    trades, expected = [], []
    for i in range(12):
        buy = order(bob, market, True, PRICE, 10 * E18, nonce=100 + i)
        sell = order(alice, market, False, PRICE, 10 * E18, nonce=100 + i)
        buy_sig, sell_sig = sign(buy), sign(sell)
        if i % 4 == 1:
            buy_sig = buy_sig[:64] + b"\x1d"  # v 29: malformed, code 3
            expected.append(3)
        elif i % 4 == 2:
            sell_sig = sign(sell, signer=bob)  # wrong signer: code 4
            expected.append(4)
        elif i % 4 == 3:
            expected.append(7)
            trades.append(trade(i, buy, buy_sig, sell, sell_sig, PRICE + 1, E18))  # above the buy limit
            continue
        else:
            expected.append(0)
        trades.append(trade(i, buy, buy_sig, sell, sell_sig, PRICE, (i + 1) * E18))
    asset_before, cash_before = market.balanceOf(bob), cash.balanceOf(alice)
    tx = settle_trades(exchange, trades, {"from": operator})
    codes = {str(e["tradeId"]): e["code"] for e in tx.events["TradeFailed"]}
    settled = {str(e["tradeId"]) for e in tx.events["TradeSettled"]}
    outcome = [0 if tid(t) in settled else codes[tid(t)] for t in trades]
    assert outcome == expected
    quantity = sum(t[6] for t, code in zip(trades, expected, strict=True) if code == 0)
    assert market.balanceOf(bob) - asset_before == quantity
    assert cash.balanceOf(alice) - cash_before == PRICE * quantity // E18
    for t, code in zip(trades, expected, strict=True):
        assert exchange.filled(t[1]) == (t[6] if code == 0 else 0)
