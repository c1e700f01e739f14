"""Upload validation, authorization and header helpers (pure functions)."""

from __future__ import annotations

from datetime import date

import pytest

from backend.api.routes.documents import content_disposition
from backend.disclosures.service import doc_name, document_id_from_uri
from backend.disclosures.validation import (
    check_content,
    check_dates,
    clean_content_type,
    clean_filename,
    clean_title,
    parse_date,
    validate_doc_type,
)
from backend.errors import DomainError, InvalidInput
from backend.models.disclosures import DOC_TYPES

TODAY = date(2026, 11, 25)


def test_the_vocabulary_is_api_md_and_every_name_fits_a_bytes32():
    assert DOC_TYPES == (
        "offering_memorandum",
        "financial_statements",
        "reserve_report",
        "production_report",
        "land_title",
        "harvest_report",
        "risk_factors",
        "other",
    )
    for doc_type in DOC_TYPES:
        assert validate_doc_type(doc_type) == doc_type
        name = doc_name(doc_type)
        assert len(name) == 32 and name.rstrip(b"\0") == doc_type.encode()


@pytest.mark.parametrize("bad", ["prospectus", "", "Offering_Memorandum", "other;drop", None])
def test_unknown_doc_types_are_validation_invalid(bad):
    with pytest.raises(InvalidInput) as caught:
        validate_doc_type(bad)
    assert caught.value.code == "validation.invalid" and caught.value.status == 422
    assert caught.value.details[0]["field"] == "doc_type"


def test_dates_are_yyyy_mm_dd():
    assert parse_date("2027-03-31", "effective_until") == date(2027, 3, 31)
    assert parse_date(None, "effective_until") is None
    assert parse_date("  ", "effective_until") is None
    for bad in ("2027-02-30", "27-3-31", "31/03/2027", "2027-03-31T00:00:00", "tomorrow"):
        with pytest.raises(InvalidInput) as caught:
            parse_date(bad, "effective_until")
        assert caught.value.details[0]["field"] == "effective_until"


def test_date_ranges():
    check_dates(TODAY, None, TODAY)
    check_dates(date(2026, 1, 1), TODAY, TODAY)  # valid through today
    with pytest.raises(InvalidInput, match="future"):
        check_dates(date(2026, 11, 26), None, TODAY)
    with pytest.raises(InvalidInput, match="passed"):
        check_dates(date(2026, 1, 1), date(2026, 11, 24), TODAY)


def test_empty_files_are_invalid_and_oversized_ones_too_large():
    check_content(b"x" * 10, max_bytes=10)
    with pytest.raises(InvalidInput) as empty:
        check_content(b"", max_bytes=10)
    assert empty.value.code == "validation.invalid" and empty.value.details[0]["field"] == "file"
    with pytest.raises(DomainError) as large:
        check_content(b"x" * 11, max_bytes=10)
    assert large.value.code == "request.too_large" and large.value.status == 413


def test_filenames_and_content_types_are_made_header_safe():
    assert clean_filename("C:\\Users\\x\\memo.pdf") == "memo.pdf"
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename('a"b\r\n.pdf') == "ab.pdf"
    assert clean_filename(None) == "document"
    assert clean_content_type("application/pdf; charset=binary") == "application/pdf"
    assert clean_content_type("not a type") == "application/octet-stream"
    assert clean_content_type(None) == "application/octet-stream"


def test_content_disposition_has_an_ascii_fallback_and_the_exact_utf8_name():
    header = content_disposition("Prospekt für ACME.pdf", inline=True)
    assert header == ("inline; filename=\"Prospekt fr ACME.pdf\"; filename*=UTF-8''Prospekt%20f%C3%BCr%20ACME.pdf")
    assert content_disposition("x.html", inline=False).startswith("attachment;")


def test_document_uris_name_their_row():
    assert document_id_from_uri("rwa://documents/42") == 42
    assert document_id_from_uri("ipfs://bafy") is None
    assert document_id_from_uri("rwa://documents/") is None


@pytest.mark.parametrize("bad", ["annual\x00report", "line\x07bell", "   ", "x" * 201])
def test_titles_with_control_characters_or_out_of_length_are_validation_invalid(bad):
    with pytest.raises(InvalidInput) as caught:
        clean_title(bad)
    assert caught.value.code == "validation.invalid"
    assert caught.value.details == [{"field": "title", "problem": caught.value.message}]


def test_titles_keep_their_words_with_whitespace_folded():
    assert clean_title("  Annual \t report\n2026 ") == "Annual report 2026"
