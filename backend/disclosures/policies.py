"""Required-disclosure policy per asset kind: which documents a market needs to trade.

A required document counts when its current version (the newest anchored one) is
fresh: its `effective_until` has not passed and its age, counted from its effective
date, is under the type's maximum. Ages in months are calendar months ("under 15
months old" = before the same day 15 months later), ages in days are days.
The evaluation is a pure function of the documents and `today`, so it is tested with
explicit dates; only `missing_disclosures` touches the database.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from sqlalchemy import bindparam
from sqlmodel import Session, select

from backend.errors import Conflict
from backend.models.assets import Asset
from backend.models.disclosures import Document
from backend.statuses import AnchorStatus


@dataclass(frozen=True)
class Requirement:
    doc_type: str
    max_age_months: int | None = None
    max_age_days: int | None = None


POLICIES: dict[str, tuple[Requirement, ...]] = {
    "equity": (
        Requirement("offering_memorandum"),
        Requirement("financial_statements", max_age_months=15),
    ),
    "oil_well": (
        Requirement("offering_memorandum"),
        Requirement("reserve_report", max_age_months=12),
        Requirement("production_report", max_age_days=45),
    ),
    "farm": (
        Requirement("offering_memorandum"),
        Requirement("land_title"),
        Requirement("harvest_report", max_age_months=13),
    ),
}


class Dated(Protocol):
    """What the policy needs of a document (a Document row, or a test double)."""

    doc_type: str
    effective_date: date
    effective_until: date | None


def required_types(kind: str) -> list[str]:
    return [r.doc_type for r in POLICIES.get(kind, ())]


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stale_from(requirement: Requirement | None, doc: Dated) -> date | None:
    """The first day on which `doc` no longer satisfies `requirement` (None: never)."""
    limits: list[date] = []
    if doc.effective_until is not None:
        limits.append(doc.effective_until + timedelta(days=1))  # valid through effective_until
    if requirement is not None and requirement.max_age_months is not None:
        limits.append(add_months(doc.effective_date, requirement.max_age_months))
    if requirement is not None and requirement.max_age_days is not None:
        limits.append(doc.effective_date + timedelta(days=requirement.max_age_days))
    return min(limits) if limits else None


def requirement_for(kind: str, doc_type: str) -> Requirement | None:
    return next((r for r in POLICIES.get(kind, ()) if r.doc_type == doc_type), None)


def is_stale(kind: str, doc: Dated, today: date) -> bool:
    until = stale_from(requirement_for(kind, doc.doc_type), doc)
    return until is not None and today >= until


def evaluate(kind: str, current: Mapping[str, Dated], today: date) -> list[str]:
    """Required doc types of `kind` that are missing from `current` or stale, in policy order."""
    missing = []
    for requirement in POLICIES.get(kind, ()):
        doc = current.get(requirement.doc_type)
        if doc is None or is_stale(kind, doc, today):
            missing.append(requirement.doc_type)
    return missing


def current_by_type(documents: Iterable[Document]) -> dict[str, Document]:
    """The current version of each type: the highest anchored version."""
    current: dict[str, Document] = {}
    for doc in documents:
        if doc.anchor_status != AnchorStatus.ANCHORED:
            continue
        best = current.get(doc.doc_type)
        if best is None or doc.version > best.version:
            current[doc.doc_type] = doc
    return current


_ANCHORED = select(Document).where(
    Document.symbol == bindparam("symbol"), Document.anchor_status == AnchorStatus.ANCHORED
)


def current_documents(session: Session, symbol: str) -> dict[str, Document]:
    # _ANCHORED is built once: order entry checks the market's disclosures per order.
    return current_by_type(session.exec(_ANCHORED, params={"symbol": symbol}))


def missing_disclosures(session: Session, asset: Asset, today: date) -> list[str]:
    """Doc types the asset's policy requires that are missing or stale on `today`."""
    return evaluate(asset.kind, current_documents(session, asset.symbol), today)


def halt_reason(missing: list[str]) -> str:
    """The market_status reason of API.md: `disclosure_missing (<doc types>)`."""
    return f"disclosure_missing ({', '.join(missing)})"


def check_tradeable(session: Session, asset: Asset, *, today: date, enforced: bool) -> None:
    """Refuse trading on a market whose required disclosures are missing or stale."""
    if not enforced:
        return
    refuse_missing(asset, missing_disclosures(session, asset, today))


def refuse_missing(asset: Asset, missing: list[str]) -> None:
    """The refusal for `missing` required disclosures (none: nothing to refuse)."""
    if missing:
        raise Conflict(
            "disclosure.missing",
            f"{asset.symbol} does not trade until these disclosures are filed and current: {', '.join(missing)}",
            details={"missing": missing},
        )
