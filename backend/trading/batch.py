"""Batch order entry: one investor's orders placed (or cancelled) together, each answered on its own.

The batch shares what order entry reads and writes once per request: the investor's lock,
each market's disclosures, one compliance snapshot and one funds reading per token (each
accepted order counts as committed for the ones after it), one query for client_order_id and
nonce clashes, one UPDATE of the wallet's nonce sequence, and one database commit (group
commit: the batch's journal, order and trade rows are durable together, before any of its
answers leave), its rows written with one INSERT a table (projection.Rows). A bad order is
answered with its error and never fails its neighbours; a failure of the database fails the
batch as a whole (nothing of it committed; the engines rebuilt from the journal).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from backend.assets.service import get_asset
from backend.chain.client import Chain
from backend.clock import utcnow
from backend.errors import Conflict, DomainError, NotFound
from backend.matching import CancelOrder
from backend.models.compliance import Investor
from backend.models.trading import Order, WalletNonce
from backend.statuses import OPEN_STATUSES, OrderStatus
from backend.trading import reservations, terms
from backend.trading.dispatch import FeedMessage, rebuild_after_failure, run_command
from backend.trading.entry import (
    Checked,
    OrderRequest,
    Placed,
    check_order,
    duplicate_nonce,
    new_order_columns,
    sequence,
)
from backend.trading.funds import BatchFunds
from backend.trading.pretrade import ComplianceSnapshot, check_order_compliance
from backend.trading.projection import Rows, detached
from backend.trading.sequencer import Market, Venue, now_ns

MAX_BATCH = 50  # orders (or cancels) a batch request may carry: POST /v1/orders/batch, rwa orders place-batch

Result = Placed | DomainError


def place_orders(
    session: Session, chain: Chain, venue: Venue, investor: Investor, reqs: list[OrderRequest]
) -> list[Result]:
    """Place `reqs` in their order; one result per request: its Placed (created False: a
    client_order_id seen before, in the database or earlier in this batch) or its DomainError.
    Every order answered Placed is committed before this returns."""
    results: list[Result | None] = [None] * len(reqs)
    first_of: dict[str, int] = {}  # client_order_id -> the index of its first request in the batch
    repeats: dict[int, int] = {}
    checked: dict[int, Checked] = {}
    known = _known_client_ids(session, investor, reqs)
    missing: dict[str, list[str]] = {}  # each market's disclosures, looked up once for the batch
    # Held for the batch: the identity map keeps only what someone holds, and every order's
    # nonce check reads this row (terms.check_nonce_floor).
    nonce_row = session.get(WalletNonce, investor.wallet)  # noqa: F841
    for i, req in enumerate(reqs):  # what needs no lock: terms, disclosures, standing, signature
        cid = req.client_order_id
        if cid and cid in known:
            results[i] = Placed(known[cid], False, None)
        elif cid and cid in first_of:
            repeats[i] = first_of[cid]
        else:
            if cid:
                first_of[cid] = i
            try:
                checked[i] = check_order(session, chain, venue, investor, req, missing)
            except DomainError as exc:
                results[i] = exc
    if checked:
        with venue.investor_lock(investor.id):  # type: ignore[arg-type]
            _place_checked(session, chain, venue, investor, checked, results)
    for i, first in repeats.items():
        found = results[first]
        results[i] = Placed(found.order, False, None) if isinstance(found, Placed) else found
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _place_checked(
    session: Session,
    chain: Chain,
    venue: Venue,
    investor: Investor,
    checked: dict[int, Checked],
    results: list[Result | None],
) -> None:
    """Under the investor's lock: clashes, compliance and funds order by order (reads only),
    then every accepted order sequenced under its market's lock and all committed at once.
    Nothing is written before the markets' locks are held: a write takes SQLite's write lock,
    and another thread holding a market's lock waits for that one (a lock-order deadlock)."""
    clashing, taken = _clashes(session, investor, list(checked.values()))
    compliance = ComplianceSnapshot()
    wallet = BatchFunds(session, chain, venue.balances, investor, compliance)
    markets: dict[str, Market] = {}
    accepted: list[tuple[int, Checked, Order]] = []
    order_ids = _order_ids(len(checked))
    for i, one in checked.items():
        prep, nonce = one.prep, str(one.prep.typed["message"]["nonce"])
        existing = taken.get(one.req.client_order_id or "")
        if existing is not None:  # a concurrent retry of this client_order_id won: its order
            results[i] = Placed(existing, False, None)
            continue
        try:
            if nonce in clashing:  # a signature is good for one order (see place_order)
                raise duplicate_nonce()
            units = reservations.lots_units(prep.asset, prep.quantity_lots)
            check_order_compliance(
                session, investor=investor, asset=prep.asset, side=prep.side, quantity_units=units, snapshot=compliance
            )
            market = markets.get(prep.asset.symbol) or venue.market(session, prep.asset.symbol)
            error = wallet.check(
                asset=prep.asset, side=prep.side, limit_ticks=prep.limit_ticks, lots=prep.quantity_lots
            )
            if error is not None:
                raise error
        except DomainError as exc:
            results[i] = exc
            continue
        clashing.add(nonce)
        compliance.accept(prep.asset, prep.side, units)
        markets[prep.asset.symbol] = market
        accepted.append((i, one, _new_order(investor, one, next(order_ids))))
    if not accepted:
        return
    outbox: list[FeedMessage] = []
    with ExitStack() as locks:
        for symbol in sorted(markets):  # one order of locking for every batch
            locks.enter_context(markets[symbol].lock)
        pending: dict[str, Order] = {}  # the batch's orders, unwritten: a later one may trade with or cancel them
        rows, nonces = Rows(), list[int]()
        try:
            wallet.write_snapshots()  # only now: the database's write lock after the markets' locks
            for i, one, order in accepted:
                rows.orders.append(order)
                market = markets[one.prep.asset.symbol]
                rejection, fills = sequence(
                    session,
                    venue,
                    market,
                    investor,
                    one,
                    order,
                    commit=False,
                    outbox=outbox,
                    pending=pending,
                    rows=rows,
                    nonces=nonces,
                )
                pending[order.id] = order
                results[i] = rejection if rejection is not None else Placed(order, True, fills)
            sequenced = [n for n in nonces if n < terms.MAX_SEQUENCE_NONCE]  # what pass_nonce would keep
            if sequenced:  # one UPDATE for the batch: the sequence ahead of the highest
                terms.pass_nonce(session, investor.wallet, max(sequenced))
            rows.write(session)  # one INSERT each for the batch's journal entries, orders and trades
            session.commit()  # the group commit: every journal, order and trade row of the batch at once
        except BaseException:
            rebuild_after_failure(session, venue, list(markets.values()))
            raise
        for symbol, message in outbox:  # still under the markets' locks: in sequence order
            venue.feed.publish(symbol, message)


