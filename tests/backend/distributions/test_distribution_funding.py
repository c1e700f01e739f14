"""Who pays a deposit: the operator's cash, topped up by minting only on a test chain."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backend.distributions.service import MAX_UINT, _ensure_allowance, _fund_operator
from backend.errors import Conflict

OPERATOR = "0x" + "0A" * 20
DISTRIBUTOR = "0x" + "D1" * 20


class FakeCash:
    """CashToken's functions as (name, args) calls the fake chain answers or records."""

    def __init__(self) -> None:
        self.functions = self

    def __getattr__(self, name: str):
        return lambda *args: (name, args)


class FakeChain:
    def __init__(self, *, balance: int, allowance: int = 0, test_chain: bool = True):
        self.values = {"balanceOf": balance, "allowance": allowance}
        self.test_chain = test_chain
        self.sent: list[tuple] = []
        self.operator = SimpleNamespace(address=OPERATOR)

    def core(self, key: str) -> FakeCash:
        assert key == "cash_token"
        return FakeCash()

    def call(self, fn: tuple) -> int:
        return self.values[fn[0]]

    def transact(self, fn: tuple, **_: object) -> dict:
        self.sent.append(fn)
        return {}

    def is_test_chain(self) -> bool:
        return self.test_chain


def test_a_test_chain_mints_exactly_the_shortfall_to_the_operator():
    chain = FakeChain(balance=400)
    _fund_operator(chain, 1000)  # type: ignore[arg-type]
    assert chain.sent == [("mint", (OPERATOR, 600))]


def test_a_covered_deposit_mints_nothing():
    chain = FakeChain(balance=1000)
    _fund_operator(chain, 1000)  # type: ignore[arg-type]
    assert chain.sent == []


def test_a_real_chain_never_mints_and_says_what_is_missing():
    chain = FakeChain(balance=400, test_chain=False)
    with pytest.raises(Conflict) as raised:
        _fund_operator(chain, 1_000_000_000)  # type: ignore[arg-type]
    assert raised.value.code == "distribution.insufficient_cash"
    assert raised.value.details == {"operator": OPERATOR, "missing": "999.9996"}
    assert chain.sent == []


def test_the_distributor_is_approved_once_when_the_allowance_is_short():
    short = FakeChain(balance=0, allowance=5)
    _ensure_allowance(short, DISTRIBUTOR, 10)  # type: ignore[arg-type]
    assert short.sent == [("approve", (DISTRIBUTOR, MAX_UINT))]
    enough = FakeChain(balance=0, allowance=MAX_UINT)
    _ensure_allowance(enough, DISTRIBUTOR, 10)  # type: ignore[arg-type]
    assert enough.sent == []
