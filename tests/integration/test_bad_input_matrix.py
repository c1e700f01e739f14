"""Hostile input, case by case: each gets a 4xx with a precise error code and changes nothing.

One table of cases (malformed JSON, wrong types, floats for decimals, negative/zero/huge
amounts, off-tick and off-lot, unknown symbols, oversized and empty bodies and uploads,
invalid wallets and signatures, another wallet's signature, a replayed signature, an expired
order, hostile path and query values). Before and after each case the test takes the same
snapshot - row counts, the market's book, the investor's account - and asserts it is unchanged.
The table is written to docs/generated/bad-input-matrix.md.

Signed orders (issue 13): a signed order without its nonce or expires_at, expires_at 0 or
beyond the longest lifetime, the high-s twin and v 0/1 forms of a valid signature, a market
order with no price to sign as its limit.

Elsewhere: 20 concurrent retries of one client_order_id make exactly one order
(test_order_entry.py::test_twenty_concurrent_retries_create_exactly_one_order); an order that
already expired is refused at typed-data (test_order_entry.py::test_an_order_that_already_expired_is_refused).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from backend.api.app import create_app
from backend.config import ROOT
from backend.models.assets import Asset
from backend.models.auth import ApiKey
from backend.models.compliance import Investor
from backend.models.disclosures import Document
from backend.models.trading import Order
from backend.trading.signing import SECP256K1_N
from tests.support.trading import fund_and_approve

MATRIX_DOC = ROOT / "docs" / "generated" / "bad-input-matrix.md"


@dataclass
class Case:
    name: str
    method: str
    path: str
    status: int
    code: str
    who: str = "buyer"  # whose key: buyer, admin, none
    kwargs: dict[str, Any] = field(default_factory=dict)


def _signed(client, investor, order: dict, *, signer=None) -> dict:
    typed = client.post("/v1/orders/typed-data", json=order, headers=investor.headers)
    assert typed.status_code == 200, typed.text
    data = typed.json()
    return {
        **order,
        "nonce": data["message"]["nonce"],
        "expires_at": data["message"]["expiry"],
        "signature": (signer or investor.wallet).sign_order(data),
    }


def _twin(signed: dict, *, high_s: bool = False, v_offset: int = 0) -> dict:
    """The same signature in a form eth-account would still recover but the contract refuses:
    the high-s twin (s -> N - s, v flipped) or v as 0/1."""
    raw = bytes.fromhex(signed["signature"][2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    if high_s:
        s, v = SECP256K1_N - s, 55 - v
    return {**signed, "signature": "0x" + (r + s.to_bytes(32, "big") + bytes([v + v_offset])).hex()}


def _bad_checksum(wallet: str) -> str:
    """The EIP-55 address with one letter's case flipped: mixed case, wrong checksum."""
    good = to_checksum_address(wallet)
    i = next(i for i, ch in enumerate(good) if i > 1 and ch.isalpha())
    return good[:i] + good[i].swapcase() + good[i + 1 :]


def _snapshot(client, symbol: str, investor) -> dict:
    with Session(client.app.state.db) as session:
        counts = {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in (Order, Investor, Asset, Document, ApiKey)
        }
    return {
        "rows": counts,
        "book": client.get(f"/v1/markets/{symbol}/book").json(),
        "account": client.get("/v1/account", headers=investor.headers).json(),
    }


