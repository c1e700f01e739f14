"""Keep the compliance mirror current from the chain (design: backend/compliance/mirror.py).

`sync` applies the token's and rule set's events since the mirror's block, the way the
contracts apply them; `resync` rebuilds the projection from chain state at one block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from hexbytes import HexBytes
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.chain.artifacts import load_abi
from backend.chain.client import Chain
from backend.clock import utcnow
from backend.compliance.mirror import ZERO_ADDRESS
from backend.errors import Unavailable
from backend.models.assets import Asset
from backend.models.compliance import AssetRules, ComplianceState, HolderState

TOKEN_EVENTS = ("Transfer", "WalletFrozen", "Frozen", "Paused", "Unpaused")
RULES_EVENTS = ("RulesUpdated", "LockUpdated")
MAX_LOG_RANGE = 5_000  # blocks per eth_getLogs request


@dataclass
class Event:
    name: str
    args: dict[str, Any]
    block: int
    tx_hash: str
    timestamp: int = 0


@dataclass
class _Projection:
    """The rows one sync pass touches, loaded lazily inside the write transaction."""

    session: Session
    asset_id: int
    state: ComplianceState
    rules: AssetRules
    holders: dict[str, HolderState] = field(default_factory=dict)

    def holder(self, wallet: str) -> HolderState:
        if wallet not in self.holders:
            query = select(HolderState).where(HolderState.asset_id == self.asset_id, HolderState.wallet == wallet)
            row = self.session.exec(query.execution_options(populate_existing=True)).first()
            self.holders[wallet] = row or HolderState(asset_id=self.asset_id, wallet=wallet)
        return self.holders[wallet]


def token_contract(chain: Chain, asset: Asset) -> Any:
    return chain.contract("AssetToken", asset.token_address)


def rules_contract(chain: Chain, asset: Asset) -> Any:
    return chain.contract("ComplianceRules", asset.rules_address)


def sync(
    session: Session, chain: Chain, asset: Asset, *, min_block: int | None = None, head: Any = None, attempts: int = 10
) -> int:
    """Bring the asset's mirror up to the chain head (at least `min_block`); returns its block.

    Commits the caller's session (call it with nothing half-done in it). A pass that loses
    the compare-and-set to a concurrent sync is retried while the mirror is behind `min_block`.
    `head` (a block header) saves the head lookup when many assets are synced in one pass.
    """
    for _ in range(attempts):
        session.commit()  # the caller's work first; then a fresh snapshot (never upgrade a stale read)
        state = session.get(ComplianceState, asset.id)
        if state is None:
            return resync(session, chain, asset)
        session.refresh(state)
        if min_block is not None and state.synced_block >= min_block:
            return state.synced_block
        head = None if min_block is not None and head is not None and head["number"] < min_block else head
        if _sync_once(session, chain, asset, state.synced_block, head) is not None and min_block is None:
            break
    session.commit()
    state = session.get(ComplianceState, asset.id)
    assert state is not None
    session.refresh(state)
    if min_block is not None and state.synced_block < min_block:
        raise Unavailable(
            "compliance.mirror_behind", f"the compliance mirror of {asset.symbol} is behind block {min_block}"
        )
    return state.synced_block


def _sync_once(session: Session, chain: Chain, asset: Asset, synced: int, head: Any = None) -> int | None:
    head = head or chain.block("latest")
    if head["number"] <= synced:
        return synced
    events = fetch_events(chain, asset, synced + 1, head["number"])
    session.commit()
    # The compare-and-set opens the write transaction: only one sync applies this range.
    won = session.exec(
        update(ComplianceState)
        .where(
            ComplianceState.asset_id == asset.id,  # type: ignore[arg-type]
            ComplianceState.synced_block == synced,  # type: ignore[arg-type]
        )
        .values(synced_block=head["number"], block_timestamp=head["timestamp"], updated_at=utcnow())
    )
    if won.rowcount != 1:
        session.rollback()
        return None
    if events:
        state = session.get(ComplianceState, asset.id, populate_existing=True)
        rules = session.get(AssetRules, asset.id, populate_existing=True) or AssetRules(asset_id=asset.id)  # type: ignore[arg-type]
        projection = _Projection(session, asset.id, state, rules)  # type: ignore[arg-type]
        for event in events:
            apply(projection, event)
        for row in (state, rules, *projection.holders.values()):
            session.add(row)
    session.commit()
    return head["number"]


def fetch_events(
    chain: Chain, asset: Asset, from_block: int, to_block: int, *, names: tuple[str, ...] = TOKEN_EVENTS + RULES_EVENTS
) -> list[Event]:
    decoders = _decoders(chain, asset, names)
    addresses = [asset.token_address, asset.rules_address]
    events: list[Event] = []
    start = from_block
    while start <= to_block:
        end = min(start + MAX_LOG_RANGE - 1, to_block)
        for log in chain.logs(addresses=addresses, from_block=start, to_block=end):
            if not log["topics"]:
                continue
            decoder = decoders.get((log["address"].lower(), bytes(log["topics"][0])))
            if decoder is None:
                continue
            name, event_type = decoder
            decoded = event_type.process_log(log)
            events.append(
                Event(
                    name=name,
                    args=dict(decoded["args"]),
                    block=log["blockNumber"],
                    tx_hash=HexBytes(log["transactionHash"]).to_0x_hex(),
                )
            )
        start = end + 1
    return events  # eth_getLogs answers in (block, log index) order


def _decoders(chain: Chain, asset: Asset, names: tuple[str, ...]) -> dict[tuple[str, bytes], tuple[str, Any]]:
    table: dict[tuple[str, bytes], tuple[str, Any]] = {}
    sources = (("AssetToken", asset.token_address), ("ComplianceRules", asset.rules_address))
    for contract_name, address in sources:
        contract = chain.contract(contract_name, address)
        for item in load_abi(chain.settings.build_dir, contract_name):
            if item.get("type") == "event" and item["name"] in names:
                event_type = getattr(contract.events, item["name"])()
                table[(address.lower(), event_abi_to_log_topic(item))] = (item["name"], event_type)  # type: ignore[arg-type]
    return table


def apply(p: _Projection, event: Event) -> None:
    """One event, with the contracts' semantics (AssetToken + ComplianceRules.transferred)."""
    args = event.args
    if event.name == "Transfer":
        sender, receiver = to_checksum_address(args["from"]), to_checksum_address(args["to"])
        value = int(args["value"])
        if value == 0 or sender == receiver:
            return  # no balance change, no holder change, no lock-up
        if sender != ZERO_ADDRESS:
            row = p.holder(sender)
            row.balance = str(int(row.balance) - value)
            if row.balance == "0":
                p.state.holder_count -= 1
        if receiver != ZERO_ADDRESS:
            row = p.holder(receiver)
            row.balance = str(int(row.balance) + value)
            if int(row.balance) == value:
                p.state.holder_count += 1
    elif event.name == "LockUpdated":  # locks: the rule set says what they became
        row = p.holder(to_checksum_address(args["wallet"]))
        row.locked_amount, row.locked_until = str(args["amount"]), str(args["until"])
    elif event.name == "WalletFrozen":
        p.holder(to_checksum_address(args["wallet"])).wallet_frozen = bool(args["frozen"])
    elif event.name == "Frozen":
        p.holder(to_checksum_address(args["account"])).frozen_tokens = str(args["amount"])
    elif event.name in ("Paused", "Unpaused"):
        p.state.paused = event.name == "Paused"
    elif event.name == "RulesUpdated":
        rules = p.rules
        rules.allowed_countries = [int(c) for c in args["allowedCountries"]]
        rules.accredited_only = bool(args["accreditedOnly"])
        rules.max_holders, rules.max_balance = str(args["maxHolders"]), str(args["maxBalance"])
        rules.lockup_seconds = str(args["lockupSeconds"])
        rules.tx_hash, rules.updated_at = event.tx_hash, utcnow()


