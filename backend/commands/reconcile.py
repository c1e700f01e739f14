"""`rwa reconcile`: database positions against on-chain balances, per asset and investor."""

from __future__ import annotations

import typer
from rich.table import Table

from backend.commands.common import EXIT_CODES_HELP, FAILED, SETTINGS_HELP, console, service_context
from backend.money import ASSET_DECIMALS, fmt_units
from backend.settlement.reconcile import Report, reconcile


def _units(value: int) -> str:
    return fmt_units(value, ASSET_DECIMALS)


def positions_table(report: Report, title: str) -> Table:
    """One row per asset and wallet: on chain, database (mirror), settling, agree ✓/✗."""
    table = Table(title=title, title_justify="left")
    for column, justify in (
        ("asset", "left"),
        ("holder", "left"),
        ("wallet", "left"),
        ("block", "right"),
        ("on chain", "right"),
        ("database", "right"),
        ("settling", "right"),
        ("agree", "center"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in report.rows:
        settling = "" if not row.settling else ("+" if row.settling > 0 else "") + _units(row.settling)
        table.add_row(
            row.symbol,
            row.holder or "(unknown wallet)",
            row.wallet,
            str(row.block),
            _units(row.onchain),
            _units(row.mirror),
            settling,
            "[green]✓[/]" if row.agrees else "[red]✗[/]",
        )
    return table


def summary_line(report: Report) -> str:
    zero = f" (+{report.hidden_zero_rows} empty rows, all agree)" if report.hidden_zero_rows else ""
    if report.ok:
        return f"[green]✓[/] all {len(report.rows)} positions agree with the chain{zero}"
    return f"[red]✗[/] {len(report.differences)} of {len(report.rows)} positions differ from the chain{zero}"


def command(
    symbol: list[str] = typer.Option([], "--symbol", "-s", help="only these assets (repeatable)"),
    all_rows: bool = typer.Option(False, "--all", help="also list wallets holding nothing"),
    no_sync: bool = typer.Option(
        False, "--no-sync", help="compare the mirror as it stands (default: sync it to the head first)"
    ),
) -> None:
    with service_context() as ctx:
        report = reconcile(
            ctx.session,
            ctx.chain,
            symbols=[s.upper() for s in symbol] or None,
            sync_first=not no_sync,
            include_zero=all_rows,
        )
    console.print(positions_table(report, "positions: database vs chain"))
    console.print(summary_line(report), highlight=False)
    if not report.ok:
        raise typer.Exit(FAILED)


HELP = (
    "Compare database positions (the compliance mirror's balances, plus trades still settling) with "
    "on-chain balances per asset and wallet, at the block the mirror is synced to, and print a table. "
    "Exit 0 when every position agrees, 1 when any differs. " + SETTINGS_HELP + " " + EXIT_CODES_HELP
)
