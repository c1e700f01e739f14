"""Pure rules of revenue distributions: labels, memo, cash units, authorization, error codes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.distributions.funding import shortfall, translate_deposit_error
from backend.distributions.service import cash_units, clean_memo
from backend.errors import ChainRejected, InvalidInput
from backend.models.assets import Asset
from backend.models.distributions import kind_label

ISSUER = "0x1111111111111111111111111111111111111111"


def _asset() -> Asset:
    return Asset(
        symbol="OIL1",
        name="Oil",
        kind="oil_well",
        tick_size="0.01",
        lot_size="1",
        total_supply="100",
        issuer_wallet=ISSUER,
        token_address="0x" + "22" * 20,
        rules_address="0x" + "33" * 20,
    )


def test_each_asset_kind_names_its_distribution():
    assert kind_label("oil_well") == "royalty"
    assert kind_label("farm") == "harvest_revenue"
    assert kind_label("equity") == "dividend"


def test_memo_is_trimmed_and_bounded():
    assert clean_memo("  Q3 royalties ") == "Q3 royalties"
    assert clean_memo(None) == ""
    for bad in ("x" * 201, "line\nbreak"):
        with pytest.raises(InvalidInput):
            clean_memo(bad)


def test_cash_amounts_become_whole_units_of_six_decimals_or_are_refused():
    assert cash_units(Decimal("1000")) == 1_000_000_000
    assert cash_units(Decimal("0.000001")) == 1
    assert cash_units(Decimal("2.5000000")) == 2_500_000  # trailing zeros are not extra precision
    for bad in ("0.0000001", "0", "-1"):
        with pytest.raises(InvalidInput):
            cash_units(Decimal(bad))


def test_shortfall_is_what_the_balance_lacks():
    assert shortfall(balance=400, needed=1000) == 600
    assert shortfall(balance=1000, needed=1000) == 0
    assert shortfall(balance=5000, needed=1000) == 0


def test_decoded_contract_errors_map_to_distribution_codes():
    def rejected(name: str) -> ChainRejected:
        return ChainRejected("chain.reverted", f"{name}()", details={"error": name, "args": []})

    no_supply = translate_deposit_error(rejected("RevenueDistributorNoSupply"), symbol="OIL1")
    assert (no_supply.code, no_supply.status) == ("distribution.no_holders", 409)
    short = translate_deposit_error(rejected("ERC20InsufficientBalance"), symbol="OIL1")
    assert (short.code, short.status) == ("distribution.insufficient_cash", 409)
    not_issuer = translate_deposit_error(rejected("RevenueDistributorNotIssuer"), symbol="OIL1")
    assert (not_issuer.code, not_issuer.status) == ("distribution.not_issuer", 409)
    unapproved = translate_deposit_error(rejected("ERC20InsufficientAllowance"), symbol="OIL1")
    assert (unapproved.code, unapproved.status) == ("distribution.approval_required", 409)
    other = rejected("AccessControlUnauthorizedAccount")
    assert translate_deposit_error(other, symbol="OIL1") is other
    undecoded = ChainRejected("chain.reverted", "execution reverted")
    assert translate_deposit_error(undecoded, symbol="OIL1") is undecoded
