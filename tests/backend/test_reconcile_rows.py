"""A reconciliation row agrees when the chain holds what the ledger says (or that plus the trades
still settling, already mined) and the mirror agrees with the chain; the summary line counts
asset and cash rows apart."""

from __future__ import annotations

from backend.commands.reconcile import summary_line
from backend.settlement.ledger import CASH, Ledger
from backend.settlement.reconcile import PositionRow, Report

WALLET = "0x" + "11" * 20


def row(symbol: str = "ACME", **fields: int | None) -> PositionRow:
    values: dict = {"onchain": 10, "ledger": 10, "settling": 0, **fields}
    return PositionRow(symbol=symbol, wallet=WALLET, holder="", block=5, **values)


def test_a_row_agrees_only_when_the_chain_holds_what_the_ledger_says():
    assert row().agrees and row().difference == 0
    assert not row(onchain=12).agrees and row(onchain=12).difference == 2
    assert row(onchain=7, ledger=10).difference == -3


def test_trades_still_settling_may_already_be_on_chain_but_nothing_else():
    assert row(onchain=10, ledger=10, settling=4).agrees  # not mined yet
    assert row(onchain=14, ledger=10, settling=4).agrees  # mined, not yet marked settled
    assert not row(onchain=12, ledger=10, settling=4).agrees


def test_the_mirror_must_agree_with_the_chain_at_its_own_block():
    assert row(mirror=10, mirror_onchain=10).agrees
    mismatch = row(mirror=11, mirror_onchain=10)
    assert mismatch.ledger_agrees and not mismatch.mirror_agrees and not mismatch.agrees
    assert row(CASH).mirror_agrees  # cash has no mirror


def test_the_summary_counts_asset_and_cash_rows_apart():
    clean = Report(rows=[row(), row(), row(CASH)])
    assert clean.ok
    assert "all 2 positions agree with the chain" in summary_line(clean)
    assert "cash: all 1 wallets agree with the ledger" in summary_line(clean)
    wrong = Report(rows=[row(), row(CASH, onchain=9), row(CASH)])
    assert not wrong.ok and wrong.differences == [row(CASH, onchain=9)]
    assert "cash: 1 of 2 wallets differ from the ledger" in summary_line(wrong)


def test_ledger_moves_keep_the_total_and_ignore_the_zero_address():
    ledger = Ledger(block=1)
    ledger.move("ACME", "0x" + "0" * 40, WALLET, 100)  # a mint
    ledger.move("ACME", WALLET, "0x" + "22" * 20, 30)
    assert ledger.expected["ACME"] == {WALLET: 70, "0x" + "22" * 20: 30}
