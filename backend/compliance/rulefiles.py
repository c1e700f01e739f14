"""Compliance rule sets as YAML files, one per asset: scripts/compliance/rules/<SYMBOL>.yaml.

Schema (only `symbol` is required; an absent key means "no restriction"):

    symbol: ACME                 # the asset: 2-12 capital letters or digits, matching the file name
    description: free text       # for people; never sent on chain
    allowed_countries: [US, GB]  # ISO 3166 alpha-2 codes; empty or absent = every country
    accredited_only: true        # true or false
    max_holders: 2000            # whole number >= 0; 0 = no cap
    max_balance: 50000           # asset units per investor, >= 0 (read exactly, never as a float); 0 = no cap
    lockup_seconds: 86400        # whole number >= 0: lock-up of newly issued tokens; 0 = none

Pure (no chain, no database): `rwa rules apply`, the demo and the brownie script
scripts/compliance/apply_rules.py all parse with `load_rule_files` and compare with `diff`.
Errors name the file, the line (from yaml's node marks) and the field, e.g.
`ACME.yaml:5: max_holders: must be a whole number >= 0 (got '-3')`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from backend.compliance.countries import alpha2_code, numeric_code
from backend.compliance.rules import UINT64_MAX, RuleSet
from backend.errors import InvalidInput
from backend.money import ASSET_DECIMALS, fmt, fmt_units, to_units

RULES_DIR = Path(__file__).resolve().parents[2] / "scripts" / "compliance" / "rules"
SYMBOL = re.compile(r"^[A-Z][A-Z0-9]{1,11}$")
WHOLE = re.compile(r"^[0-9][0-9_]*$")
FIELDS = (
    "symbol",
    "description",
    "allowed_countries",
    "accredited_only",
    "max_holders",
    "max_balance",
    "lockup_seconds",
)
BOOL_TAG, STR_TAG, NULL_TAG = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:str", "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class RuleFileError(ValueError):
    """One or more problems in rule files; str() lists them one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class RuleFile:
    path: Path
    symbol: str
    allowed_countries: tuple[str, ...] = ()
    accredited_only: bool = False
    max_holders: int = 0
    max_balance: Decimal = Decimal(0)
    lockup_seconds: int = 0
    description: str = ""

    def api_body(self) -> dict[str, Any]:
        """The body of PUT /v1/assets/{symbol}/rules (and the keyword arguments of set_rules)."""
        return {
            "allowed_countries": list(self.allowed_countries),
            "accredited_only": self.accredited_only,
            "max_holders": self.max_holders,
            "max_balance": fmt(self.max_balance),
            "lockup_seconds": self.lockup_seconds,
        }

    def rule_set(self) -> RuleSet:
        """The on-chain representation (numeric countries, max_balance in 18-decimal units)."""
        return RuleSet(
            allowed_countries=tuple(numeric_code(c) for c in self.allowed_countries),
            accredited_only=self.accredited_only,
            max_holders=self.max_holders,
            max_balance=to_units(self.max_balance, ASSET_DECIMALS),
            lockup_seconds=self.lockup_seconds,
        )


