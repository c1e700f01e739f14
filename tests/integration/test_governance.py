"""Operator powers under control, on a real ganache: the hot key holds no governance role,
every privileged action goes through /v1/admin with a reason and appends one audit entry,
bad input changes nothing, and `rwa audit verify` finds an edited entry, a deleted entry and
a rewritten anchor."""

from __future__ import annotations

import time

import pytest
from eth_account import Account
from eth_utils import keccak
from sqlmodel import Session, col, select
from typer.testing import CliRunner
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError

from backend.chain.artifacts import load_abi
from backend.cli import app as cli_app
from backend.commands import common
from backend.config import DEV_GOVERNANCE_KEY, DEV_OPERATOR_KEY
from backend.governance import log
from backend.models.governance import AuditAnchorRecord, AuditEntry
from tests.support.live_stack import ADMIN_KEY

OPERATOR = Account.from_key(DEV_OPERATOR_KEY).address
GOVERNANCE = Account.from_key(DEV_GOVERNANCE_KEY).address
ADMIN_ROLE = b"\0" * 32
WHY = {"reason_code": "court_order", "reason": "Order 2026-17 of the district court"}
UNIT = 10**18


def contract(node, settings, name: str, address: str):
    return node.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_abi(settings.build_dir, name))


def refuses(fn, sender: str) -> bool:
    try:
        fn.call({"from": sender})
    except (ContractCustomError, ContractLogicError):
        return True
    return False


