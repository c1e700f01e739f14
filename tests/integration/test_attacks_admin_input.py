"""A leaked or careless admin API key sends absurd privileged actions: every one is a 4xx with
the error envelope, nothing is appended to the audit log, and never a 500 (issue 15's bad input)."""

from __future__ import annotations

import pytest

WHY = {"reason_code": "court_order", "reason": "Order 2026-17 of the district court"}
STRANGER = "0x" + "12" * 20


@pytest.fixture
def holder(client, admin, make_asset, make_investor):
    """An asset, alice holding 100 of it, bob registered, and a stored supporting document."""
    asset = make_asset()
    alice, bob = make_investor(), make_investor()
    body = {"wallet": alice.wallet.address, "quantity": "100", **WHY}
    assert client.post(f"/v1/admin/assets/{asset['symbol']}/mint", headers=admin, json=body).status_code == 200
    evidence = client.post("/v1/admin/evidence", headers=admin, files={"file": ("o.pdf", b"%PDF order 77", "x")})
    assert evidence.status_code == 201, evidence.text
    return asset, alice, bob, evidence.json()["sha256"]


CASES = [  # (a no-op action - resume an open market, unpause, unfreeze, a forced transfer to
    # the same wallet - is accepted and logged, by design of the routes: not tested here)
    ("/assets/{symbol}/freeze-partial", {"wallet": "{a}", "quantity": "1000", **WHY}),
    ("/assets/{symbol}/freeze-partial", {"wallet": "{a}", "quantity": "1e60", **WHY}),
    ("/assets/{symbol}/freeze-partial", {"wallet": "{a}", "quantity": "0.0000000000000000001", **WHY}),
    ("/assets/{symbol}/unfreeze-partial", {"wallet": "{a}", "quantity": "5", **WHY}),
    ("/assets/{symbol}/mint", {"wallet": STRANGER, "quantity": "1", **WHY}),
    ("/assets/{symbol}/mint", {"wallet": "{a}", "quantity": "1e80", **WHY}),
    ("/assets/{symbol}/burn", {"wallet": "{b}", "quantity": "1", **WHY}),
    (
        "/assets/{symbol}/forced-transfer",
        {"from_wallet": "{a}", "to_wallet": STRANGER, "quantity": "1", "document_hash": "{d}", **WHY},
    ),
    (
        "/assets/{symbol}/forced-transfer",
        {"from_wallet": "{a}", "to_wallet": "{b}", "quantity": "101", "document_hash": "{d}", **WHY},
    ),
    (
        "/assets/{symbol}/forced-transfer",
        {"from_wallet": "{b}", "to_wallet": "{a}", "quantity": "1", "document_hash": "{d}", **WHY},
    ),
    (
        "/assets/{symbol}/forced-transfer",
        {"from_wallet": "{a}", "to_wallet": "{b}", "quantity": "1", "document_hash": "zz" * 32, **WHY},
    ),
    (
        "/assets/{symbol}/forced-transfer",
        {"from_wallet": "{a}", "to_wallet": "{b}", "quantity": "1", "document_hash": "0x" + "ab", **WHY},
    ),
    ("/recoveries", {"lost_wallet": "{a}", "new_wallet": "{a}", "document_hash": "{d}", **WHY}),
    ("/recoveries", {"lost_wallet": "{a}", "new_wallet": "{b}", "document_hash": "{d}", **WHY}),
    ("/recoveries", {"lost_wallet": STRANGER, "new_wallet": "0x" + "34" * 20, "document_hash": "{d}", **WHY}),
    ("/recoveries", {"lost_wallet": "{a}", "new_wallet": "0x" + "00" * 20, "document_hash": "{d}", **WHY}),
    ("/investors/99999999999999999999/revoke", WHY),
    ("/investors/-1/rotate-key", WHY),
    ("/markets/NOSUCH/halt", WHY),
]


@pytest.mark.parametrize(("path", "body"), CASES)
def test_absurd_privileged_actions_are_4xx_and_append_nothing(client, admin, holder, path, body):
    asset, alice, bob, digest = holder
    values = {"symbol": asset["symbol"], "a": alice.wallet.address, "b": bob.wallet.address, "d": digest}
    before = client.get("/v1/audit/head").json()
    filled = {k: v.format(**values) if isinstance(v, str) else v for k, v in body.items()}
    response = client.post(f"/v1/admin{path.format(**values)}", headers=admin, json=filled)
    assert 400 <= response.status_code < 500, response.text
    assert "code" in response.json()["error"], response.text
    assert client.get("/v1/audit/head").json() == before
