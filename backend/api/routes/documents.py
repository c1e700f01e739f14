"""Disclosure documents: file (multipart), list, download the exact bytes, verify on chain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Header, Query, Response, UploadFile

from backend.api.deps import ChainDep, IssuerDep, SessionDep, SettingsDep, VenueDep
from backend.api.public import DocumentPublic, DocumentVerification
from backend.api.schemas import ERRORS, RowId
from backend.assets.service import get_asset
from backend.clock import utc_today
from backend.disclosures import policies, service, validation
from backend.disclosures.store import ContentStore
from backend.models.disclosures import DOC_TYPES, Document
from backend.statuses import AnchorStatus
from backend.trading import halts as trading

router = APIRouter(prefix="/v1", tags=["documents"], responses={**ERRORS, 413: ERRORS[422]})

# Served inline only when a browser cannot run them as a page; anything else downloads.
INLINE_TYPES = frozenset({"application/pdf", "text/plain", "image/png", "image/jpeg"})


def get_store(settings: SettingsDep) -> ContentStore:
    return ContentStore(settings.storage_dir)


StoreDep = Annotated[ContentStore, Depends(get_store)]


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.isoformat()


def document_public(doc: Document, *, status: str, kind: str, today: date) -> dict[str, Any]:
    """A document's JSON. `stale`/`stale_from` describe the current version against its policy."""
    stale_from = policies.stale_from(policies.requirement_for(kind, doc.doc_type), doc)
    return {
        "id": doc.id,
        "symbol": doc.symbol,
        "doc_type": doc.doc_type,
        "title": doc.title,
        "version": doc.version,
        "status": status,
        "sha256": doc.sha256,
        "size": doc.size,
        "content_type": doc.content_type,
        "filename": doc.filename,
        "uri": doc.uri,
        "content_url": f"/v1/documents/{doc.id}/content",
        "verify_url": f"/v1/documents/{doc.id}/verify",
        "effective_date": _iso(doc.effective_date),
        "effective_until": _iso(doc.effective_until),
        "stale": (stale_from is not None and today >= stale_from) if status == "current" else None,
        "stale_from": _iso(stale_from),
        "anchor_status": doc.anchor_status,
        "tx_hash": doc.tx_hash,
        "anchored_at": _iso(doc.anchored_at),
        "created_at": _iso(doc.created_at),
    }


def current_documents_public(session: Any, asset: Any, today: date) -> list[dict[str, Any]]:
    """The current version of each type, for the asset JSON (no chain calls)."""
    return [
        document_public(doc, status=status, kind=asset.kind, today=today)
        for doc, status in service.list_documents(session, None, asset.symbol, current_only=True)
    ]


@router.post(
    "/assets/{symbol}/documents",
    status_code=201,
    response_model=DocumentPublic,
    responses={202: {"model": DocumentPublic, "description": "filed; the anchoring transaction is not yet confirmed"}},
)
def upload_document(
    symbol: str,
    response: Response,
    session: SessionDep,
    chain: ChainDep,
    settings: SettingsDep,
    store: StoreDep,
    principal: IssuerDep,
    venue: VenueDep,
    file: Annotated[UploadFile, File(description="the document's bytes")],
    doc_type: Annotated[str, Form(json_schema_extra={"enum": list(DOC_TYPES)})],
    title: Annotated[str, Form()],
    effective_until: Annotated[str | None, Form(description="YYYY-MM-DD")] = None,
    effective_date: Annotated[str | None, Form(description="YYYY-MM-DD the document speaks for; default today")] = None,
) -> dict[str, Any]:
    """File a disclosure: store by SHA-256, record the next version, anchor it on the token."""
    asset = get_asset(session, symbol)
    # Read one byte past the limit: enough to know it is too large without holding more.
    data = file.file.read(settings.document_max_bytes + 1)
    today = utc_today()
    doc = service.upload(
        session,
        chain,
        store,
        asset=asset,
        principal=principal,
        doc_type=doc_type,
        title=title,
        data=data,
        filename=file.filename,
        content_type=file.content_type,
        effective_date=validation.parse_date(effective_date, "effective_date"),
        effective_until=validation.parse_date(effective_until, "effective_until"),
        today=today,
        max_bytes=settings.document_max_bytes,
    )
    # A filing can make the market untradeable (a stale report) or tradeable again: the
    # engine's disclosure halt follows, and a restored market reopens through a call.
    trading.sync_disclosure_halt(session, venue, asset, enforced=settings.disclosure_policy_enforced)
    if doc.anchor_status == AnchorStatus.PENDING:
        response.status_code = 202
    status = "current" if doc.anchor_status == AnchorStatus.ANCHORED else "pending"
    return document_public(doc, status=status, kind=asset.kind, today=today)


@router.get("/assets/{symbol}/documents", response_model=list[DocumentPublic])
def list_documents(
    symbol: str,
    session: SessionDep,
    chain: ChainDep,
    current: bool = Query(default=False, description="only the current version of each type"),
) -> list[dict[str, Any]]:
    """Every version: the current version of each type first (newest first), then older ones."""
    asset = get_asset(session, symbol)
    today = utc_today()
    return [
        document_public(doc, status=status, kind=asset.kind, today=today)
        for doc, status in service.list_documents(session, chain, asset.symbol, current_only=current)
    ]


@router.get("/documents/{document_id}", response_model=DocumentPublic)
def read_document(document_id: RowId, session: SessionDep) -> dict[str, Any]:
    doc = service.get_document(session, document_id)
    asset = get_asset(session, doc.symbol)
    current = policies.current_documents(session, doc.symbol).get(doc.doc_type)
    status = (
        "current"
        if current is not None and current.id == doc.id
        else ("pending" if doc.anchor_status == AnchorStatus.PENDING else "superseded")
    )
    return document_public(doc, status=status, kind=asset.kind, today=utc_today())


@router.get(
    "/documents/{document_id}/content",
    response_class=Response,
    responses={
        200: {
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the bytes, with the Content-Type they were filed with",
        },
        304: {"description": "unchanged"},
    },
)
def document_content(
    document_id: RowId, session: SessionDep, store: StoreDep, if_none_match: Annotated[str | None, Header()] = None
) -> Response:
    """The exact bytes filed, with ETag = their SHA-256 (what the chain anchors)."""
    doc = service.get_document(session, document_id)
    etag = f'"{doc.sha256}"'
    headers = {
        "ETag": etag,
        # A document id's bytes never change: caches may keep them for good.
        "Cache-Control": "public, max-age=31536000, immutable",
        # Uploaded content is untrusted: never sniff it, never let it run as a page of ours.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Content-Disposition": content_disposition(doc.filename, inline=doc.content_type in INLINE_TYPES),
    }
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    data = service.read_content(store, doc)
    return Response(content=data, media_type=doc.content_type, headers=headers)


@router.get("/documents/{document_id}/verify", response_model=DocumentVerification)
def verify_document(document_id: RowId, session: SessionDep, chain: ChainDep, store: StoreDep) -> dict[str, Any]:
    """Recompute the stored bytes' SHA-256 and compare it with the token's ERC-1643 entry."""
    return service.verify(session, chain, store, doc=service.get_document(session, document_id))


def content_disposition(filename: str, *, inline: bool) -> str:
    # RFC 6266: an ASCII fallback plus the exact UTF-8 name.
    fallback = "".join(ch for ch in filename if ch.isascii() and ch not in '";\\') or "document"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