def _cases(client, admin, asset, buyer, other, new_wallet) -> list[Case]:
    symbol = asset["symbol"]
    order = {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"}

    def body(**changes: Any) -> dict:
        return {"json": {**order, **changes}}

    placed = _signed(client, buyer, {**order, "price": "0.5"})
    assert client.post("/v1/orders", json=placed, headers=buyer.headers).status_code == 201
    by_other_wallet = _signed(client, buyer, order, signer=other.wallet)
    past = int(time.time()) - 60
    expired = {**_signed(client, buyer, order), "expires_at": past}
    fresh = _signed(client, buyer, order)
    unsigned_fields = {"nonce": 1, "expires_at": int(time.time()) + 3600}
    too_far = int(time.time()) + client.app.state.settings.order_max_ttl_seconds + 3600
    wallet = new_wallet().address
    investor = {"wallet": wallet, "name": "Mallory", "country": "US", "accredited": True, "kyc_expires": "2099-01-01"}
    pdf = ("offering.pdf", b"%PDF-1.4 hostile", "application/pdf")
    form = {"doc_type": "other", "title": "A title"}
    too_big = client.app.state.settings.document_max_bytes
    max_json = client.app.state.settings.max_body_bytes
    return [
        # Malformed and mistyped bodies.
        Case(
            "malformed JSON",
            "POST",
            "/v1/orders",
            422,
            "validation.invalid",
            kwargs={"content": b'{"symbol": "X", ', "headers": {"Content-Type": "application/json"}},
        ),
        Case(
            "JSON array instead of an object", "POST", "/v1/orders", 422, "validation.invalid", kwargs={"json": [order]}
        ),
        Case(
            "body that is not JSON (text/plain)",
            "POST",
            "/v1/orders",
            422,
            "validation.invalid",
            kwargs={"content": b"symbol=X", "headers": {"Content-Type": "text/plain"}},
        ),
        Case("empty body", "POST", "/v1/orders", 422, "validation.invalid", kwargs={"content": b""}),
        Case("side of the wrong type", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(side=5)),
        Case("side outside the vocabulary", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(side="short")),
        Case("unknown field", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(leverage="100x")),
        Case(
            "post_only not a boolean", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(post_only="maybe")
        ),
        # Decimal strings only.
        Case("price as a JSON float", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(price=1.5)),
        Case("quantity as a JSON float", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(quantity=2.0)),
        Case("quantity as a list", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(quantity=["1"])),
        Case("negative quantity", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(quantity="-1")),
        Case("zero quantity", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(quantity="0")),
        Case(
            "huge quantity (10^40)",
            "POST",
            "/v1/orders",
            422,
            "validation.invalid",
            kwargs=body(quantity="1" + "0" * 40),
        ),
        Case(
            "huge JSON integer quantity (2^80)",
            "POST",
            "/v1/orders",
            422,
            "validation.invalid",
            kwargs=body(quantity=2**80),
        ),
        Case("exponent notation", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(price="1e2")),
        Case("non-ASCII digits", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(price="\u0661")),
        Case("NaN", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(price="NaN")),
        Case(
            "19 decimal places",
            "POST",
            "/v1/orders",
            422,
            "validation.invalid",
            kwargs=body(price="0." + "0" * 18 + "1"),
        ),
        Case("nonce past uint256", "POST", "/v1/orders", 422, "validation.invalid", kwargs=body(nonce=2**256)),
        Case(
            "client_order_id over 64 characters",
            "POST",
            "/v1/orders",
            422,
            "validation.invalid",
            kwargs=body(client_order_id="x" * 65),
        ),
        # The market's terms.
        Case("off-tick price", "POST", "/v1/orders", 422, "order.invalid_tick", kwargs=body(price="1.005")),
        Case("off-lot quantity", "POST", "/v1/orders", 422, "order.invalid_lot", kwargs=body(quantity="1.5")),
        Case("unknown symbol", "POST", "/v1/orders", 404, "asset.not_found", kwargs=body(symbol="NOPE")),
        Case(
            "limit order without a price",
            "POST",
            "/v1/orders",
            422,
            "validation.invalid",
            kwargs={"json": {k: v for k, v in order.items() if k != "price"}},
        ),
        # Signatures.
        Case(
            "signature that is not hex",
            "POST",
            "/v1/orders",
            422,
            "order.bad_signature",
            kwargs=body(signature="not-a-signature", **unsigned_fields),
        ),
        Case(
            "signature of the right length, wrong bytes",
            "POST",
            "/v1/orders",
            422,
            "order.bad_signature",
            kwargs=body(signature="0x" + "11" * 65, **unsigned_fields),
        ),
        Case(
            "signature by another wallet",
            "POST",
            "/v1/orders",
            422,
            "order.bad_signature",
            kwargs={"json": by_other_wallet},
        ),
        Case(
            "replayed signature (same signed order again)",
            "POST",
            "/v1/orders",
            409,
            "order.duplicate_nonce",
            kwargs={"json": placed},
        ),
        Case("signed order whose expiry passed", "POST", "/v1/orders", 422, "order.expired", kwargs={"json": expired}),
        Case(
            "signed order without its nonce",
            "POST",
            "/v1/orders",
            422,
            "validation.invalid",
            kwargs={"json": {k: v for k, v in fresh.items() if k != "nonce"}},
        ),
        Case(
            "signed order without its expires_at",
            "POST",
            "/v1/orders",
            422,
            "validation.invalid",
            kwargs={"json": {k: v for k, v in fresh.items() if k != "expires_at"}},
        ),
        Case(
            "high-s twin of a valid signature",
            "POST",
            "/v1/orders",
            422,
            "order.bad_signature",
            kwargs={"json": _twin(fresh, high_s=True)},
        ),
        Case(
            "signature with v 0/1 instead of 27/28",
            "POST",
            "/v1/orders",
            422,
            "order.bad_signature",
            kwargs={"json": _twin(fresh, v_offset=-27)},
        ),
        Case(
            "expires_at 0 (no longer 'never')",
            "POST",
            "/v1/orders/typed-data",
            422,
            "validation.invalid",
            kwargs=body(expires_at=0),
        ),
        Case(
            "expires_at beyond the longest lifetime",
            "POST",
            "/v1/orders/typed-data",
            422,
            "order.expiry_too_far",
            kwargs=body(expires_at=too_far),
        ),
        Case(
            "market order with no reference price and no asks",
            "POST",
            "/v1/orders/typed-data",
            409,
            "order.no_market_price",
            kwargs={"json": {"symbol": symbol, "side": "buy", "type": "market", "quantity": "1"}},
        ),
        # Onboarding and wallets.
        Case(
            "wallet too short",
            "POST",
            "/v1/investors",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"json": {**investor, "wallet": "0x1234"}},
        ),
        Case(
            "wallet that is not hex",
            "POST",
            "/v1/investors",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"json": {**investor, "wallet": "0x" + "zz" * 20}},
        ),
        Case(
            "wallet with a bad EIP-55 checksum",
            "POST",
            "/v1/investors",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"json": {**investor, "wallet": _bad_checksum(wallet)}},
        ),
        Case(
            "unknown country",
            "POST",
            "/v1/investors",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"json": {**investor, "country": "QQ"}},
        ),
        Case(
            "KYC expiry before 1970",
            "POST",
            "/v1/investors",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"json": {**investor, "kyc_expires": "0912-02-02"}},
        ),
        Case(
            "KYC expiry in the past",
            "POST",
            "/v1/investors",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"json": {**investor, "kyc_expires": "2000-01-01"}},
        ),
        Case(
            "faucet amount as a float",
            "POST",
            "/v1/cash/faucet",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"json": {"wallet": wallet, "amount": 0.1}},
        ),
        Case(
            "compliance check with a negative quantity",
            "POST",
            "/v1/compliance/check",
            422,
            "validation.invalid",
            kwargs={
                "json": {"symbol": symbol, "from_wallet": wallet, "to_wallet": buyer.wallet.address, "quantity": "-5"}
            },
        ),
        Case(
            "rules: lock-up past 2^53",
            "PUT",
            f"/v1/assets/{symbol}/rules",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"json": {"lockup_seconds": 2**64}},
        ),
        Case(
            "rules: unknown country",
            "PUT",
            f"/v1/assets/{symbol}/rules",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"json": {"allowed_countries": ["QQ"]}},
        ),
        # Sizes.
        Case(
            "JSON body over the body limit",
            "POST",
            "/v1/orders",
            413,
            "request.too_large",
            kwargs=body(client_order_id="x" * (max_json + 1)),
        ),
        Case(
            "upload over the document limit",
            "POST",
            f"/v1/assets/{symbol}/documents",
            413,
            "request.too_large",
            who="admin",
            kwargs={"files": {"file": ("big.pdf", b"x" * (too_big + 1), "application/pdf")}, "data": form},
        ),
        Case(
            "empty upload",
            "POST",
            f"/v1/assets/{symbol}/documents",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"files": {"file": ("empty.pdf", b"", "application/pdf")}, "data": form},
        ),
        Case(
            "upload of an unknown document type",
            "POST",
            f"/v1/assets/{symbol}/documents",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"files": {"file": pdf}, "data": {**form, "doc_type": "x"}},
        ),
        Case(
            "upload without its file",
            "POST",
            f"/v1/assets/{symbol}/documents",
            422,
            "validation.invalid",
            who="admin",
            kwargs={"data": form},
        ),
        # Paths and queries.
        Case("order id that does not exist", "GET", "/v1/orders/" + "f" * 32, 404, "order.not_found"),
        Case(
            "document id past 64 bits",
            "GET",
            "/v1/documents/99999999999999999999999",
            422,
            "validation.invalid",
            who="none",
        ),
        Case("negative investor id", "GET", "/v1/investors/-1", 422, "validation.invalid", who="admin"),
        Case("emoji symbol", "GET", "/v1/markets/%F0%9F%92%A9/book", 404, "asset.not_found", who="none"),
        Case("NUL byte in a symbol", "GET", "/v1/assets/A%00B", 404, "asset.not_found", who="none"),
        Case("book depth 0", "GET", f"/v1/markets/{symbol}/book?depth=0", 422, "validation.invalid", who="none"),
        Case(
            "book depth not a number",
            "GET",
            f"/v1/markets/{symbol}/book?depth=ten",
            422,
            "validation.invalid",
            who="none",
        ),
        Case(
            "candle interval outside the vocabulary",
            "GET",
            f"/v1/markets/{symbol}/candles?interval=7m",
            422,
            "validation.invalid",
            who="none",
        ),
        Case(
            "API key with non-ASCII bytes",
            "GET",
            "/v1/account",
            401,
            "auth.invalid_key",
            who="none",
            kwargs={"headers": {"X-API-Key": "clé-☃".encode()}},
        ),
        Case(
            "API key of 10 kB",
            "GET",
            "/v1/account",
            401,
            "auth.invalid_key",
            who="none",
            kwargs={"headers": {"X-API-Key": "k" * 10_000}},
        ),
        Case("method the path does not have", "PUT", "/v1/orders", 405, "request.method_not_allowed"),
    ]


