"""What is timed: settle() transactions of signed trades (trades/s, gas/trade), plain
transfers for scale, and the floors (batches whose trades all fail at one check)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from eth_utils import keccak
from hexbytes import HexBytes

from backend.settlement.packing import pack_trades
from bench.settlement.market import ASSET_UNIT, CASH_UNIT, Contracts
from bench.settlement.rpc import Rpc, receipts, send_all, wait_receipt
from bench.settlement.sender import Sender
from bench.signer import OrderSigner

PRICE = 25 * CASH_UNIT  # cash base units per whole asset unit
QUANTITY = 2 * ASSET_UNIT
TRADE_SETTLED = "0x" + keccak(text="TradeSettled(bytes32,bytes32,bytes32,uint256,uint256)").hex()
TRADE_FAILED = "0x" + keccak(text="TradeFailed(bytes32,uint8)").hex()


@dataclass
class Result:
    node: str
    batch: int
    trades: int
    settled: int
    failed: int
    seconds: float
    gas: int
    transactions: int
    spread: tuple[float, float] = (0.0, 0.0)  # slowest and fastest of the repeated runs

    @property
    def trades_per_second(self) -> float:
        return self.settled / self.seconds if self.seconds else 0.0

    @property
    def gas_per_trade(self) -> int:
        return self.gas // self.settled if self.settled else 0


# Each wallet's next nonce, per exchange: the venue hands every wallet its own sequence (1, 2, 3...),
# which is what the exchange's nonce bitmap is laid out for (128 nonces a storage word). Signing
# the trade's seq instead scattered a wallet's orders over a fresh word each (issue 17: that cost
# two fresh storage slots a trade that the venue never pays).
_NEXT_NONCE: dict[tuple[str, str], int] = {}


def _next_nonce(exchange: str, trader: str) -> int:
    nonce = _NEXT_NONCE.get((exchange, trader), 0) + 1
    _NEXT_NONCE[(exchange, trader)] = nonce
    return nonce


def make_trades(c: Contracts, signers: list[OrderSigner], addresses: list[str], count: int, seq: int) -> list[tuple]:
    """`count` trades between distinct investors, each between two fresh fully filled orders, each
    order with its wallet's next nonce."""
    n = len(addresses)
    asset = c.asset.address
    expiry = int(time.time()) + 86400
    trades = []
    for k in range(count):
        s = seq + k
        buyer = s % n
        seller = (buyer + 1 + (s // n) % (n - 1)) % n
        orders = []
        for who, is_buy in ((buyer, True), (seller, False)):
            nonce = _next_nonce(c.exchange.address, addresses[who])
            order = {
                "asset": asset,
                "is_buy": is_buy,
                "price": PRICE,
                "quantity": QUANTITY,
                "nonce": nonce,
                "expiry": expiry,
            }
            orders.append(
                ((addresses[who], asset, is_buy, PRICE, QUANTITY, nonce, expiry), HexBytes(signers[who].sign(**order)))
            )
        # Trade.seq: the contract derives the trade id from it and both orders' digests
        trades.append((s, orders[0][0], orders[0][1], orders[1][0], orders[1][1], PRICE, QUANTITY))
    return trades


def settle_timed(rpc: Rpc, c: Contracts, op: Sender, trades: list[tuple], batch: int) -> tuple[list[str], float]:
    """`trades` as settle() transactions of `batch` trades, signed before the clock starts, then
    sent back to back: their hashes, and the seconds from the first send to the last receipt."""
    raws = []
    for start in range(0, len(trades), batch):
        chunk = trades[start : start + batch]
        data = c.exchange.functions.settle(pack_trades(chunk))._encode_transaction_data()
        raws.append(op.sign(to=c.exchange.address, data=data, gas=min(29_000_000, 150_000 + 250_000 * len(chunk))))
    started = time.perf_counter()
    hashes = send_all(rpc, raws)
    wait_receipt(rpc, hashes[-1], poll=0.005)
    return hashes, time.perf_counter() - started


def measure(
    node: str,
    rpc: Rpc,
    c: Contracts,
    op: Sender,
    signers: list[OrderSigner],
    addresses: list[str],
    batch: int,
    count: int,
    seq: int,
) -> Result:
    trades = make_trades(c, signers, addresses, count, seq)
    hashes, seconds = settle_timed(rpc, c, op, trades, batch)
    found = receipts(rpc, hashes)
    settled = failed = gas = 0
    for receipt in found:
        if int(receipt["status"], 16) != 1:
            raise RuntimeError(f"settle() reverted: {receipt['transactionHash']}")
        gas += int(receipt["gasUsed"], 16)
        for entry in receipt["logs"]:
            topic = entry["topics"][0]
            settled += topic == TRADE_SETTLED
            failed += topic == TRADE_FAILED
    return Result(node, batch, count, settled, failed, seconds, gas, len(hashes))


def transfer_baseline(node: str, rpc: Rpc, c: Contracts, investors: list[Sender], count: int) -> Result:
    """Plain cash-token transfers (no compliance), one a transaction, sent the same way: what a
    transaction costs the node before any settlement work."""
    raws = []
    for k in range(count):
        sender, receiver = investors[k % len(investors)], investors[(k + 1) % len(investors)]
        raws.append(
            sender.sign(
                to=c.cash.address,
                gas=100_000,
                data=c.cash.functions.transfer(receiver.address, 1)._encode_transaction_data(),
            )
        )
    started = time.perf_counter()
    hashes = send_all(rpc, raws)
    for tx_hash in hashes[-len(investors) :]:  # the last transaction of every sender
        wait_receipt(rpc, tx_hash, poll=0.005)
    seconds = time.perf_counter() - started
    found = receipts(rpc, hashes)
    ok = sum(int(r["status"], 16) == 1 for r in found)
    gas = sum(int(r["gasUsed"], 16) for r in found)
    return Result(node, 0, count, ok, 0, seconds, gas, len(raws))


@dataclass
class Floor:
    """Node time per trade of a batch whose trades all fail at one check: what the checks
    before it cost, whatever moving the asset and cash would cost on top."""

    node: str
    what: str
    trades: int
    seconds: float

    @property
    def ms_per_trade(self) -> float:
        return 1000 * self.seconds / self.trades


# Trades that stop at a given check, from well-formed ones (make_trades):
FLOOR_VARIANTS = (
    (
        "decoded, checked and both orders hashed; stops at the buy signature (high s: no ecrecover)",
        lambda t: (t[0], t[1], bytes(t[2])[:32] + b"\xff" * 32 + bytes(t[2])[64:], t[3], t[4], t[5], t[6]),
        3,  # FAIL_BAD_BUY_SIGNATURE
    ),
    (
        "as above, plus both ecrecovers, expiry and both orders' fill and cancel records read; stops at "
        "the quantity (twice the orders')",
        lambda t: (t[0], t[1], t[2], t[3], t[4], t[5], 2 * t[6]),
        8,  # FAIL_QUANTITY
    ),
)


def measure_floors(
    node: str,
    rpc: Rpc,
    c: Contracts,
    op: Sender,
    signers: list[OrderSigner],
    addresses: list[str],
    batch: int,
    count: int,
    seq: int,
) -> list[Floor]:
    """Each FLOOR_VARIANT as batches of `batch` (settle_timed, as `measure`); checks that
    every trade failed with the expected code, so the figure is of exactly those checks."""
    floors = []
    count = max(batch, count // batch * batch)  # as many trades as the full figure, whole batches
    for what, spoil, code in FLOOR_VARIANTS:
        trades = [spoil(t) for t in make_trades(c, signers, addresses, count, seq)]
        seq += count
        hashes, seconds = settle_timed(rpc, c, op, trades, batch)
        codes = [
            int(entry["data"], 16)
            for receipt in receipts(rpc, hashes)
            for entry in receipt["logs"]
            if entry["topics"][0] == TRADE_FAILED
        ]
        if codes != [code] * count:
            raise RuntimeError(f"floor '{what}': expected {count} failures with code {code}, got {codes[:5]}...")
        floors.append(Floor(node, what, count, seconds))
    return floors
