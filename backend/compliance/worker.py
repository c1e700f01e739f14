"""Background sync of the compliance mirror: every asset, about once a second.

The service syncs an asset itself right after its own transactions; this worker picks
up what others do — settlements, agent actions from scripts, transfers between wallets.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.chain.client import Chain
from backend.compliance.sync import sync
from backend.models.assets import Asset
from backend.periodic import PeriodicWorker

log = logging.getLogger(__name__)


class MirrorWorker(PeriodicWorker):
    name = "compliance-mirror"

    def __init__(self, db: Engine, chain: Chain, *, interval_ms: int = 1000):
        super().__init__(interval=interval_ms / 1000)
        self.db, self.chain = db, chain

    def run_once(self) -> int:
        """Sync every asset; returns how many were synced."""
        with Session(self.db, expire_on_commit=False) as session:
            assets = list(session.exec(select(Asset).order_by(Asset.id)))  # type: ignore[arg-type]
            head = self.chain.block("latest") if assets else None
            for asset in assets:
                if self.stopping:
                    break
                sync(session, self.chain, asset, head=head)
            return len(assets)
