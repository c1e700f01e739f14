"""POST /v1/orders/batch and POST /v1/orders/cancel-batch (issue 16): each item answered on its
own with the status and error code the single endpoint gives it, in order; a bad item never
fails its neighbours; the batch's own limits (1-50 items, the body limit); a revocation stops
the rest of a batch that is running."""

from __future__ import annotations

import json
import os
import threading
import time
from decimal import Decimal

from sqlmodel import Session, col, select
from typer.testing import CliRunner

from backend import cli
from backend.api.batch import CancelBatchResults, OrderBatchResults
from backend.client import ApiError, ExchangeClient
from backend.commands import orders as orders_commands
from backend.models.trading import Order
from bench.chaos import run_chaos
from bench.stack import Stack
from tests.support.compliance import put_rules
from tests.support.live_stack import TEST_PORT
from tests.support.trading import fund_and_approve


def _signed(client, investor, order: dict) -> dict:
    """The order with the nonce and expiry typed-data hands out, signed by the investor's wallet."""
    typed = client.post("/v1/orders/typed-data", headers=investor.headers, json=order)
    assert typed.status_code == 200, typed.text
    message = typed.json()["message"]
    return {
        **order,
        "nonce": message["nonce"],
        "expires_at": message["expiry"],
        "signature": investor.wallet.sign_order(typed.json()),
    }


def _batch(client, investor, orders: list) -> list[dict]:
    response = client.post("/v1/orders/batch", headers=investor.headers, json={"orders": orders})
    assert response.status_code == 200, response.text
    OrderBatchResults.model_validate(response.json())  # every result as the schema says
    results = response.json()["results"]
    assert len(results) == len(orders)
    return results


def _code(result: dict) -> tuple[int, str]:
    return result["status"], result["error"]["code"] if "error" in result else "ok"


def test_a_mixed_batch_answers_each_order_as_the_single_endpoint_does(
    client, admin, chain_info, make_asset, make_investor
):
    asset, halted, foreign = make_asset(), make_asset(), make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer, cash="100")
    symbol = asset["symbol"]
    buy = {"symbol": symbol, "side": "buy", "price": "1", "quantity": "1"}
    good = _signed(client, buyer, {**buy, "client_order_id": "first"})
    other = _signed(client, buyer, {**buy, "quantity": "2"})
    # Signed while the markets were open and the buyer eligible; then the venue changes.
    on_halted = _signed(client, buyer, {**buy, "symbol": halted["symbol"]})
    ineligible = _signed(client, buyer, {**buy, "symbol": foreign["symbol"]})
    body = {"reason_code": "market_integrity", "reason": "batch test"}
    assert client.post(f"/v1/admin/markets/{halted['symbol']}/halt", headers=admin, json=body).status_code == 200
    assert put_rules(client, admin, foreign["symbol"], allowed_countries=["DE"]).status_code == 200
    too_much = _signed(client, buyer, {**buy, "quantity": "500"})  # 500 at 1 against 100 of cash
    second = _signed(client, buyer, {**buy, "quantity": "2", "client_order_id": "second"})
    items = [
        good,
        {**other, "signature": good["signature"]},  # another order's signature
        {**other, "price": "1.001"},  # off the 0.01 tick
        {**other, "symbol": "NOSUCH"},
        {**good, "client_order_id": "replayed"},  # the first order's nonce again
        too_much,
        on_halted,
        ineligible,
        42,  # not an order at all
        {k: v for k, v in other.items() if k != "nonce"},
        second,
        {**good, "client_order_id": "first"},  # a retry of the first: its original order
    ]
    expected = [
        (201, "ok"),
        (422, "order.bad_signature"),
        (422, "order.invalid_tick"),
        (404, "asset.not_found"),
        (409, "order.duplicate_nonce"),
        (422, "order.insufficient_cash"),
        (409, "market.halted"),
        (422, "compliance.country_not_allowed"),
        (422, "validation.invalid"),
        (422, "validation.invalid"),
        (201, "ok"),
        (200, "ok"),
    ]
    results = _batch(client, buyer, items)
    assert [_code(r) for r in results] == expected, results
    assert results[9]["error"]["details"][0]["field"] == "nonce"
    assert results[-1]["order"]["id"] == results[0]["order"]["id"]
    assert results[10]["order"]["client_order_id"] == "second" and results[10]["order"]["status"] == "open"
    # The single endpoint gives each refused order the same status and code (nothing it refuses
    # changes state: sending them again is the same question).
    # (The halted market's order was journaled and rejected by its engine: its nonce is spent,
    # so the single endpoint is asked with a newly signed one.)
    items[6] = _signed(client, buyer, {**buy, "symbol": halted["symbol"]})
    for item, (status, code) in zip(items, expected, strict=True):
        if code == "ok":
            continue
        single = client.post("/v1/orders", headers=buyer.headers, json=item)
        assert (single.status_code, single.json()["error"]["code"]) == (status, code), (item, single.text)
    # The good orders rest; the refused ones left nothing behind.
    assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == [["1", "3"]]
    with Session(client.app.state.db) as session:
        rows = session.exec(select(Order).where(Order.investor_id == buyer.id)).all()
    assert sorted(o.client_order_id or "" for o in rows if o.status == "open") == ["first", "second"]


