"""Disclosure services: file a document (store -> row -> anchor on chain), list, verify.

On chain each doc type is one ERC-1643 entry of the asset's token: name = the doc type
as bytes32, uri = rwa://documents/<id>, hash = the SHA-256 of the bytes. A new version
of a type overwrites the entry, so the chain always names the current version and an
older one verifies as "superseded" (matches false).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.assets.service import get_asset, token_contract
from backend.auth.service import Principal, require_asset_authority
from backend.chain.client import Chain
from backend.clock import utcnow
from backend.disclosures.policies import current_by_type
from backend.disclosures.store import ContentStore, sha256_hex
from backend.disclosures.validation import (
    check_content,
    check_dates,
    clean_content_type,
    clean_filename,
    clean_title,
    validate_doc_type,
)
from backend.errors import ChainRejected, Corrupt, DomainError, NotFound
from backend.models.assets import Asset
from backend.models.disclosures import Document
from backend.statuses import AnchorStatus

URI_PREFIX = "rwa://documents/"
# One upload at a time sends its setDocument: the chain then sees versions in the order
# the database numbered them (the nonce lock alone would not keep v2 before v3).
_anchor_lock = threading.Lock()


# --- chain naming ------------------------------------------------------------------
def doc_name(doc_type: str) -> bytes:
    """The ERC-1643 name: the doc type's ASCII, right-padded with zeros to 32 bytes."""
    raw = doc_type.encode("ascii")
    assert len(raw) <= 32, doc_type
    return raw.ljust(32, b"\0")


def document_id_from_uri(uri: str) -> int | None:
    tail = uri[len(URI_PREFIX) :] if uri.startswith(URI_PREFIX) else ""
    return int(tail) if tail.isdigit() else None


# --- upload --------------------------------------------------------------------------
def upload(
    session: Session,
    chain: Chain,
    store: ContentStore,
    *,
    asset: Asset,
    principal: Principal,
    doc_type: str,
    title: str,
    data: bytes,
    filename: str | None,
    content_type: str | None,
    effective_date: date | None,
    effective_until: date | None,
    today: date,
    max_bytes: int,
) -> Document:
    """Store the bytes, record the next version and anchor it on the asset's token.

    Returns the row; its anchor_status is "pending" (with tx_hash) when the chain did not
    confirm in time - refresh_anchor settles it later.
    """
    require_asset_authority(principal, issuer_wallet=asset.issuer_wallet, symbol=asset.symbol, action="file documents")
    doc_type = validate_doc_type(doc_type)
    title = clean_title(title)
    check_content(data, max_bytes)
    effective_date = effective_date or today
    check_dates(effective_date, effective_until, today)
    digest = store.put(data)
    uploaded_by = "admin" if principal.role == "admin" else f"{principal.role}:{principal.key_id}"
    with _anchor_lock:
        doc = _insert_version(
            session,
            Document(
                symbol=asset.symbol,
                doc_type=doc_type,
                title=title,
                version=0,
                sha256=digest,
                size=len(data),
                content_type=clean_content_type(content_type),
                filename=clean_filename(filename),
                effective_date=effective_date,
                effective_until=effective_until,
                uploaded_by=uploaded_by,
            ),
        )
        tx_hash = _send_anchor(session, chain, asset, doc)
    try:
        chain.wait(tx_hash)
    except ChainRejected:
        _forget(session, doc)  # mined but reverted: nothing on chain names this version
        raise
    except DomainError:
        return doc  # not confirmed in time: stays pending with its tx_hash
    _mark_anchored(session, doc)
    return doc


def _insert_version(session: Session, doc: Document) -> Document:
    for attempt in range(3):
        latest = session.exec(
            select(func.max(Document.version)).where(Document.symbol == doc.symbol, Document.doc_type == doc.doc_type)
        ).one()
        doc.version = (latest or 0) + 1
        session.add(doc)
        try:
            session.commit()
        except IntegrityError:  # another process numbered the same version first
            session.rollback()
            if attempt == 2:
                raise
            continue
        doc.uri = f"{URI_PREFIX}{doc.id}"
        session.add(doc)
        session.commit()
        return doc
    raise AssertionError("unreachable")


def _send_anchor(session: Session, chain: Chain, asset: Asset, doc: Document) -> Any:
    fn = token_contract(chain, asset).functions.setDocument(doc_name(doc.doc_type), doc.uri, bytes.fromhex(doc.sha256))
    try:
        sent = chain.transact(fn, wait=False, governance=True)  # the asset agent anchors
    except DomainError:
        _forget(session, doc)  # nothing reached the chain: free the version number again
        raise
    doc.tx_hash = sent["transactionHash"].to_0x_hex()
    session.add(doc)
    session.commit()
    return sent["transactionHash"]


