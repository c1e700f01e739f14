"""Compiled contract ABIs (brownie's build/contracts) and the deployment record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from eth_utils import function_signature_to_4byte_selector

from backend.errors import Unavailable

CONTRACT_KEYS = (
    "identity_registry",
    "asset_factory",
    "settlement_exchange",
    "cash_token",
    "revenue_distributor",
)


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    block: int
    contracts: dict[str, str]


def load_deployment(path: Path) -> Deployment:
    if not path.exists():
        raise Unavailable(
            "chain.not_deployed",
            f"no deployment record at {path}: run `make deploy` (or `rwa deploy`) first",
        )
    data = json.loads(path.read_text())
    missing = [k for k in CONTRACT_KEYS if k not in data.get("contracts", {})]
    if missing:
        raise Unavailable("chain.not_deployed", f"deployment record {path} lacks {', '.join(missing)}")
    return Deployment(
        chain_id=int(data["chain_id"]), block=int(data.get("block", 0)), contracts=dict(data["contracts"])
    )


@lru_cache(maxsize=64)
def load_abi(build_dir: Path, name: str) -> list[dict]:
    path = build_dir / f"{name}.json"
    if not path.exists():
        raise Unavailable("chain.not_compiled", f"{path} is missing: run `make compile` first")
    return json.loads(path.read_text())["abi"]


@lru_cache(maxsize=4)
def error_selectors(build_dir: Path) -> dict[bytes, tuple[str, list[str]]]:
    """4-byte selector -> (error name, argument types) over every compiled contract."""
    table: dict[bytes, tuple[str, list[str]]] = {}
    for path in sorted(build_dir.glob("*.json")):
        try:
            abi = json.loads(path.read_text()).get("abi", [])
        except (OSError, ValueError):
            continue
        for item in abi:
            if item.get("type") != "error":
                continue
            types = [_abi_type(arg) for arg in item.get("inputs", [])]
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            table[selector] = (item["name"], types)
    return table


def _abi_type(arg: dict) -> str:
    if arg["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in arg["components"])
        return f"({inner}){arg['type'][5:]}"
    return arg["type"]