def audit(client, **params) -> list[dict]:
    response = client.get("/v1/audit", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def head(client) -> dict | None:
    return client.get("/v1/audit/head").json()


@pytest.fixture
def rwa(settings, monkeypatch):
    monkeypatch.setattr(common.console, "width", 220)
    monkeypatch.setattr(common.err_console, "width", 220)
    env = {
        "DATABASE_URL": settings.database_url,
        "RPC_URL": settings.rpc_url,
        "RWA_DEPLOYMENT_FILE": str(settings.deployment_file),
        "RWA_STORAGE_DIR": str(settings.storage_dir),
        "RWA_ADMIN_KEY": ADMIN_KEY,
    }
    return lambda *args: CliRunner().invoke(cli_app, list(args), env=env)


@pytest.fixture
def listed(client, admin, make_asset, make_investor):
    """An asset, and two US accredited investors; alice holds 100."""
    asset = make_asset()
    alice, bob = make_investor(), make_investor()
    body = {"wallet": alice.wallet.address, "quantity": "100", **WHY, "reason_code": "corporate_action"}
    response = client.post(f"/v1/admin/assets/{asset['symbol']}/mint", headers=admin, json=body)
    assert response.status_code == 200, response.text
    return asset, alice, bob


def test_hot_key_holds_no_governance_role(node, settings, chain_info, listed):
    asset, alice, bob = listed
    contracts = chain_info["contracts"]
    token = contract(node, settings, "AssetToken", asset["token_address"])
    rules = contract(node, settings, "ComplianceRules", asset["rules_address"])
    registry = contract(node, settings, "IdentityRegistry", contracts["identity_registry"])
    factory = contract(node, settings, "AssetFactory", contracts["asset_factory"])
    a, b = alice.wallet.address, bob.wallet.address
    attempts = {
        "forced transfer": token.get_function_by_signature("forcedTransfer(address,address,uint256)")(a, b, UNIT),
        "mint": token.get_function_by_signature("mint(address,uint256)")(a, UNIT),
        "freeze": token.get_function_by_signature("setWalletFrozen(address,bool)")(a, True),
        "pause": token.get_function_by_signature("pause()")(),
        "rules": rules.functions.setRules([], False, 0, 0, 0),
        "grant a role": registry.functions.grantRole(ADMIN_ROLE, OPERATOR),
        "grant an agent": token.functions.grantRole(keccak(text="AGENT_ROLE"), OPERATOR),
    }
    for what, fn in attempts.items():
        assert refuses(fn, OPERATOR), f"the hot key could {what}"
        assert not refuses(fn, GOVERNANCE), f"the governance key could not {what}"
    assert not token.functions.hasRole(keccak(text="AGENT_ROLE"), OPERATOR).call()
    assert token.functions.hasRole(keccak(text="AGENT_ROLE"), GOVERNANCE).call()
    assert not factory.functions.hasRole(keccak(text="DEPLOYER_ROLE"), OPERATOR).call()
    for name in ("identity_registry", "asset_factory", "settlement_exchange", "cash_token", "revenue_distributor"):
        c = contract(node, settings, _abi_name(name), contracts[name])
        assert not c.functions.hasRole(ADMIN_ROLE, OPERATOR).call(), f"the hot key administers {name}"
        assert c.functions.hasRole(ADMIN_ROLE, GOVERNANCE).call(), f"governance does not administer {name}"


def _abi_name(key: str) -> str:
    return {
        "identity_registry": "IdentityRegistry",
        "asset_factory": "AssetFactory",
        "settlement_exchange": "SettlementExchange",
        "cash_token": "CashToken",
        "revenue_distributor": "RevenueDistributor",
    }[key]


def test_every_privileged_action_appends_its_entry(client, admin, node, settings, listed, new_wallet, make_investor):
    asset, alice, bob = listed
    symbol, a, b = asset["symbol"], alice.wallet.address, bob.wallet.address
    token = contract(node, settings, "AssetToken", asset["token_address"])

    def act(path: str, body: dict | None = None, method: str = "post", reason_code: str = "court_order") -> dict:
        payload = {**(body or {}), "reason_code": reason_code, "reason": f"because of {path}"}
        response = client.request(method, f"/v1/admin{path}", headers=admin, json=payload)
        assert response.status_code == 200, response.text
        return response.json()

    act(f"/assets/{symbol}/freeze-partial", {"wallet": a, "quantity": "10"})
    assert token.functions.frozenTokens(a).call() == 10 * UNIT
    act(f"/assets/{symbol}/unfreeze-partial", {"wallet": a, "quantity": "4"})
    assert token.functions.frozenTokens(a).call() == 6 * UNIT
    act(f"/assets/{symbol}/freeze", {"wallet": b}, reason_code="sanctions")
    assert token.functions.isFrozen(b).call()
    act(f"/assets/{symbol}/unfreeze", {"wallet": b}, reason_code="error_correction")
    assert not token.functions.isFrozen(b).call()
    act(f"/assets/{symbol}/pause", reason_code="regulator_request")
    assert token.functions.paused().call()
    act(f"/assets/{symbol}/unpause", reason_code="regulator_request")
    evidence = client.post("/v1/admin/evidence", headers=admin, files={"file": ("order.pdf", b"%PDF court order", "x")})
    assert evidence.status_code == 201, evidence.text
    digest = evidence.json()["sha256"]
    act(
        f"/assets/{symbol}/forced-transfer",
        {"from_wallet": a, "to_wallet": b, "quantity": "20", "document_hash": digest},
    )
    assert token.functions.balanceOf(b).call() == 20 * UNIT
    act(f"/assets/{symbol}/burn", {"wallet": b, "quantity": "5"}, reason_code="corporate_action")
    assert token.functions.balanceOf(b).call() == 15 * UNIT
    act(f"/assets/{symbol}/rules", {"allowed_countries": ["US", "GB"], "max_holders": 50}, "put", "corporate_action")
    assert client.get(f"/v1/assets/{symbol}/rules").json()["max_holders"] == 50
    act(f"/markets/{symbol}/halt", reason_code="market_integrity")
    assert "operator" in client.get(f"/v1/assets/{symbol}").json()["market_status"]
    act(f"/markets/{symbol}/resume", reason_code="market_integrity")
    # resumed: open, or reopening through a call auction where the phases are on
    assert "operator" not in client.get(f"/v1/assets/{symbol}").json()["market_status"]

    rotated = act(f"/investors/{bob.id}/rotate-key", reason_code="key_compromise")
    assert client.get("/v1/account", headers=bob.headers).status_code == 401
    assert client.get("/v1/account", headers={"X-API-Key": rotated["api_key"]}).status_code == 200
    act(f"/investors/{bob.id}/revoke", reason_code="kyc_update")
    registry = contract(
        node, settings, "IdentityRegistry", client.get("/v1/chain").json()["contracts"]["identity_registry"]
    )
    assert not registry.functions.isVerified(b).call()
    act(f"/investors/{bob.id}/reinstate", reason_code="kyc_update")
    assert registry.functions.isVerified(b).call()

    new = new_wallet().address
    recovered = act(
        "/recoveries", {"lost_wallet": a, "new_wallet": new, "document_hash": digest}, reason_code="lost_keys"
    )
    assert recovered["entries"][0]["asset"] is None  # the registry first
    assert symbol in [e["asset"] for e in recovered["entries"]]
    assert token.functions.balanceOf(new).call() == 80 * UNIT and token.functions.balanceOf(a).call() == 0
    assert token.functions.frozenTokens(new).call() == 6 * UNIT
    assert registry.functions.isVerified(new).call() and not registry.functions.isVerified(a).call()
    assert client.get(f"/v1/investors/{alice.id}", headers=admin).json()["wallet"] == new

    entries = audit(client, asset=symbol)
    assert [e["action"] for e in entries] == [
        "asset.mint",
        "tokens.freeze",
        "tokens.unfreeze",
        "wallet.freeze",
        "wallet.unfreeze",
        "asset.pause",
        "asset.unpause",
        "asset.forced_transfer",
        "asset.burn",
        "asset.rules",
        "market.halt",
        "market.resume",
        "wallet.recover",
    ]
    chain_actions = [e for e in entries if not e["action"].startswith("market.")]
    assert all(e["tx_hash"] and e["tx_hash"].startswith("0x") for e in chain_actions)
    forced = next(e for e in entries if e["action"] == "asset.forced_transfer")
    assert forced["document_hash"] == digest and forced["wallet"] == a and forced["actor"] == "admin-key"
    by_bob = [e["action"] for e in audit(client, wallet=b) if e["asset"] is None]
    assert by_bob == ["api_key.rotate", "investor.revoke", "investor.reinstate"]
    every = audit(client)
    assert log.find_breaks(every) == []
    event = _agent_event(token)
    if event:  # the token emits the agent, the reason code and the document hash (issue 15)
        receipt = node.w3.eth.get_transaction_receipt(forced["tx_hash"])
        logs = [x for x in receipt["logs"] if x["topics"][0] == keccak(text=event)]
        assert logs and digest in bytes(logs[0]["data"]).hex()


def _agent_event(token) -> str:
    """The agent-action event's signature, if the token emits one (issue 15)."""
    for item in token.abi:
        if item.get("type") == "event" and item["name"] == "AgentActionTaken":
            return f"AgentActionTaken({','.join(i['type'] for i in item['inputs'])})"
    return ""


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        (
            "/assets/{symbol}/freeze",
            {"wallet": "{a}", "reason_code": "whim", "reason": "x"},
            422,
            "governance.unknown_reason_code",
        ),
        ("/assets/{symbol}/freeze", {"wallet": "{a}", "reason_code": "sanctions"}, 422, "governance.reason_required"),
        (
            "/assets/{symbol}/freeze",
            {"wallet": "{a}", "reason_code": "sanctions", "reason": " "},
            422,
            "governance.reason_required",
        ),
        ("/assets/NOSUCH/freeze", {"wallet": "{a}", **WHY}, 404, "asset.not_found"),
        ("/assets/{symbol}/freeze", {"wallet": "0x" + "12" * 20, **WHY}, 404, "governance.wallet_not_found"),
        ("/assets/{symbol}/freeze", {"wallet": "not-a-wallet", **WHY}, 422, "validation.invalid"),
        ("/assets/{symbol}/mint", {"wallet": "{a}", "quantity": "1.5e3", **WHY}, 422, "validation.invalid"),
        ("/assets/{symbol}/mint", {"wallet": "{a}", "quantity": "2000000", **WHY}, 409, "asset.supply_exceeded"),
        ("/assets/{symbol}/burn", {"wallet": "{a}", "quantity": "1000", **WHY}, 422, "chain.reverted"),
        (
            "/assets/{symbol}/forced-transfer",
            {"from_wallet": "{a}", "to_wallet": "{b}", "quantity": "1", **WHY},
            422,
            "validation.invalid",
        ),
        (
            "/assets/{symbol}/forced-transfer",
            {"from_wallet": "{a}", "to_wallet": "{b}", "quantity": "1", "document_hash": "ab" * 32, **WHY},
            404,
            "governance.document_not_found",
        ),
        ("/investors/999999/revoke", WHY, 404, "investor.not_found"),
        ("/investors/{alice}/reinstate", WHY, 409, "investor.not_revoked"),
    ],
)
def test_bad_input_sends_nothing_and_appends_nothing(client, admin, listed, path, body, status, code):
    asset, alice, bob = listed
    values = {"symbol": asset["symbol"], "a": alice.wallet.address, "b": bob.wallet.address, "alice": str(alice.id)}
    before = head(client)
    filled = {k: v.format(**values) if isinstance(v, str) else v for k, v in body.items()}
    response = client.post(f"/v1/admin{path.format(**values)}", headers=admin, json=filled)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"].startswith(code), response.text
    assert head(client) == before


