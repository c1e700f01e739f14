"""Order entry's funds read against a node that is up but slow to answer (a one-request-at-a-time
ganache mining a settle()): it waits funds_live_wait_ms, then answers from the last snapshot.

The node is a real HTTP JSON-RPC server in a thread, answering eth_call batches after a delay
we choose (ganache cannot be made busy for a chosen time on demand);
tests/integration/test_order_entry.py covers the funds check against a real node."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from sqlmodel import Session, SQLModel, create_engine

from backend.chain.client import Chain
from backend.clock import utcnow
from backend.config import Settings
from backend.errors import DomainError
from backend.matching import Side
from backend.models.trading import FundsSnapshot
from backend.trading import funds

WALLET = "0x" + "ab" * 20
TOKEN = SimpleNamespace(address="0x" + "cd" * 20)
SPENDER = "0x" + "ef" * 20
RULES = "0x" + "12" * 20


class SlowNode:
    """Answers every eth_call batch with `values` (balance, allowance, frozen) after `delay` s."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.values = [1000, 5000, 0]
        self.requests = 0
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                node.requests += 1
                time.sleep(node.delay)
                answers = [
                    {"jsonrpc": "2.0", "id": call["id"], "result": "0x" + format(node.values[i], "064x")}
                    for i, call in enumerate(body)
                ]
                data = json.dumps(answers).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def node():
    n = SlowNode()
    yield n
    n.server.shutdown()
    n.server.server_close()


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[FundsSnapshot.__table__])  # type: ignore[attr-defined]
    with Session(engine) as s:
        yield s


def _chain(node: SlowNode, wait_ms: int = 100) -> Chain:
    return Chain(Settings(rpc_url=node.url, funds_live_wait_ms=wait_ms))


def _read(session, chain, **kwargs):
    return funds.read(session, chain, WALLET, TOKEN, SPENDER, frozen=True, **kwargs)


def test_a_node_that_answers_in_time_is_read_live(node, session):
    chain = _chain(node)
    reading = _read(session, chain, wait_ms=100)
    assert (reading.balance, reading.allowance, reading.frozen, reading.source) == (1000, 5000, 0, "live")


def test_a_busy_node_is_answered_from_the_last_reading_after_the_wait(node, session):
    chain = _chain(node)
    _read(session, chain, wait_ms=100)  # the wallet's first reading, live
    node.delay, node.values = 1.5, [7, 7, 7]
    started = time.monotonic()
    reading = _read(session, chain, wait_ms=100)
    elapsed = time.monotonic() - started
    assert reading.source == "busy"
    assert (reading.balance, reading.allowance) == (1000, 5000)  # the last reading, not the node's new answer
    assert reading.since is not None  # so check_funds subtracts what settled since
    assert elapsed < node.delay  # it did not wait for the node


def test_after_a_timeout_the_busy_node_is_left_alone_for_a_moment(node, session):
    chain = _chain(node)
    _read(session, chain, wait_ms=100)
    node.delay = 1.0
    assert _read(session, chain, wait_ms=100).source == "busy"
    asked = node.requests
    started = time.monotonic()
    assert _read(session, chain, wait_ms=100).source == "busy"  # at once, without asking
    assert node.requests == asked and time.monotonic() - started < 0.1
    time.sleep(funds.BUSY_COOLDOWN_SECONDS)
    node.delay = 0.0
    assert _read(session, chain, wait_ms=100).source == "live"  # then the node is asked again


def test_without_a_reading_a_busy_node_is_waited_for(node, session):
    chain = _chain(node)
    node.delay = 0.4
    reading = _read(session, chain, wait_ms=100)
    assert reading.source == "live" and reading.balance == 1000


def test_a_stand_in_older_than_the_limit_is_not_used(node, session):
    chain = _chain(node)
    session.add(
        FundsSnapshot(
            wallet=WALLET,
            token=TOKEN.address,
            balance="1",
            frozen="0",
            allowance="1",
            read_at=utcnow() - funds.BUSY_SNAPSHOT_MAX_AGE - timedelta(seconds=1),
        )
    )
    session.commit()
    node.delay = 0.4
    reading = _read(session, chain, wait_ms=100)
    assert reading.source == "live" and reading.balance == 1000


def test_the_snapshot_row_stands_in_when_this_process_has_no_reading(node, session):
    chain = _chain(node)
    session.add(
        FundsSnapshot(wallet=WALLET, token=TOKEN.address, balance="42", frozen="2", allowance="40", read_at=utcnow())
    )
    session.commit()
    node.delay = 1.5
    reading = _read(session, chain, wait_ms=100)
    assert (reading.source, reading.balance, reading.frozen, reading.allowance) == ("busy", 42, 2, 40)


def test_wait_zero_always_waits_for_the_node(node, session):
    chain = _chain(node)
    _read(session, chain, wait_ms=0)
    node.delay, node.values = 0.4, [9, 9, 9]
    assert _read(session, chain, wait_ms=0).balance == 9


def sell_500(chain, investor) -> None:
    """check_funds for a limit sell of 500 lots (one lot one unit, with the fakes below)."""
    funds.check_funds(
        None,  # type: ignore[arg-type]
        chain,
        investor=investor,
        asset=SimpleNamespace(symbol="X", rules_address=RULES),  # type: ignore[arg-type]
        side=Side.SELL,
        price_ticks=100,
        lots=500,
        market=None,
    )


def test_a_busy_reading_that_falls_short_is_read_again_live_before_refusing(monkeypatch):
    """check_funds never refuses on a stand-in: it asks again, waiting for the node."""
    calls: list[tuple[int, int]] = []
    answers = [
        funds.Reading(10, 0, 10**9, since=utcnow(), source="busy"),  # stale: too little
        funds.Reading(10**6, 0, 10**9),  # the node, once it answered: funds arrived
    ]

    def fake_read(_session, _chain, _wallet, _token, _spender, *, frozen, max_age_ms, wait_ms, lock_at):
        calls.append((max_age_ms, wait_ms))
        return answers.pop(0)

    monkeypatch.setattr(funds, "read", fake_read)
    monkeypatch.setattr(funds.reservations, "reserved_asset_units", lambda *_a, **_k: 0)
    monkeypatch.setattr(funds.reservations, "lots_units", lambda _asset, lots: lots)
    monkeypatch.setattr(funds, "asset_out_since", lambda *_a, **_k: 0)
    monkeypatch.setattr(funds, "mirror_locked_units", lambda *_a, **_k: 0)
    monkeypatch.setattr(funds, "token_contract", lambda _chain, _asset: TOKEN)
    chain = SimpleNamespace(
        deployment=SimpleNamespace(contracts={"settlement_exchange": SPENDER}),
        settings=Settings(funds_max_age_ms=1000, funds_live_wait_ms=250),
    )
    investor = SimpleNamespace(id=1, wallet=WALLET)
    sell_500(chain, investor)
    assert calls == [(1000, 250), (0, 0)]

    # and a live reading that falls short is refused at once
    answers[:] = [funds.Reading(10, 0, 10**9)]
    calls.clear()
    with pytest.raises(DomainError) as refused:
        sell_500(chain, investor)
    assert refused.value.code == "order.insufficient_balance" and calls == [(1000, 250)]
