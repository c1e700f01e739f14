"""`rwa investors import FILE.csv`: onboard investors (DB row + IdentityRegistry whitelist)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlmodel import select

from backend.commands.common import (
    BAD_INPUT,
    EXIT_CODES_HELP,
    FAILED,
    SETTINGS_HELP,
    Context,
    console,
    err_console,
    service_context,
)
from backend.compliance import onboarding
from backend.compliance.investor_csv import COLUMNS, InvestorCsvError, InvestorRow, parse_investor_csv
from backend.errors import DomainError, Unavailable
from backend.models.compliance import Investor

app = typer.Typer(help="Investor onboarding. " + SETTINGS_HELP, no_args_is_help=True)


@dataclass
class Outcome:
    row: InvestorRow
    status: str  # created / skipped / failed
    detail: str = ""
    investor_id: int | None = None
    api_key: str | None = None


def import_rows(ctx: Context, rows: list[InvestorRow], progress: Progress) -> list[Outcome]:
    """Onboard each row through onboarding.create_investor (what POST /v1/investors runs);
    wallets the database already knows are skipped, so a re-run only adds what is new."""
    session, chain = ctx.session, ctx.chain
    outcomes: list[Outcome] = []
    task = progress.add_task("whitelisting investors", total=len(rows))
    for row in rows:
        progress.update(task, description=f"line {row.line}: {row.name}")
        existing = session.exec(select(Investor).where(Investor.wallet == row.wallet)).first()
        if existing is not None:
            note = f"exists as investor {existing.id} ({existing.status})"
            outcomes.append(Outcome(row, "skipped", note, existing.id))
        else:
            try:
                investor, key = onboarding.create_investor(session, chain, **row.api_body())  # type: ignore[arg-type]
                outcomes.append(Outcome(row, "created", f"tx {investor.tx_hash}", investor.id, key))
            except Unavailable:
                raise
            except DomainError as exc:
                session.rollback()
                outcomes.append(Outcome(row, "failed", f"{exc.message} [{exc.code}]"))
        progress.advance(task)
    return outcomes


@app.command(
    "import",
    short_help="onboard investors from FILE.csv (wallet,name,country,accredited,kyc_expires)",
    help=f"Onboard investors from a CSV file with the header {','.join(COLUMNS)} "
    "(country ISO alpha-2, accredited true/false, kyc_expires YYYY-MM-DD). Each new "
    "wallet gets a database row, an IdentityRegistry whitelist transaction and an "
    "investor API key (shown once: in the table, or written with --keys-file). Wallets "
    "already known are skipped, so re-running the same file is safe. A file with "
    "mistakes is refused whole (each problem with its line number) before anything is "
    "sent. " + SETTINGS_HELP + " " + EXIT_CODES_HELP,
)
def import_csv(
    file: Path = typer.Argument(..., metavar="FILE.csv", help="the CSV file"),
    keys_file: Path | None = typer.Option(None, help="write the new investors' API keys here (JSON)"),
) -> None:
    try:
        rows = parse_investor_csv(file)
    except InvestorCsvError as exc:
        for problem in exc.problems:
            err_console.print(f"[red]error:[/] {problem}", highlight=False)
        err_console.print(f"nothing was imported: fix the {len(exc.problems)} problem(s) above and run again")
        raise typer.Exit(BAD_INPUT) from None
    with (
        service_context() as ctx,
        Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
        ) as progress,
    ):
        outcomes = import_rows(ctx, rows, progress)
    _report(file, outcomes, keys_file)
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(FAILED)


def _report(file: Path, outcomes: list[Outcome], keys_file: Path | None) -> None:
    table = Table(title=f"investors from {file}", title_justify="left")
    for column in ("line", "name", "country", "wallet", "result", "investor", "detail"):
        table.add_column(column)
    style = {"created": "green", "skipped": "dim", "failed": "red"}
    for o in outcomes:
        table.add_row(
            str(o.row.line),
            o.row.name,
            o.row.country,
            o.row.wallet,
            o.status,
            str(o.investor_id or ""),
            o.detail,
            style=style[o.status],
        )
    console.print(table)
    new_keys = {
        o.row.wallet: {"investor_id": o.investor_id, "name": o.row.name, "api_key": o.api_key}
        for o in outcomes
        if o.api_key
    }
    if new_keys and keys_file:
        keys_file.parent.mkdir(parents=True, exist_ok=True)
        keys_file.write_text(json.dumps(new_keys, indent=2) + "\n")
        console.print(f"API keys of the {len(new_keys)} new investor(s) written to {keys_file} (shown only once)")
    elif new_keys:
        keys = Table(title="API keys (shown only once)", title_justify="left")
        keys.add_column("wallet")
        keys.add_column("api key")
        for wallet, entry in new_keys.items():
            keys.add_row(wallet, str(entry["api_key"]))
        console.print(keys)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("created", "skipped", "failed")}
    console.print(
        f"created {counts['created']}, skipped {counts['skipped']} (already known), failed {counts['failed']}",
        highlight=False,
    )
