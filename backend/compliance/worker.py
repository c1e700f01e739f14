"""Background sync of the compliance mirror: every asset, about once a second.

The service syncs an asset itself right after its own transactions; this worker picks
up what others do — settlements, agent actions from scripts, transfers between wallets.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.chain.client import Chain
from backend.compliance.sync import sync
from backend.errors import DomainError
from backend.models.assets import Asset

log = logging.getLogger(__name__)


class MirrorWorker:
    def __init__(self, db: Engine, chain: Chain, *, interval_ms: int = 1000):
        self.db, self.chain, self.interval = db, chain, interval_ms / 1000
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="compliance-mirror", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def run_once(self) -> int:
        """Sync every asset; returns how many were synced."""
        with Session(self.db, expire_on_commit=False) as session:
            assets = list(session.exec(select(Asset).order_by(Asset.id)))  # type: ignore[arg-type]
            head = self.chain.block("latest") if assets else None
            for asset in assets:
                if self._stop.is_set():
                    break
                sync(session, self.chain, asset, head=head)
            return len(assets)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
                self.last_error = None
            except DomainError as exc:  # chain unreachable or not deployed yet: try again later
                self.last_error = exc.message
            except Exception as exc:  # the worker must outlive any one pass
                log.exception("compliance mirror sync failed")
                self.last_error = str(exc)
            self._stop.wait(self.interval)
