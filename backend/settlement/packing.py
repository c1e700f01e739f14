"""settle()'s calldata: a batch of trades packed back to back (ISettlementExchange.settle).

A trade is what `encoding.trade_struct` builds, (seq, buy, buySignature, sell, sellSignature,
price, quantity), with each order the EIP-712 `Order` its wallet signed, (trader, asset, isBuy,
price, quantity, nonce, expiry). Packed, big-endian, TRADE_BYTES (348) a trade:

    seq uint64 | price uint128 | quantity uint128 | buy order | sell order
    order (154): trader 20 | asset 20 | isBuy 1 | price 16 | quantity 16 | nonce 8 | expiry 8 |
                 signature 65 (r s v)

The contract widens the fields back to the Order's uint256 and hashes the typed struct, so the
signed message is unchanged. Order entry keeps every field inside its width: a signed nonce past
2**64 - 1 is refused (backend/api/routes/orders.py), expiries are near now, prices and
quantities are at most 2**63 - 1 ticks or lots and the funds checks bound them far lower (2**128
base units would be 2**63 lots of 37 whole tokens, or a tick of 3.7e19 cash units). A value that
does not fit is refused here (`PackingError`, the worker fails the trade unsent), never truncated.
Pure Python, no chain or database: the contract tests and the bench share it with the worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils import to_checksum_address

TRADE_BYTES = 348
ORDER_BYTES = 154
SIGNATURE_BYTES = 65
_U64, _U128 = 8, 16


class PackingError(ValueError):
    """A trade that the packed encoding cannot carry (a field past its width, a signature not
    65 bytes long, an address not 20 bytes)."""


def _uint(value: int, width: int, name: str) -> bytes:
    value = int(value)
    if not 0 <= value < 1 << (8 * width):
        raise PackingError(f"{name} {value} does not fit in {8 * width} bits")
    return value.to_bytes(width, "big")


def _address(value: Any, name: str) -> bytes:
    raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
    if len(raw) != 20:
        raise PackingError(f"{name} is not a 20-byte address")
    return raw


def pack_order(order: Sequence[Any], signature: bytes) -> bytes:
    """One order record: the `Order` tuple (trader, asset, isBuy, price, quantity, nonce, expiry)
    and its signature."""
    trader, asset, is_buy, price, quantity, nonce, expiry = order
    signature = bytes(signature)
    if len(signature) != SIGNATURE_BYTES:
        # the contract would refuse it anyway (code 3 or 4); a fixed-width record cannot hold it
        raise PackingError(f"a signature of {len(signature)} bytes, not {SIGNATURE_BYTES}")
    return b"".join(
        (
            _address(trader, "trader"),
            _address(asset, "asset"),
            b"\x01" if is_buy else b"\x00",
            _uint(price, _U128, "order price"),
            _uint(quantity, _U128, "order quantity"),
            _uint(nonce, _U64, "nonce"),
            _uint(expiry, _U64, "expiry"),
            signature,
        )
    )


def pack_trade(trade: Sequence[Any]) -> bytes:
    """One trade record from settle()'s trade tuple."""
    seq, buy, buy_signature, sell, sell_signature, price, quantity = trade
    return b"".join(
        (
            _uint(seq, _U64, "seq"),
            _uint(price, _U128, "price"),
            _uint(quantity, _U128, "quantity"),
            pack_order(buy, buy_signature),
            pack_order(sell, sell_signature),
        )
    )


def pack_trades(trades: Sequence[Sequence[Any]]) -> bytes:
    """settle()'s argument: the trades' records back to back."""
    return b"".join(pack_trade(t) for t in trades)


def _order_of(record: bytes) -> tuple[tuple[Any, ...], bytes]:
    def uint(at: int, width: int) -> int:
        return int.from_bytes(record[at : at + width], "big")

    order = (
        to_checksum_address(record[0:20]),
        to_checksum_address(record[20:40]),
        record[40] == 1,
        uint(41, _U128),
        uint(57, _U128),
        uint(73, _U64),
        uint(81, _U64),
    )
    return order, bytes(record[89:ORDER_BYTES])


def unpack_trades(data: bytes) -> list[tuple[Any, ...]]:
    """The trade tuples of a packed batch (checksummed addresses): what the contract reads.
    Raises PackingError where the contract reverts the batch (a length that is no multiple of
    TRADE_BYTES, an isBuy byte other than 0 or 1)."""
    data = bytes(data)
    if len(data) % TRADE_BYTES:
        raise PackingError(f"{len(data)} bytes is no whole number of {TRADE_BYTES}-byte trades")
    trades = []
    for at in range(0, len(data), TRADE_BYTES):
        record = data[at : at + TRADE_BYTES]
        buy_at, sell_at = 40, 40 + ORDER_BYTES
        if record[buy_at + 40] > 1 or record[sell_at + 40] > 1:
            raise PackingError(f"trade at byte {at}: an isBuy byte other than 0 or 1")
        buy, buy_signature = _order_of(record[buy_at:sell_at])
        sell, sell_signature = _order_of(record[sell_at:])
        seq = int.from_bytes(record[0:8], "big")
        price = int.from_bytes(record[8:24], "big")
        quantity = int.from_bytes(record[24:40], "big")
        trades.append((seq, buy, buy_signature, sell, sell_signature, price, quantity))
    return trades
