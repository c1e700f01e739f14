"""Upload, versioning, anchoring and verify semantics against an in-memory token."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from backend.auth.service import Principal
from backend.disclosures import service
from backend.disclosures.policies import missing_disclosures
from backend.errors import ChainRejected, DomainError, Unavailable
from backend.models.disclosures import Document

TODAY = date(2026, 11, 25)
ADMIN = Principal(role="admin")


@pytest.fixture
def upload(session, chain, store, make_asset):
    asset = make_asset()

    def do(data: bytes, doc_type: str = "offering_memorandum", **extra) -> Document:
        args = {
            "title": "Offering memorandum",
            "filename": "om.pdf",
            "content_type": "application/pdf",
            "effective_date": None,
            "effective_until": None,
            "principal": ADMIN,
            **extra,
        }
        return service.upload(
            session, chain, store, asset=asset, doc_type=doc_type, data=data, today=TODAY, max_bytes=1024, **args
        )

    do.asset = asset
    return do


def test_an_upload_is_stored_numbered_and_anchored(upload, chain, store):
    doc = upload(b"%PDF memorandum v1")
    assert (doc.version, doc.anchor_status, doc.effective_date) == (1, "anchored", TODAY)
    assert doc.uri == f"rwa://documents/{doc.id}" and doc.tx_hash.startswith("0x")
    assert store.read(doc.sha256) == b"%PDF memorandum v1"
    uri, digest, _ = chain.documents[service.doc_name("offering_memorandum")]
    assert uri == doc.uri and digest.hex() == doc.sha256


def test_verify_matches_for_the_current_version(session, chain, store, upload):
    doc = upload(b"%PDF memorandum v1")
    result = service.verify(session, chain, store, doc=doc)
    assert result["matches"] is True and result["status"] == "current"
    assert result["sha256"] == result["onchain_hash"] == doc.sha256


def test_a_new_version_supersedes_and_the_old_one_no_longer_matches(session, chain, store, upload):
    v1, v2 = upload(b"memorandum v1"), upload(b"memorandum v2")
    assert (v1.version, v2.version) == (1, 2)
    old = service.verify(session, chain, store, doc=v1)
    assert old["matches"] is False and old["status"] == "superseded"
    assert old["sha256"] == v1.sha256 and old["onchain_hash"] == v2.sha256 and old["superseded_by"] == v2.id
    assert service.verify(session, chain, store, doc=v2)["matches"] is True


def test_re_filing_identical_bytes_is_a_new_version_that_supersedes(session, chain, store, upload):
    v1, v2 = upload(b"same bytes"), upload(b"same bytes")
    assert v1.sha256 == v2.sha256 and v2.version == 2
    old = service.verify(session, chain, store, doc=v1)
    assert old["matches"] is False and old["status"] == "superseded"  # the chain names v2's uri


def test_tampered_bytes_fail_verification_and_are_not_served(session, chain, store, upload):
    doc = upload(b"audited statements")
    store.path_for(doc.sha256).write_bytes(b"doctored statements")
    result = service.verify(session, chain, store, doc=doc)
    assert result["matches"] is False and result["sha256"] != doc.sha256
    assert result["onchain_hash"] == doc.sha256
    with pytest.raises(DomainError) as caught:
        service.read_content(store, doc)
    assert caught.value.code == "document.corrupt"


def test_missing_bytes_report_no_hash(session, chain, store, upload):
    doc = upload(b"statements")
    store.path_for(doc.sha256).unlink()
    result = service.verify(session, chain, store, doc=doc)
    assert result["sha256"] is None and result["matches"] is False


def test_a_send_that_never_reached_the_chain_leaves_no_row(session, chain, upload):
    chain.fail_send = ChainRejected("chain.reverted", "AccessControlUnauthorizedAccount")
    with pytest.raises(ChainRejected):
        upload(b"first try")
    assert session.exec(select(Document)).all() == []
    chain.fail_send = None
    assert upload(b"second try").version == 1  # the number was not burnt


def test_an_unconfirmed_anchor_stays_pending_and_settles_from_the_chain(session, chain, upload):
    chain.fail_wait = Unavailable("chain.timeout", "not mined in time")
    doc = upload(b"production report", doc_type="production_report")
    assert doc.anchor_status == "pending" and doc.tx_hash
    chain.fail_wait = None
    chain.mine(next(iter(chain.pending)))
    service.refresh_anchor(session, chain, doc)
    assert doc.anchor_status == "anchored" and doc.anchored_at is not None


def test_listing_puts_current_versions_first_then_older_ones(session, chain, upload):
    om1 = upload(b"om v1")
    fs1 = upload(b"fs v1", doc_type="financial_statements")
    om2 = upload(b"om v2")
    listed = [(d.id, status) for d, status in service.list_documents(session, chain, "ACME")]
    assert listed == [(om2.id, "current"), (fs1.id, "current"), (om1.id, "superseded")]
    current = service.list_documents(session, None, "ACME", current_only=True)
    assert [d.id for d, _ in current] == [om2.id, fs1.id]


def test_filing_the_required_documents_opens_the_market(session, upload):
    required = ["offering_memorandum", "financial_statements"]
    assert missing_disclosures(session, upload.asset, TODAY) == required
    upload(b"om")
    upload(b"fs", doc_type="financial_statements", effective_date=date(2026, 9, 30))
    assert missing_disclosures(session, upload.asset, TODAY) == []


def test_validation_happens_before_anything_is_stored_or_sent(chain, store, upload):
    with pytest.raises(DomainError) as too_large:
        upload(b"x" * 1025)
    assert too_large.value.status == 413
    with pytest.raises(DomainError) as bad_type:
        upload(b"x", doc_type="prospectus")
    assert bad_type.value.code == "validation.invalid"
    with pytest.raises(DomainError):
        upload(b"x", principal=Principal(role="issuer", key_id=9, issuer_wallet="0x" + "44" * 20))
    assert chain.sent == 0 and not store.root.exists()
