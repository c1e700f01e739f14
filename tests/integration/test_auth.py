"""API keys and roles, against the real service."""

from __future__ import annotations


def test_missing_key_is_401_with_the_error_envelope(client):
    response = client.post("/v1/investors", json={})
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "auth.missing_key", "message": "send your API key in the X-API-Key header"}
    }


def test_unknown_key_is_401(client):
    response = client.get("/v1/trades", headers={"X-API-Key": "nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.invalid_key"


def test_investor_key_on_an_admin_endpoint_is_403(client, make_investor):
    investor = make_investor()
    response = client.post(
        "/v1/cash/faucet", headers=investor.headers, json={"wallet": investor.wallet.address, "amount": "1"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "auth.forbidden"


def test_revoked_investor_key_stops_working(client, admin, make_investor):
    investor = make_investor()
    assert client.get("/v1/orders", headers=investor.headers).status_code == 200
    assert client.delete(f"/v1/investors/{investor.id}", headers=admin).json()["status"] == "revoked"
    assert client.get("/v1/orders", headers=investor.headers).status_code == 401


def test_health_reports_chain_and_database(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["db"] == "ok"
    assert body["chain_id"] == 1337 and body["block"] > 0


def test_bad_input_gets_a_precise_code_not_a_500(client, admin, new_wallet):
    float_amount = client.post("/v1/cash/faucet", headers=admin, json={"wallet": new_wallet().address, "amount": 1.5})
    assert float_amount.status_code == 422
    assert float_amount.json()["error"]["code"] == "validation.invalid"
    bad_wallet = client.post(
        "/v1/investors",
        headers=admin,
        json={"wallet": "0x123", "name": "x", "country": "US", "accredited": True, "kyc_expires": "2099-01-01"},
    )
    assert bad_wallet.status_code == 422
    assert bad_wallet.json()["error"]["code"] == "validation.invalid"
    bad_country = client.post(
        "/v1/investors",
        headers=admin,
        json={
            "wallet": new_wallet().address,
            "name": "x",
            "country": "QQ",
            "accredited": True,
            "kyc_expires": "2099-01-01",
        },
    )
    assert bad_country.json()["error"]["code"] == "validation.invalid"
    assert client.get("/v1/assets/NOPE").json()["error"]["code"] == "asset.not_found"


def test_issuer_key_issues_only_its_own_assets(client, admin, make_asset, make_investor):
    own, other = make_asset(), make_asset()
    created = client.post(
        "/v1/issuers/keys", headers=admin, json={"wallet": own["issuer_wallet"], "name": "Own issuer"}
    )
    assert created.status_code == 201
    issuer = {"X-API-Key": created.json()["api_key"]}
    holder = make_investor()
    ok = client.post(
        f"/v1/assets/{own['symbol']}/issue", headers=issuer, json={"to_wallet": holder.wallet.address, "quantity": "1"}
    )
    assert ok.status_code == 200, ok.text
    refused = client.post(
        f"/v1/assets/{other['symbol']}/issue",
        headers=issuer,
        json={"to_wallet": holder.wallet.address, "quantity": "1"},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.forbidden"
    assert (
        client.post("/v1/issuers/keys", headers=issuer, json={"wallet": own["issuer_wallet"], "name": "x"}).status_code
        == 403
    )


def test_an_issuer_key_is_a_privileged_action_in_the_audit_log(client, admin, make_asset):
    own = make_asset()
    why = {"reason_code": "corporate_action", "reason": "the issuer's treasury desk"}
    body = {"wallet": own["issuer_wallet"], "name": "Treasury"} | why
    assert client.post("/v1/issuers/keys", headers=admin, json=body).status_code == 201
    default = client.post("/v1/issuers/keys", headers=admin, json={"wallet": own["issuer_wallet"], "name": "Ops"})
    assert default.status_code == 201
    entries = client.get("/v1/audit", params={"action": "api_key.issue_issuer", "wallet": own["issuer_wallet"]}).json()[
        "entries"
    ]
    reasons = [(e["reason_code"], e["reason"]) for e in entries]
    assert ("corporate_action", "the issuer's treasury desk") in reasons
    assert ("corporate_action", f"issuer key 'Ops' for {default.json()['wallet']}") in reasons
    assert all(default.json()["api_key"] not in str(e) for e in entries)  # the key itself is never logged
    bad = client.post("/v1/issuers/keys", headers=admin, json=body | {"reason_code": "whim"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "governance.unknown_reason_code"
