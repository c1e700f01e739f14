"""The venue's own ledger: what every wallet should hold of each asset and of cash, from the
venue's records, never from the settlement transactions' own transfers.

Per token (each asset, and the cash token) and wallet, the expected balance at block `block` is
the sum of the movements the venue can account for:

- settled trades (TradeRecord, status settled): the DB's quantity and price, buyer and seller
  by the wallets that signed the orders. The transfers inside settlement transactions (any
  transaction in which the SettlementExchange emitted TradeSettled or TradeFailed) are not
  counted, so a settlement bug, netting included, shows up as a difference; and a settlement
  transaction whose transfers do not net to the trades it settled (by its TradeSettled ids, with
  the database's quantities and prices) has those transfers listed in `unexplained`;
- distributions (Distribution, confirmed): the issuer pays the amount to the RevenueDistributor.
  Cash paid into the distributor is taken from these rows, not from the chain; cash paid out of
  it counts only as a claim: the distributor's RevenueClaimed event in the same transaction,
  naming that holder and that amount (its accounting decides the amounts; a payout without
  its event is unexplained);
- issuance and the governance actions (mint, burn, forced transfer, wallet recovery): transfers
  in the transactions the venue's audit log records (AuditEntry.tx_hash). The log keeps no
  amounts, so these amounts are read from those transactions' Transfer events;
- test cash: mints of the cash token (only the operator holds its MINTER_ROLE: the faucet).

Any other transfer (a wallet sending tokens or cash directly, behind the venue's back) is not
counted: it is listed in `unexplained`, and the wallets it touched differ from the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hexbytes import HexBytes
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from web3 import Web3
from web3.exceptions import Web3RPCError

from backend.assets.service import list_assets
from backend.assets.units import cost_units, lots_units
from backend.chain.client import Chain
from backend.errors import Unavailable
from backend.models.assets import Asset
from backend.models.distributions import Distribution
from backend.models.governance import AuditEntry
from backend.models.settlement import TradeRecord
from backend.models.trading import Order
from backend.money import CASH_DECIMALS, to_units
from backend.statuses import UNSETTLED, DistributionStatus, SettlementStatus

CASH = "CASH"  # the cash token's row symbol
ZERO = "0x" + "0" * 40
TRANSFER_TOPIC = HexBytes(Web3.keccak(text="Transfer(address,address,uint256)"))
CLAIMED_TOPIC = HexBytes(Web3.keccak(text="RevenueClaimed(address,address,uint256)"))
MAX_LOG_RANGE = 5_000  # blocks per eth_getLogs request
# The exchange's events that mark a settle() transaction (a cancelOrder's OrderCancelled does not).
SETTLEMENT_EVENTS = ("TradeSettled", "TradeFailed")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Movement:
    """One Transfer event: `symbol` (an asset's or CASH) units from -> to, in `tx_hash`."""

    symbol: str
    sender: str
    receiver: str
    amount: int
    block: int
    tx_hash: str


@dataclass
class Ledger:
    block: int
    expected: dict[str, dict[str, int]] = field(default_factory=dict)  # symbol -> wallet -> units
    settling: dict[str, dict[str, int]] = field(default_factory=dict)  # net units of unsettled trades
    touched: dict[str, set[str]] = field(default_factory=dict)  # wallets any transfer touched
    unexplained: list[Movement] = field(default_factory=list)

    def add(self, symbol: str, wallet: str, units: int) -> None:
        if wallet != ZERO:
            per = self.expected.setdefault(symbol, {})
            per[wallet] = per.get(wallet, 0) + units

    def move(self, symbol: str, sender: str, receiver: str, units: int) -> None:
        self.add(symbol, sender, -units)
        self.add(symbol, receiver, units)


def build(
    session: Session, chain: Chain, *, block: int, symbols: set[str] | None = None, progress: Progress | None = None
) -> Ledger:
    """The ledger of every asset in `symbols` (all when None; CASH for cash) at `block`."""
    say = progress or (lambda _message: None)
    assets = {a.symbol: a for a in list_assets(session)}
    wanted = {s for s in assets if symbols is None or s in symbols}
    ledger = Ledger(block=block)
    contracts = chain.deployment.contracts
    exchange, distributor = (
        Web3.to_checksum_address(contracts[k]) for k in ("settlement_exchange", "revenue_distributor")
    )
    tokens: dict[str, str] = {Web3.to_checksum_address(assets[s].token_address): s for s in wanted}
    cash = symbols is None or CASH in symbols
    if cash:
        tokens[Web3.to_checksum_address(contracts["cash_token"])] = CASH
    settle_events = chain.core("settlement_exchange").events
    topics = [HexBytes(settle_events[name]().topic) for name in SETTLEMENT_EVENTS]  # TradeSettled first
    movements, settlement_txs, claims = _scan(
        chain, tokens, (exchange, topics), distributor, chain.deployment.block, block, say
    )
    audited = {h.lower() for h in session.exec(select(AuditEntry.tx_hash)) if h}
    in_settlements: dict[str, list[Movement]] = {}
    for m in movements:
        ledger.touched.setdefault(m.symbol, set()).update({m.sender, m.receiver} - {ZERO})
        if m.tx_hash in settlement_txs:
            in_settlements.setdefault(m.tx_hash, []).append(m)
            continue  # the DB's trades stand in for them (checked against them below)
        if m.symbol == CASH and m.receiver == distributor:
            continue  # a deposit: the Distribution rows stand in for it
        if m.symbol == CASH and m.sender == distributor:
            if _take_claim(claims, m):
                ledger.move(m.symbol, m.sender, m.receiver, m.amount)
            else:
                ledger.unexplained.append(m)  # cash out of the distributor that no claim explains
        elif m.tx_hash in audited or (m.symbol == CASH and m.sender == ZERO):
            ledger.move(m.symbol, m.sender, m.receiver, m.amount)
        else:
            ledger.unexplained.append(m)
    say("adding the settled trades and distributions of the database")
    _add_trades(session, chain, ledger, assets, wanted, set(settlement_txs), cash=cash)
    ledger.unexplained += _unrecorded_settlements(session, assets, set(tokens.values()), in_settlements, settlement_txs)
    if cash:
        _add_distributions(session, ledger, assets, distributor)
    return ledger


def _scan(
    chain: Chain,
    tokens: dict[str, str],
    settlement: tuple[str, list[HexBytes]],
    distributor: str,
    start: int,
    end: int,
    say: Progress,
) -> tuple[list[Movement], dict[str, set[str]], dict[str, list[tuple[str, int]]]]:
    """Transfer events of `tokens` in [start, end], the hashes of settlement transactions
    (those in which the exchange (`settlement`: its address and event topics) settled or failed
    a trade), and the distributor's claims per transaction (holder, amount)."""
    exchange, settle_topics = settlement
    movements: list[Movement] = []
    settlement_txs: dict[str, set[str]] = {}  # tx -> the trade ids it settled (TradeSettled)
    claims: dict[str, list[tuple[str, int]]] = {}
    addresses = [*tokens, exchange, distributor]
    first = start
    while first <= end:
        last = min(first + MAX_LOG_RANGE - 1, end)
        if end - start >= MAX_LOG_RANGE:
            say(f"scanning blocks {first}-{last} of {start}-{end}")
        try:
            logs = chain.logs(addresses=addresses, from_block=first, to_block=last)
        except (Web3RPCError, ValueError) as exc:  # e.g. a node that limits eth_getLogs ranges
            raise Unavailable(
                "chain.logs_refused", f"the node refused the logs of blocks {first}-{last}: {exc}"
            ) from None
        for log in logs:
            tx_hash = HexBytes(log["transactionHash"]).to_0x_hex().lower()
            address = Web3.to_checksum_address(log["address"])
            topics = log["topics"]
            if address == exchange:
                if topics and HexBytes(topics[0]) in settle_topics:
                    ids = settlement_txs.setdefault(tx_hash, set())
                    if HexBytes(topics[0]) == settle_topics[0] and len(topics) > 1:
                        ids.add(HexBytes(topics[1]).to_0x_hex())
                continue
            if address == distributor:
                if len(topics) == 3 and HexBytes(topics[0]) == CLAIMED_TOPIC:
                    amount = int.from_bytes(HexBytes(log["data"])[:32], "big")
                    claims.setdefault(tx_hash, []).append((_address(topics[2]), amount))
                if address not in tokens:
                    continue
            if len(topics) != 3 or HexBytes(topics[0]) != TRANSFER_TOPIC:
                continue
            movements.append(
                Movement(
                    symbol=tokens[address],
                    sender=_address(topics[1]),
                    receiver=_address(topics[2]),
                    amount=int.from_bytes(HexBytes(log["data"]), "big"),
                    block=int(log["blockNumber"]),
                    tx_hash=tx_hash,
                )
            )
        first = last + 1
    return movements, settlement_txs, claims


def _take_claim(claims: dict[str, list[tuple[str, int]]], m: Movement) -> bool:
    """Whether the distributor's RevenueClaimed in m's transaction names m's receiver and
    amount (each event explains one payout)."""
    pending = claims.get(m.tx_hash, [])
    if (m.receiver, m.amount) in pending:
        pending.remove((m.receiver, m.amount))
        return True
    return False


def _address(topic: bytes) -> str:
    return Web3.to_checksum_address(HexBytes(topic)[-20:])


def _add_trades(
    session: Session,
    chain: Chain,
    ledger: Ledger,
    assets: dict[str, Asset],
    wanted: set[str],
    mined: set[str],
    *,
    cash: bool,
) -> None:
    """Settled trades (mined by `ledger.block`) into expected; pending/submitted into settling."""
    query = _trades_with_wallets(SettlementStatus.SETTLED, *UNSETTLED)
    later: dict[str, bool] = {}  # settlement tx hash -> mined after ledger.block (or never)
    for trade, buyer, seller in session.exec(query):
        asset = assets.get(trade.symbol)
        if asset is None:
            continue
        settled = trade.settlement_status == SettlementStatus.SETTLED
        if settled and trade.tx_hash and trade.tx_hash.lower() not in mined:
            tx = trade.tx_hash.lower()
            if tx not in later:
                receipt = chain.receipt_or_none(tx)
                later[tx] = receipt is not None and int(receipt["blockNumber"]) > ledger.block
            if later[tx]:
                continue  # settled after the block we compare at
        book = ledger.expected if settled else ledger.settling
        if trade.symbol in wanted:
            _credit(book, trade.symbol, seller, buyer, lots_units(asset, trade.quantity_lots))
        if cash:
            _credit(book, CASH, buyer, seller, cost_units(asset, trade.price_ticks, trade.quantity_lots))


def _unrecorded_settlements(
    session: Session,
    assets: dict[str, Asset],
    symbols: set[str],
    transfers: dict[str, list[Movement]],
    settled_ids: dict[str, set[str]],
) -> list[Movement]:
    """The transfers of settlement transactions that the venue's settled trades do not account
    for: per transaction, token and wallet, the transfers' net against the net of the trades it
    settled (its TradeSettled events' ids, as recorded settled in the database, with the
    database's quantities and prices). A settle() of orders the venue never matched (or a
    netting bug) is then named by its transaction, not only seen as differing rows."""
    if not transfers:
        return []
    tx_of = {trade_id: tx for tx, ids in settled_ids.items() if tx in transfers for trade_id in ids}
    query = _trades_with_wallets(SettlementStatus.SETTLED)
    recorded: dict[str, dict[str, dict[str, int]]] = {}  # tx -> symbol -> wallet -> net units
    for trade, buyer, seller in session.exec(query):
        tx, asset = tx_of.get(trade.chain_trade_id or ""), assets.get(trade.symbol)
        if tx is None or asset is None:
            continue
        book = recorded.setdefault(tx, {})
        _credit(book, trade.symbol, seller, buyer, lots_units(asset, trade.quantity_lots))
        _credit(book, CASH, buyer, seller, cost_units(asset, trade.price_ticks, trade.quantity_lots))
    left: list[Movement] = []
    for tx, moves in transfers.items():
        actual: dict[str, dict[str, int]] = {}
        for m in moves:
            _credit(actual, m.symbol, m.sender, m.receiver, m.amount)
        expected = recorded.get(tx, {})
        differs = {
            (symbol, wallet)
            for symbol in symbols
            for wallet in set(actual.get(symbol, {})) | set(expected.get(symbol, {}))
            if actual.get(symbol, {}).get(wallet, 0) != expected.get(symbol, {}).get(wallet, 0)
        }
        left += [m for m in moves if (m.symbol, m.sender) in differs or (m.symbol, m.receiver) in differs]
    return left


def _trades_with_wallets(*statuses: str) -> Any:
    """Trades in `statuses` with their buyer's and seller's wallets (those that signed the orders)."""
    buy, sell = aliased(Order), aliased(Order)
    return (
        select(TradeRecord, buy.wallet, sell.wallet)
        .join(buy, col(TradeRecord.buy_order_id) == buy.id)
        .join(sell, col(TradeRecord.sell_order_id) == sell.id)
        .where(col(TradeRecord.settlement_status).in_(statuses))
    )


def _credit(book: dict[str, dict[str, int]], symbol: str, sender: str, receiver: str, units: int) -> None:
    per = book.setdefault(symbol, {})
    per[sender] = per.get(sender, 0) - units
    per[receiver] = per.get(receiver, 0) + units


def _add_distributions(session: Session, ledger: Ledger, assets: dict[str, Asset], distributor: str) -> None:
    rows = session.exec(
        select(Distribution).where(
            Distribution.status == DistributionStatus.CONFIRMED, col(Distribution.block_number) <= ledger.block
        )
    )
    for row in rows:
        asset = assets.get(row.symbol)
        if asset is not None:
            ledger.move(
                CASH,
                Web3.to_checksum_address(asset.issuer_wallet),
                distributor,
                to_units(Decimal(row.amount), CASH_DECIMALS),
            )
