"""The operator console's read views (admin key): investors, each asset's pause state, and
its holders with whole and partial freezes, read back from the token on a real chain."""

from __future__ import annotations

import pytest

from tests.support.trading import fund_and_approve

pytestmark = pytest.mark.chain

WHY = {"reason_code": "court_order", "reason": "Attachment order 2026-117"}


def holders(client, admin, symbol: str) -> dict:
    response = client.get(f"/v1/admin/assets/{symbol}/holders", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


def test_holders_show_balances_and_freezes_as_the_token_has_them(client, admin, chain_info, make_asset, make_investor):
    asset, holder, other = make_asset(), make_investor(), make_investor()
    symbol, wallet = asset["symbol"], holder.wallet.address
    assert holders(client, admin, symbol) == {"symbol": symbol, "paused": False, "wallets": []}
    fund_and_approve(client, admin, chain_info, asset, seller=holder)
    assert holders(client, admin, symbol)["wallets"] == [
        {
            "wallet": wallet,
            "investor_id": holder.id,
            "name": f"Investor {wallet[:8]}",
            "balance": "100",
            "frozen": False,
            "frozen_quantity": "0",
        }
    ]

    path = f"/v1/admin/assets/{symbol}"
    response = client.post(f"{path}/freeze-partial", headers=admin, json={"wallet": wallet, "quantity": "25", **WHY})
    assert response.status_code == 200, response.text
    # a whole-wallet freeze of a wallet holding nothing still shows: it matters before it receives
    response = client.post(f"{path}/freeze", headers=admin, json={"wallet": other.wallet.address, **WHY})
    assert response.status_code == 200, response.text
    states = {w["wallet"]: w for w in holders(client, admin, symbol)["wallets"]}
    assert states[wallet]["frozen_quantity"] == "25" and states[wallet]["frozen"] is False
    assert states[other.wallet.address] == {
        "wallet": other.wallet.address,
        "investor_id": other.id,
        "name": f"Investor {other.wallet.address[:8]}",
        "balance": "0",
        "frozen": True,
        "frozen_quantity": "0",
    }

    response = client.post(f"{path}/pause", headers=admin, json=WHY)
    assert response.status_code == 200, response.text
    try:
        assert holders(client, admin, symbol)["paused"] is True
        listed = {a["symbol"]: a for a in client.get("/v1/admin/assets", headers=admin).json()}
        assert listed[symbol]["paused"] is True and listed[symbol]["market_status"]
    finally:
        client.post(f"{path}/unpause", headers=admin, json=WHY)
    assert holders(client, admin, symbol)["paused"] is False


def test_investor_list_filters_by_status_and_refuses_bad_input(client, admin, make_investor):
    investor = make_investor()
    listed = client.get("/v1/admin/investors", headers=admin).json()["investors"]
    assert listed[0]["id"] == investor.id  # newest first
    response = client.post(f"/v1/admin/investors/{investor.id}/revoke", headers=admin, json=WHY)
    assert response.status_code == 200, response.text
    revoked = client.get("/v1/admin/investors", headers=admin, params={"status": "revoked"}).json()["investors"]
    assert investor.id in {i["id"] for i in revoked} and {i["status"] for i in revoked} == {"revoked"}

    for params in ({"status": "gone"}, {"limit": 0}, {"limit": 1001}):
        response = client.get("/v1/admin/investors", headers=admin, params=params)
        assert response.status_code == 422, (params, response.text)
    response = client.get("/v1/admin/assets/NOSUCH/holders", headers=admin)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "asset.not_found")
    response = client.get("/v1/admin/investors", headers=make_investor().headers)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "auth.forbidden")
