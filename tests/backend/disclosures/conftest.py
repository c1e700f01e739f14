"""Unit fixtures: a file-backed SQLite session, a content store, and an in-memory token.

FakeChain stands in for backend.chain.client.Chain with the same calls the disclosure
service makes (contract, transact(wait=False), wait, call, receipt_or_none), keeping
ERC-1643 entries in a dict so the service's logic is tested without a node.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hexbytes import HexBytes
from sqlmodel import Session, SQLModel

import backend.models  # noqa: F401 - registers every table
from backend.config import Settings
from backend.db import make_engine
from backend.disclosures.store import ContentStore
from backend.models.assets import Asset

ISSUER = "0x1111111111111111111111111111111111111111"
EMPTY = ("", b"\0" * 32, 0)


class _Functions:
    def setDocument(self, name: bytes, uri: str, digest: bytes) -> tuple:  # the ABI names
        return ("setDocument", name, uri, digest)

    def getDocument(self, name: bytes) -> tuple:  # the ABI names
        return ("getDocument", name)


class _Token:
    functions = _Functions()


class FakeChain:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.documents: dict[bytes, tuple[str, bytes, int]] = {}
        self.pending: dict[bytes, tuple] = {}
        self.receipts: dict[bytes, dict] = {}
        self.fail_send: Exception | None = None
        self.fail_wait: Exception | None = None
        self.sent = 0
        self._tx = itertools.count(1)
        self._time = itertools.count(1_800_000_000)

    def contract(self, name: str, address: str) -> _Token:
        assert name == "AssetToken"
        return _Token()

    def transact(self, fn: tuple, *, wait: bool = True, governance: bool = False) -> dict:
        # Anchoring a document is the asset agent's act: signed with the governance key.
        assert governance, "setDocument must be sent with the governance key"
        if self.fail_send:
            raise self.fail_send
        self.sent += 1
        tx = HexBytes(next(self._tx).to_bytes(32, "big"))
        self.pending[bytes(tx)] = fn
        return {"transactionHash": tx}

    def mine(self, tx: bytes) -> dict:
        _, name, uri, digest = self.pending.pop(bytes(tx))
        self.documents[name] = (uri, digest, next(self._time))
        self.receipts[bytes(tx)] = {"status": 1, "transactionHash": HexBytes(tx)}
        return self.receipts[bytes(tx)]

    def wait(self, tx: bytes) -> dict:
        if self.fail_wait:
            raise self.fail_wait
        return self.mine(tx)

    def call(self, fn: tuple) -> tuple:
        assert fn[0] == "getDocument"
        return self.documents.get(fn[1], EMPTY)

    def receipt_or_none(self, tx_hash: str) -> dict | None:
        return self.receipts.get(bytes(HexBytes(tx_hash)))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'unit.db'}", storage_dir=tmp_path / "documents")


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as db:
        yield db
    engine.dispose()


@pytest.fixture
def store(settings: Settings) -> ContentStore:
    return ContentStore(settings.storage_dir)


@pytest.fixture
def chain(settings: Settings) -> FakeChain:
    return FakeChain(settings)


@pytest.fixture
def make_asset(session: Session) -> Any:
    def make(symbol: str = "ACME", kind: str = "equity") -> Asset:
        asset = Asset(
            symbol=symbol,
            name=f"{symbol} test",
            kind=kind,
            tick_size="0.01",
            lot_size="1",
            total_supply="1000",
            issuer_wallet=ISSUER,
            token_address="0x" + "22" * 20,
            rules_address="0x" + "33" * 20,
        )
        session.add(asset)
        session.commit()
        return asset

    return make