# Built once with bind parameters (building the expressions costs more than running them).
_SAME_CLIENT_IDS = (col(Order.investor_id) == bindparam("investor_id")) & col(Order.client_order_id).in_(
    bindparam("ids", expanding=True)
)
_SAME_NONCES = (col(Order.wallet) == bindparam("wallet")) & col(Order.nonce).in_(bindparam("nonces", expanding=True))
_BY_CLIENT_IDS = select(Order).where(_SAME_CLIENT_IDS)
_CLASHES = select(Order).where(_SAME_NONCES)
_CLASHES_OR_CLIENT_IDS = select(Order).where(_SAME_NONCES | _SAME_CLIENT_IDS)


def _known_client_ids(session: Session, investor: Investor, reqs: list[OrderRequest]) -> dict[str, Order]:
    """The investor's orders already placed under any client_order_id of the batch (one query)."""
    ids = sorted({r.client_order_id for r in reqs if r.client_order_id})
    if not ids:
        return {}
    rows = session.exec(_BY_CLIENT_IDS, params={"investor_id": investor.id, "ids": ids}).all()
    return {row.client_order_id: row for row in rows if row.client_order_id}


def _clashes(session: Session, investor: Investor, checked: list[Checked]) -> tuple[set[str], dict[str, Order]]:
    """Under the investor's lock, one query: the nonces of the batch this wallet has used for an
    order already, and the orders that took a client_order_id of the batch meanwhile."""
    nonces = sorted({str(c.prep.typed["message"]["nonce"]) for c in checked})
    ids = sorted({c.req.client_order_id for c in checked if c.req.client_order_id})
    params = {"wallet": investor.wallet, "nonces": nonces, "investor_id": investor.id, "ids": ids}
    rows = session.exec(_CLASHES_OR_CLIENT_IDS if ids else _CLASHES, params=params).all()
    taken = {r.client_order_id: r for r in rows if r.investor_id == investor.id and r.client_order_id in ids}
    return {r.nonce for r in rows if r.wallet == investor.wallet}, taken


