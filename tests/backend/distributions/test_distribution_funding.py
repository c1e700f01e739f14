"""Who pays a deposit: the issuer's own wallet. The relay's checks, and the test-chain faucet."""

from __future__ import annotations

import pytest
from eth_account import Account
from web3 import Web3

from backend.distributions.funding import (
    approve_calldata,
    check_approval,
    check_deposit,
    decode,
    deposit_calldata,
    deposit_requests,
    fund_issuer,
)
from backend.errors import Conflict, InvalidInput

CASH = Web3.to_checksum_address("0x" + "ca" * 20)
DISTRIBUTOR = Web3.to_checksum_address("0x" + "d1" * 20)
TOKEN = Web3.to_checksum_address("0x" + "7a" * 20)
CHAIN_ID = 1337
UNITS = 1_000_000


def _signed(account, *, to, data: bytes, chain_id: int = CHAIN_ID, value: int = 0, nonce: int = 0) -> str:
    tx = {"to": to, "data": data, "nonce": nonce, "gas": 200_000, "gasPrice": 10, "value": value, "chainId": chain_id}
    return account.sign_transaction(tx).raw_transaction.to_0x_hex()


def _deposit(raw: str, issuer: str, memo: str = "Q1") -> None:
    check_deposit(
        decode(raw, "signed_transaction"),
        issuer=issuer,
        distributor=DISTRIBUTOR,
        token_address=TOKEN,
        units=UNITS,
        memo=memo,
        chain_id=CHAIN_ID,
    )


def _approval(raw: str, issuer: str) -> None:
    check_approval(
        decode(raw, "signed_approval"),
        issuer=issuer,
        cash=CASH,
        distributor=DISTRIBUTOR,
        units=UNITS,
        chain_id=CHAIN_ID,
    )


def test_the_requested_transactions_signed_by_the_issuer_pass():
    issuer = Account.create()
    approve, deposit = deposit_requests(
        issuer=issuer.address,
        cash=CASH,
        distributor=DISTRIBUTOR,
        token_address=TOKEN,
        units=UNITS,
        memo="Q1",
        chain_id=CHAIN_ID,
        approve=True,
    )
    assert (approve["to"], deposit["to"]) == (CASH, DISTRIBUTOR)
    _approval(_signed(issuer, to=CASH, data=bytes.fromhex(approve["data"][2:])), issuer.address)
    _deposit(_signed(issuer, to=DISTRIBUTOR, data=bytes.fromhex(deposit["data"][2:]), nonce=1), issuer.address.lower())
    only_deposit = deposit_requests(
        issuer=issuer.address,
        cash=CASH,
        distributor=DISTRIBUTOR,
        token_address=TOKEN,
        units=UNITS,
        memo="Q1",
        chain_id=CHAIN_ID,
        approve=False,
    )
    assert [r["function"] for r in only_deposit] == ["deposit(address,uint256,string)"]


@pytest.mark.parametrize("change", ["signer", "to", "amount", "memo", "asset", "chain", "value", "garbage"])
def test_a_deposit_that_is_not_exactly_the_issuers_is_refused(change):
    issuer = Account.create()
    good = deposit_calldata(TOKEN, UNITS, "Q1")
    raw = {
        "signer": _signed(Account.create(), to=DISTRIBUTOR, data=good),
        "to": _signed(issuer, to=CASH, data=good),
        "amount": _signed(issuer, to=DISTRIBUTOR, data=deposit_calldata(TOKEN, UNITS + 1, "Q1")),
        "memo": _signed(issuer, to=DISTRIBUTOR, data=deposit_calldata(TOKEN, UNITS, "Q2")),
        "asset": _signed(issuer, to=DISTRIBUTOR, data=deposit_calldata("0x" + "7b" * 20, UNITS, "Q1")),
        "chain": _signed(issuer, to=DISTRIBUTOR, data=good, chain_id=1),
        "value": _signed(issuer, to=DISTRIBUTOR, data=good, value=1),
        "garbage": "0x1234",
    }[change]
    with pytest.raises(InvalidInput) as raised:
        _deposit(raw, issuer.address)
    assert raised.value.code == "distribution.bad_deposit_transaction"
    assert raised.value.details == [{"field": "signed_transaction"}]


@pytest.mark.parametrize("change", ["signer", "to", "spender", "too_little", "not_approve"])
def test_an_approval_that_is_not_the_issuers_for_the_distributor_is_refused(change):
    issuer = Account.create()
    raw = {
        "signer": _signed(Account.create(), to=CASH, data=approve_calldata(DISTRIBUTOR, UNITS)),
        "to": _signed(issuer, to=TOKEN, data=approve_calldata(DISTRIBUTOR, UNITS)),
        "spender": _signed(issuer, to=CASH, data=approve_calldata(issuer.address, UNITS)),
        "too_little": _signed(issuer, to=CASH, data=approve_calldata(DISTRIBUTOR, UNITS - 1)),
        "not_approve": _signed(issuer, to=CASH, data=deposit_calldata(TOKEN, UNITS, "")),
    }[change]
    with pytest.raises(InvalidInput) as raised:
        _approval(raw, issuer.address)
    assert raised.value.details == [{"field": "signed_approval"}]


class FakeCash:
    """CashToken's functions as (name, args) calls the fake chain answers or records."""

    def __init__(self) -> None:
        self.functions = self

    def __getattr__(self, name: str):
        return lambda *args: (name, args)


class FakeChain:
    def __init__(self, *, balance: int, test_chain: bool = True):
        self.balance = balance
        self.test_chain = test_chain
        self.sent: list[tuple] = []

    def core(self, key: str) -> FakeCash:
        assert key == "cash_token"
        return FakeCash()

    def call(self, fn: tuple) -> int:
        assert fn[0] == "balanceOf"
        return self.balance

    def transact(self, fn: tuple, **_: object) -> dict:
        self.sent.append(fn)
        return {}

    def is_test_chain(self) -> bool:
        return self.test_chain


ISSUER = "0x" + "1A" * 20


def test_a_test_chain_mints_exactly_the_shortfall_to_the_issuer():
    chain = FakeChain(balance=400)
    fund_issuer(chain, issuer=ISSUER, units=1000)  # type: ignore[arg-type]
    assert chain.sent == [("mint", (ISSUER, 600))]
    covered = FakeChain(balance=1000)
    fund_issuer(covered, issuer=ISSUER, units=1000)  # type: ignore[arg-type]
    assert covered.sent == []


def test_a_real_chain_never_mints_and_says_what_the_issuer_lacks():
    chain = FakeChain(balance=400, test_chain=False)
    with pytest.raises(Conflict) as raised:
        fund_issuer(chain, issuer=ISSUER, units=1_000_000_000)  # type: ignore[arg-type]
    assert raised.value.code == "distribution.insufficient_cash"
    assert raised.value.details == {"issuer_wallet": ISSUER, "missing": "999.9996"}
    assert chain.sent == []
