"""The audit log's head on chain (AuditAnchor), and the check of the log against it.

The hot operator key holds ANCHORER_ROLE: an anchor is write-once per seq on chain, so the
worst a leaked key can do is anchor something bogus, which `verify` reports.
"""

from __future__ import annotations

import logging
from typing import Any

from eth_utils import keccak
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.chain.client import Chain
from backend.errors import Conflict, Unavailable
from backend.governance import log
from backend.models.governance import AuditAnchorRecord, AuditEntry
from backend.periodic import PeriodicWorker

LOG = logging.getLogger(__name__)
ANCHORED_TOPIC = keccak(text="AuditAnchored(uint64,bytes32,address)")


def anchor_contract(chain: Chain) -> Any:
    if "audit_anchor" not in chain.deployment.contracts:  # a deployment older than issue 15
        raise Unavailable("audit.no_anchor_contract", "this deployment has no AuditAnchor contract: redeploy")
    return chain.core("audit_anchor")


def latest_anchor(session: Session) -> AuditAnchorRecord | None:
    return session.exec(select(AuditAnchorRecord).order_by(col(AuditAnchorRecord.seq).desc()).limit(1)).first()


def list_anchors(session: Session) -> list[AuditAnchorRecord]:
    return list(session.exec(select(AuditAnchorRecord).order_by(col(AuditAnchorRecord.seq))))


def anchor_head(session: Session, chain: Chain) -> AuditAnchorRecord | None:
    """Write the log's head on chain unless it is already anchored; None if the log is empty.
    Conflict `audit.already_anchored` when the chain already holds this seq with another hash."""
    head = log.head_of(session)
    if head is None:
        return None
    known = session.get(AuditAnchorRecord, head.seq)
    if known is not None:
        return known
    contract = anchor_contract(chain)
    onchain = bytes(chain.call(contract.functions.headAt(head.seq)))
    if onchain != b"\0" * 32:
        if onchain.hex() != head.hash:
            raise Conflict("audit.already_anchored", f"entry {head.seq} is anchored on chain with another hash")
        raise Conflict("audit.already_anchored", f"entry {head.seq} is anchored on chain but not recorded here")
    receipt = chain.transact(contract.functions.anchor(head.seq, bytes.fromhex(head.hash)))
    record = AuditAnchorRecord(
        seq=head.seq,
        hash=head.hash,
        tx_hash=receipt["transactionHash"].to_0x_hex(),
        block=int(receipt["blockNumber"]),
        at=log.now_iso(),
    )
    session.add(record)
    session.commit()
    return record


def onchain_anchors(chain: Chain) -> list[tuple[int, str]]:
    """Every (seq, hash) AuditAnchored event of the deployment's AuditAnchor, in chain order."""
    contract = anchor_contract(chain)
    event = contract.events.AuditAnchored()
    logs = chain.logs(addresses=[contract.address], from_block=chain.deployment.block, to_block=chain.block_number())
    found = []
    for raw in logs:
        if raw["topics"] and bytes(raw["topics"][0]) == ANCHORED_TOPIC:  # not the role events
            args = event.process_log(raw)["args"]
            found.append((int(args["seq"]), bytes(args["head"]).hex()))
    return found


def verify(session: Session, chain: Chain) -> tuple[list[str], dict[str, int]]:
    """Recompute the chain of hashes and check every anchor (recorded here and emitted on
    chain) against it. Returns (problems, counts); no problems means a good log."""
    entries = [log.as_dict(e) for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))]
    problems = log.find_breaks(entries)
    by_seq = {e["seq"]: e["hash"] for e in entries}
    contract = anchor_contract(chain)
    records = list_anchors(session)
    for record in records:
        onchain = bytes(chain.call(contract.functions.headAt(record.seq))).hex()
        if onchain != record.hash:
            problems.append(f"anchor {record.seq}: recorded hash differs from the chain's: the anchor was rewritten")
    chain_anchors = onchain_anchors(chain)
    for seq, head in chain_anchors:
        if seq not in by_seq:
            problems.append(f"anchor {seq} on chain: the log has no entry {seq}: entries were deleted")
        elif by_seq[seq] != head:
            problems.append(f"anchor {seq} on chain: entry {seq} has another hash: history was rewritten")
    counts = {"entries": len(entries), "anchors_recorded": len(records), "anchors_on_chain": len(chain_anchors)}
    return problems, counts


class AnchorWorker(PeriodicWorker):
    """Anchors the log's head every `interval_s` seconds when it moved (backend/periodic.py)."""

    name = "audit-anchor"
    wait_first = True

    def __init__(self, engine: Engine, chain: Chain, *, interval_s: int):
        super().__init__(interval=interval_s)
        self.engine, self.chain = engine, chain

    def run_once(self) -> object:
        with Session(self.engine) as session:
            return anchor_head(session, self.chain)
