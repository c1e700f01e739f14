"""Upload validation and authorization: pure functions, checked before anything is stored."""

from __future__ import annotations

import re
from datetime import date

from backend.errors import InvalidInput, TooLarge
from backend.models.disclosures import DOC_TYPES

CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput("validation.invalid", message, details=[{"field": field, "problem": message}])


def validate_doc_type(doc_type: str) -> str:
    value = (doc_type or "").strip()
    if value not in DOC_TYPES:
        raise _invalid("doc_type", f"doc_type must be one of {', '.join(DOC_TYPES)}")
    return value


def parse_date(value: str | None, field: str) -> date | None:
    """A YYYY-MM-DD form value (empty or absent: None)."""
    if value is None or not value.strip():
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _invalid(field, f"{field} must be a date YYYY-MM-DD, got {value!r}") from None


def check_dates(effective_date: date, effective_until: date | None, today: date) -> None:
    # A future effective date would stretch a report's freshness window: refuse it.
    if effective_date > today:
        raise _invalid("effective_date", "effective_date cannot be in the future")
    if effective_until is not None and effective_until < today:
        raise _invalid("effective_until", "effective_until has already passed")
    if effective_until is not None and effective_until < effective_date:
        raise _invalid("effective_until", "effective_until is before effective_date")


def check_content(data: bytes, max_bytes: int) -> None:
    if not data:
        raise _invalid("file", "the file is empty")
    if len(data) > max_bytes:
        raise TooLarge("request.too_large", f"a document may be at most {max_bytes} bytes")


def clean_title(title: str) -> str:
    value = " ".join((title or "").split())
    if not value or len(value) > 200:
        raise _invalid("title", "title must be 1-200 characters")
    if not value.isprintable():  # a NUL (PostgreSQL refuses it in text) or another control character
        raise _invalid("title", "title must not contain control characters")
    return value


def clean_filename(filename: str | None) -> str:
    # Keep the base name only, printable, so it is safe in a Content-Disposition header.
    base = re.split(r"[\\/]", filename or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"').strip()
    return base[:255] or "document"


def clean_content_type(content_type: str | None) -> str:
    value = (content_type or "").split(";")[0].strip().lower()
    return value if CONTENT_TYPE.match(value) else "application/octet-stream"
