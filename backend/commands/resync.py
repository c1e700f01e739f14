"""`rwa resync`: rebuild the database's mirrors from the chain (the chain wins)."""

from __future__ import annotations

from backend.assets.service import list_assets
from backend.commands.common import EXIT_CODES_HELP, SETTINGS_HELP, console, service_context
from backend.compliance.registry_sync import resync_investors
from backend.compliance.sync import resync


def command() -> None:
    with service_context() as ctx:
        with console.status("reading the identity registry"):
            investors = resync_investors(ctx.session, ctx.chain)
        console.print(
            f"[green]✓[/] investors: {investors.checked} wallets checked, "
            f"{len(investors.changed)} corrected, {len(investors.imported)} imported from the chain"
        )
        for asset in list_assets(ctx.session):
            with console.status(f"rebuilding the mirror of {asset.symbol}"):
                block = resync(ctx.session, ctx.chain, asset)
            console.print(f"[green]✓[/] {asset.symbol}: token state rebuilt at block {block}")


HELP = (
    "Rebuild the investor whitelist mirror from IdentityRegistry and each asset's token-state mirror "
    "(balances, freezes, lock-ups, holder count) from the chain. Use after a restore, or after changes "
    "made outside the service (e.g. scripts/compliance/whitelist.py). " + SETTINGS_HELP + " " + EXIT_CODES_HELP
)
