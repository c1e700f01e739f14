"""`rwa audit ...` (verify, anchor, show) and `rwa admin ...` (privileged actions with a
reason, signed with RWA_GOVERNANCE_KEY), on the service's own functions.

Market halts and resumes go through the running service's REST API (`--url`, RWA_SERVICE_URL),
with RWA_ADMIN_KEY: the market's sequencer lives in the service process, so only it can
journal the halt.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx
import typer

from backend.commands.common import BAD_INPUT, FAILED, SETTINGS_HELP, UNAVAILABLE, console, fail, service_context
from backend.disclosures.store import ContentStore
from backend.governance import anchoring, asset_actions, investor_actions, log
from backend.governance.common import Reason
from backend.governance.reasons import REASON_CODES
from backend.models.governance import AuditEntry

audit_app = typer.Typer(help="The public audit log: verify it against its on-chain anchors, anchor its head, show it.")
admin_app = typer.Typer(
    help="Privileged actions, each with --reason-code and --reason, appended to the audit log. "
    f"Reason codes: {', '.join(REASON_CODES)}. " + SETTINGS_HELP
)

CODE = typer.Option(..., "--reason-code", help="one of: " + ", ".join(REASON_CODES))
REASON = typer.Option(..., "--reason", help="free text, required")
DOCUMENT = typer.Option(..., "--document-hash", help="sha256 of a stored supporting document (rwa admin evidence)")


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _quantity(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail(f"{text!r} is not a decimal quantity", BAD_INPUT)
    if not value.is_finite() or value <= 0:
        fail("quantity must be a positive decimal", BAD_INPUT)
    return value


def _show(*entries: AuditEntry) -> None:
    for e in entries:
        subject = " ".join(x for x in (e.asset, e.wallet) if x)
        line = f"#{e.seq} {e.at} {e.action} {subject} ({e.reason_code}) {e.reason!r}"
        console.print(f"{line} tx={e.tx_hash or '-'} hash={e.hash[:16]}", highlight=False, markup=False)


# --- rwa audit -------------------------------------------------------------------------------


@audit_app.command("verify")
def verify() -> None:
    """Recompute every entry's hash and check every anchor against the chain; exit 1 on any break."""
    with service_context() as ctx:
        problems, counts = anchoring.verify(ctx.session, ctx.chain)
    summary = (
        f"{counts['entries']} entries, {counts['anchors_recorded']} anchors recorded, "
        f"{counts['anchors_on_chain']} on chain"
    )
    if problems:
        for problem in problems:
            console.print(f"[red]BROKEN[/] {problem}", highlight=False)
        fail(f"the audit log does not verify ({summary})", FAILED)
    console.print(f"[green]audit log verified[/]: {summary}", highlight=False)


@audit_app.command("anchor")
def anchor() -> None:
    """Write the log's head (seq, hash) on chain now (AuditAnchor)."""
    with service_context() as ctx:
        record = anchoring.anchor_head(ctx.session, ctx.chain)
    if record is None:
        console.print("the audit log is empty: nothing to anchor")
    else:
        console.print(f"anchored entry {record.seq} hash {record.hash} in tx {record.tx_hash} (block {record.block})")


@audit_app.command("show")
def show(
    asset: str = typer.Option(None, help="only this asset"),
    wallet: str = typer.Option(None, help="only this wallet"),
    action: str = typer.Option(None, help="only this action, e.g. wallet.freeze"),
    limit: int = typer.Option(100, min=1, max=1000),
) -> None:
    """Print the log, oldest first."""
    with service_context() as ctx:
        _show(*log.list_entries(ctx.session, asset=asset, wallet=wallet, action=action, limit=limit))


# --- rwa admin -------------------------------------------------------------------------------


def _act(reason_code: str, reason: str, action: Callable[[Any, Reason], AuditEntry | Sequence[AuditEntry]]) -> None:
    """Run one privileged action with its reason (checked before anything moves) and print the
    audit entries it appended. `action(ctx, why)` calls the governance function."""
    with service_context() as ctx:
        done = action(ctx, Reason.of(_actor(), reason_code, reason))
    _show(*(done if isinstance(done, Sequence) else [done]))