def test_every_hostile_input_gets_a_precise_4xx_and_changes_nothing(
    client, admin, chain_info, make_asset, make_investor, new_wallet
):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    other = make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    cases = _cases(client, admin, asset, buyer, other, new_wallet)
    keys = {"buyer": buyer.headers, "admin": admin, "none": {}}
    rows, wrong = [], []
    for case in cases:
        before = _snapshot(client, asset["symbol"], buyer)
        kwargs = dict(case.kwargs)
        kwargs["headers"] = {**keys[case.who], **kwargs.get("headers", {})}
        response = client.request(case.method, case.path, **kwargs)
        after = _snapshot(client, asset["symbol"], buyer)
        code = response.json().get("error", {}).get("code") if response.content else None
        changed = [part for part in before if before[part] != after[part]]
        ok = response.status_code == case.status and code == case.code and not changed
        rows.append(
            f"| {case.name} | `{case.method} {case.path.replace(asset['symbol'], '{symbol}')[:60]}` "
            f"| {response.status_code} | `{code}` | {'nothing' if not changed else ', '.join(changed)} |"
        )
        if not ok:
            wrong.append(
                f"{case.name}: expected {case.status} {case.code}, got {response.status_code} {code}"
                f"{' and it changed ' + ', '.join(changed) if changed else ''}: {response.text[:300]}"
            )
    table = "| case | request | status | code | changed |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    MATRIX_DOC.parent.mkdir(parents=True, exist_ok=True)
    MATRIX_DOC.write_text(
        "<!-- generated by tests/integration/test_bad_input_matrix.py: do not edit -->\n"
        f"{len(cases)} hostile inputs, each answered with a 4xx and a precise code, "
        "none changing state.\n\n" + table
    )
    print(f"\nbad-input matrix: {len(cases)} cases, {len(wrong)} wrong")
    assert not wrong, "\n".join(wrong)
    assert len(cases) >= 50


def test_the_service_throttles_a_flooding_client_per_key(settings, tmp_path):
    """The real app with a low limit (the suite's own app keeps it out of reach)."""
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'limited.db'}",
            "rate_limit_per_second": 0.5,
            "rate_limit_burst": 5,
        }
    )
    app = create_app(own)  # TestClients without `with`: no lifespan, no workers
    flooder = TestClient(app, raise_server_exceptions=False, client=("192.0.2.1", 40000))
    anonymous = [flooder.get("/v1/assets") for _ in range(6)]
    assert [r.status_code for r in anonymous] == [200] * 5 + [429]
    assert anonymous[-1].json()["error"]["code"] == "request.rate_limited"
    assert int(anonymous[-1].headers["Retry-After"]) >= 1
    assert flooder.get("/health").status_code == 200  # probes are never throttled
    admin = {"X-API-Key": own.admin_key}
    operator = TestClient(app, raise_server_exceptions=False, client=("192.0.2.2", 40000))
    assert [operator.get("/v1/trades", headers=admin).status_code for _ in range(5)] == [200] * 5
    assert operator.get("/v1/trades", headers=admin).status_code == 429
    # The key had its own bucket: its address still has room for calls without a key.
    assert operator.get("/v1/assets").status_code == 200
