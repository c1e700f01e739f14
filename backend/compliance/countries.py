"""ISO 3166: alpha-2 on the API, numeric on chain."""

from __future__ import annotations

import pycountry

from backend.errors import InvalidInput


def numeric_code(alpha2: str) -> int:
    country = pycountry.countries.get(alpha_2=alpha2.upper()) if isinstance(alpha2, str) else None
    if country is None or len(alpha2) != 2:
        raise InvalidInput(
            "validation.invalid", f"unknown ISO 3166 alpha-2 country code: {alpha2!r}", details=[{"field": "country"}]
        )
    return int(country.numeric)


def alpha2_code(numeric: int) -> str:
    country = pycountry.countries.get(numeric=f"{numeric:03d}")
    if country is None:
        raise InvalidInput("validation.invalid", f"unknown ISO 3166 numeric country code: {numeric}")
    return country.alpha_2
