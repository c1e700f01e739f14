"""The hash-chained audit log: canonical hashing, appends, and the checks that find an edited,
deleted or reordered entry. SQLite files; appends from several threads at once."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest
from sqlmodel import Session

import backend.models  # noqa: F401 - every table on the metadata
from backend.db import create_tables, make_engine
from backend.errors import InvalidInput
from backend.governance import log
from backend.governance.reasons import REASON_CODES, check_reason
from backend.models.governance import AuditEntry


@pytest.fixture
def engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    create_tables(engine)
    yield engine
    engine.dispose()


def action(n: int = 1, **overrides: str) -> log.Action:
    fields = {
        "actor": "admin-key",
        "action": "wallet.freeze",
        "reason_code": "court_order",
        "reason": f"order no. {n}",
        "asset": "ACME",
        "wallet": "0x" + "ab" * 20,
    }
    fields.update(overrides)
    return log.Action(**fields)


def entries(engine) -> list[dict]:
    with Session(engine, expire_on_commit=False) as session:
        return [log.as_dict(e) for e in log.list_entries(session, limit=1000)]


def test_hash_is_sha256_of_sorted_compact_json_including_prev_hash(engine):
    with Session(engine, expire_on_commit=False) as session:
        first = log.append(session, action(1, reason="Gerichtsbeschluss Nr. 1 (Zürich)"))
        second = log.append(session, action(2))
    assert first.seq == 1 and first.prev_hash == log.GENESIS
    assert second.seq == 2 and second.prev_hash == first.hash
    fields = {k: v for k, v in log.as_dict(first).items() if k != "hash"}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert first.hash == hashlib.sha256(canonical).hexdigest()
    assert "Gerichtsbeschluss Nr. 1 (Zürich)" in canonical.decode()  # UTF-8, not \u escapes


def test_a_good_log_has_no_breaks(engine):
    with Session(engine, expire_on_commit=False) as session:
        for n in range(5):
            log.append(session, action(n))
    assert log.find_breaks(entries(engine)) == []


def test_an_edited_entry_is_found(engine):
    with Session(engine, expire_on_commit=False) as session:
        for n in range(4):
            log.append(session, action(n))
        row = session.get(AuditEntry, 2)
        assert row is not None
        row.reason = "nothing to see"
        session.add(row)
        session.commit()
    problems = log.find_breaks(entries(engine))
    assert problems == ["entry 2: hash does not match its content: the entry was edited"]


def test_an_edited_entry_with_its_hash_recomputed_breaks_the_next_link(engine):
    with Session(engine, expire_on_commit=False) as session:
        for n in range(4):
            log.append(session, action(n))
        row = session.get(AuditEntry, 2)
        assert row is not None
        row.wallet = "0x" + "cd" * 20
        row.hash = log.entry_hash(log.as_dict(row))
        session.add(row)
        session.commit()
    assert log.find_breaks(entries(engine)) == ["entry 3: prev_hash does not match the hash of the entry before it"]


def test_a_deleted_entry_is_found(engine):
    with Session(engine, expire_on_commit=False) as session:
        for n in range(4):
            log.append(session, action(n))
        session.delete(session.get(AuditEntry, 3))
        session.commit()
    problems = log.find_breaks(entries(engine))
    assert "entry 3 is missing (next is 4): an entry was deleted" in problems
    assert "entry 4: prev_hash does not match the hash of the entry before it" in problems


def test_concurrent_appends_make_one_unbroken_chain(engine):
    """Eight threads, each with its own session, append at once: no seq twice, no fork."""

    def work(worker: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            for n in range(10):
                log.append(session, action(worker * 100 + n))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    found = entries(engine)
    assert [e["seq"] for e in found] == list(range(1, 81))
    assert log.find_breaks(found) == []


def test_filters_and_paging(engine):
    with Session(engine, expire_on_commit=False) as session:
        log.append(session, action(1, asset="ACME"))
        log.append(session, action(2, asset="OIL", action="asset.pause", wallet=None))  # type: ignore[arg-type]
        log.append(session, action(3, asset="ACME", wallet="0x" + "EF" * 20))
        assert [e.seq for e in log.list_entries(session, asset="acme")] == [1, 3]
        assert [e.seq for e in log.list_entries(session, action="asset.pause")] == [2]
        assert [e.seq for e in log.list_entries(session, wallet="0x" + "ef" * 20)] == [3]
        assert [e.seq for e in log.list_entries(session, after_seq=1, limit=1)] == [2]


@pytest.mark.parametrize(
    ("code", "reason", "error"),
    [
        ("because", "a reason", "governance.unknown_reason_code"),
        (None, "a reason", "governance.unknown_reason_code"),
        ("court_order", None, "governance.reason_required"),
        ("court_order", "   ", "governance.reason_required"),
        ("court_order", "x" * 1001, "governance.reason_required"),
        ("court_order", "bell\x07", "governance.reason_required"),
    ],
)
def test_bad_reasons_are_refused(code, reason, error):
    with pytest.raises(InvalidInput) as caught:
        check_reason(code, reason)
    assert caught.value.code == error


def test_every_code_of_the_vocabulary_is_accepted():
    for code in REASON_CODES:
        assert check_reason(code, "  why  ") == (code, "why")


def test_appends_from_separate_processes_make_one_unbroken_chain(engine, tmp_path, monkeypatch):
    """Writers that do not share the in-process lock (the CLI beside the service): each has its
    own engine; a stale head loses the race, and the append retries on the new one."""
    import contextlib

    monkeypatch.setattr(log, "_append_lock", contextlib.nullcontext())
    url = str(engine.url)

    def work(worker: int) -> None:
        own = make_engine(url)
        try:
            with Session(own, expire_on_commit=False) as session:
                for n in range(8):
                    log.append(session, action(worker * 100 + n))
        finally:
            own.dispose()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    found = entries(engine)
    assert [e["seq"] for e in found] == list(range(1, 33))
    assert log.find_breaks(found) == []