def test_non_admin_keys_and_a_service_without_governance_key_are_refused(client, admin, listed, issuer_key):
    asset, alice, _ = listed
    path = f"/v1/admin/assets/{asset['symbol']}/freeze"
    body = {"wallet": alice.wallet.address, **WHY}
    before = head(client)
    assert client.post(path, headers=alice.headers, json=body).status_code == 403
    assert client.post(path, headers=issuer_key(asset["issuer_wallet"]), json=body).status_code == 403
    assert client.post(path, json=body).status_code == 401
    chain = client.app.state.chain
    held, chain.governance = chain.governance, None
    try:
        response = client.post(path, headers=admin, json=body)
    finally:
        chain.governance = held
    assert response.status_code == 403 and response.json()["error"]["code"] == "governance.not_configured"
    assert head(client) == before


def test_audit_is_public_and_pages(client, listed):
    response = client.get("/v1/audit", params={"limit": 1})
    assert response.status_code == 200
    page = response.json()
    assert len(page["entries"]) == 1 and page["next_after_seq"] == page["entries"][0]["seq"]
    nxt = client.get("/v1/audit", params={"limit": 1, "after_seq": page["next_after_seq"]}).json()
    assert nxt["entries"][0]["seq"] == page["next_after_seq"] + 1
    assert client.get("/v1/audit", params={"limit": 0}).status_code == 422


