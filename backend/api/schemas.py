"""Request and response bodies shared by the routers. Amounts are decimal strings."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

import pycountry
from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from backend.money import fmt

# A plain ASCII decimal: digits, optionally a point and digits. No sign, exponent, spaces,
# underscores or non-ASCII digits (Python's Decimal would take "1e3", " 1_0 " and "١٢").
DECIMAL_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?")
MAX_PLACES, MAX_DIGITS = 18, 30  # 18 decimal places, below 10^30
# JSON integers beyond 2^53 are not exact in most clients (JavaScript's Number): strings then.
MAX_JSON_INT = 2**53 - 1


def _positive_pattern(*, zero: bool) -> str:
    """The JSON-schema pattern of exactly the strings `_decimal` accepts."""
    whole = rf"0*[1-9][0-9]{{0,{MAX_DIGITS - 1}}}(\.[0-9]{{1,{MAX_PLACES}}})?"
    # Below one: a nonzero digit somewhere in at most 18 places.
    fractions = "|".join(rf"0{{{k}}}[1-9][0-9]{{0,{MAX_PLACES - 1 - k}}}" for k in range(MAX_PLACES))
    alternatives = [whole, rf"0+\.({fractions})"] + ([rf"0+(\.0{{1,{MAX_PLACES}}})?"] if zero else [])
    return "^(" + "|".join(alternatives) + ")$"


def _decimal_schema(*, zero: bool) -> dict[str, Any]:
    minimum = 0 if zero else 1
    return {
        "anyOf": [
            {"type": "string", "pattern": _positive_pattern(zero=zero), "examples": ["12.50"]},
            {"type": "integer", "minimum": minimum, "maximum": MAX_JSON_INT},
        ],
        "description": 'a decimal string such as "12.50" (or a JSON integer); never a float',
    }


def parse_decimal(value: Any, *, zero: bool = False) -> Decimal:
    """A decimal string (or JSON integer) within range; floats are refused: they lose money."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError('must be a decimal string such as "12.50", not a JSON number with a fraction')
    if isinstance(value, int):
        if abs(value) > MAX_JSON_INT:
            raise ValueError("is too large for a JSON integer: send a decimal string")
        number = Decimal(value)
    elif isinstance(value, str):
        if not DECIMAL_TEXT.fullmatch(value):
            raise ValueError(f'{value[:40]!r} is not a decimal string such as "12.50"')
        number = Decimal(value)
    else:
        raise ValueError("must be a decimal string")
    if number < 0 or (number == 0 and not zero):
        raise ValueError("must be zero or more" if zero else "must be greater than zero")
    exponent = number.as_tuple().exponent  # an int: DECIMAL_TEXT admits no NaN or Infinity
    if (isinstance(exponent, int) and exponent < -MAX_PLACES) or number >= Decimal(10) ** MAX_DIGITS:
        raise ValueError("is out of range (at most 18 decimal places, below 10^30)")
    return number


def _decimal(value: Any) -> Decimal:
    return parse_decimal(value)


def _non_negative(value: Any) -> Decimal:
    return parse_decimal(value, zero=True)


PositiveDecimal = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    WithJsonSchema(_decimal_schema(zero=False)),
    # JSON only: services receive Decimals from model_dump(), clients strings.
    PlainSerializer(fmt, return_type=str, when_used="json"),
]
# Zero means something in some places ("no cap", a zero-amount check).
NonNegativeDecimal = Annotated[
    Decimal,
    BeforeValidator(_non_negative),
    WithJsonSchema(_decimal_schema(zero=True)),
    PlainSerializer(fmt, return_type=str, when_used="json"),
]

# ISO 3166 alpha-2, checked by backend/compliance/countries.py (which also takes lower case).
COUNTRY_CODES = sorted(c.alpha_2 for c in pycountry.countries)
Country = Annotated[
    str,
    Field(min_length=2, max_length=2),
    WithJsonSchema({"type": "string", "enum": COUNTRY_CODES, "description": "ISO 3166 alpha-2"}),
]

# Checked by the services (backend/chain/addresses.checksum_wallet, precise messages);
# the schema tells clients and fuzzers the shape. Mixed case must be a valid EIP-55 checksum.
Wallet = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^0x[0-9a-f]{40}$",
            "examples": ["0x5b38da6a701c568545dcfcb03fcb875f56beddc4"],
            "description": "0x and 40 hex digits: lower case, or EIP-55 mixed-case checksummed",
        }
    ),
]


class Strict(BaseModel):
    """A request body: unknown fields refused, and no NUL character in any string (PostgreSQL
    cannot store one; refused here, as validation.invalid naming the field, before it reaches
    a query or a batch's shared commit)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        where = _nul_at(data, ())
        if where is not None:
            raise PydanticCustomError("nul_character", "a string contains a NUL character ({loc})", {"loc": where})
        return data


def _nul_at(value: Any, path: tuple[str, ...]) -> str | None:
    """The dotted path of the first string holding a NUL character, if any."""
    if isinstance(value, str):
        return (".".join(path) or "body") if "\x00" in value else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _nul_at(item, (*path, str(key)))
        if found is not None:
            return found
    return None


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 422, 503)
}


# Row ids in paths: a number past SQL's 64-bit integers is a 422, not a 500 from the database.
RowId = Annotated[int, Path(ge=1, le=MAX_JSON_INT)]


class TxResult(BaseModel):
    tx_hash: str


Symbol = Annotated[str, Field(min_length=1, max_length=12)]
