"""POST /v1/orders checks its key before its body, with one thread-pool hand-off for the order.

The route's key check (deps.investor_key) skips the database for a key this process has seen
resolve (auth.service.KnownKeys), and the order then reads the key and its investor again:
these tests pin that the errors come in the same order as through CurrentInvestor (401/403
before 422), and that a revocation refuses the very next order whichever process made it.
No chain is needed: every request here is refused before order entry asks the node anything.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.api.app import create_app
from backend.api.public import OrderPublic
from backend.api.routes.orders import order_public
from backend.auth.service import KnownKeys, issue_key, key_digest, known_investor_keys, revoke_keys_of_investor
from backend.config import Settings
from backend.models.assets import Asset
from backend.models.auth import ApiKey
from backend.models.compliance import Investor
from backend.models.settlement import TradeRecord
from backend.models.trading import Order

ADMIN = "route-test-admin-key"
GOOD = {
    "symbol": "NOPE",
    "side": "buy",
    "type": "limit",
    "price": "10.00",
    "quantity": "1",
    "nonce": 1,
    "expires_at": 2_000_000_000,
    "signature": "0x" + "ab" * 65,
}
BAD = {**GOOD, "price": 10.5}  # a JSON float: 422 validation.invalid


@pytest.fixture
def app(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'rwa.db'}",
        rpc_url="http://127.0.0.1:9",  # never asked: no request here reaches order entry's chain reads
        admin_key=ADMIN,
        rate_limit_per_second=0,
        order_rate_limit_per_second=0,
    )
    return create_app(settings)


@pytest.fixture
def client(app):
    return TestClient(app)  # no lifespan: no workers polling a node that is not there


def _investor(app, *, status: str = "approved") -> tuple[int, str]:
    with Session(app.state.db) as session:
        investor = Investor(
            wallet="0x" + "11" * 20,
            name="Route Test",
            country="US",
            accredited=True,
            kyc_expires=date.today() + timedelta(days=30),
            status=status,
        )
        session.add(investor)
        session.commit()
        session.refresh(investor)
        key = issue_key(session, role="investor", investor_id=investor.id)
        session.commit()
        return investor.id, key  # type: ignore[return-value]


def _code(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_the_key_is_checked_before_the_body(app, client):
    _investor_id, key = _investor(app)
    assert _code(client.post("/v1/orders", json=BAD)) == (401, "auth.missing_key")
    assert _code(client.post("/v1/orders", json=BAD, headers={"X-API-Key": "rwa_inv_made_up"})) == (
        401,
        "auth.invalid_key",
    )
    assert _code(client.post("/v1/orders", json=BAD, headers={"X-API-Key": ADMIN})) == (403, "auth.forbidden")
    with Session(app.state.db) as session:
        issuer = issue_key(session, role="issuer", issuer_wallet="0x" + "22" * 20)
        session.commit()
    assert _code(client.post("/v1/orders", json=BAD, headers={"X-API-Key": issuer})) == (403, "auth.forbidden")
    for _ in range(2):  # unknown, then known to this process: the same answer
        assert _code(client.post("/v1/orders", json=BAD, headers={"X-API-Key": key})) == (422, "validation.invalid")
    assert key_digest(key) in known_investor_keys


def test_a_key_revoked_here_is_refused_at_once_even_with_a_bad_body(app, client):
    investor_id, key = _investor(app)
    headers = {"X-API-Key": key}
    assert _code(client.post("/v1/orders", json=BAD, headers=headers))[0] == 422  # now known
    with Session(app.state.db) as session:
        revoke_keys_of_investor(session, investor_id=investor_id)
        session.commit()
    assert key_digest(key) not in known_investor_keys
    assert _code(client.post("/v1/orders", json=BAD, headers=headers)) == (401, "auth.invalid_key")
    assert _code(client.post("/v1/orders", json=GOOD, headers=headers)) == (401, "auth.invalid_key")


def test_a_key_revoked_by_another_process_refuses_the_very_next_order(app, client):
    """Another process (the `rwa` CLI) cannot empty this process's KnownKeys: the order's own
    read of the key refuses it."""
    _investor_id, key = _investor(app)
    headers = {"X-API-Key": key}
    assert _code(client.post("/v1/orders", json=BAD, headers=headers))[0] == 422
    with Session(app.state.db) as session:  # what another process's revocation leaves in the database
        row = session.exec(select(ApiKey).where(ApiKey.key_hash == key_digest(key))).one()
        row.revoked_at = datetime.now(UTC)
        session.add(row)
        session.commit()
    assert key_digest(key) in known_investor_keys  # this process did not hear of it
    assert _code(client.post("/v1/orders", json=GOOD, headers=headers)) == (401, "auth.invalid_key")


def test_known_keys_forget_an_investors_keys_and_the_oldest_past_the_limit():
    known = KnownKeys(limit=2)
    known.remember("a", 1)
    known.remember("b", 2)
    known.remember("c", 1)
    assert "a" not in known and "b" in known and "c" in known  # a: the oldest, past the limit
    known.forget_investor(1)
    assert "c" not in known and "b" in known


def test_order_public_is_exactly_an_order_public():
    """The route answers order_public's dict as it is (no response-model pass): it must be an
    OrderPublic field for field, in its order, with and without fills."""
    asset = Asset(
        symbol="ACME",
        name="Acme",
        kind="equity",
        token_address="0x" + "33" * 20,
        tick_size="0.01",
        lot_size="1",
        issuer_wallet="0x" + "44" * 20,
        total_supply="1000",
    )
    order = Order(
        id="a" * 32,
        client_order_id="c-1",
        investor_id=1,
        wallet="0x" + "11" * 20,
        symbol="ACME",
        side="buy",
        type="limit",
        time_in_force="GTC",
        post_only=False,
        price_ticks=1_050,
        quantity_lots=5,
        filled_lots=2,
        signed_price="1",
        nonce="12345678901234567890",
        expiry=2_000_000_000,
        signature="0x",
        order_hash="0x",
        status="partially_filled",
        created_at=datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC),
    )
    fill = TradeRecord(
        id="0x" + "55" * 32,
        symbol="ACME",
        trade_seq=1,
        chain_trade_id="",
        buy_order_id=order.id,
        sell_order_id="b" * 32,
        buyer_investor_id=1,
        seller_investor_id=2,
        taker_side="buy",
        price_ticks=1_050,
        quantity_lots=2,
        settlement_status="pending",
    )
    for fills in ([], [fill]):
        content = order_public(None, asset, order, fills)  # type: ignore[arg-type]
        assert OrderPublic.model_validate(content).model_dump(mode="json") == content
        assert list(content) == list(OrderPublic.model_fields)
    assert content["fills"] == [{"trade_id": fill.id, "price": "10.5", "quantity": "2", "settlement_status": "pending"}]
