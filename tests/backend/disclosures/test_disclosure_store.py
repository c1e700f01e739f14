"""The content-addressed store: addresses, idempotence, atomic writes, damage repair."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from backend.disclosures.store import ContentStore


def test_bytes_live_under_their_sha256_split_after_two_characters(store):
    data = b"%PDF-1.4 offering memorandum"
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.path_for(digest) == store.root / digest[:2] / digest[2:]
    assert store.read(digest) == data


def test_identical_bytes_are_written_once(store, monkeypatch):
    data = b"the same prospectus twice"
    first = store.put(data)
    replaced = []
    monkeypatch.setattr(os, "replace", lambda *a: replaced.append(a))
    assert store.put(data) == first
    assert replaced == []  # the second put found the file whole and did not rewrite it
    assert [p for p in store.root.rglob("*") if p.is_file()] == [store.path_for(first)]


def test_different_bytes_get_different_files(store):
    a, b = store.put(b"version 1"), store.put(b"version 2")
    assert a != b
    assert store.read(a) == b"version 1" and store.read(b) == b"version 2"


def test_a_damaged_file_is_rewritten_whole_by_the_next_put(store):
    data = b"financial statements FY2026"
    digest = store.put(data)
    store.path_for(digest).write_bytes(b"tampered")
    assert store.digest_on_disk(digest) != digest
    assert store.put(data) == digest
    assert store.read(digest) == data


def test_a_failed_rename_leaves_no_file_and_no_temporary(store, monkeypatch):
    def boom(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        store.put(b"never stored")
    digest = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(digest)
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_a_crash_while_writing_never_exposes_a_partial_file(store, monkeypatch):
    # fsync fails after the bytes went to the temporary file: the final name must not appear.
    def boom(_fd):
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        store.put(b"half written")
    assert not store.exists(hashlib.sha256(b"half written").hexdigest())
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_concurrent_puts_of_the_same_bytes_agree(store):
    data = os.urandom(256 * 1024)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(store.put(data))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert store.read(results[0]) == data
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == [results[0][2:]]


def test_reading_a_missing_digest_raises_file_not_found(store):
    with pytest.raises(FileNotFoundError):
        store.read("ab" * 32)
    assert store.digest_on_disk("ab" * 32) is None


@pytest.mark.parametrize("bad", ["../../etc/passwd", "AB" * 32, "ab" * 31, "zz" * 32, ""])
def test_only_sha256_hex_digests_become_paths(tmp_path, bad):
    with pytest.raises(ValueError):
        ContentStore(tmp_path).path_for(bad)
