"""Who and what the demo scenario uses: three assets, their issuance, six investors.

Wallets are ganache's deterministic accounts (backend.chain.local_node.dev_private_key):
0 is the service's operator, 1, 8 and 9 the issuers, 2-7 the investors. Each investor
signs its own approvals, orders and claims with its key, as a real client would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AssetSpec:
    symbol: str
    name: str
    kind: str
    total_supply: str
    tick_size: str
    lot_size: str
    issuer_account: int
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InvestorSpec:
    key: str  # the name in .rwa/demo-keys.json
    account: int
    name: str
    country: str
    accredited: bool
    kyc_expired: bool = False  # onboarded, then its KYC lapses (PATCH kyc_expires to yesterday)


ASSETS = (
    AssetSpec(
        "ACME",
        "ACME Corp. common shares",
        "equity",
        "1000000",
        "0.01",
        "1",
        1,
        {"share_class": "common", "jurisdiction": "US-DE", "shares_outstanding": "1000000"},
    ),
    AssetSpec(
        "PERMIAN1",
        "Caprock State 14-2H, Permian Basin: 12.5% royalty interest",
        "oil_well",
        "10000",
        "0.01",
        "1",
        8,
        {
            "basin": "Permian (Midland)",
            "county": "Midland County, TX",
            "formation": "Wolfcamp A",
            "operator": "Caprock Energy LLC",
            "royalty_interest": "12.5%",
            "unit": "1/10,000 of the royalty interest",
        },
    ),
    AssetSpec(
        "IOWACORN",
        "Story County, Iowa corn farm: 40% of 2026 crop revenue",
        "farm",
        "50000",
        "0.01",
        "1",
        9,
        {
            "county": "Story County, IA",
            "acres": "640",
            "crop": "yellow dent corn",
            "crop_year": "2026",
            "revenue_share": "40% of net crop revenue",
            "unit": "1/50,000 of the revenue share",
        },
    ),
)

INVESTORS = (
    InvestorSpec("alice", 2, "Alice Carter", "US", True),
    InvestorSpec("bertie", 3, "Bertie Hughes", "GB", True),
    InvestorSpec("chiara", 4, "Chiara Rossi", "DE", False),
    InvestorSpec("kenji", 5, "Kenji Sato", "JP", True),
    InvestorSpec("mateus", 6, "Mateus Silva", "BR", True),  # Brazil: not on ACME's country list
    InvestorSpec("hannah", 7, "Hannah Lee", "CA", True, kyc_expired=True),
)

# (symbol, investor key, quantity): primary issuance, within each asset's rules.
ISSUANCE = (
    ("ACME", "alice", "5000"),
    ("PERMIAN1", "alice", "2000"),
    ("PERMIAN1", "bertie", "2000"),
    ("PERMIAN1", "kenji", "1000"),
    ("IOWACORN", "kenji", "1500"),
    ("IOWACORN", "chiara", "1000"),
)

CASH = {"alice": "20000", "bertie": "50000", "chiara": "20000", "kenji": "50000", "mateus": "20000", "hannah": "20000"}
