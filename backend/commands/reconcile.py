"""`rwa reconcile`: on-chain balances against the venue's own ledger (and the compliance
mirror), per asset, cash and wallet."""

from __future__ import annotations

import typer
from rich.table import Table
from web3 import Web3

from backend.commands.common import (
    BAD_INPUT,
    EXIT_CODES_HELP,
    FAILED,
    SETTINGS_HELP,
    console,
    err_console,
    fail,
    service_context,
)
from backend.money import ASSET_DECIMALS, CASH_DECIMALS, fmt_units
from backend.settlement.ledger import CASH
from backend.settlement.reconcile import PositionRow, Report, reconcile


def _units(row: PositionRow, value: int | None) -> str:
    if value is None:
        return ""
    return fmt_units(value, CASH_DECIMALS if row.symbol == CASH else ASSET_DECIMALS)


def positions_table(report: Report, title: str) -> Table:
    """One row per asset (or cash) and wallet: on chain, ledger, mirror, settling, agree ✓/✗."""
    table = Table(title=title, title_justify="left")
    for column, justify in (
        ("asset", "left"),
        ("holder", "left"),
        ("wallet", "left"),
        ("block", "right"),
        ("on chain", "right"),
        ("ledger", "right"),
        ("mirror", "right"),
        ("settling", "right"),
        ("agree", "center"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in report.rows:
        settling = "" if not row.settling else ("+" if row.settling > 0 else "") + _units(row, row.settling)
        mirror = _units(row, row.mirror)
        if not row.mirror_agrees:
            mirror += f" (chain {_units(row, row.mirror_onchain)} at {report.blocks.get(row.symbol, 0)})"
        table.add_row(
            row.symbol,
            row.holder or "(unknown wallet)",
            row.wallet,
            str(row.block),
            _units(row, row.onchain),
            _units(row, row.ledger),
            mirror,
            settling,
            "[green]✓[/]" if row.agrees else "[red]✗[/]",
        )
    return table


def unexplained_table(report: Report) -> Table:
    """Transfers on chain that no venue record explains (behind the venue's back)."""
    table = Table(title="transfers the venue's ledger does not explain", title_justify="left")
    for column in ("asset", "from", "to", "amount", "block", "tx"):
        table.add_column(column)
    for m in report.unexplained:
        decimals = CASH_DECIMALS if m.symbol == CASH else ASSET_DECIMALS
        table.add_row(m.symbol, m.sender, m.receiver, fmt_units(m.amount, decimals), str(m.block), m.tx_hash)
    return table


def summary_line(report: Report) -> str:
    """One line: asset positions (ledger and mirror), then cash."""
    zero = f" (+{report.hidden_zero_rows} empty rows, all agree)" if report.hidden_zero_rows else ""
    assets, cash = report.asset_rows, report.cash_rows
    wrong_assets = [r for r in assets if not r.agrees]
    wrong_cash = [r for r in cash if not r.agrees]
    if wrong_assets:
        line = f"[red]✗[/] {len(wrong_assets)} of {len(assets)} positions differ from the chain"
    else:
        line = f"[green]✓[/] all {len(assets)} positions agree with the chain (ledger and mirror)"
    if cash:
        if wrong_cash:
            line += f"; [red]✗[/] cash: {len(wrong_cash)} of {len(cash)} wallets differ from the ledger"
        else:
            line += f"; cash: all {len(cash)} wallets agree with the ledger"
    if report.unexplained:
        line += f"; [red]✗[/] {len(report.unexplained)} transfer(s) the ledger does not explain"
    return line + zero


def _checksum(wallet: str) -> str:
    try:
        return Web3.to_checksum_address(wallet)
    except ValueError:
        fail(f"--wallet {wallet!r} is not an address", BAD_INPUT)


def command(
    symbol: list[str] = typer.Option([], "--symbol", "-s", help="only these assets (repeatable; CASH for cash)"),
    wallet: list[str] = typer.Option([], "--wallet", "-w", help="only these wallets (repeatable)"),
    all_rows: bool = typer.Option(False, "--all", help="also list wallets holding nothing"),
    no_sync: bool = typer.Option(
        False, "--no-sync", help="compare the mirror as it stands (default: sync it to the head first)"
    ),
) -> None:
    with service_context() as ctx, err_console.status("reconciling") as status:
        report = reconcile(
            ctx.session,
            ctx.chain,
            symbols=[s.upper() for s in symbol] or None,
            sync_first=not no_sync,
            include_zero=all_rows,
            wallets={_checksum(w) for w in wallet} or None,
            progress=lambda message: status.update(f"reconcile: {message}"),
        )
    console.print(positions_table(report, f"positions: chain vs the venue's ledger, at block {report.block}"))
    if report.unexplained:
        console.print(unexplained_table(report))
    console.print(summary_line(report), highlight=False)
    if not report.ok:
        raise typer.Exit(FAILED)


HELP = (
    "Compare on-chain balances with the venue's own ledger, per asset, cash and wallet: issuance "
    "and governance actions of the audit log, settled trades (the database's quantities and prices, "
    "not the settlement transactions' transfers), distributions and test cash; and each asset's "
    "compliance mirror with the chain at the block it is synced to. Trades still settling are shown "
    "apart. Lists transfers no venue record explains (made behind the venue's back). Exit 0 when "
    "every position agrees, 1 when any differs. " + SETTINGS_HELP + " " + EXIT_CODES_HELP
)
