"""`rwa documents verify SYMBOL`: recompute each filed document's hash and compare with the chain."""

from __future__ import annotations

import typer
from rich.table import Table

from backend.assets.service import get_asset
from backend.clock import utc_today
from backend.commands.common import EXIT_CODES_HELP, FAILED, SETTINGS_HELP, console, service_context
from backend.disclosures import service
from backend.disclosures.policies import missing_disclosures
from backend.disclosures.store import ContentStore

app = typer.Typer(
    help="Disclosure documents anchored on asset tokens (ERC-1643). " + SETTINGS_HELP, no_args_is_help=True
)


@app.command(
    "verify",
    short_help="✓/✗ per document: stored bytes vs the hash anchored on chain",
    help="Recompute the SHA-256 of every current document of SYMBOL from the stored "
    "bytes and compare it with the hash anchored on the asset token; a table shows "
    "✓/✗ per document, and required disclosures that are missing or stale. --all "
    "also lists superseded versions (for information; they do not fail the check). "
    + SETTINGS_HELP
    + " "
    + EXIT_CODES_HELP,
)
def verify(
    symbol: str = typer.Argument(..., metavar="SYMBOL", help="asset symbol, e.g. PERMIAN1"),
    all_versions: bool = typer.Option(False, "--all", help="also list superseded versions"),
) -> None:
    with service_context() as ctx:
        asset = get_asset(ctx.session, symbol)
        store = ContentStore(ctx.settings.storage_dir)
        listed = service.list_documents(ctx.session, ctx.chain, asset.symbol, current_only=not all_versions)
        results = [(status, service.verify(ctx.session, ctx.chain, store, doc=doc)) for doc, status in listed]
        missing = missing_disclosures(ctx.session, asset, utc_today())
    table = Table(title=f"{asset.symbol} disclosures on token {asset.token_address}", title_justify="left")
    for column in ("", "type", "v", "title", "sha256 (stored bytes)", "on chain", "result"):
        table.add_column(column)
    failures = 0
    for listed_status, result in results:
        doc = next(d for d, _ in listed if d.id == result["id"])
        counts = listed_status == "current"
        mark = "[green]✓[/]" if result["matches"] else ("[red]✗[/]" if counts else "[dim]-[/]")
        failures += int(counts and not result["matches"])
        table.add_row(
            mark,
            result["doc_type"],
            str(result["version"]),
            doc.title,
            (result["sha256"] or "missing")[:16] + "…",
            (result["onchain_hash"] or "none")[:16] + "…",
            "matches the anchored hash" if result["matches"] else result["reason"],
        )
    for doc_type in missing:
        failures += 1
        table.add_row("[red]✗[/]", doc_type, "", "", "", "", "required by the disclosure policy: missing or stale")
    console.print(table)
    verified = sum(1 for status, r in results if status == "current" and r["matches"])
    if failures:
        console.print(f"[red]✗[/] {failures} problem(s); {verified} document(s) verified", highlight=False)
        raise typer.Exit(FAILED)
    console.print(f"[green]✓[/] all {verified} current document(s) match the hashes anchored on chain", highlight=False)