def test_cli_action_then_verify_catches_edits_deletions_and_rewritten_anchors(client, admin, listed, rwa):
    asset, alice, _ = listed
    result = rwa(
        "admin", "freeze-partial", asset["symbol"], alice.wallet.address, "3",
        "--reason-code", "sanctions", "--reason", "screening hit 4411",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    last = audit(client, asset=asset["symbol"])[-1]
    assert (
        last["action"] == "tokens.freeze"
        and last["actor"].startswith("cli:")
        and last["reason"] == "screening hit 4411"
    )
    bad = rwa("admin", "pause", asset["symbol"], "--reason-code", "nope", "--reason", "x")
    assert bad.exit_code == 2 and "reason_code must be one of" in bad.output
    anchored = client.post("/v1/admin/audit/anchor", headers=admin)
    assert anchored.status_code == 200, anchored.text
    assert anchored.json()["seq"] == head(client)["seq"]
    good = rwa("audit", "verify")
    assert good.exit_code == 0, good.output
    assert "audit log verified" in good.output

    db = client.app.state.db
    with Session(db, expire_on_commit=False) as session:
        entry = session.get(AuditEntry, 1)
        assert entry is not None
        original = entry.reason
        entry.reason = "nothing happened"
        session.add(entry)
        session.commit()
        edited = rwa("audit", "verify")
        entry.reason = original
        session.add(entry)
        session.commit()
    assert edited.exit_code == 1 and "entry 1: hash does not match" in edited.output
    assert rwa("audit", "verify").exit_code == 0

    with Session(db, expire_on_commit=False) as session:
        newest = session.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc())).first()
        assert newest is not None
        copy = AuditEntry(**log.as_dict(newest))
        session.delete(newest)
        session.commit()
        deleted = rwa("audit", "verify")
        session.add(copy)
        session.commit()
    assert deleted.exit_code == 1 and f"the log has no entry {copy.seq}" in deleted.output

    with Session(db, expire_on_commit=False) as session:
        record = session.get(AuditAnchorRecord, copy.seq)
        assert record is not None
        kept = record.hash
        record.hash = "f" * 64
        session.add(record)
        session.commit()
        rewritten = rwa("audit", "verify")
        record.hash = kept
        session.add(record)
        session.commit()
    assert rewritten.exit_code == 1 and "the anchor was rewritten" in rewritten.output
    assert rwa("audit", "verify").exit_code == 0


