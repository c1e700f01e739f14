"""`rwa markets status SYMBOL`: a market's phase and, during a call auction, its figures."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from backend.assets.service import get_asset
from backend.commands.common import EXIT_CODES_HELP, SETTINGS_HELP, console, service_context
from backend.trading import markets
from backend.trading.sequencer import Venue

app = typer.Typer(help="Markets: phase and call auction. " + SETTINGS_HELP, no_args_is_help=True)


@app.command(
    "status",
    short_help="open / halted / auction, with the call's indicative price and imbalance",
    help="The market status of SYMBOL (open, halted: <reason>, auction: reopening|opening "
    "(until <time>)) and, during a call auction, its figures: the indicative uncross price, "
    "matched quantity, imbalance, reference price, collars and extensions. Read from the "
    "market's journal, replayed with the RWA_MARKET_* settings in the environment (as of "
    "the market's last command). " + SETTINGS_HELP + " " + EXIT_CODES_HELP,
)
def status(
    symbol: str = typer.Argument(..., metavar="SYMBOL", help="asset symbol, e.g. ACME"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object instead"),
) -> None:
    with service_context() as ctx:
        asset = get_asset(ctx.session, symbol)
        venue = Venue.for_settings(ctx.settings)
        text = markets.market_status(
            ctx.session, venue, asset, enforce_disclosures=ctx.settings.disclosure_policy_enforced
        )
        call = markets.auction(ctx.session, venue, asset)
    if as_json:
        console.print_json(json.dumps({"market_status": text, "auction": call}))
        return
    console.print(f"{asset.symbol}: {text}", highlight=False)
    if call["phase"] == "none":
        return
    table = Table(title=f"{asset.symbol} call auction ({call['phase']})", title_justify="left")
    table.add_column("")
    table.add_column("")
    for key in (
        "ends_at",
        "indicative_price",
        "matched_quantity",
        "imbalance_side",
        "imbalance_quantity",
        "reference_price",
        "collar_low",
        "collar_high",
        "extensions",
    ):
        value = call[key]
        table.add_row(key.replace("_", " "), "-" if value is None else str(value))
    console.print(table)