def test_a_batch_trades_against_the_book_and_matches_like_single_orders(
    client, admin, chain_info, make_asset, make_investor
):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    asks = [_signed(client, seller, {"symbol": symbol, "side": "sell", "price": p, "quantity": "2"}) for p in "234"]
    assert [r["status"] for r in _batch(client, seller, asks)] == [201, 201, 201]
    taker = _signed(
        client, buyer, {"symbol": symbol, "side": "buy", "price": "3", "quantity": "3", "time_in_force": "IOC"}
    )
    (result,) = _batch(client, buyer, [taker])
    assert result["status"] == 201 and result["order"]["status"] == "filled", result
    assert [(f["price"], f["quantity"]) for f in result["order"]["fills"]] == [("2", "2"), ("3", "1")]
    assert client.get(f"/v1/markets/{symbol}/book").json()["asks"] == [["3", "1"], ["4", "2"]]


def test_the_batchs_own_limits(client, make_investor, make_asset, settings):
    investor = make_investor()
    symbol = make_asset()["symbol"]
    for orders in ([], [{"symbol": symbol}] * 51):
        response = client.post("/v1/orders/batch", headers=investor.headers, json={"orders": orders})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation.invalid"
    for ids in ([], ["x"] * 51):
        response = client.post("/v1/orders/cancel-batch", headers=investor.headers, json={"order_ids": ids})
        assert response.status_code == 422 and response.json()["error"]["code"] == "validation.invalid"
    for body in ({}, {"orders": "all"}, [], {"orders": [], "extra": 1}):
        response = client.post("/v1/orders/batch", headers=investor.headers, json=body)
        assert response.status_code == 422 and response.json()["error"]["code"] == "validation.invalid"
    padding = "x" * settings.max_body_bytes
    oversize = client.post("/v1/orders/batch", headers=investor.headers, json={"orders": [{"symbol": padding}]})
    assert oversize.status_code == 413 and oversize.json()["error"]["code"] == "request.too_large"
    unauthenticated = client.post("/v1/orders/batch", json={"orders": [{"symbol": symbol}]})
    assert unauthenticated.status_code == 401 and unauthenticated.json()["error"]["code"] == "auth.missing_key"
    # Fifty of them is a batch: each refused on its own (no signature, no quantity).
    full = _batch(client, investor, [{"symbol": symbol, "side": "buy", "price": "1"}] * 50)
    assert {_code(r) for r in full} == {(422, "validation.invalid")}


