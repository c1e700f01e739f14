"""The order budget (backend/api/limits.py OrderBudget): every order, alone or in a batch,
takes one token of its investor's budget, so POST /v1/orders/batch is no way around the
rate of POST /v1/orders. A batch needing more than is left is refused whole (429)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from tests.support.live_stack import ADMIN_KEY

BURST = 60
NOWHERE = {"symbol": "NOPE", "side": "buy", "type": "limit", "price": "1", "quantity": "1"}


@pytest.fixture(scope="module")
def budgeted(settings, tmp_path_factory) -> Iterator[TestClient]:
    own = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path_factory.mktemp('budget') / 'rwa.db'}",
            "order_rate_limit_per_second": 0.001,  # nothing comes back during the test
            "order_rate_limit_burst": BURST,
        }
    )
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        yield client


def test_a_batch_costs_its_orders_and_is_refused_whole_when_the_budget_is_short(budgeted, new_wallet):
    wallet = new_wallet()
    created = budgeted.post(
        "/v1/investors",
        headers={"X-API-Key": ADMIN_KEY},
        json={
            "wallet": wallet.address,
            "name": "Flood",
            "country": "US",
            "accredited": True,
            "kyc_expires": "2099-01-01",
        },
    )
    assert created.status_code == 201, created.text
    headers = {"X-API-Key": created.json()["api_key"]}

    first = budgeted.post("/v1/orders/batch", headers=headers, json={"orders": [NOWHERE] * 50})
    assert first.status_code == 200, first.text  # 50 tokens taken, each order answered on its own
    assert {r["error"]["code"] for r in first.json()["results"]} == {"asset.not_found"}

    assert budgeted.post("/v1/orders", headers=headers, json=NOWHERE).status_code == 404  # token 51

    refused = budgeted.post("/v1/orders/batch", headers=headers, json={"orders": [NOWHERE] * 50})
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "request.rate_limited" and int(refused.headers["Retry-After"]) >= 1

    # the refusal took nothing: the 9 tokens left still pay for 9 orders, then single orders stop too
    answers = [budgeted.post("/v1/orders", headers=headers, json=NOWHERE).status_code for _ in range(10)]
    assert answers == [404] * 9 + [429]