def creation_block(chain: Chain, asset: Asset) -> int:
    if asset.tx_hash:
        receipt = chain.receipt_or_none(asset.tx_hash)
        if receipt is not None:
            return int(receipt["blockNumber"])
    return chain.deployment.block


def _lock_state_row(session: Session, asset_id: int) -> None:
    """Lock the asset's state row, creating it first if this is the asset's first sync.

    Lock the state row first, as sync's compare-and-set does, so the two writers take their
    locks in one order (PostgreSQL otherwise deadlocks them on holder rows). A first sync has
    no row to lock: two of them (the mirror worker and a request) would both insert the same
    holder rows and the second would fail on the unique key. Inserting the row under a
    savepoint makes the second wait for the first and then lock its committed row instead.
    """
    query = select(ComplianceState).where(ComplianceState.asset_id == asset_id).with_for_update()
    if session.exec(query).first() is not None:
        return
    try:
        with session.begin_nested():
            session.add(ComplianceState(asset_id=asset_id))
    except IntegrityError:
        pass  # a concurrent first sync created it; the select below waits for its lock
    session.exec(query.execution_options(populate_existing=True)).first()


def resync(session: Session, chain: Chain, asset: Asset) -> int:
    """Rebuild the asset's mirror from chain state at the head block; returns that block."""
    head = chain.block("latest")
    block = int(head["number"])
    events = fetch_events(chain, asset, creation_block(chain, asset), block)
    wallets: set[str] = set()
    last_rules_tx: str | None = None
    for event in events:
        if event.name == "Transfer":
            wallets.update((to_checksum_address(event.args["from"]), to_checksum_address(event.args["to"])))
        elif event.name == "WalletFrozen":
            wallets.add(to_checksum_address(event.args["wallet"]))
        elif event.name == "Frozen":
            wallets.add(to_checksum_address(event.args["account"]))
        elif event.name == "RulesUpdated":
            last_rules_tx = event.tx_hash
    token, rules = token_contract(chain, asset), rules_contract(chain, asset)
    holders = []
    for wallet in sorted(wallets):
        row = HolderState(
            asset_id=asset.id,  # type: ignore[arg-type]
            wallet=wallet,
            wallet_frozen=bool(chain.call(token.functions.isFrozen(wallet), block=block)),
            frozen_tokens=str(chain.call(token.functions.frozenTokens(wallet), block=block)),
        )
        locked_amount, locked_until = chain.call(rules.functions.lockOf(wallet), block=block)
        row.locked_amount, row.locked_until = str(locked_amount), str(locked_until)
        if wallet != ZERO_ADDRESS:
            row.balance = str(chain.call(token.functions.balanceOf(wallet), block=block))
        holders.append(row)
    countries, accredited_only, max_holders, max_balance, lockup = chain.call(rules.functions.getRules(), block=block)
    paused = bool(chain.call(token.functions.paused(), block=block))
    holder_count = int(chain.call(rules.functions.holderCount(), block=block))

    session.commit()
    _lock_state_row(session, asset.id)  # type: ignore[arg-type]
    session.exec(delete(HolderState).where(HolderState.asset_id == asset.id))  # type: ignore[arg-type]
    session.add_all(holders)
    state = session.get(ComplianceState, asset.id, populate_existing=True) or ComplianceState(asset_id=asset.id)  # type: ignore[arg-type]
    state.paused, state.holder_count, state.synced_block = paused, holder_count, block
    state.block_timestamp, state.updated_at = int(head["timestamp"]), utcnow()
    rule_row = session.get(AssetRules, asset.id, populate_existing=True) or AssetRules(asset_id=asset.id)  # type: ignore[arg-type]
    rule_row.allowed_countries = [int(c) for c in countries]
    rule_row.accredited_only = bool(accredited_only)
    rule_row.max_holders, rule_row.max_balance = str(max_holders), str(max_balance)
    rule_row.lockup_seconds, rule_row.updated_at = str(lockup), utcnow()
    rule_row.tx_hash = last_rules_tx or rule_row.tx_hash
    session.add(state)
    session.add(rule_row)
    session.commit()
    return block
