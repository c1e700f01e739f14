"""Attacks on batch order entry (issue 16), tried against a live stack (a real ganache).

A fresh pair of eyes on POST /v1/orders/batch and POST /v1/orders/cancel-batch: each test is
an attempt by a malicious investor (or a buggy client) and asserts the venue's answer: odd
JSON never answered 500 and never failing the good neighbours, nonces and client_order_ids
raced across concurrent batches, funds reserved cumulatively across the markets of a batch, a
whole batch replayed, other investors' orders in a cancel batch.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from sqlmodel import Session, select

from backend.models.trading import Order
from tests.integration.test_order_batch import _signed
from tests.support.compliance import put_rules
from tests.support.trading import fund_and_approve

LEAKS = ("Traceback", "sqlalchemy", "sqlite", "psycopg", 'File "', "web3", "Error(")


def _post(client, investor, body: Any, *, raw: bool = False):
    headers = {**investor.headers, "Content-Type": "application/json"}
    content = body if raw else json.dumps(body)
    return client.post("/v1/orders/batch", headers=headers, content=content)


def _codes(results: list[dict]) -> list[tuple[int, str]]:
    return [(r["status"], r["error"]["code"] if "error" in r else "ok") for r in results]


def _concurrently(*calls):
    """Run the calls at once (released together); their answers in order."""
    answers: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int, call) -> None:
        start.wait()
        answers[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


def _orders_of(client, investor) -> list[Order]:
    with Session(client.app.state.db) as session:
        return list(session.exec(select(Order).where(Order.investor_id == investor.id)).all())


def test_odd_json_items_are_refused_one_by_one_never_a_500_and_never_echoed(
    client, admin, chain_info, make_asset, make_investor
):
    """Floats, 1e400, NaN, Infinity, negatives, huge integers, nesting, huge strings, wrong
    types: each item 422 validation.invalid on its own; the good order among them is placed;
    no error body echoes the huge input or names the machinery."""
    asset = make_asset()
    buyer = make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, buyer, cash="100")
    symbol = asset["symbol"]
    good = _signed(client, buyer, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"})
    base = json.dumps({k: v for k, v in good.items() if k != "quantity"})[:-1]  # without its closing brace
    huge = "Z" * 20_000
    odd = [
        '"quantity": 0.1',
        '"quantity": 1e400',
        '"quantity": -1e400',
        '"quantity": NaN',
        '"quantity": Infinity',
        '"quantity": "-1"',
        '"quantity": "NaN"',
        '"quantity": "1e400"',
        f'"quantity": {10**80}',
        '"quantity": true',
        '"quantity": [1]',
        '"quantity": {"$gt": 0}',
        '"quantity": null',
        f'"quantity": "{huge}"',
        '"quantity": "1", "nonce": -1',
        f'"quantity": "1", "nonce": {2**256}',
        '"quantity": "1", "expires_at": 1.5',
        '"quantity": "1", "extra": {"a": [[[[[[[[[[[]]]]]]]]]]]}',
        f'"quantity": "1", "client_order_id": "{huge}"',
        '"quantity": "1", "side": "BUY"',
        '"quantity": "1", "symbol": ["x"]',
    ]
    items = [json.dumps(good), *(f"{base}, {o}}}" for o in odd), '"just a string"', "null", "[[[[[]]]]]"]
    response = _post(client, buyer, '{"orders": [' + ", ".join(items) + "]}", raw=True)
    assert response.status_code == 200, response.text[:2000]
    results = response.json()["results"]
    assert len(results) == len(items)
    assert _codes(results)[0] == (201, "ok")
    for item, (status, code) in zip(items[1:], _codes(results[1:]), strict=True):
        assert (status, code) == (422, "validation.invalid"), item[-120:]
    text = response.text
    assert huge[:200] not in text and not any(leak in text for leak in LEAKS), text[:2000]
    assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == [["1", "1"]]


def test_a_deeply_nested_or_non_json_body_is_a_4xx_envelope_never_a_500(client, make_investor, settings):
    investor = make_investor()
    depth = min(100_000, settings.max_body_bytes // 2 - 20)
    bodies = [
        '{"orders": [' + "[" * depth + "]" * depth + "]}",  # past the JSON parser's recursion limit
        '{"orders": [' + '{"a":' * (depth // 6) + "1" + "}" * (depth // 6) + "]}",
        '{"orders": [1e400]}',
        '{"orders": [NaN]}',
        '{"orders": ',
        "\xff\xfe",
        '{"orders": [{}], "orders": "twice"}',
    ]
    for body in bodies:
        response = _post(client, investor, body, raw=True)
        assert response.status_code < 500, (body[:40], response.status_code, response.text[:300])
        assert response.status_code in (200, 400, 413, 422), (body[:40], response.text[:300])
        assert "error" in response.json() or "results" in response.json()
        assert not any(leak in response.text for leak in LEAKS), response.text[:500]
    cancel = client.post(
        "/v1/orders/cancel-batch",
        headers={**investor.headers, "Content-Type": "application/json"},
        content='{"order_ids": [' + "[" * depth + "]" * depth + "]}",
    )
    assert cancel.status_code in (400, 413, 422), cancel.text[:300]


def test_one_signed_order_in_two_concurrent_batches_is_placed_once(
    client, admin, chain_info, make_asset, make_investor
):
    """The same signature (one nonce) under two client_order_ids, raced in two batches: one
    order, the other answer 409 order.duplicate_nonce."""
    asset = make_asset()
    buyer = make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, buyer, cash="1000")
    symbol = asset["symbol"]
    for attempt in range(3):
        order = _signed(client, buyer, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"})
        a = {"orders": [{**order, "client_order_id": f"a{attempt}"}]}
        b = {"orders": [{**order, "client_order_id": f"b{attempt}"}]}
        answers = _concurrently(lambda a=a: _post(client, buyer, a), lambda b=b: _post(client, buyer, b))
        codes = sorted(_codes(r.json()["results"])[0] for r in answers)
        assert codes == [(201, "ok"), (409, "order.duplicate_nonce")], [r.text for r in answers]
    nonces = [o.nonce for o in _orders_of(client, buyer)]
    assert len(nonces) == 3 == len(set(nonces))


def test_one_client_order_id_in_two_concurrent_batches_is_one_order(
    client, admin, chain_info, make_asset, make_investor
):
    """Two different signed orders under one client_order_id, raced: one order placed, both
    answers name it (201 and 200), the other signature never rests."""
    asset = make_asset()
    buyer = make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, buyer, cash="1000")
    symbol = asset["symbol"]
    for attempt in range(3):
        cid = f"same-{attempt}"
        first = _signed(client, buyer, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"})
        second = _signed(client, buyer, {"symbol": symbol, "side": "buy", "price": "2", "quantity": "1"})
        answers = _concurrently(
            lambda: _post(client, buyer, {"orders": [{**first, "client_order_id": cid}]}),
            lambda: _post(client, buyer, {"orders": [{**second, "client_order_id": cid}]}),
        )
        results = [r.json()["results"][0] for r in answers]
        assert sorted(r["status"] for r in results) == [200, 201], results
        assert results[0]["order"]["id"] == results[1]["order"]["id"]
    rows = _orders_of(client, buyer)
    assert len(rows) == 3 and len({o.client_order_id for o in rows}) == 3


def test_funds_are_reserved_cumulatively_across_the_markets_of_a_batch(
    client, admin, chain_info, make_asset, make_investor
):
    """100 of cash: a buy of 60 in one market and a buy of 60 in another, in one batch, cannot
    both rest (one cash token pays for both); nor can two sells of 60 of a holding of 100."""
    one, two = make_asset(), make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, one, seller, buyer, cash="100")
    fund_and_approve(client, admin, chain_info, two, None, None)
    buys = [
        _signed(client, buyer, {"symbol": s, "side": "buy", "price": "1", "quantity": "60"})
        for s in (one["symbol"], two["symbol"])
    ]
    assert _codes(_post(client, buyer, {"orders": buys}).json()["results"]) == [
        (201, "ok"),
        (422, "order.insufficient_cash"),
    ]
    # A single order placed meanwhile counts for the next batch too.
    rest = _signed(client, buyer, {"symbol": two["symbol"], "side": "buy", "price": "1", "quantity": "40"})
    assert client.post("/v1/orders", headers=buyer.headers, json=rest).status_code == 201
    more = _signed(client, buyer, {"symbol": two["symbol"], "side": "buy", "price": "1", "quantity": "1"})
    assert _codes(_post(client, buyer, {"orders": [more]}).json()["results"]) == [(422, "order.insufficient_cash")]
    sells = [
        _signed(client, seller, {"symbol": one["symbol"], "side": "sell", "price": p, "quantity": "60"})
        for p in ("5", "6")
    ]
    assert _codes(_post(client, seller, {"orders": sells}).json()["results"]) == [
        (201, "ok"),
        (422, "order.insufficient_balance"),
    ]


def test_two_concurrent_batches_never_commit_more_cash_than_the_wallet_has(
    client, admin, chain_info, make_asset, make_investor
):
    asset = make_asset()
    buyer = make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, buyer, cash="100")
    symbol = asset["symbol"]
    batches = [
        {"orders": [_signed(client, buyer, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "30"})]}
        for _ in range(2)
    ]
    for body in batches:
        body["orders"].append(_signed(client, buyer, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "30"}))
    answers = _concurrently(*(lambda b=b: _post(client, buyer, b) for b in batches))
    placed = [r for a in answers for r in a.json()["results"] if r["status"] == 201]
    assert len(placed) == 3, [a.text for a in answers]  # 90 of 100; a fourth 30 would be 120
    bids = client.get(f"/v1/markets/{symbol}/book").json()["bids"]
    assert bids == [["1", "90"]]


def test_a_replayed_batch_places_nothing_twice(client, admin, chain_info, make_asset, make_investor):
    """The whole batch sent again (a client that lost the answer): with client_order_ids each
    item answers its original order (200); without them each is refused (its nonce is spent);
    after the orders were cancelled, the replay does not bring them back."""
    asset = make_asset()
    buyer = make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, buyer, cash="1000")
    symbol = asset["symbol"]
    tagged = [
        _signed(
            client, buyer, {"symbol": symbol, "side": "buy", "price": p, "quantity": "1", "client_order_id": f"r{p}"}
        )
        for p in ("1", "2")
    ]
    bare = [_signed(client, buyer, {"symbol": symbol, "side": "buy", "price": p, "quantity": "1"}) for p in ("3", "4")]
    first = _post(client, buyer, {"orders": tagged + bare}).json()["results"]
    assert [r["status"] for r in first] == [201] * 4
    again = _post(client, buyer, {"orders": tagged + bare}).json()["results"]
    assert _codes(again) == [(200, "ok"), (200, "ok"), (409, "order.duplicate_nonce"), (409, "order.duplicate_nonce")]
    assert [r["order"]["id"] for r in again[:2]] == [r["order"]["id"] for r in first[:2]]
    ids = [r["order"]["id"] for r in first]
    cancelled = client.post("/v1/orders/cancel-batch", headers=buyer.headers, json={"order_ids": ids})
    assert [r["status"] for r in cancelled.json()["results"]] == [200] * 4
    third = _post(client, buyer, {"orders": tagged + bare}).json()["results"]
    assert [r["status"] for r in third] == [200, 200, 409, 409]
    assert all(r["order"]["status"] == "cancelled" for r in third[:2])
    assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == []
    assert len(_orders_of(client, buyer)) == 4


def test_another_wallets_signed_orders_in_my_batch_are_refused(client, admin, chain_info, make_asset, make_investor):
    """Mallory copies Alice's signed orders (seen, say, in a shared log) into her own batch:
    refused as bad signatures; nothing is placed for either of them."""
    asset = make_asset()
    alice, mallory = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, alice, cash="1000")
    fund_and_approve(client, admin, chain_info, asset, None, mallory, cash="1000")
    symbol = asset["symbol"]
    alices = [
        _signed(client, alice, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"}) for _ in range(3)
    ]
    results = _post(client, mallory, {"orders": alices}).json()["results"]
    assert _codes(results) == [(422, "order.bad_signature")] * 3
    assert _orders_of(client, mallory) == [] and _orders_of(client, alice) == []
    # Alice's orders are still hers to place.
    assert [r["status"] for r in _post(client, alice, {"orders": alices}).json()["results"]] == [201] * 3


def test_a_cancel_batch_cannot_touch_or_probe_another_investors_orders(
    client, admin, chain_info, make_asset, make_investor
):
    """Mallory lists Alice's order ids (and made-up ones) in a cancel batch: every one answered
    exactly as an id that does not exist (same status, code and message shape); Alice's orders
    still rest."""
    asset = make_asset()
    alice, mallory = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, alice, cash="1000")
    symbol = asset["symbol"]
    placed = _post(
        client,
        alice,
        {
            "orders": [
                _signed(client, alice, {"symbol": symbol, "side": "buy", "price": p, "quantity": "1"}) for p in "12"
            ]
        },
    ).json()["results"]
    theirs = [r["order"]["id"] for r in placed]
    made_up = [theirs[0][:-4] + "0000", "x" * 100]
    response = client.post("/v1/orders/cancel-batch", headers=mallory.headers, json={"order_ids": theirs + made_up})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    for order_id, result in zip(theirs + made_up, results, strict=True):
        assert (result["status"], result["error"]["code"]) == (404, "order.not_found")
        assert result["error"]["message"].replace(order_id, "ID") == "no order ID"
        assert set(result["error"]) <= {"code", "message"} or not result["error"].get("details")
    assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == [["2", "1"], ["1", "1"]]
    assert {o.status for o in _orders_of(client, alice)} == {"open"}


def _signed_or_refused(client, investor, item: dict) -> dict:
    """The item signed over its typed data, or as it is when typed-data refuses it (4xx)."""
    typed = client.post("/v1/orders/typed-data", headers=investor.headers, json=item)
    assert typed.status_code < 500, typed.text
    if typed.status_code != 200:
        return item
    message = typed.json()["message"]
    return {
        **item,
        "nonce": message["nonce"],
        "expires_at": message["expiry"],
        "signature": investor.wallet.sign_order(typed.json()),
    }


# Just under 10^28 at a 0.01 tick: the schema admits it (below 10^30), its ticks (10^30) do not
# fit a 64-bit INTEGER column. A sell's funds need is only its units, so nothing refuses it.
TOP_PRICE = "9" * 27 + ".99"


def test_a_sell_at_a_price_past_64_bits_is_refused_by_the_single_endpoint(
    client, admin, chain_info, make_asset, make_investor
):
    asset = make_asset()
    seller = make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, None)
    order = _signed_or_refused(
        client, seller, {"symbol": asset["symbol"], "side": "sell", "price": TOP_PRICE, "quantity": "1"}
    )
    response = client.post("/v1/orders", headers=seller.headers, json=order)
    assert 400 <= response.status_code < 500, response.text


def test_a_sell_at_a_price_past_64_bits_never_fails_its_batch(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller = make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, None)
    symbol = asset["symbol"]
    good = _signed_or_refused(client, seller, {"symbol": symbol, "side": "sell", "price": "5", "quantity": "1"})
    huge = _signed_or_refused(client, seller, {"symbol": symbol, "side": "sell", "price": TOP_PRICE, "quantity": "1"})
    response = _post(client, seller, {"orders": [good, huge]})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["status"] == 201 and 400 <= results[1]["status"] < 500, results


def test_the_market_still_trades_after_an_order_past_64_bits_failed(
    client, admin, chain_info, make_asset, make_investor
):
    """Whatever the answer to the overflowing order, it leaves nothing behind: the book stays
    empty of it and the next orders of that market trade."""
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    huge = _signed_or_refused(client, seller, {"symbol": symbol, "side": "sell", "price": TOP_PRICE, "quantity": "1"})
    client.post("/v1/orders", headers=seller.headers, json=huge)
    _post(client, seller, {"orders": [huge]})
    assert client.get(f"/v1/markets/{symbol}/book").json()["asks"] == []
    sell = _signed(client, seller, {"symbol": symbol, "side": "sell", "price": "5", "quantity": "1"})
    assert client.post("/v1/orders", headers=seller.headers, json=sell).status_code == 201
    buy = _signed(client, buyer, {"symbol": symbol, "side": "buy", "price": "5", "quantity": "1"})
    results = _post(client, buyer, {"orders": [buy]}).json()["results"]
    assert results[0]["status"] == 201 and results[0]["order"]["status"] == "filled", results


def test_odd_ids_are_answered_never_a_500(client, admin, chain_info, make_asset, make_investor):
    """client_order_ids and cancel ids with NUL, quotes, SQL wildcards, path tricks and
    non-ASCII: each item answered on its own, none 500 (on SQLite and PostgreSQL)."""
    asset = make_asset()
    seller = make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, None)
    symbol = asset["symbol"]
    cids = ["nul\x00id", "%' OR 1=1 --", "\u00fc\u202e\U0001f600"]
    signed = [
        _signed_or_refused(
            client,
            seller,
            {"symbol": symbol, "side": "sell", "price": str(5 + i), "quantity": "1", "client_order_id": c},
        )
        for i, c in enumerate(cids)
    ]
    response = _post(client, seller, {"orders": signed})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert all(r["status"] < 500 for r in results), results
    ids = [r["order"]["id"] for r in results if "order" in r]
    odd = ["%", "' OR 1=1 --", "\u00fc\u202e", "../" * 30]
    cancel = client.post("/v1/orders/cancel-batch", headers=seller.headers, json={"order_ids": odd + ids})
    assert cancel.status_code == 200, cancel.text
    codes = _codes(cancel.json()["results"])
    assert codes[: len(odd)] == [(404, "order.not_found")] * len(odd)
    assert all(status < 500 for status, _ in codes), codes
    # a NUL character (which PostgreSQL cannot store or compare) is refused before any query:
    # in a body's string, in the path, in the query string
    nul = client.post("/v1/orders/cancel-batch", headers=seller.headers, json={"order_ids": ["nul\x00id", *ids]})
    assert nul.status_code == 422 and nul.json()["error"]["code"] == "validation.invalid", nul.text
    gone = client.delete("/v1/orders/nul%00id", headers=seller.headers)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "order.not_found", gone.text
    assert client.get("/v1/orders", headers=seller.headers, params={"symbol": "A\x00"}).status_code == 422


def test_a_max_balance_is_counted_across_the_buys_of_a_batch_and_the_next_batch(
    client, admin, chain_info, make_asset, make_investor
):
    """A cap of 10 units per investor: buys of 6 and 6 in one batch cannot both rest (they
    would take the buyer to 12), nor can a later batch's 6 on top of the 6 resting."""
    asset = make_asset()
    buyer = make_investor()
    fund_and_approve(client, admin, chain_info, asset, None, buyer)
    symbol = asset["symbol"]
    assert put_rules(client, admin, symbol, max_balance="10").status_code == 200
    buys = [_signed(client, buyer, {"symbol": symbol, "side": "buy", "price": "1", "quantity": "6"}) for _ in range(3)]
    first = _post(client, buyer, {"orders": buys[:2]}).json()["results"]
    assert _codes(first) == [(201, "ok"), (422, "compliance.max_balance")], first
    later = _post(client, buyer, {"orders": buys[2:]}).json()["results"]
    assert _codes(later) == [(422, "compliance.max_balance")], later
    assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == [["1", "6"]]
