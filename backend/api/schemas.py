"""Request and response bodies shared by the routers. Amounts are decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from backend.money import fmt


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("must be a decimal string such as \"12.50\", not a JSON number with a fraction")
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):
        raise ValueError("must be a decimal string")
    try:
        number = Decimal(value.strip())
    except Exception:  # noqa: BLE001
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    if number <= 0:
        raise ValueError("must be greater than zero")
    if number.as_tuple().exponent < -18 or number > Decimal(10) ** 30:  # type: ignore[operator]
        raise ValueError("is out of range (at most 18 decimal places, below 10^30)")
    return number


PositiveDecimal = Annotated[Decimal, BeforeValidator(_decimal),
                           # JSON only: services receive Decimals from model_dump(), clients strings.
                           PlainSerializer(fmt, return_type=str, when_used="json")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 422, 503)
}


class TxResult(BaseModel):
    tx_hash: str


Symbol = Annotated[str, Field(min_length=1, max_length=12)]