def test_older_routes_still_append_to_the_log(client, admin, listed):
    """Halt/resume, PUT rules, issue and PATCH frozen keep their bodies, and are logged as `unspecified`."""
    asset, alice, _ = listed
    symbol = asset["symbol"]
    assert client.post(f"/v1/markets/{symbol}/halt", headers=admin).status_code == 200
    assert client.post(f"/v1/markets/{symbol}/resume", headers=admin).status_code == 200
    issued = client.post(
        f"/v1/assets/{symbol}/issue", headers=admin, json={"to_wallet": alice.wallet.address, "quantity": "1"}
    )
    assert issued.status_code == 200, issued.text
    assert client.patch(f"/v1/investors/{alice.id}", headers=admin, json={"frozen": True}).status_code == 200
    assert client.patch(f"/v1/investors/{alice.id}", headers=admin, json={"frozen": False}).status_code == 200
    mine = audit(client, asset=symbol)[1:] + [e for e in audit(client, wallet=alice.wallet.address) if not e["asset"]]
    assert [(e["action"], e["reason_code"]) for e in mine] == [
        ("market.halt", "unspecified"),
        ("market.resume", "unspecified"),
        ("asset.mint", "unspecified"),
        ("wallet.freeze", "unspecified"),
        ("wallet.unfreeze", "unspecified"),
    ]
    assert mine[2]["tx_hash"] == issued.json()["tx_hash"]
    assert log.find_breaks(audit(client)) == []


def test_the_anchor_worker_anchors_the_head_when_it_moves(client, admin, listed):
    from backend.governance.anchoring import AnchorWorker, latest_anchor

    assert listed  # its mint moved the head
    db, chain = client.app.state.db, client.app.state.chain
    worker = AnchorWorker(db, chain, interval_s=1)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with Session(db) as session:
                anchored = latest_anchor(session)
                if anchored is not None and anchored.seq == head(client)["seq"]:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the worker did not anchor the head")
    finally:
        worker.stop()
    onchain = chain.call(chain.core("audit_anchor").functions.headAt(anchored.seq))
    assert bytes(onchain).hex() == head(client)["hash"]


