"""Attacks on the public audit log (issue 15), tried against a live stack (a real ganache).

Someone with write access to the database (an insider, a stolen backup restored with edits)
rewrites history carefully: every hash recomputed, so the chain of hashes is consistent again.
The on-chain anchors are what catch it. (A bogus anchor written by the hot key was tried too, by
hand: `verify` reports it and anchoring resumes at the next entry; it is not a test here because
an anchor is write-once on the session's shared chain and would break every later verify.)
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from backend.governance import anchoring, log
from backend.models.governance import AuditEntry


def _halt_and_resume(client, admin, symbol: str) -> None:
    body = {"reason_code": "market_integrity", "reason": "attack test"}
    assert client.post(f"/v1/admin/markets/{symbol}/halt", headers=admin, json=body).status_code == 200
    assert client.post(f"/v1/admin/markets/{symbol}/resume", headers=admin, json=body).status_code == 200


def _rehash_from(session: Session, first_seq: int) -> None:
    """Recompute hash and prev_hash of every entry from `first_seq` on."""
    entries = list(session.exec(select(AuditEntry).where(AuditEntry.seq >= first_seq).order_by(col(AuditEntry.seq))))
    before = session.get(AuditEntry, first_seq - 1)
    prev = before.hash if before is not None else log.GENESIS
    for entry in entries:
        entry.prev_hash = prev
        entry.hash = log.entry_hash(log.as_dict(entry))
        prev = entry.hash
        session.add(entry)
    session.commit()


def _restore(session: Session, originals: list[dict]) -> None:
    for fields in originals:
        entry = session.get(AuditEntry, fields["seq"])
        assert entry is not None
        for name, value in fields.items():
            setattr(entry, name, value)
        session.add(entry)
    session.commit()


def test_a_consistently_rehashed_rewrite_before_an_anchor_is_caught(client, admin, make_asset):
    symbol = make_asset()["symbol"]
    _halt_and_resume(client, admin, symbol)
    anchored = client.post("/v1/admin/audit/anchor", headers=admin)
    assert anchored.status_code == 200, anchored.text
    app = client.app
    with Session(app.state.db, expire_on_commit=False) as session:
        assert anchoring.verify(session, app.state.chain)[0] == []
        victim = session.exec(
            select(AuditEntry).where(AuditEntry.asset == symbol, AuditEntry.action == "market.halt")
        ).one()
        originals = [log.as_dict(e) for e in session.exec(select(AuditEntry).where(AuditEntry.seq >= victim.seq))]
        # the insider changes the halt's reason, then recomputes every hash after it
        victim.reason = "routine maintenance"
        session.add(victim)
        session.commit()
        _rehash_from(session, victim.seq)
        try:
            entries = [log.as_dict(e) for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))]
            assert log.find_breaks(entries) == []  # consistent: the hash chain alone cannot tell
            problems, _ = anchoring.verify(session, app.state.chain)
        finally:
            _restore(session, originals)
        assert any("history was rewritten" in p for p in problems), problems
        assert anchoring.verify(session, app.state.chain)[0] == []


def test_a_rule_change_through_the_cli_appends_to_the_audit_log(client, make_asset, settings, tmp_path):
    """`rwa rules apply FILE` replaces an asset's rule set on chain (issue 15: a rule change is a
    privileged action): it must leave an `asset.rules` entry with its transaction, like
    PUT /v1/assets/{symbol}/rules and /v1/admin/assets/{symbol}/rules do."""
    import yaml
    from typer.testing import CliRunner

    from backend.cli import app as cli_app
    from tests.support.live_stack import ADMIN_KEY

    symbol = make_asset()["symbol"]
    path = tmp_path / f"{symbol}.yaml"
    path.write_text(yaml.safe_dump({"symbol": symbol, "allowed_countries": ["US"], "max_holders": 7}))
    env = {
        "DATABASE_URL": settings.database_url,
        "RPC_URL": settings.rpc_url,
        "RWA_DEPLOYMENT_FILE": str(settings.deployment_file),
        "RWA_STORAGE_DIR": str(settings.storage_dir),
        "RWA_ADMIN_KEY": ADMIN_KEY,
    }
    result = CliRunner().invoke(cli_app, ["rules", "apply", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert client.get(f"/v1/assets/{symbol}/rules").json()["max_holders"] == 7  # it changed the chain
    entries = client.get("/v1/audit", params={"asset": symbol, "action": "asset.rules"}).json()["entries"]
    assert len(entries) == 1, "a rule change on chain left no audit entry"
    assert entries[0]["tx_hash"] and entries[0]["tx_hash"].startswith("0x")