def _forget(session: Session, doc: Document) -> None:
    # The stored bytes stay: content-addressed files are shared and harmless.
    session.delete(doc)
    session.commit()


def _mark_anchored(session: Session, doc: Document) -> None:
    doc.anchor_status, doc.anchored_at = AnchorStatus.ANCHORED, utcnow()
    session.add(doc)
    session.commit()


def refresh_anchor(session: Session, chain: Chain, doc: Document) -> Document:
    """Settle a pending row from the chain (chain wins): mined -> anchored, reverted -> gone."""
    if doc.anchor_status != AnchorStatus.PENDING:
        return doc
    receipt = chain.receipt_or_none(doc.tx_hash) if doc.tx_hash else None
    if receipt is not None:
        if receipt["status"] == 1:
            _mark_anchored(session, doc)
        else:
            _forget(session, doc)
        return doc
    asset = get_asset(session, doc.symbol)
    uri, _hash, _modified = chain.call(token_contract(chain, asset).functions.getDocument(doc_name(doc.doc_type)))
    if uri == doc.uri:
        _mark_anchored(session, doc)
    return doc


# --- reading -------------------------------------------------------------------------
def get_document(session: Session, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("document.not_found", f"no document {document_id}")
    return doc


def list_documents(
    session: Session, chain: Chain | None, symbol: str, *, current_only: bool = False
) -> list[tuple[Document, str]]:
    """(document, status) with status current/superseded/pending.

    Order: the current version of each type first, newest upload first; then every other
    version (superseded or pending), newest first.
    """
    rows = list(session.exec(select(Document).where(Document.symbol == symbol)))
    if chain is not None:
        for doc in [d for d in rows if d.anchor_status == AnchorStatus.PENDING]:
            try:
                refresh_anchor(session, chain, doc)
            except DomainError:
                pass  # chain unreachable: list what we know, still pending
        rows = list(session.exec(select(Document).where(Document.symbol == symbol)))
    current_ids = {d.id for d in current_by_type(rows).values()}

    def newest_first(docs: list[Document]) -> list[Document]:
        return sorted(docs, key=lambda d: (d.created_at, d.id or 0), reverse=True)

    current = [(d, "current") for d in newest_first([d for d in rows if d.id in current_ids])]
    if current_only:
        return current
    others = [
        (d, "pending" if d.anchor_status == AnchorStatus.PENDING else "superseded")
        for d in newest_first([d for d in rows if d.id not in current_ids])
    ]
    return current + others


def read_content(store: ContentStore, doc: Document) -> bytes:
    """The exact uploaded bytes; refuses bytes that no longer hash to the filed digest."""
    try:
        data = store.read(doc.sha256)
    except FileNotFoundError:
        raise Corrupt(
            "document.content_missing", f"the bytes of document {doc.id} are missing from the store"
        ) from None
    if sha256_hex(data) != doc.sha256:
        raise Corrupt(
            "document.corrupt", f"the stored bytes of document {doc.id} do not match its filed hash; see /verify"
        )
    return data


def verify(session: Session, chain: Chain, store: ContentStore, *, doc: Document) -> dict[str, Any]:
    """Recompute the stored bytes' hash and compare with the token's entry for the type.

    matches is true only when the bytes on disk hash to the on-chain hash AND the chain's
    entry names this very document (its uri). An older version reports "superseded" with
    the current version's on-chain hash and id.
    """
    refresh_anchor(session, chain, doc)
    asset = get_asset(session, doc.symbol)
    actual = store.digest_on_disk(doc.sha256)
    uri, onchain, modified = chain.call(token_contract(chain, asset).functions.getDocument(doc_name(doc.doc_type)))
    onchain_hex = bytes(onchain).hex() if uri else None
    if not uri:
        status = "not_anchored"
    elif uri == doc.uri:
        status = "current"
    else:
        status = "superseded"
    matches = status == "current" and actual is not None and actual == onchain_hex
    if actual is None:
        reason = "the stored bytes are missing"
    elif status == "not_anchored":
        reason = "the token has no document of this type"
    elif status == "superseded":
        reason = "a newer version of this document type is anchored on chain"
    elif not matches:
        reason = "the stored bytes do not hash to the on-chain hash"
    else:
        reason = "the stored bytes hash to the on-chain hash of the current version"
    return {
        "id": doc.id,
        "symbol": doc.symbol,
        "doc_type": doc.doc_type,
        "version": doc.version,
        "sha256": actual,
        "recorded_sha256": doc.sha256,
        "onchain_hash": onchain_hex,
        "onchain_uri": uri or None,
        "onchain_last_modified": (
            datetime.fromtimestamp(int(modified), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if uri else None
        ),
        "status": status,
        "superseded_by": document_id_from_uri(uri) if status == "superseded" else None,
        "token_address": asset.token_address,
        "matches": matches,
        "reason": reason,
    }
