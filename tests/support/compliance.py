"""Helpers shared by the compliance integration tests: rules, checks, agent actions, chain verdicts."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.assets.service import get_asset
from backend.chain.client import Chain
from backend.compliance.sync import rules_contract, sync, token_contract
from backend.models.assets import Asset

ZERO = "0x0000000000000000000000000000000000000000"
UNIT = 10**18


def service_chain(client: TestClient) -> Chain:
    return client.app.state.chain  # type: ignore[attr-defined]


def db_session(client: TestClient) -> Session:
    return Session(client.app.state.db, expire_on_commit=False)  # type: ignore[attr-defined]


def asset_row(client: TestClient, symbol: str) -> Asset:
    with db_session(client) as session:
        return get_asset(session, symbol)


def put_rules(client: TestClient, headers: dict, symbol: str, **rules: Any) -> Any:
    body = {
        "allowed_countries": [],
        "accredited_only": False,
        "max_holders": 0,
        "max_balance": "0",
        "lockup_seconds": 0,
        **rules,
    }
    return client.put(f"/v1/assets/{symbol}/rules", headers=headers, json=body)


def check(client: TestClient, headers: dict, symbol: str, sender: str, receiver: str, quantity: str) -> dict:
    response = client.post(
        "/v1/compliance/check",
        headers=headers,
        json={"symbol": symbol, "from_wallet": sender, "to_wallet": receiver, "quantity": quantity},
    )
    assert response.status_code == 200, response.text
    return response.json()


def onchain_code(client: TestClient, symbol: str, sender: str, receiver: str, units: int) -> int:
    chain = service_chain(client)
    asset = asset_row(client, symbol)
    rules = rules_contract(chain, asset)
    return int(chain.call(rules.functions.detectTransferRestriction(sender, receiver, units)))


def agent(client: TestClient, symbol: str, function: str, *args: Any) -> dict:
    """An AssetToken agent action sent by the operator, then the mirror synced past it."""
    chain = service_chain(client)
    asset = asset_row(client, symbol)
    receipt = chain.transact(getattr(token_contract(chain, asset).functions, function)(*args), governance=True)
    with db_session(client) as session:
        sync(session, chain, asset, min_block=int(receipt["blockNumber"]))
    return receipt


def sync_now(client: TestClient, symbol: str) -> int:
    chain = service_chain(client)
    with db_session(client) as session:
        return sync(session, chain, asset_row(client, symbol), min_block=chain.block_number())


def issue(client: TestClient, admin: dict, symbol: str, wallet: str, quantity: str) -> None:
    response = client.post(
        f"/v1/assets/{symbol}/issue", headers=admin, json={"to_wallet": wallet, "quantity": quantity}
    )
    assert response.status_code == 200, response.text
