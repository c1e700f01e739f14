"""The scripted demo scenario, driven through the public REST API."""

from __future__ import annotations

import json
from pathlib import Path

WALLETS_WARNING = (
    "LOCAL TEST KEYS ONLY: the demo chain's deterministic ganache/anvil accounts, derived from a "
    "mnemonic published in this repository. Anyone can derive them; never use them on a real chain."
)


def write_wallet_keys(path: Path) -> Path:
    """Write the demo investors' wallet keys (name -> address and private key) to `path`,
    beside the API keys, so the README's examples can sign as an investor."""
    from eth_account import Account

    from backend.chain.local_node import dev_private_key
    from backend.demo.cast import INVESTORS

    wallets: dict[str, object] = {"WARNING": WALLETS_WARNING}
    for investor in INVESTORS:
        key = dev_private_key(investor.account)
        wallets[investor.key] = {"address": Account.from_key(key).address, "private_key": key}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(wallets, indent=2) + "\n")
    return path