@admin_app.command("freeze")
def freeze(symbol: str, wallet: str, reason_code: str = CODE, reason: str = REASON) -> None:
    """Freeze a whole wallet in an asset."""
    _act(reason_code, reason, _set_frozen(symbol, wallet, frozen=True))


@admin_app.command("unfreeze")
def unfreeze(symbol: str, wallet: str, reason_code: str = CODE, reason: str = REASON) -> None:
    """Unfreeze a whole wallet in an asset."""
    _act(reason_code, reason, _set_frozen(symbol, wallet, frozen=False))


def _set_frozen(symbol: str, wallet: str, *, frozen: bool) -> Callable[[Any, Reason], AuditEntry]:
    return lambda ctx, why: asset_actions.set_wallet_frozen(
        ctx.session, ctx.chain, None, reason=why, symbol=symbol, wallet=wallet, frozen=frozen
    )


@admin_app.command("freeze-partial")
def freeze_partial(symbol: str, wallet: str, quantity: str, reason_code: str = CODE, reason: str = REASON) -> None:
    """Freeze QUANTITY of a wallet's tokens."""
    _act(reason_code, reason, _freeze_tokens(symbol, wallet, _quantity(quantity), freeze=True))


@admin_app.command("unfreeze-partial")
def unfreeze_partial(symbol: str, wallet: str, quantity: str, reason_code: str = CODE, reason: str = REASON) -> None:
    """Release QUANTITY of a wallet's frozen tokens."""
    _act(reason_code, reason, _freeze_tokens(symbol, wallet, _quantity(quantity), freeze=False))


def _freeze_tokens(symbol: str, wallet: str, quantity: Decimal, *, freeze: bool) -> Callable[[Any, Reason], AuditEntry]:
    return lambda ctx, why: asset_actions.freeze_tokens(
        ctx.session, ctx.chain, reason=why, symbol=symbol, wallet=wallet, quantity=quantity, freeze=freeze
    )


@admin_app.command("pause")
def pause(symbol: str, reason_code: str = CODE, reason: str = REASON) -> None:
    """Pause every holder transfer of an asset."""
    _act(reason_code, reason, _set_paused(symbol, paused=True))


@admin_app.command("unpause")
def unpause(symbol: str, reason_code: str = CODE, reason: str = REASON) -> None:
    """Resume holder transfers of an asset."""
    _act(reason_code, reason, _set_paused(symbol, paused=False))


def _set_paused(symbol: str, *, paused: bool) -> Callable[[Any, Reason], AuditEntry]:
    return lambda ctx, why: asset_actions.set_paused(ctx.session, ctx.chain, reason=why, symbol=symbol, paused=paused)


@admin_app.command("forced-transfer")
def forced_transfer(
    symbol: str,
    from_wallet: str,
    to_wallet: str,
    quantity: str,
    reason_code: str = CODE,
    reason: str = REASON,
    document_hash: str = DOCUMENT,
) -> None:
    """Move QUANTITY from one investor's wallet to another's (the receiver must pass the rules)."""
    amount = _quantity(quantity)
    _act(
        reason_code,
        reason,
        lambda ctx, why: asset_actions.forced_transfer(
            ctx.session,
            ctx.chain,
            ContentStore(ctx.settings.storage_dir),
            reason=why,
            symbol=symbol,
            from_wallet=from_wallet,
            to_wallet=to_wallet,
            quantity=amount,
            document=document_hash,
        ),
    )


@admin_app.command("mint")
def mint(symbol: str, wallet: str, quantity: str, reason_code: str = CODE, reason: str = REASON) -> None:
    """Mint QUANTITY to an investor's wallet (within the supply cap)."""
    _act(reason_code, reason, _mint_or_burn(symbol, wallet, _quantity(quantity), mint=True))


@admin_app.command("burn")
def burn(symbol: str, wallet: str, quantity: str, reason_code: str = CODE, reason: str = REASON) -> None:
    """Burn QUANTITY of an investor's wallet."""
    _act(reason_code, reason, _mint_or_burn(symbol, wallet, _quantity(quantity), mint=False))


def _mint_or_burn(symbol: str, wallet: str, quantity: Decimal, *, mint: bool) -> Callable[[Any, Reason], AuditEntry]:
    return lambda ctx, why: asset_actions.mint_or_burn(
        ctx.session, ctx.chain, reason=why, symbol=symbol, wallet=wallet, quantity=quantity, mint=mint
    )


