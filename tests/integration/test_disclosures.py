"""Disclosures against the real chain: file, anchor, download, verify, supersede, policy halts."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from web3 import Web3

from backend.chain.artifacts import load_abi
from backend.config import ROOT
from backend.disclosures.service import doc_name
from tests.support.live_stack import upload_document, upload_required_documents


def _onchain(node, token: str, doc_type: str) -> tuple[str, str]:
    abi = load_abi(ROOT / "build" / "contracts", "AssetToken")
    contract = node.w3.eth.contract(address=Web3.to_checksum_address(token), abi=abi)
    uri, digest, _modified = contract.functions.getDocument(doc_name(doc_type)).call()
    return uri, bytes(digest).hex()


def test_an_upload_is_anchored_on_the_token_and_verifies(client, admin, node, make_asset):
    asset = make_asset(documents=False)
    data = b"%PDF-1.4 risk factors of " + asset["symbol"].encode()
    body = upload_document(
        client,
        admin,
        asset["symbol"],
        "risk_factors",
        data=data,
        effective_until=(date.today() + timedelta(days=30)).isoformat(),
    )
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["version"] == 1 and body["uri"] == f"rwa://documents/{body['id']}"
    assert body["tx_hash"].startswith("0x") and body["anchor_status"] == "anchored"
    assert body["effective_date"] == date.today().isoformat()
    assert _onchain(node, asset["token_address"], "risk_factors") == (body["uri"], body["sha256"])

    verified = client.get(f"/v1/documents/{body['id']}/verify").json()
    assert verified["matches"] is True and verified["status"] == "current"
    assert verified["sha256"] == verified["onchain_hash"] == body["sha256"]


def test_content_returns_the_exact_bytes_with_type_name_and_etag(client, admin, make_asset):
    asset = make_asset(documents=False)
    data = bytes(range(256)) * 40  # binary, not just text
    body = upload_document(client, admin, asset["symbol"], "other", data=data)
    response = client.get(f"/v1/documents/{body['id']}/content")
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="other.pdf"' in response.headers["content-disposition"]
    assert response.headers["etag"] == f'"{body["sha256"]}"'
    assert response.headers["x-content-type-options"] == "nosniff"
    again = client.get(f"/v1/documents/{body['id']}/content", headers={"If-None-Match": f'"{body["sha256"]}"'})
    assert again.status_code == 304


def test_tampered_stored_bytes_fail_verification(client, admin, settings, make_asset):
    asset = make_asset(documents=False)
    body = upload_document(client, admin, asset["symbol"], "offering_memorandum")
    path = settings.storage_dir / body["sha256"][:2] / body["sha256"][2:]
    path.write_bytes(path.read_bytes().replace(b"tokenized", b"TOKENIZED"))
    verified = client.get(f"/v1/documents/{body['id']}/verify").json()
    assert verified["matches"] is False
    assert verified["sha256"] != body["sha256"] and verified["onchain_hash"] == body["sha256"]
    served = client.get(f"/v1/documents/{body['id']}/content")
    assert served.status_code == 500 and served.json()["error"]["code"] == "document.corrupt"


def test_a_new_version_supersedes_the_old_one(client, admin, node, make_asset):
    asset = make_asset()  # its required documents are already filed (v1 of each)
    symbol = asset["symbol"]
    [v1] = [d for d in asset["documents"] if d["doc_type"] == "financial_statements"]
    v2 = upload_document(client, admin, symbol, "financial_statements", data=b"restated statements")
    assert v2["version"] == 2
    assert _onchain(node, asset["token_address"], "financial_statements")[1] == v2["sha256"]

    old = client.get(f"/v1/documents/{v1['id']}/verify").json()
    assert old["matches"] is False and old["status"] == "superseded"
    assert old["onchain_hash"] == v2["sha256"] and old["superseded_by"] == v2["id"]
    assert client.get(f"/v1/documents/{v2['id']}/verify").json()["matches"] is True

    listed = client.get(f"/v1/assets/{symbol}/documents").json()
    assert [(d["doc_type"], d["version"], d["status"]) for d in listed] == [
        ("financial_statements", 2, "current"),
        ("offering_memorandum", 1, "current"),
        ("financial_statements", 1, "superseded"),
    ]
    current = client.get(f"/v1/assets/{symbol}/documents", params={"current": "true"}).json()
    assert [d["id"] for d in current] == [v2["id"], listed[1]["id"]]
    in_asset = client.get(f"/v1/assets/{symbol}").json()["documents"]
    assert [d["id"] for d in in_asset] == [d["id"] for d in current]


def test_an_issuer_files_only_for_its_own_assets(client, admin, make_asset, new_wallet, issuer_key):
    wallet = new_wallet().address
    own, other = make_asset(documents=False, issuer_wallet=wallet), make_asset(documents=False)
    headers = issuer_key(wallet)
    assert upload_document(client, headers, own["symbol"], "land_title")["version"] == 1
    refused = client.post(
        f"/v1/assets/{other['symbol']}/documents",
        headers=headers,
        files={"file": ("x.pdf", b"%PDF", "application/pdf")},
        data={"doc_type": "other", "title": "not mine"},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.forbidden"


def test_investors_and_anonymous_callers_cannot_file(client, make_asset, make_investor):
    asset = make_asset(documents=False)
    form = {"files": {"file": ("x.pdf", b"%PDF", "application/pdf")}, "data": {"doc_type": "other", "title": "x"}}
    assert client.post(f"/v1/assets/{asset['symbol']}/documents", **form).status_code == 401
    investor = make_investor()
    response = client.post(f"/v1/assets/{asset['symbol']}/documents", headers=investor.headers, **form)
    assert response.status_code == 403


def test_bad_uploads_get_precise_errors(client, admin, settings, make_asset):
    symbol = make_asset(documents=False)["symbol"]

    def post(data: bytes = b"%PDF", **form: str):
        fields = {"doc_type": "other", "title": "t", **form}
        return client.post(
            f"/v1/assets/{symbol}/documents",
            headers=admin,
            files={"file": ("f.pdf", data, "application/pdf")},
            data=fields,
        )

    cases = {
        "empty file": post(b""),
        "unknown doc_type": post(doc_type="prospectus"),
        "bad date": post(effective_until="31/12/2027"),
        "passed date": post(effective_until="2001-01-01"),
        "future effective_date": post(effective_date=(date.today() + timedelta(days=3)).isoformat()),
    }
    for case, response in cases.items():
        assert response.status_code == 422, case
        assert response.json()["error"]["code"] == "validation.invalid", case
    just_over = post(b"x" * (settings.document_max_bytes + 1))  # passes the framing slack, not the route
    assert just_over.status_code == 413 and just_over.json()["error"]["code"] == "request.too_large"
    far_over = post(b"x" * (settings.document_max_bytes + 512 * 1024))  # refused from Content-Length
    assert far_over.status_code == 413 and far_over.json()["error"]["code"] == "request.too_large"
    missing = client.post(
        "/v1/assets/NOPE/documents",
        headers=admin,
        files={"file": ("f.pdf", b"%PDF", "application/pdf")},
        data={"doc_type": "other", "title": "t"},
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "asset.not_found"
    assert client.get("/v1/documents/999999/verify").json()["error"]["code"] == "document.not_found"
    assert client.get("/v1/documents/999999/content").status_code == 404
    assert client.get(f"/v1/assets/{symbol}/documents").json() == []  # nothing was filed


def test_a_market_without_its_disclosures_is_halted_and_refuses_orders(
    client, admin, chain_info, make_asset, make_investor
):
    asset = make_asset(documents=False)
    symbol = asset["symbol"]
    assert asset["market_status"] == "halted: disclosure_missing (offering_memorandum, financial_statements)"
    assert asset["missing_disclosures"] == ["offering_memorandum", "financial_statements"]
    buyer = make_investor()
    assert (
        client.post(
            "/v1/cash/faucet", headers=admin, json={"wallet": buyer.wallet.address, "amount": "100"}
        ).status_code
        == 200
    )
    contracts = chain_info["contracts"]
    buyer.wallet.approve(contracts["cash_token"], contracts["settlement_exchange"])
    order = {"symbol": symbol, "side": "buy", "type": "limit", "price": "1", "quantity": "5"}

    refused = buyer.wallet.place_order(client, buyer.api_key, order)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "disclosure.missing"
    assert refused.json()["error"]["details"] == {"missing": ["offering_memorandum", "financial_statements"]}

    upload_document(client, admin, symbol, "offering_memorandum")
    assert (
        client.get(f"/v1/assets/{symbol}").json()["market_status"]
        == "halted: disclosure_missing (financial_statements)"
    )
    upload_document(client, admin, symbol, "financial_statements")
    opened = client.get(f"/v1/assets/{symbol}").json()
    assert opened["market_status"] == "open" and opened["missing_disclosures"] == []
    accepted = buyer.wallet.place_order(client, buyer.api_key, order)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["status"] == "open"


def test_a_stale_report_halts_an_oil_well(client, admin, make_asset):
    asset = make_asset(kind="oil_well", documents=False)
    symbol = asset["symbol"]
    upload_required_documents(client, admin, symbol, "oil_well")
    assert client.get(f"/v1/assets/{symbol}").json()["market_status"] == "open"
    # A production report for a period 60 days ago is over the 45-day limit: the market halts.
    stale = upload_document(
        client,
        admin,
        symbol,
        "production_report",
        data=b"old production",
        effective_date=(date.today() - timedelta(days=60)).isoformat(),
    )
    assert stale["version"] == 2 and stale["stale"] is True
    assert (
        client.get(f"/v1/assets/{symbol}").json()["market_status"] == "halted: disclosure_missing (production_report)"
    )
