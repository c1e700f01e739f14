"""The operator's transaction sender: which refusals it retries with a fresh nonce.

The node is faked here (its refusals are races that cannot be provoked on demand);
tests/integration/test_chain_client.py covers a second sender against a real node."""

from __future__ import annotations

import pytest
from web3.exceptions import Web3RPCError

from backend.chain import client as chain_client
from backend.chain.client import Chain, is_nonce_conflict
from backend.config import Settings
from backend.errors import ChainRejected

GANACHE_MINING = (
    "transaction can't be replaced, mining has already started. (please open an issue "
    "with reproduction steps: https://github.com/trufflesuite/ganache/issues/new)"
)


class FakeEth:
    def __init__(self, refusals: list[str]):
        self.refusals = refusals
        self.pending = 7
        self.sent_nonces: list[int] = []
        self.chain_id = 1337
        self.gas_price = 1

    def get_transaction_count(self, _address, _block):
        return self.pending

    def send_raw_transaction(self, raw):
        self.sent_nonces.append(_nonce_of(raw))
        if self.refusals:
            self.pending += 1  # the other sender's transaction took our nonce
            raise Web3RPCError(self.refusals.pop(0))
        return b"\x11" * 32


def _nonce_of(raw) -> int:
    from eth_account._utils.legacy_transactions import Transaction

    return Transaction.from_bytes(bytes(raw)).nonce


class FakeCall:
    address = "0x" + "22" * 20
    abi = {
        "type": "function",
        "name": "mint",
        "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
    }
    args = ("0x" + "33" * 20, 5)


@pytest.fixture
def chain(monkeypatch) -> Chain:
    monkeypatch.setattr(chain_client.time, "sleep", lambda _s: None)
    return Chain(Settings(rpc_url="http://127.0.0.1:9"))


def _with(sender: Chain, refusals: list[str]) -> FakeEth:
    eth = FakeEth(refusals)
    sender.w3 = type("W3", (), {"eth": eth})()  # type: ignore[assignment]
    sender._chain_id = 1337
    return eth


@pytest.mark.parametrize(
    "refusal",
    [
        GANACHE_MINING,
        "nonce too low",
        "replacement transaction underpriced",
        "already known",
        "the tx doesn't have the correct nonce. account has nonce of: 8",
    ],
)
def test_a_nonce_conflict_is_retried_with_the_nodes_next_nonce(chain, refusal):
    eth = _with(chain, [refusal])
    assert chain._send_locked(FakeCall(), 21_000) == b"\x11" * 32
    assert eth.sent_nonces == [7, 8]  # the node's pending count each time, asked again after the refusal


def test_any_other_refusal_is_the_callers_at_once(chain):
    eth = _with(chain, ["insufficient funds for gas * price + value"])
    with pytest.raises(ChainRejected) as refused:
        chain._send_locked(FakeCall(), 21_000)
    assert refused.value.code == "chain.rejected" and "insufficient funds" in refused.value.message
    assert eth.sent_nonces == [7]


def test_a_conflict_that_never_clears_ends_as_chain_rejected(chain):
    eth = _with(chain, [GANACHE_MINING] * 10)
    with pytest.raises(ChainRejected):
        chain._send_locked(FakeCall(), 21_000)
    assert len(eth.sent_nonces) == chain_client.SEND_ATTEMPTS


def test_conflict_markers():
    assert is_nonce_conflict(GANACHE_MINING.upper())
    assert not is_nonce_conflict("execution reverted: NotWhitelisted")


def test_call_data_is_what_web3_encodes():
    from web3 import Web3

    from backend.chain.artifacts import load_abi
    from backend.chain.client import calldata

    exchange = Web3().eth.contract(address="0x" + "11" * 20, abi=load_abi(Settings().build_dir, "SettlementExchange"))
    order = ("0x" + "22" * 20, "0x" + "33" * 20, True, 10**18, 10**20, 2**200, 1_800_000_000)
    for fn in (exchange.functions.settle(b"\x02" * 696), exchange.functions.verifyOrder(order, b"\x03" * 65)):
        assert "0x" + calldata(fn).hex() == fn._encode_transaction_data()


def test_arguments_web3_must_normalize_take_its_way():
    from web3 import Web3

    from backend.chain.artifacts import load_abi
    from backend.chain.client import calldata

    token = Web3().eth.contract(address="0x" + "11" * 20, abi=load_abi(Settings().build_dir, "AssetToken"))
    fn = token.functions.setDocument("0x" + "ab" * 32, "ipfs://x", "0x" + "cd" * 32)  # bytes32 as hex text
    assert "0x" + calldata(fn).hex() == fn._encode_transaction_data()
