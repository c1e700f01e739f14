"""settle()'s packed encoding (backend/settlement/packing.py), without a chain: the layout the
contract reads (tests/contracts/test_settlement_packed.py runs it against the contract), the
refusals, and the worker failing a trade the encoding cannot carry instead of sending it."""

from __future__ import annotations

import pytest

from backend.models.settlement import TradeRecord
from backend.settlement.encoding import Prepared, packed_batch
from backend.settlement.packing import ORDER_BYTES, TRADE_BYTES, PackingError, pack_trade, pack_trades, unpack_trades
from backend.settlement.worker import SettlementWorker
from backend.statuses import SettlementStatus

TRADER, OTHER, ASSET = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20
SIG = bytes(range(65))


def _trade(seq: int = 7, **buy_fields: int) -> tuple:
    buy = dict(price=25 * 10**6, quantity=10**19, nonce=3, expiry=1_900_000_000) | buy_fields
    buy_order = (TRADER, ASSET, True, buy["price"], buy["quantity"], buy["nonce"], buy["expiry"])
    sell_order = (OTHER, ASSET, False, 24 * 10**6, 10**19, 4, 1_900_000_001)
    return (seq, buy_order, SIG, sell_order, SIG[::-1], 25 * 10**6, 10**19)


def test_the_layout_is_fixed_width_big_endian():
    record = pack_trade(_trade())
    assert len(record) == TRADE_BYTES == 40 + 2 * ORDER_BYTES
    assert record[0:8] == (7).to_bytes(8, "big")
    assert record[8:24] == (25 * 10**6).to_bytes(16, "big") and record[24:40] == (10**19).to_bytes(16, "big")
    buy = record[40 : 40 + ORDER_BYTES]
    assert buy[0:20].hex() == "aa" * 20 and buy[20:40].hex() == "cc" * 20 and buy[40] == 1
    assert buy[73:81] == (3).to_bytes(8, "big") and buy[81:89] == (1_900_000_000).to_bytes(8, "big")
    assert buy[89:] == SIG
    assert record[40 + ORDER_BYTES + 40] == 0  # the sell order's isBuy


def test_unpack_inverts_pack():
    trades = [_trade(seq) for seq in (0, 1, 2**64 - 1)]
    for got, sent in zip(unpack_trades(pack_trades(trades)), trades, strict=True):
        assert got[0] == sent[0] and got[5:] == sent[5:] and got[2] == sent[2] and got[4] == sent[4]
        assert [v.lower() if isinstance(v, str) else v for v in got[1]] == list(sent[1])


@pytest.mark.parametrize(
    "trade",
    [
        _trade(seq=2**64),
        _trade(seq=-1),
        _trade(price=2**128),
        _trade(quantity=2**128),
        _trade(nonce=2**64),
        _trade(expiry=2**64),
        (1, _trade()[1], SIG[:64], _trade()[3], SIG, 1, 1),
        (1, ("0x" + "aa" * 19, *_trade()[1][1:]), SIG, _trade()[3], SIG, 1, 1),
    ],
)
def test_what_does_not_fit_is_refused_never_truncated(trade):
    with pytest.raises(PackingError):
        pack_trade(trade)


@pytest.mark.parametrize("cut", [1, TRADE_BYTES - 1])
def test_a_truncated_or_overlong_batch_does_not_unpack(cut):
    packed = pack_trades([_trade(), _trade(8)])
    for bad in (packed[:-cut], packed + bytes(cut)):
        with pytest.raises(PackingError):
            unpack_trades(bad)


def test_the_worker_fails_a_trade_it_cannot_pack_and_sends_the_rest():
    def record(seq: int) -> TradeRecord:
        return TradeRecord(
            id=f"t{seq}", symbol="X", trade_seq=seq, chain_trade_id="0x", buy_order_id="b", sell_order_id="s",
            buyer_investor_id=1, seller_investor_id=2, taker_side="buy", price_ticks=1, quantity_lots=1,
        )  # fmt: skip

    good = Prepared(record(1), _trade(1), pack_trade(_trade(1)))
    bad = Prepared(record(2), _trade(2**64), None, "settle() cannot carry this trade: seq too wide")
    worker = SettlementWorker(None, None, None)  # _unsendable needs none of them
    assert worker._unsendable([good, bad]) == 1
    assert bad.trade.settlement_status == SettlementStatus.FAILED
    assert bad.trade.failure_reason == "settle() cannot carry this trade: seq too wide"
    assert good.trade.settlement_status == SettlementStatus.PENDING
    assert packed_batch([good]) == good.packed
