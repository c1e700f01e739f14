"""The service's one settings object, read from the environment.

pydantic-settings cannot be installed beside eth-brownie (python-dotenv pins clash),
so this is a plain pydantic model filled from `RWA_*`-style variables.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

# The well-known development secrets, refused outside development; re-exported for callers.
from backend.dev_keys import DEV_ADMIN_KEY as DEV_ADMIN_KEY
from backend.dev_keys import DEV_GOVERNANCE_KEY as DEV_GOVERNANCE_KEY
from backend.dev_keys import DEV_OPERATOR_KEY as DEV_OPERATOR_KEY
from backend.dev_keys import GANACHE_MNEMONIC as GANACHE_MNEMONIC

ROOT = Path(__file__).resolve().parent.parent
TEST_CHAIN_IDS = frozenset({1337, 31337})


class Settings(BaseModel):
    environment: str = "development"
    database_url: str = f"sqlite:///{ROOT / '.rwa' / 'rwa.db'}"
    rpc_url: str = "http://127.0.0.1:8545"
    admin_key: str = DEV_ADMIN_KEY
    operator_private_key: str = DEV_OPERATOR_KEY
    # The governance key (contract admin, asset agent, rules admin): privileged actions are
    # signed with it. Empty: DEV_GOVERNANCE_KEY in development, else none and the service
    # refuses them (governance.not_configured); the `rwa` CLI signs with its own RWA_GOVERNANCE_KEY.
    governance_private_key: str = ""
    # How often the audit log's head is anchored on chain (backend/governance/anchoring.py); 0: on demand only.
    audit_anchor_interval_s: int = Field(default=600, ge=0)
    deployment_file: Path = ROOT / ".rwa" / "deployment.json"
    build_dir: Path = ROOT / "build" / "contracts"
    storage_dir: Path = ROOT / ".rwa" / "documents"
    # Chains whose ids are listed here get the cash faucet; anything else is "real".
    test_chain_ids: frozenset[int] = TEST_CHAIN_IDS
    settlement_batch_size: int = Field(default=50, ge=1, le=500)
    settlement_interval_ms: int = Field(default=300, ge=10)
    settlement_enabled: bool = True
    # The compliance mirror's background sync (backend/compliance/worker.py).
    compliance_sync_interval_ms: int = Field(default=1000, ge=10)
    compliance_sync_enabled: bool = True
    # Where the settlement worker, the compliance mirror and audit anchoring run
    # (backend/workers.py): "process", a child process of the service's own, off order
    # entry's interpreter lock; "thread", threads of the service process (the in-process
    # test client, which reaches app.state.settlement).
    workers: Literal["process", "thread"] = "process"
    # Every signed order expires (DESIGN "What a signature authorizes"): GTC orders at most
    # order_max_ttl_seconds ahead (their default), IOC/FOK/market orders order_short_ttl_seconds.
    # An order leaves the book order_expiry_margin_seconds before its signed expiry, so that no
    # trade is matched that the chain would refuse as expired at settlement.
    order_max_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    order_short_ttl_seconds: int = Field(default=300, ge=60)
    order_expiry_margin_seconds: int = Field(default=30, ge=0)
    # How often the chain-event watcher polls for OrderCancelled / NonceFloorRaised.
    chain_watch_interval_ms: int = Field(default=1000, ge=10)
    # Order entry's funds check may use a balance snapshot this young instead of the
    # eth_calls (backend/trading/funds.py; why 1 s is safe: docs/reliability.md); 0 reads
    # the chain for every order.
    funds_max_age_ms: int = Field(default=1000, ge=0)
    # How long order entry waits for a live funds read before answering from the wallet's
    # last snapshot (a node busy mining, as a one-request-at-a-time ganache during a
    # settle()); 0 waits as long as the node takes.
    funds_live_wait_ms: int = Field(default=250, ge=0)
    # How often the balance follower polls the chain's token events, so that the funds check
    # reads memory (backend/trading/balance_follower.py); 0: no follower, the reads above.
    funds_follow_interval_ms: int = Field(default=100, ge=0)
    # Orders inside the service at once; more are answered 503 service.busy (backend/api/admission.py).
    order_max_in_flight: int = Field(default=32, ge=0, description="0 disables the limit")
    # Trades matched but not yet settled on chain (pending + submitted) past which new orders
    # are answered 503 settlement.backlog (backend/api/admission.py): unsettled exposure stays
    # bounded when the chain is down or slower than matching. 0 disables the limit.
    settlement_max_backlog: int = Field(default=10_000, ge=0, description="0 disables the limit")
    # Every market's circuit breakers (backend/matching MarketConfig): a trade more than
    # market_band_bps from the reference price (the average of the last
    # market_reference_window_seconds) halts the market for market_halt_seconds; market
    # orders trade only within market_collar_bps of the reference. The journal replays
    # with the values in force at restart.
    market_band_bps: int = Field(default=1000, ge=1, le=10_000)
    market_reference_window_seconds: int = Field(default=300, ge=1)
    market_halt_seconds: int = Field(default=300, ge=1)
    market_collar_bps: int = Field(default=500, ge=0, le=10_000)
    # Phases (docs/market-structure.md): a band breach first puts the market in a limit
    # state for market_limit_state_seconds (LULD: 15) and halts only if the book has not
    # recovered; every halt ends in a call auction of market_auction_seconds (the issue's
    # 300), and a new listing opens through one, with collars of market_auction_collar_bps
    # (unset: the band). 0 turns each off (the behaviour before them: immediate halt,
    # straight back to continuous trading).
    market_auction_seconds: int = Field(default=300, ge=0)
    market_auction_collar_bps: int | None = Field(default=None, ge=0)
    market_limit_state_seconds: int = Field(default=15, ge=0)
    # A market whose required disclosures are missing or stale does not trade (DESIGN
    # flow 2). Off only for local experiments; tests and the demo keep it on.
    disclosure_policy_enforced: bool = True
    document_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    # Abuse limits (backend/api/limits.py): any other request body, and requests per second
    # per API key (per client address without a key) with bursts up to rate_limit_burst.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    rate_limit_per_second: float = Field(default=20, ge=0, description="0 disables the limit")
    rate_limit_burst: int = Field(default=40, ge=1)
    # Orders per second per investor, single or in batches (a batch of n takes n); the burst
    # holds at least one full batch (50).
    order_rate_limit_per_second: float = Field(default=100, ge=0, description="0 disables the limit")
    order_rate_limit_burst: int = Field(default=200, ge=50)

    @property
    def governance_key(self) -> str | None:
        """The governance key this process signs with, if any (see governance_private_key)."""
        if self.governance_private_key:
            return self.governance_private_key
        return DEV_GOVERNANCE_KEY if self.environment == "development" else None

    def check(self) -> None:
        """Refuse well-known development secrets outside development (backend/dev_secrets.py)."""
        if self.environment != "development":
            from backend.dev_secrets import refuse_development_secrets

            refuse_development_secrets(
                admin_key=self.admin_key,
                operator_key=self.operator_private_key,
                governance_key=self.governance_key,
            )


_ENV = {
    "environment": "RWA_ENV",
    "database_url": "DATABASE_URL",
    "rpc_url": "RPC_URL",
    "admin_key": "RWA_ADMIN_KEY",
    "operator_private_key": "RWA_OPERATOR_KEY",
    "governance_private_key": "RWA_GOVERNANCE_KEY",
    "audit_anchor_interval_s": "RWA_AUDIT_ANCHOR_INTERVAL_S",
    "deployment_file": "RWA_DEPLOYMENT_FILE",
    "build_dir": "RWA_BUILD_DIR",
    "storage_dir": "RWA_STORAGE_DIR",
    "settlement_batch_size": "RWA_SETTLEMENT_BATCH_SIZE",
    "settlement_interval_ms": "RWA_SETTLEMENT_INTERVAL_MS",
    "settlement_enabled": "RWA_SETTLEMENT_ENABLED",
    "compliance_sync_interval_ms": "RWA_COMPLIANCE_SYNC_INTERVAL_MS",
    "compliance_sync_enabled": "RWA_COMPLIANCE_SYNC_ENABLED",
    "workers": "RWA_WORKERS",
    "funds_max_age_ms": "RWA_FUNDS_MAX_AGE_MS",
    "funds_live_wait_ms": "RWA_FUNDS_LIVE_WAIT_MS",
    "funds_follow_interval_ms": "RWA_FUNDS_FOLLOW_INTERVAL_MS",
    "order_max_in_flight": "RWA_ORDER_MAX_IN_FLIGHT",
    "order_max_ttl_seconds": "RWA_ORDER_MAX_TTL_SECONDS",
    "order_short_ttl_seconds": "RWA_ORDER_SHORT_TTL_SECONDS",
    "order_expiry_margin_seconds": "RWA_ORDER_EXPIRY_MARGIN_SECONDS",
    "chain_watch_interval_ms": "RWA_CHAIN_WATCH_INTERVAL_MS",
    "settlement_max_backlog": "RWA_SETTLEMENT_MAX_BACKLOG",
    "market_band_bps": "RWA_MARKET_BAND_BPS",
    "market_reference_window_seconds": "RWA_MARKET_REFERENCE_WINDOW_SECONDS",
    "market_halt_seconds": "RWA_MARKET_HALT_SECONDS",
    "market_collar_bps": "RWA_MARKET_COLLAR_BPS",
    "market_auction_seconds": "RWA_MARKET_AUCTION_SECONDS",
    "market_auction_collar_bps": "RWA_MARKET_AUCTION_COLLAR_BPS",
    "market_limit_state_seconds": "RWA_MARKET_LIMIT_STATE_SECONDS",
    "disclosure_policy_enforced": "RWA_ENFORCE_DISCLOSURES",
    "document_max_bytes": "RWA_DOCUMENT_MAX_BYTES",
    "max_body_bytes": "RWA_MAX_BODY_BYTES",
    "rate_limit_per_second": "RWA_RATE_LIMIT_PER_SECOND",
    "rate_limit_burst": "RWA_RATE_LIMIT_BURST",
    "order_rate_limit_per_second": "RWA_ORDER_RATE_LIMIT_PER_SECOND",
    "order_rate_limit_burst": "RWA_ORDER_RATE_LIMIT_BURST",
}


def settings_from_env(**overrides: object) -> Settings:
    values: dict[str, object] = {k: os.environ[v] for k, v in _ENV.items() if os.environ.get(v)}
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    settings.check()
    return settings


@lru_cache
def get_settings() -> Settings:
    return settings_from_env()
