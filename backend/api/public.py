"""Response bodies: the public REST contract (docs/API.md) as pydantic models.

Routes declare them as `response_model`, so /openapi.json describes every JSON answer.
The builders (`asset_public`, `trade_public`, ...) still return plain dicts of JSON
values; FastAPI validates those against these models. Money and quantities are decimal
strings, timestamps ISO 8601 UTC strings: the models check and describe the values, they
do not reformat them.

`extra="forbid"` and `strict=True`: a key that a builder adds without declaring it here, or
a value of another type, fails the route (a 500 in the tests that reach it) instead of
silently vanishing from the answer or being coerced ("5" into 5). A key
that only some answers carry has a default and its route sets
`response_model_exclude_unset=True`, so it is absent, not null, where the builder leaves it out.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

DecimalStr = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9]+(\.[0-9]+)?$",
            "examples": ["12.5"],
            "description": "a decimal string (no exponent, no trailing zeros); never a JSON number",
        }
    ),
]
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time", "description": "UTC"})]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date", "description": "YYYY-MM-DD"})]


def _open_to_additions(schema: dict[str, Any]) -> None:
    """The document promises no closed objects: the API adds fields freely (docs/API.md)."""
    schema.pop("additionalProperties", None)


class Public(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_open_to_additions)


# --- health and chain ------------------------------------------------------------------
class SettlementBacklog(Public):
    pending: int
    submitted: int
    last_error: str | None


class WorkerProcessPublic(Public):
    """The settlement/compliance-mirror/anchoring process (backend/workers.py)."""

    mode: str
    state: str
    pid: int | None
    restarts: int
    last_exit_code: int | None


class HealthPublic(Public):
    """`settlement` is absent when the database is unreachable, `workers` in thread mode,
    `reasons` unless degraded."""

    status: str
    chain_id: int | None
    block: int | None
    db: str
    settlement: SettlementBacklog | None = None
    workers: WorkerProcessPublic | None = None
    reasons: list[str] | None = None


class ChainPublic(Public):
    chain_id: int
    contracts: dict[str, str]


# --- compliance -------------------------------------------------------------------------
class RulesPublic(Public):
    allowed_countries: list[str]
    accredited_only: bool
    max_holders: int
    max_balance: DecimalStr
    lockup_seconds: int


class AssetRulesPublic(Public):
    symbol: str
    rules_address: str
    allowed_countries: list[str]
    accredited_only: bool
    max_holders: int
    max_balance: DecimalStr
    lockup_seconds: int


class AssetRulesChanged(AssetRulesPublic):
    tx_hash: str


class CheckPublic(Public):
    allowed: bool
    code: int
    reason: str
    message: str
    as_of_block: int


# --- documents ------------------------------------------------------------------------
class DocumentPublic(Public):
    id: int
    symbol: str
    doc_type: str
    title: str
    version: int
    status: str
    sha256: str
    size: int
    content_type: str
    filename: str
    uri: str
    content_url: str
    verify_url: str
    effective_date: Day
    effective_until: Day | None
    stale: bool | None
    stale_from: Day | None
    anchor_status: str
    tx_hash: str | None
    anchored_at: Timestamp | None
    created_at: Timestamp


class DocumentVerification(Public):
    id: int
    symbol: str
    doc_type: str
    version: int
    sha256: str | None
    recorded_sha256: str
    onchain_hash: str | None
    onchain_uri: str | None
    onchain_last_modified: Timestamp | None
    status: str
    superseded_by: int | None
    token_address: str
    matches: bool
    reason: str


# --- assets -------------------------------------------------------------------------------
class AssetPublic(Public):
    symbol: str
    name: str
    kind: str
    token_address: str
    rules_address: str
    tick_size: DecimalStr
    lot_size: DecimalStr
    total_supply: DecimalStr
    issuer_wallet: str
    details: dict[str, Any]
    rules: RulesPublic
    documents: list[DocumentPublic]
    required_disclosures: list[str]
    missing_disclosures: list[str]
    market_status: str
    tx_hash: str | None


# --- markets and trades -------------------------------------------------------------------
# [price, quantity]
Level = Annotated[list[DecimalStr], Field(min_length=2, max_length=2)]


class BookPublic(Public):
    """Price levels best first: `[price, quantity]` pairs."""

    symbol: str
    bids: list[Level]
    asks: list[Level]
    sequence: int


class TradePublic(Public):
    id: str
    symbol: str
    price: DecimalStr
    quantity: DecimalStr
    taker_side: str
    executed_at: Timestamp
    settlement_status: str
    tx_hash: str | None


class TradePrivate(TradePublic):
    """A trade as its parties and the operator see it; `side` (the caller's) for an investor."""

    buy_order_id: str
    sell_order_id: str
    chain_trade_id: str
    failure_code: int | None
    failure_reason: str | None
    side: str | None = None


class CandlePublic(Public):
    start: Timestamp
    open: DecimalStr
    high: DecimalStr
    low: DecimalStr
    close: DecimalStr
    volume: DecimalStr
    trades: int


class MarketStatusPublic(Public):
    symbol: str
    market_status: str


class AuctionPublic(Public):
    """A market's call auction (docs/market-structure.md); outside one `phase` is "none" and
    the figures are null or zero. Prices in the asset's units, quantities in its units."""

    symbol: str
    phase: str  # "none" | "reopening" | "opening"
    ends_at: Timestamp | None
    indicative_price: DecimalStr | None
    matched_quantity: DecimalStr
    imbalance_side: str | None  # "buy" | "sell" | null
    imbalance_quantity: DecimalStr
    reference_price: DecimalStr | None
    collar_low: DecimalStr | None
    collar_high: DecimalStr | None
    extensions: int


# --- account --------------------------------------------------------------------------------
class PositionPublic(Public):
    onchain: DecimalStr
    reserved: DecimalStr
    available: DecimalStr


class AccountPublic(Public):
    investor_id: int
    wallet: str
    status: str
    cash: PositionPublic
    assets: dict[str, PositionPublic]


# --- dead-man's switch --------------------------------------------------------------------
class DeadManPublic(Public):
    armed: bool
    timeout_seconds: int
    deadline: Timestamp | None
    now: Timestamp
    fired_at: Timestamp | None
    cancelled_orders: int


# --- distributions --------------------------------------------------------------------------
class DistributionPublic(Public):
    id: int
    symbol: str
    kind: str
    amount: DecimalStr
    memo: str
    status: str
    distribution_id: int | None
    holder_count: int | None
    tx_hash: str | None
    block_number: int | None
    created_at: Timestamp


class DistributionsPublic(Public):
    """`wallet`, `claimable` and `claimed` only when a holder is named (or the key's investor)."""

    symbol: str
    kind: str
    total_distributed: DecimalStr
    total_claimed: DecimalStr
    distributions: list[DistributionPublic]
    wallet: str | None = None
    claimable: DecimalStr | None = None
    claimed: DecimalStr | None = None


class ClaimPublic(Public):
    symbol: str
    wallet: str
    amount: DecimalStr
    tx_hash: str


# --- orders -------------------------------------------------------------------------------
class FillPublic(Public):
    trade_id: str
    price: DecimalStr
    quantity: DecimalStr
    settlement_status: str


class OrderPublic(Public):
    """`nonce` is a decimal string (a uint256); `expires_at` unix seconds, as signed."""

    id: str
    client_order_id: str | None
    symbol: str
    side: str
    type: str
    price: DecimalStr | None
    quantity: DecimalStr
    filled_quantity: DecimalStr
    status: str
    reject_code: str | None
    cancel_reason: str | None
    time_in_force: str
    post_only: bool
    nonce: str
    expires_at: int
    created_at: Timestamp
    fills: list[FillPublic]


class OnchainCancel(Public):
    """The transaction a wallet signs to invalidate its cancelled order on chain: cancelUpTo
    (cancelOrder for the top nonce, 2^64-1).
    `to` and `chain_id` are null when the node could not be asked (GET /v1/chain has them)."""

    model_config = ConfigDict(populate_by_name=True)

    note: str
    from_: str = Field(alias="from")
    to: str | None
    data: str
    value: str
    chain_id: int | None
    function: str
    nonce: str


class OrderCancelled(OrderPublic):
    onchain_cancel: OnchainCancel


class TypedDataField(Public):
    name: str
    type: str


class OrderDomain(Public):
    name: str
    version: str
    chainId: int
    verifyingContract: str


class OrderMessage(Public):
    trader: str
    asset: str
    isBuy: bool
    price: int
    quantity: int
    nonce: int
    expiry: int


class OrderTypedData(Public):
    """EIP-712 typed data for the wallet to sign (e.g. eth-account's sign_typed_data)."""

    types: dict[str, list[TypedDataField]]
    primaryType: str
    domain: OrderDomain
    message: OrderMessage
    limit_price: DecimalStr