def test_a_batch_cancel_answers_each_id_as_delete_does(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    bids = [_signed(client, buyer, {"symbol": symbol, "side": "buy", "price": p, "quantity": "1"}) for p in "123"]
    ids = [r["order"]["id"] for r in _batch(client, buyer, bids)]
    theirs = seller.wallet.place_order(
        client, seller.api_key, {"symbol": symbol, "side": "sell", "price": "9", "quantity": "1"}
    ).json()["id"]
    asked = [ids[0], ids[2], "no-such-order", ids[0], theirs]
    response = client.post("/v1/orders/cancel-batch", headers=buyer.headers, json={"order_ids": asked})
    assert response.status_code == 200, response.text
    CancelBatchResults.model_validate(response.json())
    results = response.json()["results"]
    assert [_code(r) for r in results] == [
        (200, "ok"),
        (200, "ok"),
        (404, "order.not_found"),
        (409, "order.not_open"),
        (404, "order.not_found"),  # another investor's order: as if it did not exist
    ]
    for result, order_id in zip(results[:2], asked, strict=False):
        order = result["order"]
        assert (order["id"], order["status"], order["cancel_reason"]) == (order_id, "cancelled", "user")
        assert order["onchain_cancel"]["function"].startswith("cancelUpTo")
    for order_id, result in zip(asked[2:], results[2:], strict=True):
        single = client.delete(f"/v1/orders/{order_id}", headers=buyer.headers)
        assert (single.status_code, single.json()["error"]["code"]) == _code(result)
    book = client.get(f"/v1/markets/{symbol}/book").json()
    assert book["bids"] == [["2", "1"]] and book["asks"] == [["9", "1"]]


def test_a_revocation_takes_effect_in_a_stream_of_batches(client, admin, chain_info, make_asset, make_investor):
    """Batches of 5 one after another; the investor is revoked while they stream. A batch is
    placed as a whole (one group commit): once the revocation is in, the next batch is refused,
    and whatever was placed, also by a batch that was running meanwhile, is cancelled."""
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    batches = [
        [_signed(client, buyer, {"symbol": symbol, "side": "buy", "price": "0.5", "quantity": "1"}) for _ in range(5)]
        for _ in range(20)
    ]
    answers: list = []
    revoked = threading.Event()

    def stream() -> None:  # a batch every 300 ms or so, until one is refused
        for orders in batches:
            sent_after_revocation = revoked.is_set()
            response = client.post("/v1/orders/batch", headers=buyer.headers, json={"orders": orders})
            answers.append((sent_after_revocation, response))
            if response.status_code != 200:
                return
            time.sleep(0.3)  # 20 batches outlast the revocation (its chain transactions)

    sender = threading.Thread(target=stream)
    sender.start()
    deadline = time.monotonic() + 60
    while not answers and time.monotonic() < deadline:  # the stream is under way
        time.sleep(0.005)
    assert client.delete(f"/v1/investors/{buyer.id}", headers=admin).status_code == 200
    revoked.set()
    sender.join(timeout=120)
    placed = [a for _, a in answers if a.status_code == 200]
    assert placed and all(r["status"] == 201 for a in placed for r in a.json()["results"]), answers
    # After the revocation returned, the very next batch is refused as a whole (its key is revoked).
    after = [a for was_revoked, a in answers if was_revoked]
    assert after and after[0].status_code == 401 and after[0].json()["error"]["code"] == "auth.invalid_key"
    # Nothing of the investor's is left resting, whichever batch was running meanwhile.
    with Session(client.app.state.db) as session:
        still = session.exec(
            select(Order).where(Order.investor_id == buyer.id, col(Order.status).in_(["open", "partially_filled"]))
        ).all()
        cancelled = session.exec(select(Order).where(Order.investor_id == buyer.id)).all()
    assert still == [] and {o.cancel_reason for o in cancelled} == {"revoked"}
    assert client.get(f"/v1/markets/{symbol}/book").json()["bids"] == []


def test_the_python_client_signs_and_sends_a_batch(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    with ExchangeClient(
        "http://testserver",
        api_key=seller.api_key,
        private_key=seller.wallet.account.key.to_0x_hex(),
        transport=client._transport,
    ) as ex:
        results = ex.place_orders(
            [
                {"symbol": symbol, "side": "sell", "quantity": "1", "price": "5"},
                {"symbol": "NOSUCH", "side": "sell", "quantity": "1", "price": "5"},  # refused at typed-data
                {"symbol": symbol, "side": "sell", "quantity": "1", "price": "5.001"},  # refused in the batch
                {"symbol": symbol, "side": "sell", "quantity": Decimal("2"), "price": "6"},
            ]
        )
        assert [r.code if isinstance(r, ApiError) else r["status"] for r in results] == [
            "open",
            "asset.not_found",
            "order.invalid_tick",
            "open",
        ]
        assert client.get(f"/v1/markets/{symbol}/book").json()["asks"] == [["5", "1"], ["6", "2"]]
        cancelled = ex.cancel_orders([results[0]["id"], "nope"])
        assert cancelled[0]["status"] == "cancelled"
        assert isinstance(cancelled[1], ApiError) and cancelled[1].status == 404


def test_sigkill_in_the_middle_of_batches_loses_no_order_and_doubles_none(node, tmp_path, stack_database_url):
    """The bounded version of `make chaos` through the batch endpoint: a kill can cut a batch
    half placed; resent as it was, each order is acknowledged exactly once (200 if it had been
    committed, 201 if not), and the invariants of bench/invariants.py hold."""
    stack = Stack(
        tmp_path / "stack",
        chain_port=TEST_PORT,
        service_port=int(os.environ.get("RWA_CHAOS_SERVICE_PORT", "8178")),
        rpc_url=node.rpc_url,
        deployment_file=node.deployment_file,
        database_url=stack_database_url,
        env={"RWA_FUNDS_MAX_AGE_MS": "1000"},
    )
    try:
        stack.start_service()
        result = run_chaos(stack, kills=2, traders=3, seed=16, batch=10)
    finally:
        stack.close()
    print(f"\nSIGKILL x2 through batches: {result.figures()}")
    verdict = result.verdict
    assert result.kills == 2 and verdict.acknowledged > 0 and verdict.trades > 0
    assert verdict.missing_orders == [] and verdict.missing_fills == []
    assert verdict.lost_trades == [] and verdict.extra_trades == []
    assert verdict.book_matches_replay and verdict.open_orders_match_replay
    assert verdict.unfinished == 0 and verdict.doubled == 0 and verdict.settled_disagree == 0
    assert verdict.balance_mismatches == []


def test_rwa_orders_place_batch_signs_a_file_of_orders(
    client, admin, chain_info, make_asset, make_investor, tmp_path, monkeypatch
):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]
    monkeypatch.setattr(
        orders_commands,
        "client_for",
        lambda url, api_key, key: ExchangeClient(url, api_key=api_key, private_key=key, transport=client._transport),
    )
    key_file = tmp_path / "key"
    key_file.write_text(seller.wallet.account.key.to_0x_hex())
    orders = [
        {"symbol": symbol, "side": "sell", "quantity": "1", "price": str(7 + i), "client_order_id": f"cli-{i}"}
        for i in range(55)  # two batches
    ]
    orders[3]["price"] = "7.001"
    (tmp_path / "orders.json").write_text(json.dumps(orders))
    args = ["orders", "place-batch", "--file", str(tmp_path / "orders.json"), "--wallet-key-file", str(key_file)]
    result = CliRunner().invoke(cli.app, [*args, "--api-key", seller.api_key, "--url", "http://testserver"])
    assert result.exit_code == 1, result.output  # one order refused
    assert "cli-3: order.invalid_tick" in result.output and "54 of 55 orders placed" in result.output
    asks = client.get(f"/v1/markets/{symbol}/book", params={"depth": 100}).json()["asks"]
    assert len(asks) == 54 and asks[0] == ["7", "1"]
    # Run again: every client_order_id finds its order (nothing placed twice).
    again = CliRunner().invoke(cli.app, [*args, "--api-key", seller.api_key, "--url", "http://testserver"])
    assert (
        again.exit_code == 1
        and len(client.get(f"/v1/markets/{symbol}/book", params={"depth": 100}).json()["asks"]) == 54
    )
    (tmp_path / "bad.json").write_text("{not json")
    bad = CliRunner().invoke(
        cli.app,
        [
            "orders",
            "place-batch",
            "--file",
            str(tmp_path / "bad.json"),
            "--wallet-key-file",
            str(key_file),
            "--api-key",
            seller.api_key,
            "--url",
            "http://testserver",
        ],
    )
    assert bad.exit_code == 2, bad.output
