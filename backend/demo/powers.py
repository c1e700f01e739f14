"""The demo's operator powers: one partial freeze and one wallet recovery, each with its
reason, both in the public hash-chained audit log, whose head is then anchored on chain.

Lena, a late subscriber, receives 10 ACME (a mint with reason `corporate_action`); a court
garnishment freezes 4 of them (`court_order`); she loses her hardware wallet and the venue
recovers her record, her balance and the frozen amount to a new wallet (`lost_keys`, with
the hash of the identity affidavit, stored but not published). Everything through the
admin API; the transactions are signed by the governance key, not the hot operator key.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from eth_account import Account
from rich.console import Console
from rich.table import Table
from rich.text import Text

from backend.demo.api import Api
from backend.demo.market import Say

SYMBOL = "ACME"


def run(api: Api, say: Say) -> list[dict[str, Any]]:
    """Returns the audit log after the actions (every entry, oldest first)."""
    lost, new = Account.create().address, Account.create().address
    investor = api.admin_ok(
        "POST",
        "/v1/investors",
        "onboard Lena",
        json={
            "wallet": lost,
            "name": "Lena Fischer",
            "country": "US",
            "accredited": True,
            "kyc_expires": (date.today() + timedelta(days=365)).isoformat(),
        },
    )
    minted = _act(api, f"/assets/{SYMBOL}/mint", "corporate_action", "late subscription, board minute 2026-11",
                  wallet=lost, quantity="10")  # fmt: skip
    frozen = _act(api, f"/assets/{SYMBOL}/freeze-partial", "court_order",
                  "garnishment order 4 C 1187/26, District Court: 4 shares held pending judgment",
                  wallet=lost, quantity="4")  # fmt: skip
    say(
        f"[green]✓[/] Lena (investor {investor['id']}) received 10 {SYMBOL} (tx {minted['tx_hash']}); a court "
        f"garnishment froze 4 of them (tx {frozen['tx_hash']}), each with its reason in the audit log"
    )
    affidavit = (
        b"Affidavit: Lena Fischer lost the hardware wallet holding " + lost.encode() + b"; identity re-verified."
    )
    evidence = api.admin_ok(
        "POST", "/v1/admin/evidence", "store the affidavit", files={"file": ("affidavit.txt", affidavit, "text/plain")}
    )
    recovered = api.admin_ok(
        "POST",
        "/v1/admin/recoveries",
        "recover Lena's wallet",
        json={
            "lost_wallet": lost,
            "new_wallet": new,
            "document_hash": evidence["sha256"],
            "reason_code": "lost_keys",
            "reason": "hardware wallet lost; identity re-verified by video call",
        },
    )["entries"]
    say(
        f"[green]✓[/] Lena lost her keys: the registry record, her 10 {SYMBOL} and the 4 frozen moved to "
        f"{new} in {len(recovered)} transactions (affidavit sha256 {evidence['sha256'][:16]}…, not published)"
    )
    anchor = api.admin_ok("POST", "/v1/admin/audit/anchor", "anchor the audit log")
    say(f"[green]✓[/] audit log head (entry {anchor['seq']}) anchored on chain, tx {anchor['tx_hash']}")
    return api.ok("GET", "/v1/audit", "audit log", params={"limit": 1000})["entries"]


def _act(api: Api, path: str, reason_code: str, reason: str, **body: str) -> dict[str, Any]:
    entries = api.admin_ok(
        "POST", f"/v1/admin{path}", path, json={**body, "reason_code": reason_code, "reason": reason}
    )["entries"]
    return entries[0]


def render_audit(console: Console, entries: list[dict[str, Any]]) -> None:
    """The summary's audit log table (GET /v1/audit; `rwa audit verify` checks it)."""
    if not entries:
        return
    last = entries[-1]
    table = Table(
        title="[bold]Audit log: every privileged action with its reason (GET /v1/audit)",
        caption=f"hash-chained: head entry {last['seq']} hash {last['hash'][:16]}…, anchored on chain; "
        "`rwa audit verify` recomputes it",
        title_justify="left",
    )
    for column in ("#", "action", "subject", "reason", "tx"):
        table.add_column(column)
    for e in entries:
        wallet = f"{e['wallet'][:10]}…" if e["wallet"] else ""
        reason = f"{e['reason_code']}: {e['reason']}"
        table.add_row(
            str(e["seq"]),
            e["action"],
            " ".join(x for x in (e["asset"], wallet) if x),
            Text(reason if len(reason) <= 60 else reason[:59] + "…"),
            f"{e['tx_hash'][:12]}…" if e["tx_hash"] else "",
        )
    console.print(table)
