"""Investor onboarding files: CSV with the header `wallet,name,country,accredited,kyc_expires`.

    wallet,name,country,accredited,kyc_expires
    0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF,Alice Carter,US,true,2027-06-30

`country` is ISO 3166 alpha-2, `accredited` true/false (also yes/no, 1/0), `kyc_expires`
a date (YYYY-MM-DD) after today. Pure: `rwa investors import` and the brownie script
scripts/compliance/whitelist.py parse with `parse_investor_csv`; every problem names its
line (the header is line 1), so a bad file is refused whole before anything is sent.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from eth_utils import is_address, to_checksum_address

from backend.compliance.countries import numeric_code
from backend.errors import InvalidInput

COLUMNS = ("wallet", "name", "country", "accredited", "kyc_expires")
TRUE, FALSE = ("true", "yes", "1", "y"), ("false", "no", "0", "n")


@dataclass(frozen=True)
class InvestorRow:
    line: int
    wallet: str
    name: str
    country: str
    accredited: bool
    kyc_expires: date

    def api_body(self) -> dict[str, object]:
        """The body of POST /v1/investors (and the keyword arguments of create_investor)."""
        return {
            "wallet": self.wallet,
            "name": self.name,
            "country": self.country,
            "accredited": self.accredited,
            "kyc_expires": self.kyc_expires,
        }


@dataclass(frozen=True)
class CsvProblem:
    path: str
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InvestorCsvError(ValueError):
    def __init__(self, problems: list[CsvProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _row(values: dict[str, str], line: int, today: date) -> tuple[InvestorRow | None, list[tuple[str, str]]]:
    bad: list[tuple[str, str]] = []
    wallet = values["wallet"].strip()
    if not (wallet.startswith("0x") and is_address(wallet)):
        bad.append(("wallet", f"is not an Ethereum address: {wallet!r}"))
    elif wallet != wallet.lower() and wallet[2:] != wallet[2:].upper() and to_checksum_address(wallet) != wallet:
        bad.append(("wallet", f"has a wrong checksum (mixed case): {wallet!r}"))
    name = values["name"].strip()
    if not name or len(name) > 200:
        bad.append(("name", "must be 1-200 characters"))
    country = values["country"].strip().upper()
    try:
        numeric_code(country)
    except InvalidInput:
        bad.append(("country", f"is not an ISO 3166 alpha-2 code: {values['country']!r}"))
    flag = values["accredited"].strip().lower()
    if flag not in TRUE + FALSE:
        bad.append(("accredited", f"must be true or false: {values['accredited']!r}"))
    expires = None
    try:
        expires = date.fromisoformat(values["kyc_expires"].strip())
        if expires <= today:
            bad.append(("kyc_expires", f"must be after today ({today.isoformat()}): {expires.isoformat()}"))
    except ValueError:
        bad.append(("kyc_expires", f"must be a date YYYY-MM-DD: {values['kyc_expires']!r}"))
    if bad:
        return None, bad
    assert expires is not None
    return InvestorRow(
        line=line,
        wallet=to_checksum_address(wallet),
        name=name,
        country=country,
        accredited=flag in TRUE,
        kyc_expires=expires,
    ), []


def parse_investor_csv(path: Path, *, today: date | None = None, text: str | None = None) -> list[InvestorRow]:
    """Every row, validated; InvestorCsvError lists every problem with its line number."""
    name = str(path)
    today = today or date.today()
    try:
        text = path.read_text(encoding="utf-8-sig") if text is None else text
    except OSError as exc:
        raise InvestorCsvError([CsvProblem(name, 1, None, f"cannot read the file: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise InvestorCsvError([CsvProblem(name, 1, None, "is not UTF-8 text")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InvestorCsvError(
            [CsvProblem(name, 1, None, f"is empty: expected the header {','.join(COLUMNS)}")]
        ) from None
    if sorted(header) != sorted(COLUMNS):
        missing = [c for c in COLUMNS if c not in header]
        extra = [c for c in header if c not in COLUMNS]
        detail = "; ".join(
            filter(
                None,
                [
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unknown {', '.join(map(repr, extra))}" if extra else "",
                    "a column is repeated" if not missing and not extra else "",
                ],
            )
        )
        raise InvestorCsvError([CsvProblem(name, 1, None, f"the header must be {','.join(COLUMNS)} ({detail})")])
    rows: list[InvestorRow] = []
    problems: list[CsvProblem] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(COLUMNS):
                problems.append(
                    CsvProblem(
                        name, start, None, f"has {len(record)} fields, expected {len(COLUMNS)} ({','.join(COLUMNS)})"
                    )
                )
                continue
            row, bad = _row(dict(zip(header, record, strict=True)), start, today)
            problems.extend(CsvProblem(name, start, field, message) for field, message in bad)
            if row is None:
                continue
            if row.wallet in seen:
                problems.append(
                    CsvProblem(name, start, "wallet", f"{row.wallet} is already on line {seen[row.wallet]}")
                )
                continue
            seen[row.wallet] = start
            rows.append(row)
    except csv.Error as exc:
        problems.append(CsvProblem(name, reader.line_num, None, f"is not valid CSV: {exc}"))
    if problems:
        raise InvestorCsvError(problems)
    return rows
