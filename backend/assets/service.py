"""Asset services: list a new asset on chain, issue it, and the test-cash faucet."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select
from web3.logs import DISCARD

from backend.chain.addresses import checksum_wallet
from backend.chain.client import Chain
from backend.compliance.codes import translate_chain_error
from backend.compliance.sync import sync as compliance_sync
from backend.errors import ChainRejected, Conflict, Forbidden, InvalidInput, NotFound
from backend.models.assets import KIND_TO_CLASS, KINDS, Asset
from backend.money import ASSET_DECIMALS, CASH_DECIMALS, decimal_places, fmt, to_units

SYMBOL = re.compile(r"^[A-Z][A-Z0-9]{1,11}$")
_BY_SYMBOL = select(Asset).where(Asset.symbol == bindparam("symbol"))  # built once: read per order


def get_asset(session: Session, symbol: str) -> Asset:
    # Remembered for the session (a request): order entry asks for its asset more than once.
    # The same instance the query would return from the identity map, while it is still there.
    memo = session.info.setdefault("assets_by_symbol", {})
    asset = memo.get(symbol.upper())
    if asset is not None and asset in session:
        return asset
    # A string that cannot be a symbol (e.g. a NUL byte, which PostgreSQL refuses) is not found.
    asset = (
        session.exec(_BY_SYMBOL, params={"symbol": symbol.upper()}).first() if SYMBOL.match(symbol.upper()) else None
    )
    if asset is None:
        raise NotFound("asset.not_found", f"no asset with symbol {symbol!r}")
    memo[symbol.upper()] = asset
    return asset


def list_assets(session: Session) -> list[Asset]:
    return list(session.exec(select(Asset).order_by(Asset.id)))  # type: ignore[arg-type]


def create_asset(
    session: Session,
    chain: Chain,
    *,
    symbol: str,
    name: str,
    kind: str,
    total_supply: Decimal,
    tick_size: Decimal,
    lot_size: Decimal,
    issuer_wallet: str,
    details: dict[str, Any],
) -> Asset:
    symbol = symbol.upper()
    if not SYMBOL.match(symbol):
        raise InvalidInput(
            "validation.invalid", "symbol must be 2-12 capital letters or digits", details=[{"field": "symbol"}]
        )
    if kind not in KINDS:
        raise InvalidInput("validation.invalid", f"kind must be one of {', '.join(KINDS)}", details=[{"field": "kind"}])
    # price (a multiple of tick) x quantity (a multiple of lot) must be whole cash units.
    if decimal_places(tick_size) + decimal_places(lot_size) > CASH_DECIMALS:
        raise InvalidInput(
            "validation.invalid",
            f"tick_size and lot_size together may have at most {CASH_DECIMALS} decimal places",
            details=[{"field": "tick_size"}, {"field": "lot_size"}],
        )
    to_units(lot_size, ASSET_DECIMALS)
    if (total_supply / lot_size) != (total_supply / lot_size).to_integral_value():
        raise InvalidInput(
            "validation.invalid", "total_supply must be a multiple of lot_size", details=[{"field": "total_supply"}]
        )
    issuer_wallet = checksum_wallet(issuer_wallet, field="issuer_wallet")
    if session.exec(select(Asset).where(Asset.symbol == symbol)).first():
        raise Conflict("asset.duplicate_symbol", f"asset {symbol} exists")
    factory = chain.core("asset_factory")
    terms_uri = f"rwa://assets/{symbol}/terms"
    # The governance key creates assets: it becomes each one's admin, agent and rules admin.
    # The supply cap is enforced on chain too (AssetTokenSupplyCapExceeded).
    cap = to_units(total_supply, ASSET_DECIMALS)
    fn = factory.functions.createAsset(name, symbol, KIND_TO_CLASS[kind], terms_uri, issuer_wallet, cap)
    receipt = chain.transact(fn, governance=True)
    created = factory.events.AssetCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]
    asset = Asset(
        symbol=symbol,
        name=name,
        kind=kind,
        tick_size=fmt(tick_size),
        lot_size=fmt(lot_size),
        total_supply=fmt(total_supply),
        issuer_wallet=issuer_wallet,
        token_address=created["token"],
        rules_address=created["rules"],
        details=details,
        tx_hash=receipt["transactionHash"].to_0x_hex(),
    )
    session.add(asset)
    session.commit()
    session.refresh(asset)
    return asset


def token_contract(chain: Chain, asset: Asset) -> Any:
    return chain.contract("AssetToken", asset.token_address)


def issued_supply(chain: Chain, asset: Asset) -> int:
    return int(chain.call(token_contract(chain, asset).functions.totalSupply()))


def issue(session: Session, chain: Chain, *, asset: Asset, to_wallet: str, quantity: Decimal) -> str:
    to_wallet = checksum_wallet(to_wallet, field="to_wallet")
    _check_lot(asset, quantity)
    units = to_units(quantity, ASSET_DECIMALS)
    if issued_supply(chain, asset) + units > to_units(Decimal(asset.total_supply), ASSET_DECIMALS):
        raise Conflict(
            "asset.supply_exceeded", f"issuing {fmt(quantity)} would exceed the total supply of {asset.total_supply}"
        )
    try:
        receipt = chain.transact(token_contract(chain, asset).functions.mint(to_wallet, units), governance=True)
    except ChainRejected as exc:
        raise translate_chain_error(exc) from None
    compliance_sync(session, chain, asset, min_block=int(receipt["blockNumber"]))
    return receipt["transactionHash"].to_0x_hex()


def faucet(chain: Chain, *, wallet: str, amount: Decimal) -> str:
    if not chain.is_test_chain():
        raise Forbidden("cash.faucet_disabled", f"chain {chain.chain_id} is not a test chain: no faucet")
    wallet = checksum_wallet(wallet)
    receipt = chain.transact(chain.core("cash_token").functions.mint(wallet, to_units(amount, CASH_DECIMALS)))
    return receipt["transactionHash"].to_0x_hex()


def _check_lot(asset: Asset, quantity: Decimal) -> None:
    ratio = quantity / Decimal(asset.lot_size)
    if ratio != ratio.to_integral_value():
        raise InvalidInput(
            "order.invalid_lot",
            f"quantity must be a multiple of the lot size {asset.lot_size}",
            details=[{"field": "quantity"}],
        )
