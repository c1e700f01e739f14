"""Order entry's funds read against a node that is up but slow to answer (a one-request-at-a-time
ganache mining a settle()): it waits funds_live_wait_ms, then answers from the last snapshot.

The node is a real HTTP JSON-RPC server in a thread, answering eth_call batches after a delay
we choose (ganache cannot be made busy for a chosen time on demand);
tests/integration/test_order_entry.py covers the funds check against a real node."""

from __future__ import annotations

import json
import threading
import time
import weakref
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from sqlmodel import Session, SQLModel, create_engine

from backend.chain.client import Chain
from backend.clock import utcnow
from backend.config import Settings
from backend.errors import DomainError, Refused
from backend.models.trading import FundsSnapshot
from backend.trading import balances, funds

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


READERS: weakref.WeakKeyDictionary[Chain, balances.BalanceReader] = weakref.WeakKeyDictionary()


def _read(session, chain, **kwargs):
    """One BalanceReader per chain (per test): what it remembers carries from read to read. Keyed
    by the chain object itself, not id(): a later test's chain may reuse a collected one's id."""
    reader = READERS.setdefault(chain, balances.BalanceReader())
    return reader.read(session, chain, WALLET, TOKEN, SPENDER, frozen=True, **kwargs)


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
    time.sleep(balances.BUSY_COOLDOWN_SECONDS)
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
            read_at=utcnow() - balances.BUSY_SNAPSHOT_MAX_AGE - timedelta(seconds=1),
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


class ScriptedReader:
    """A BalanceReader that answers with the readings given, noting each call's limits."""

    def __init__(self, answers: list[balances.Reading]) -> None:
        self.answers = answers
        self.calls: list[tuple[int, int]] = []

    def read(self, _session, _chain, _wallet, _token, _spender, *, frozen, max_age_ms, wait_ms, lock_at):
        self.calls.append((max_age_ms, wait_ms))
        return self.answers.pop(0)


def _claim(**kwargs) -> funds.Claim:
    """A sell's claim of 500 units (nothing reserved or locked unless given)."""
    fields = {"token": TOKEN, "need": 500, "reserved": 0, "mirror_locked": 0, "out_since": lambda _since: 0}
    return funds.Claim(short=Refused("order.insufficient_balance", "short"), **{**fields, **kwargs})


def sell_500(chain, reader) -> None:
    """The funds rule for a sell of 500 units, nothing reserved or locked."""
    claim = _claim(frozen=True, lock_at=RULES)
    funds.check_claim(None, chain, reader, wallet=WALLET, claim=claim)  # type: ignore[arg-type]


def test_a_busy_reading_that_falls_short_is_read_again_live_before_refusing():
    """check_claim never refuses on a stand-in: it asks again, waiting for the node."""
    reader = ScriptedReader(
        [
            balances.Reading(10, 0, 10**9, since=utcnow(), source="busy"),  # stale: too little
            balances.Reading(10**6, 0, 10**9),  # the node, once it answered: funds arrived
        ]
    )
    chain = SimpleNamespace(
        deployment=SimpleNamespace(contracts={"settlement_exchange": SPENDER}),
        settings=Settings(funds_max_age_ms=1000, funds_live_wait_ms=250),
    )
    sell_500(chain, reader)
    assert reader.calls == [(1000, 250), (0, 0)]

    # and a live reading that falls short is refused at once
    reader = ScriptedReader([balances.Reading(10, 0, 10**9)])
    with pytest.raises(DomainError) as refused:
        sell_500(chain, reader)
    assert refused.value.code == "order.insufficient_balance" and reader.calls == [(1000, 250)]


def test_the_rule_refuses_a_sale_reaching_into_locked_tokens():
    """Enough units, but with the lock-up (the chain's, read live, beats the mirror's) too few are free."""
    claim = _claim(reserved=100, mirror_locked=200)
    assert funds.refusal(claim, balances.Reading(1000, 0, 10**9, locked=0)) is None  # 1000-100-200 >= 500
    refused = funds.refusal(claim, balances.Reading(1000, 0, 10**9, locked=450))
    assert refused is not None and refused.code == "compliance.lockup"
    short = funds.refusal(claim, balances.Reading(1000, 450, 10**9))
    assert short is not None and short.code == "order.insufficient_balance"
    no_allowance = funds.refusal(claim, balances.Reading(1000, 0, 550))
    assert no_allowance is not None and no_allowance.code == "order.allowance_missing"