def test_every_cli_action_appends_its_entry(client, listed, rwa, new_wallet, tmp_path):
    asset, alice, bob = listed
    symbol, a, b = asset["symbol"], alice.wallet.address, bob.wallet.address
    affidavit = tmp_path / "affidavit.txt"
    affidavit.write_bytes(b"sworn statement " + a.encode())
    stored = rwa("admin", "evidence", str(affidavit))
    assert stored.exit_code == 0, stored.output
    digest = stored.output.strip()
    new = new_wallet().address
    why = ("--reason-code", "court_order", "--reason", "cli")
    steps = [
        (("freeze", symbol, a), "wallet.freeze"),
        (("unfreeze", symbol, a), "wallet.unfreeze"),
        (("freeze-partial", symbol, a, "2"), "tokens.freeze"),
        (("unfreeze-partial", symbol, a, "2"), "tokens.unfreeze"),
        (("pause", symbol), "asset.pause"),
        (("unpause", symbol), "asset.unpause"),
        (("mint", symbol, b, "3"), "asset.mint"),
        (("burn", symbol, b, "1"), "asset.burn"),
        (("forced-transfer", symbol, a, b, "5", "--document-hash", digest), "asset.forced_transfer"),
        (("rotate-key", str(bob.id)), "api_key.rotate"),
        (("revoke", str(bob.id)), "investor.revoke"),
        (("reinstate", str(bob.id)), "investor.reinstate"),
        (("recover", a, new, "--document-hash", digest), "wallet.recover"),
    ]
    for args, action in steps:
        before = head(client)["seq"]
        result = rwa("admin", *args, *why)
        assert result.exit_code == 0, (args, result.output)
        appended = client.get("/v1/audit", params={"after_seq": before}).json()["entries"]
        assert appended and {e["action"] for e in appended} == {action}, (args, appended)
        assert all(e["actor"].startswith("cli:") and e["reason"] == "cli" for e in appended)
    assert "new API key: rwa_inv_" in rwa("admin", "rotate-key", str(bob.id), *why).output
    assert rwa("audit", "show", "--asset", symbol).exit_code == 0


class _Borrowed:
    """The test's client to the app, lent to the CLI for one `with` block (not closed after)."""

    def __init__(self, client):
        self.client = client

    def __enter__(self):
        return self.client

    def __exit__(self, *exc) -> None:
        return None


def test_cli_halts_and_resumes_a_market_through_the_service_with_its_reason(client, listed, rwa, monkeypatch):
    """`rwa admin halt|resume` go through the running service (its sequencer journals the halt),
    with the admin key, and each appends its entry; a missing service is a clear exit 3."""
    from backend.commands import governance as governance_cli

    asset, _alice, _bob = listed
    symbol = asset["symbol"]
    monkeypatch.setattr(governance_cli, "_service", lambda url: _Borrowed(client))
    why = ("--reason-code", "market_integrity", "--reason", "erroneous prints")
    before = head(client)["seq"]
    halted = rwa("admin", "halt", symbol, *why)
    assert halted.exit_code == 0, halted.output
    assert "market.halt" in halted.output and "erroneous prints" in halted.output
    assert client.get(f"/v1/assets/{symbol}").json()["market_status"].startswith("halted")
    resumed = rwa("admin", "resume", symbol, *why)
    assert resumed.exit_code == 0, resumed.output
    appended = client.get("/v1/audit", params={"after_seq": before}).json()["entries"]
    assert [e["action"] for e in appended] == ["market.halt", "market.resume"]
    assert all(e["reason_code"] == "market_integrity" for e in appended)
    unknown = rwa("admin", "halt", "NOSUCH", *why)
    assert unknown.exit_code == 2 and "refused" in unknown.output, unknown.output
    monkeypatch.undo()
    down = rwa("admin", "halt", symbol, *why, "--url", "http://127.0.0.1:9")
    assert down.exit_code == 3 and "cannot reach the service" in down.output, down.output