def _order_ids(count: int) -> Iterator[str]:
    """`count` uuid4 order ids from one read of the system's randomness (uuid4 makes a system
    call an order: 3.7 % of py-spy's samples of the served batch endpoint)."""
    random = os.urandom(16 * count)
    return (uuid.UUID(bytes=random[i : i + 16], version=4).hex for i in range(0, 16 * count, 16))


def _new_order(investor: Investor, checked: Checked, order_id: str) -> Order:
    """The order row of a checked request, detached (projection.detached: the batch writes its
    orders with one INSERT): new_order's columns with the model's defaults."""
    columns = new_order_columns(investor, checked, order_id)
    now = utcnow()
    return detached(
        Order,
        {
            **columns,
            "filled_lots": 0,
            "status": OrderStatus.OPEN.value,
            "reject_code": None,
            "cancel_reason": None,
            "created_at": now,
            "updated_at": now,
        },
    )


CancelResult = Order | DomainError


def cancel_orders(session: Session, venue: Venue, investor: Investor, order_ids: list[str]) -> list[CancelResult]:
    """Cancel the investor's orders `order_ids` in their order, each answered as
    DELETE /v1/orders/{id} would (the cancelled order, or order.not_found / order.not_open / the
    engine's rejection), with one SELECT for the batch, each cancel a journaled CancelOrder
    under its market's lock, and one commit for all (nothing answered before it is durable)."""
    wanted = sorted({i for i in order_ids if "\x00" not in i})  # no id holds a NUL (PostgreSQL cannot compare one)
    params = {"investor_id": investor.id, "ids": wanted}
    symbols = sorted({symbol for (symbol,) in session.connection().execute(_OWN_SYMBOLS, params)})
    results: list[CancelResult | None] = [None] * len(order_ids)
    markets = {symbol: venue.market(session, symbol) for symbol in symbols}
    assets = {symbol: get_asset(session, symbol) for symbol in symbols}
    outbox: list[FeedMessage] = []
    with ExitStack() as locks:
        for symbol in symbols:  # the batch's lock order: markets in symbol order, then the database
            locks.enter_context(markets[symbol].lock)
        # read under the locks: no command of these markets changes the orders meanwhile
        found = {o.id: o for o in session.exec(_OWN_ORDERS, params=params) if o.symbol in markets}
        rows = Rows()
        try:
            for i, order_id in enumerate(order_ids):
                order = found.get(order_id)
                if order is None:
                    results[i] = NotFound("order.not_found", f"no order {order_id}")
                elif order.status not in OPEN_STATUSES:  # also the second time the batch names it
                    results[i] = Conflict("order.not_open", f"order {order_id} is {order.status}")
                else:
                    command = CancelOrder(order_id=order.id, owner=str(investor.id), ts=now_ns())
                    market, asset = markets[order.symbol], assets[order.symbol]
                    rejection = run_command(
                        session, venue, market, asset, command, {order.id: order}, None, "user",
                        commit=False, outbox=outbox, rows=rows,
                    )  # fmt: skip
                    results[i] = rejection if rejection is not None else order
            rows.write(session)
            session.commit()  # the group commit: every cancel of the batch at once
        except BaseException:
            rebuild_after_failure(session, venue, list(markets.values()))
            raise
        for symbol, message in outbox:  # still under the markets' locks: in sequence order
            venue.feed.publish(symbol, message)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


_OWN = (col(Order.investor_id) == bindparam("investor_id")) & col(Order.id).in_(bindparam("ids", expanding=True))
_OWN_ORDERS = select(Order).where(_OWN)
_OWN_SYMBOLS = select(col(Order.symbol)).where(_OWN).distinct()


def reread_resting(session: Session, results: list[Result]) -> None:
    """The batch's new orders that rested, as stored now (one SELECT): a revocation's cancel
    after the batch (order entry's re-check of the investor) updates their rows, not these
    detached objects. Call it after that re-check, before answering."""
    resting = {
        r.order.id: r.order for r in results if isinstance(r, Placed) and r.created and r.order.status in OPEN_STATUSES
    }
    if not resting:
        return
    for order_id, status, filled, reason, updated in session.connection().execute(_NOW, {"ids": sorted(resting)}):
        order = resting[order_id]
        order.status, order.filled_lots, order.cancel_reason, order.updated_at = status, filled, reason, updated


_ORDERS = Order.__table__  # type: ignore[attr-defined]
_NOW = sa_select(
    _ORDERS.c.id, _ORDERS.c.status, _ORDERS.c.filled_lots, _ORDERS.c.cancel_reason, _ORDERS.c.updated_at
).where(_ORDERS.c.id.in_(bindparam("ids", expanding=True)))