class _Bad(Exception):
    def __init__(self, message: str, node: yaml.Node | None = None):
        super().__init__(message)
        self.message, self.node = message, node


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _scalar(node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise _Bad(f"must be {what}, not a {'list' if isinstance(node, yaml.SequenceNode) else 'mapping'}")
    return node.value


def _symbol(node: yaml.Node) -> str:
    value = _scalar(node, "a symbol such as ACME")
    if not SYMBOL.match(value):
        raise _Bad(f"must be 2-12 capital letters or digits, starting with a letter (got {value!r})")
    return value


def _text(node: yaml.Node) -> str:
    return "" if node.tag == NULL_TAG else _scalar(node, "text")


def _bool(node: yaml.Node) -> bool:
    value = _scalar(node, "true or false")
    if node.tag != BOOL_TAG:
        raise _Bad(f"must be true or false (got {value!r})")
    return value.lower() in ("true", "yes", "on", "y")


def _whole(node: yaml.Node, maximum: int | None = None) -> int:
    value = _scalar(node, "a whole number")
    if node.tag == STR_TAG or not WHOLE.match(value):
        raise _Bad(f"must be a whole number >= 0 (got {value!r})")
    number = int(value.replace("_", ""))
    if maximum is not None and number > maximum:
        raise _Bad(f"must be at most {maximum} (got {value})")
    return number


def _amount(node: yaml.Node) -> Decimal:
    value = _scalar(node, "a number of asset units")
    try:
        number = Decimal(value.replace("_", "").strip())
    except InvalidOperation:
        raise _Bad(f'must be a number of asset units >= 0, e.g. 50000 or "2500.5" (got {value!r})') from None
    if not number.is_finite() or number < 0:
        raise _Bad(f"must be a finite number >= 0 (got {value!r})")
    if number.as_tuple().exponent < -ASSET_DECIMALS or number >= Decimal(10) ** 30:  # type: ignore[operator]
        raise _Bad(f"is out of range: at most {ASSET_DECIMALS} decimal places, below 10^30 (got {value!r})")
    return number


def _countries(node: yaml.Node) -> tuple[str, ...]:
    if node.tag == NULL_TAG:
        return ()
    if not isinstance(node, yaml.SequenceNode):
        raise _Bad("must be a list of ISO 3166 alpha-2 codes, e.g. [US, GB, DE]")
    codes: list[str] = []
    for item in node.value:
        code = _scalar(item, "a country code").strip()
        try:
            numeric_code(code)
        except InvalidInput:
            raise _Bad(f"{code!r} is not an ISO 3166 alpha-2 country code", item) from None
        if code.upper() in codes:
            raise _Bad(f"{code!r} is listed twice", item)
        codes.append(code.upper())
    return tuple(codes)


PARSERS: dict[str, Any] = {
    "symbol": _symbol,
    "description": _text,
    "allowed_countries": _countries,
    "accredited_only": _bool,
    "max_holders": _whole,
    "max_balance": _amount,
    "lockup_seconds": lambda n: _whole(n, UINT64_MAX),
}


def parse_rule_file(path: Path, text: str | None = None) -> RuleFile:
    """Parse and validate one file; RuleFileError lists every problem found."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8") if text is None else text
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except OSError as exc:
        raise RuleFileError([Problem(name, 1, None, f"cannot read the file: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise RuleFileError([Problem(name, 1, None, "is not UTF-8 text")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise RuleFileError([Problem(name, line, None, f"is not valid YAML: {exc.problem or exc.context}")]) from None
    if not isinstance(root, yaml.MappingNode):
        raise RuleFileError(
            [Problem(name, _line(root), None, "must be a mapping of `field: value` lines with at least `symbol:`")]
        )
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.tag)
        if key in values:
            problems.append(Problem(name, _line(key_node), key, "is given twice"))
            continue
        if key not in PARSERS:
            close = difflib.get_close_matches(key, FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known fields: {', '.join(FIELDS)}"
            problems.append(Problem(name, _line(key_node), key, f"unknown field{hint}"))
            continue
        try:
            values[key] = PARSERS[key](value_node)
        except _Bad as bad:
            problems.append(Problem(name, _line(bad.node or value_node), key, bad.message))
            values[key] = None
    if "symbol" not in values:
        problems.append(Problem(name, _line(root), "symbol", "is required (the asset's symbol, e.g. ACME)"))
    elif values["symbol"] and SYMBOL.match(path.stem) and path.stem != values["symbol"]:
        line = next(_line(k) for k, _ in root.value if getattr(k, "value", None) == "symbol")
        problems.append(
            Problem(
                name,
                line,
                "symbol",
                f"{values['symbol']} does not match the file name {path.name} (one file per asset)",
            )
        )
    if problems:
        raise RuleFileError(problems)
    return RuleFile(path=path, **{k: v for k, v in values.items()})


def rule_file_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a directory stands for its *.yaml and *.yml files, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            found.append(path)
    return found


def load_rule_files(paths: Iterable[Path]) -> list[RuleFile]:
    """Every file parsed (directories expanded); one RuleFileError with all problems of all files."""
    problems: list[Problem] = []
    loaded: list[RuleFile] = []
    for path in rule_file_paths(paths):
        try:
            rule_file = parse_rule_file(path)
        except RuleFileError as exc:
            problems.extend(exc.problems)
            continue
        earlier = next((f for f in loaded if f.symbol == rule_file.symbol), None)
        if earlier is not None:
            problems.append(Problem(str(path), 1, "symbol", f"{rule_file.symbol} is also set by {earlier.path}"))
        loaded.append(rule_file)
    if problems:
        raise RuleFileError(problems)
    if not loaded:
        raise RuleFileError([Problem(", ".join(map(str, paths)) or ".", 1, None, "no .yaml rule files found")])
    return loaded


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str
    changed: bool


def _countries_text(countries: tuple[int, ...]) -> str:
    if not countries:
        return "(all)"
    names = []
    for number in countries:
        try:
            names.append(alpha2_code(number))
        except InvalidInput:
            names.append(f"{number:03d}")
    return ", ".join(names)


def _cap(value: int, text: str) -> str:
    return "0 (no cap)" if value == 0 else text


def diff(before: RuleSet, after: RuleSet) -> list[Change]:
    """Every field, formatted for people, with whether it changes. Country order does not count."""
    rows = [
        (
            "allowed_countries",
            _countries_text(before.allowed_countries),
            _countries_text(after.allowed_countries),
            set(before.allowed_countries) != set(after.allowed_countries),
        ),
        (
            "accredited_only",
            str(before.accredited_only).lower(),
            str(after.accredited_only).lower(),
            before.accredited_only != after.accredited_only,
        ),
        (
            "max_holders",
            _cap(before.max_holders, str(before.max_holders)),
            _cap(after.max_holders, str(after.max_holders)),
            before.max_holders != after.max_holders,
        ),
        (
            "max_balance",
            _cap(before.max_balance, fmt_units(before.max_balance, ASSET_DECIMALS)),
            _cap(after.max_balance, fmt_units(after.max_balance, ASSET_DECIMALS)),
            before.max_balance != after.max_balance,
        ),
        (
            "lockup_seconds",
            str(before.lockup_seconds),
            str(after.lockup_seconds),
            before.lockup_seconds != after.lockup_seconds,
        ),
    ]
    return [Change(*row) for row in rows]


def changed(changes: list[Change]) -> bool:
    return any(c.changed for c in changes)


def diff_lines(changes: list[Change]) -> list[str]:
    """The diff as plain text lines (for brownie scripts and logs): `* field: before -> after`."""
    width = max(len(c.field) for c in changes)
    return [
        f"  {'*' if c.changed else ' '} {c.field:<{width}}  {c.before}" + (f"  ->  {c.after}" if c.changed else "")
        for c in changes
    ]
