"""A web3 connection plus a transaction sender that signs locally.

Why not web3's send_transaction: it costs several JSON-RPC round trips per transaction
and needs an unlocked node account. We sign locally (coincurve-backed eth-keys) under a
lock; the gas price is asked at most every GAS_PRICE_TTL seconds, so a settle() with its
gas given is two round trips to send: the node's pending nonce, then eth_sendRawTransaction.

The nonce is the node's, asked before every transaction rather than counted here: a count
of ours that ran ahead of the node (transactions it lost across a restart) would send a
transaction to wait behind the gap, and ganache, which answers one request at a time (see
backend/chain/local_node.py), answers a waiting transaction only once it is mined: it
would stop answering anyone. One that fell behind (the CLI signing with the same key) is
merely refused, and retried (is_nonce_conflict).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import EncodingError
from eth_account import Account
from eth_utils import function_abi_to_4byte_selector, get_abi_input_types
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import RPCEndpoint

from backend.chain.artifacts import Deployment, error_selectors, load_abi, load_deployment
from backend.config import Settings
from backend.errors import ChainRejected, Forbidden, Unavailable

GAS_LIMIT_DEFAULT = 6_000_000
GAS_PRICE_TTL = 15.0
TRANSIENT = (ConnectionError, TimeoutError, OSError)
SEND_ATTEMPTS = 6  # backing off 50 ms doubling: about 1.5 s for a conflict to clear

# How nodes refuse a transaction whose nonce another sender with the same key took first
# (the CLI and the service both sign as the operator; a restarted node forgot the pool):
# "nonce too low" and the like; "underpriced" (our nonce ran ahead, the transaction waits
# behind the gap and a resend collides with it); "already known" (geth, anvil); and ganache's
# "transaction can't be replaced, mining has already started" (the nonce belongs to a
# transaction in the block being mined right now, a race ganache answers with this).
NONCE_CONFLICTS = (
    "nonce",
    "underpriced",
    "already known",
    "already imported",
    "can't be replaced",
    "mining has already started",
)


def calldata(fn: Any) -> bytes:
    """A contract call's data (selector and arguments), encoded by eth_abi directly.

    web3's build_transaction walks every argument through its normalizers (ENS names,
    checksums, formatters) in Python and encodes twice: about 300-400 ms of CPU, with the
    interpreter lock held, for one settle() of 50 trades, against about 30 ms this way.
    Arguments web3 would first have to normalize (hex strings for bytes, ENS names) fail
    eth_abi's checks and take web3's way; anything eth_abi takes it encodes the same.
    """
    try:
        return function_abi_to_4byte_selector(fn.abi) + abi_encode(get_abi_input_types(fn.abi), fn.args)
    except (EncodingError, TypeError, ValueError):
        return HexBytes(fn._encode_transaction_data())


def is_nonce_conflict(message: str) -> bool:
    message = message.lower()
    return any(marker in message for marker in NONCE_CONFLICTS)


class Chain:
    def __init__(self, settings: Settings):
        self.settings = settings
        # eth_chainId cached: web3 would otherwise ask it again before every eth_call.
        self.w3 = Web3(
            Web3.HTTPProvider(
                settings.rpc_url,
                request_kwargs={"timeout": 30},
                cache_allowed_requests=True,
                cacheable_requests={RPCEndpoint("eth_chainId")},
            )
        )
        self.operator = Account.from_key(settings.operator_private_key)
        # The governance key (asset agent, rules admin, contract admin), when this process holds
        # one: transact(..., governance=True) signs with it (docs/security.md "Keys and roles").
        governance_key = settings.governance_key
        self.governance = Account.from_key(governance_key) if governance_key else None
        # one transaction per key signed and sent at a time: each takes the node's pending nonce
        self._nonce_lock = threading.Lock()
        self._governance_lock = threading.Lock()
        # the node's gas price, asked at most every GAS_PRICE_TTL seconds (and again after a refusal)
        self._gas_price: int | None = None
        self._gas_price_at = 0.0
        self._deployment: Deployment | None = None
        self._chain_id: int | None = None
        self._contracts: dict[tuple[str, str], Any] = {}

    # --- connection and contracts -------------------------------------------------
    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self._rpc(lambda: self.w3.eth.chain_id)
        return self._chain_id

    @property
    def deployment(self) -> Deployment:
        if self._deployment is None:
            deployment = load_deployment(self.settings.deployment_file)
            if deployment.chain_id != self.chain_id:
                raise Unavailable(
                    "chain.not_deployed",
                    f"deployment record is for chain {deployment.chain_id}, node is chain {self.chain_id}",
                )
            self._deployment = deployment
        return self._deployment

    def contract(self, name: str, address: str) -> Any:
        # Cached: building one hashes every selector of the ABI (a tenth of order entry's CPU).
        key = (name, address.lower())
        found = self._contracts.get(key)
        if found is None:
            found = self._contracts[key] = self.w3.eth.contract(
                address=Web3.to_checksum_address(address), abi=load_abi(self.settings.build_dir, name)
            )
        return found

    def core(self, key: str) -> Any:
        names = {
            "identity_registry": "IdentityRegistry",
            "asset_factory": "AssetFactory",
            "settlement_exchange": "SettlementExchange",
            "cash_token": "CashToken",
            "revenue_distributor": "RevenueDistributor",
            "audit_anchor": "AuditAnchor",
        }
        return self.contract(names[key], self.deployment.contracts[key])

    def is_test_chain(self) -> bool:
        return self.chain_id in self.settings.test_chain_ids

    def block_number(self) -> int:
        return self._rpc(lambda: self.w3.eth.block_number)

    def call(self, fn: Any, *, block: int | str = "latest") -> Any:
        """A read-only contract call (at `block`) with revert decoding."""
        try:
            return self._rpc(lambda: fn.call(block_identifier=block))
        except (ContractCustomError, ContractLogicError) as exc:
            raise self._rejected(exc) from None

    def block(self, ident: int | str = "latest") -> Any:
        """A block header (number, timestamp, ...)."""
        return self._rpc(lambda: self.w3.eth.get_block(ident))  # type: ignore[arg-type]

    def logs(self, *, addresses: list[str], from_block: int, to_block: int) -> list[Any]:
        """Event logs of `addresses` in [from_block, to_block], in chain order."""
        return list(
            self._rpc(
                lambda: self.w3.eth.get_logs({"address": addresses, "fromBlock": from_block, "toBlock": to_block})  # type: ignore[typeddict-item]
            )
        )

    # --- transactions -------------------------------------------------------------
    def transact(self, fn: Any, *, gas: int | None = None, wait: bool = True, governance: bool = False) -> dict:
        """Sign and send a contract call as the operator (or, with `governance`, as the
        governance key); return the receipt (or tx hash)."""
        account = self.governance_account() if governance else self.operator
        with self._governance_lock if governance else self._nonce_lock:
            try:
                gas_limit = gas or int(self._rpc(lambda: fn.estimate_gas({"from": account.address})) * 1.2)
            except (ContractCustomError, ContractLogicError) as exc:
                raise self._rejected(exc) from None
            tx_hash = self._send_locked(fn, gas_limit, account)
        if not wait:
            return {"transactionHash": tx_hash}
        return self.wait(tx_hash)

    def governance_account(self) -> Any:
        """The governance key's account; Forbidden when this process holds none."""
        if self.governance is None:
            raise Forbidden("governance.not_configured", "this service holds no governance key (RWA_GOVERNANCE_KEY)")
        return self.governance

    def _send_locked(self, fn: Any, gas_limit: int, account: Any = None) -> HexBytes:
        account = account or self.operator
        for attempt in range(SEND_ATTEMPTS):
            # the node's count, never one kept here: a send into a nonce gap (a transaction the
            # node lost) would wait behind it, and a one-request-at-a-time ganache with it
            nonce = self._rpc(lambda: self.w3.eth.get_transaction_count(account.address, "pending"))
            tx = {
                "to": fn.address,
                "data": calldata(fn),
                "value": 0,
                "nonce": nonce,
                "gas": gas_limit,
                "gasPrice": self._current_gas_price(),
                "chainId": self.chain_id,
            }
            signed = account.sign_transaction(tx)
            try:
                raw = signed.raw_transaction
                tx_hash = self._rpc(lambda raw=raw: self.w3.eth.send_raw_transaction(raw))
            except (Web3RPCError, ValueError) as exc:
                # The node refused it: try again (with the node's nonce, asked again) if the
                # refusal is a nonce conflict (see is_nonce_conflict); anything else is the caller's.
                self._gas_price = None
                if is_nonce_conflict(str(exc)) and attempt < SEND_ATTEMPTS - 1:
                    time.sleep(0.05 * 2**attempt)  # a block being mined: give it time to land
                    continue
                raise ChainRejected("chain.rejected", f"node refused the transaction: {exc}") from None
            return tx_hash
        raise Unavailable("chain.unavailable", "could not agree on a nonce with the node")

    def _current_gas_price(self) -> int:
        now = time.monotonic()
        if self._gas_price is None or now - self._gas_price_at > GAS_PRICE_TTL:
            self._gas_price = int(self._rpc(lambda: self.w3.eth.gas_price))
            self._gas_price_at = now
        return self._gas_price

    def wait(self, tx_hash: HexBytes | str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                receipt = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
                break
            except TransactionNotFound:
                pass
            except TRANSIENT:
                pass
            if time.monotonic() > deadline:
                raise Unavailable("chain.timeout", f"transaction {HexBytes(tx_hash).to_0x_hex()} not mined in time")
            time.sleep(0.05)
        if receipt["status"] != 1:
            raise ChainRejected("chain.reverted", f"transaction {receipt['transactionHash'].to_0x_hex()} reverted")
        return dict(receipt)

    def receipt_or_none(self, tx_hash: str) -> dict | None:
        try:
            return dict(self._rpc(lambda: self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))))
        except TransactionNotFound:
            return None

    def will_be_mined(self, tx_hash: str) -> bool:
        """Whether the node holds the transaction in its pool ready to mine: known, and not
        queued behind a nonce gap (its nonce below the sender's pending count)."""
        try:
            tx = self._rpc(lambda: self.w3.eth.get_transaction(tx_hash))  # type: ignore[arg-type]
        except TransactionNotFound:
            return False
        if tx is None:
            return False
        pending = self._rpc(lambda: self.w3.eth.get_transaction_count(tx["from"], "pending"))
        return int(tx["nonce"]) < pending

    def operator_nonces(self) -> tuple[int, int]:
        """The operator's (latest, pending) transaction counts: equal when nothing is stuck."""
        address = self.operator.address
        return (
            self._rpc(lambda: self.w3.eth.get_transaction_count(address, "latest")),
            self._rpc(lambda: self.w3.eth.get_transaction_count(address, "pending")),
        )

    # --- helpers ------------------------------------------------------------------
    def _rpc(self, call: Any, retries: int = 3) -> Any:
        for attempt in range(retries):
            try:
                return call()
            except TRANSIENT as exc:
                if attempt == retries - 1:
                    raise Unavailable("chain.unavailable", f"chain node unreachable: {exc}") from None
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def _rejected(self, exc: Exception) -> ChainRejected:
        name, args = self.decode_error(getattr(exc, "data", None))
        if name:
            return ChainRejected(
                "chain.reverted",
                f"{name}({', '.join(map(str, args))})",
                details={"error": name, "args": [str(a) for a in args]},
            )
        return ChainRejected("chain.reverted", str(exc))

    def decode_error(self, data: Any) -> tuple[str | None, list[Any]]:
        if isinstance(data, dict):  # ganache wraps the revert data: {"result": "0x...", ...}
            data = data.get("result") or data.get("data")
        if not data or not isinstance(data, str | bytes):
            return None, []
        raw = HexBytes(data)
        entry = error_selectors(self.settings.build_dir).get(bytes(raw[:4]))
        if entry is None:
            return None, []
        name, types = entry
        try:
            return name, list(abi_decode(types, bytes(raw[4:])))
        except Exception:  # noqa: BLE001 - undecodable arguments still name the error
            return name, []
