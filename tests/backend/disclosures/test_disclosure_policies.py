"""Required-disclosure policies, with explicit dates (no clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from backend.disclosures.policies import (
    add_months,
    check_tradeable,
    current_by_type,
    evaluate,
    halt_reason,
    is_stale,
    missing_disclosures,
    required_types,
)
from backend.errors import Conflict
from backend.models.disclosures import Document

TODAY = date(2026, 11, 25)


@dataclass
class Doc:
    doc_type: str
    effective_date: date
    effective_until: date | None = None


def docs(*items: Doc) -> dict[str, Doc]:
    return {d.doc_type: d for d in items}


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 8, 25), 15, date(2026, 11, 25)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 1, 31), 13, date(2028, 2, 29)),  # leap year
        (date(2025, 12, 15), 12, date(2026, 12, 15)),
    ],
)
def test_add_months_keeps_the_day_or_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_required_types_per_kind():
    assert required_types("equity") == ["offering_memorandum", "financial_statements"]
    assert required_types("oil_well") == ["offering_memorandum", "reserve_report", "production_report"]
    assert required_types("farm") == ["offering_memorandum", "land_title", "harvest_report"]


def test_an_equity_without_documents_misses_both_in_policy_order():
    assert evaluate("equity", {}, TODAY) == ["offering_memorandum", "financial_statements"]


def test_financial_statements_are_stale_on_the_day_they_turn_15_months_old():
    om = Doc("offering_memorandum", date(2020, 1, 1))  # no maximum age
    fresh = Doc("financial_statements", date(2025, 8, 26))  # 15 months minus a day
    old = Doc("financial_statements", date(2025, 8, 25))  # exactly 15 months
    assert evaluate("equity", docs(om, fresh), TODAY) == []
    assert evaluate("equity", docs(om, old), TODAY) == ["financial_statements"]


def test_oil_well_production_report_must_be_under_45_days_and_reserves_under_12_months():
    om = Doc("offering_memorandum", date(2024, 1, 1))
    reserves = Doc("reserve_report", date(2025, 11, 26))  # 12 months minus a day
    production_44 = Doc("production_report", date(2026, 10, 12))
    production_45 = Doc("production_report", date(2026, 10, 11))
    assert (TODAY - production_44.effective_date).days == 44
    assert evaluate("oil_well", docs(om, reserves, production_44), TODAY) == []
    assert evaluate("oil_well", docs(om, reserves, production_45), TODAY) == ["production_report"]
    old_reserves = Doc("reserve_report", date(2025, 11, 25))
    assert evaluate("oil_well", docs(om, old_reserves, production_45), TODAY) == ["reserve_report", "production_report"]


def test_farm_needs_a_land_title_and_a_harvest_report_under_13_months():
    om, title = Doc("offering_memorandum", date(2023, 5, 1)), Doc("land_title", date(2001, 3, 3))
    assert evaluate("farm", docs(om, title, Doc("harvest_report", date(2025, 10, 26))), TODAY) == []
    assert evaluate("farm", docs(om, title, Doc("harvest_report", date(2025, 10, 25))), TODAY) == ["harvest_report"]
    assert evaluate("farm", docs(om), TODAY) == ["land_title", "harvest_report"]


def test_effective_until_is_valid_through_that_day_and_stale_after():
    om = Doc("offering_memorandum", date(2026, 1, 1), effective_until=TODAY)
    assert not is_stale("equity", om, TODAY)
    assert is_stale("equity", om, date(2026, 11, 26))
    # effective_until applies even to types without a maximum age, and to unrequired types
    assert is_stale("equity", Doc("risk_factors", date(2026, 1, 1), date(2026, 6, 30)), TODAY)


def test_the_earlier_of_max_age_and_effective_until_wins():
    statements = Doc("financial_statements", date(2026, 6, 1), effective_until=date(2026, 9, 30))
    assert is_stale("equity", statements, TODAY)  # under 15 months old, but expired


def test_unknown_kinds_require_nothing():
    assert evaluate("bond", {}, TODAY) == []


def _row(doc_type: str, version: int, status: str = "anchored", day: date = TODAY) -> Document:
    return Document(
        id=version,
        symbol="ACME",
        doc_type=doc_type,
        title="t",
        version=version,
        sha256="0" * 64,
        size=1,
        content_type="text/plain",
        filename="f",
        effective_date=day,
        anchor_status=status,
    )


def test_the_current_version_is_the_highest_anchored_one():
    rows = [
        _row("financial_statements", 1),
        _row("financial_statements", 3, status="pending"),
        _row("financial_statements", 2),
        _row("offering_memorandum", 1),
    ]
    current = current_by_type(rows)
    assert current["financial_statements"].version == 2
    assert current["offering_memorandum"].version == 1


def test_a_stale_newest_version_is_not_rescued_by_an_older_one(session, make_asset):
    asset = make_asset()
    session.add(_row("offering_memorandum", 1))
    session.add(
        Document(
            symbol="ACME",
            doc_type="financial_statements",
            title="FY25",
            version=1,
            sha256="1" * 64,
            size=1,
            content_type="text/plain",
            filename="a",
            effective_date=date(2026, 9, 1),
            anchor_status="anchored",
        )
    )
    # v2 was filed later but speaks for an older period: it is the current one, and stale
    session.add(
        Document(
            symbol="ACME",
            doc_type="financial_statements",
            title="FY24",
            version=2,
            sha256="2" * 64,
            size=1,
            content_type="text/plain",
            filename="b",
            effective_date=date(2025, 1, 1),
            anchor_status="anchored",
        )
    )
    session.commit()
    assert missing_disclosures(session, asset, TODAY) == ["financial_statements"]


def test_check_tradeable_raises_disclosure_missing_only_when_enforced(session, make_asset):
    asset = make_asset()
    with pytest.raises(Conflict) as caught:
        check_tradeable(session, asset, today=TODAY, enforced=True)
    assert caught.value.code == "disclosure.missing" and caught.value.status == 409
    assert caught.value.details == {"missing": ["offering_memorandum", "financial_statements"]}
    check_tradeable(session, asset, today=TODAY, enforced=False)


def test_halt_reason_uses_the_api_vocabulary():
    assert (
        halt_reason(["reserve_report", "production_report"]) == "disclosure_missing (reserve_report, production_report)"
    )
