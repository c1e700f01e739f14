"""settle()'s packed calldata (issue 17): malformed bytes revert the whole batch, never mis-read.

The encoder is the backend's (backend/settlement/packing.py): TRADE_BYTES a trade, fixed-width
big-endian fields. A batch that is no whole number of records (truncated, overlong), or whose
isBuy byte is neither 0 nor 1, reverts SettlementExchangeMalformedBatch and moves nothing; the
widest values each field carries settle with the digest the wallet signed.
"""

import pytest
from helpers import E18, order, pack_trades, reverts, settle_trades, trade, trade_id_of

from backend.settlement.packing import ORDER_BYTES, TRADE_BYTES, PackingError, unpack_trades

PRICE = 25 * 10**6
BUY_IS_BUY_AT = 40 + 40  # the buy order starts at byte 40; its isBuy byte is its 41st
SELL_IS_BUY_AT = 40 + ORDER_BYTES + 40


@pytest.fixture
def batch(market, sign, alice, bob, carol, dave):
    """Two good trades, packed."""
    trades = []
    for seq, (buyer, seller) in enumerate(((bob, alice), (dave, carol)), start=1):
        buy = order(buyer, market, True, PRICE, E18, nonce=seq)
        sell = order(seller, market, False, PRICE, E18, nonce=seq)
        trades.append(trade(seq, buy, sign(buy), sell, sign(sell), PRICE, E18))
    return trades, pack_trades(trades)


def test_the_contract_says_the_record_size(exchange):
    assert exchange.TRADE_BYTES() == TRADE_BYTES == 40 + 2 * ORDER_BYTES


def test_a_good_packed_batch_settles_and_unpacks_to_its_trades(exchange, operator, batch):
    trades, packed = batch
    assert len(packed) == 2 * TRADE_BYTES
    assert [(t[0], t[5], t[6]) for t in unpack_trades(packed)] == [(t[0], t[5], t[6]) for t in trades]
    tx = exchange.settle(packed, {"from": operator})
    assert [e["tradeId"] for e in tx.events["TradeSettled"]] == [trade_id_of(exchange, t) for t in trades]


@pytest.mark.parametrize("cut", [1, TRADE_BYTES - 1, TRADE_BYTES + 1])
def test_truncated_or_overlong_calldata_reverts_the_batch(exchange, market, operator, batch, alice, cut):
    _, packed = batch
    before = market.balanceOf(alice)
    with reverts("SettlementExchangeMalformedBatch()"):
        exchange.settle(packed[:-cut], {"from": operator})
    with reverts("SettlementExchangeMalformedBatch()"):
        exchange.settle(packed + b"\x00" * cut, {"from": operator})
    assert market.balanceOf(alice) == before


@pytest.mark.parametrize("at", [BUY_IS_BUY_AT, SELL_IS_BUY_AT, TRADE_BYTES + BUY_IS_BUY_AT])
def test_an_is_buy_byte_other_than_0_or_1_reverts_the_batch(exchange, market, operator, batch, alice, at):
    """No two encodings of one order: 2 is not read as true."""
    _, packed = batch
    bad = packed[:at] + b"\x02" + packed[at + 1 :]
    with reverts("SettlementExchangeMalformedBatch()"):
        exchange.settle(bad, {"from": operator})
    with pytest.raises(PackingError):
        unpack_trades(bad)


def test_an_empty_batch_settles_nothing(exchange, operator):
    tx = exchange.settle(b"", {"from": operator})
    assert "TradeSettled" not in tx.events and "TradeFailed" not in tx.events


def test_the_widest_values_settle_with_the_signed_digest(exchange, market, operator, sign, alice, bob):
    """nonce and expiry at 2**64 - 1, an order quantity at 2**128 - 1: the contract widens each
    field back to uint256 and derives the same id as eth_account's digest of the typed struct."""
    top64, top128 = 2**64 - 1, 2**128 - 1
    buy = order(bob, market, True, top128, top128, nonce=top64, expiry=top64)
    sell = order(alice, market, False, PRICE, top128, nonce=top64 - 1, expiry=top64)
    t = trade(2**64 - 1, buy, sign(buy), sell, sign(sell), PRICE, E18)
    tx = settle_trades(exchange, [t], {"from": operator})
    assert [e["tradeId"] for e in tx.events["TradeSettled"]] == [trade_id_of(exchange, t)]


@pytest.mark.parametrize(
    "field, value",
    [("price", 2**128), ("quantity", 2**128), ("nonce", 2**64), ("expiry", 2**64), ("price", -1)],
)
def test_a_value_past_its_field_is_refused_by_the_encoder(market, alice, bob, field, value):
    buy = dict(order(bob, market, True, PRICE, E18), **{field: value})
    sell = order(alice, market, False, PRICE, E18)
    with pytest.raises(PackingError):
        pack_trades([trade(1, buy, b"\x01" * 65, sell, b"\x01" * 65, PRICE, E18)])
    with pytest.raises(PackingError):
        pack_trades([trade(2**64, sell, b"\x01" * 65, sell, b"\x01" * 65, PRICE, E18)])


def _random_order_record(rng, is_buy_byte: int) -> bytes:
    record = bytearray(rng.randbytes(ORDER_BYTES))
    record[40] = is_buy_byte
    return bytes(record)


def test_the_assembly_readers_match_the_plain_solidity_ones(PackedBatchReader, admin):
    """PackedBatch.order, .seq and .fill (assembly, what settle() runs) against orderPlain, seqPlain
    and fillPlain (calldata slices, abi.encode) on random records, edges included: the same Order,
    the same struct hash (and that hash is abi.encode's of the Order), the same header; both
    revert alike on an isBuy byte past 1."""
    import random

    reader = PackedBatchReader.deploy({"from": admin})
    rng = random.Random(17)
    records = [_random_order_record(rng, rng.choice((0, 1))) for _ in range(40)]
    records += [b"\x00" * 40 + b"\x01" + b"\x00" * 113, b"\xff" * 40 + b"\x00" + b"\xff" * 113]
    for record in records:
        fast, plain = reader.order(record), reader.orderPlain(record)
        assert fast == plain
        assert fast[1] == reader.structHashOf(fast[0])
        assert unpack_trades(b"\x00" * 40 + record + record)[0][1] == tuple(
            str(v) if i < 2 else v for i, v in enumerate(fast[0])
        )
    for _ in range(20):
        trade_record = rng.randbytes(TRADE_BYTES)
        assert reader.header(trade_record) == reader.headerPlain(trade_record)
    for is_buy_byte in (2, 0x80, 0xFF):
        record = _random_order_record(rng, is_buy_byte)
        for read in (reader.order, reader.orderPlain):
            with reverts("SettlementExchangeMalformedBatch()"):
                read(record)