@admin_app.command("recover")
def recover(
    lost_wallet: str, new_wallet: str, reason_code: str = CODE, reason: str = REASON, document_hash: str = DOCUMENT
) -> None:
    """Move a lost wallet's investor record, balances, freezes and revenue to NEW_WALLET."""
    _act(
        reason_code,
        reason,
        lambda ctx, why: investor_actions.recover(
            ctx.session,
            ctx.chain,
            ContentStore(ctx.settings.storage_dir),
            None,
            reason=why,
            lost_wallet=lost_wallet,
            new_wallet=new_wallet,
            document=document_hash,
        ),
    )


@admin_app.command("revoke")
def revoke(investor_id: int, reason_code: str = CODE, reason: str = REASON) -> None:
    """Remove an investor from the whitelist and revoke its keys."""
    _act(
        reason_code,
        reason,
        lambda ctx, why: investor_actions.revoke(ctx.session, ctx.chain, None, reason=why, investor_id=investor_id),
    )


@admin_app.command("reinstate")
def reinstate(investor_id: int, reason_code: str = CODE, reason: str = REASON) -> None:
    """Whitelist a revoked investor again."""
    _act(
        reason_code,
        reason,
        lambda ctx, why: investor_actions.reinstate(ctx.session, ctx.chain, reason=why, investor_id=investor_id)[1],
    )


@admin_app.command("rotate-key")
def rotate_key(investor_id: int, reason_code: str = CODE, reason: str = REASON) -> None:
    """Revoke an investor's API keys and print a new one (shown once)."""
    keys: list[str] = []

    def rotate(ctx: Any, why: Reason) -> AuditEntry:
        key, entry = investor_actions.rotate_key(ctx.session, reason=why, investor_id=investor_id)
        keys.append(key)
        return entry

    _act(reason_code, reason, rotate)
    console.print(f"new API key: {keys[0]}", highlight=False)


SERVICE_URL = typer.Option(
    "http://127.0.0.1:8000", "--url", envvar="RWA_SERVICE_URL", help="the running service (RWA_SERVICE_URL)"
)


def _service(url: str) -> httpx.Client:
    """The HTTP client for the running service (tests hand in the app's own client)."""
    return httpx.Client(base_url=url, timeout=30)


def _market_action(url: str, symbol: str, action: str, reason_code: str, reason: str) -> None:
    from backend.config import settings_from_env  # the admin key, as the service reads it

    headers = {"X-API-Key": settings_from_env().admin_key}
    body = {"reason_code": reason_code, "reason": reason}
    try:
        with _service(url) as client:
            response = client.post(f"/v1/admin/markets/{symbol}/{action}", json=body, headers=headers)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the service at {url} ({exc}): start it (rwa serve) or pass --url", UNAVAILABLE)
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            message = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status_code}"
        fail(f"{action} refused: {message}", BAD_INPUT if response.status_code < 500 else FAILED)
    for e in response.json()["entries"]:
        subject = " ".join(x for x in (e.get("asset"), e.get("wallet")) if x)
        line = f"#{e['seq']} {e['at']} {e['action']} {subject} ({e['reason_code']}) {e['reason']!r}"
        console.print(f"{line} hash={e['hash'][:16]}", highlight=False, markup=False)


@admin_app.command("halt")
def halt(symbol: str, reason_code: str = CODE, reason: str = REASON, url: str = SERVICE_URL) -> None:
    """Halt a market (the operator's kill switch), through the running service; it reopens
    through a call auction on resume."""
    _market_action(url, symbol, "halt", reason_code, reason)


@admin_app.command("resume")
def resume(symbol: str, reason_code: str = CODE, reason: str = REASON, url: str = SERVICE_URL) -> None:
    """End an operator halt, through the running service."""
    _market_action(url, symbol, "resume", reason_code, reason)


@admin_app.command("evidence")
def evidence(path: Path) -> None:
    """Store a supporting document (not published); prints its sha256 for --document-hash."""
    if not path.is_file():
        fail(f"{path} is not a file", BAD_INPUT)
    with service_context() as ctx:
        console.print(ContentStore(ctx.settings.storage_dir).put(path.read_bytes()))
