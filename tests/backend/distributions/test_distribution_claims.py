"""The claim relay's checks: only claim(asset), from the caller's wallet, to the distributor, here."""

from __future__ import annotations

import pytest
from eth_account import Account
from web3 import Web3

from backend.distributions.claims import check_claim, claim_calldata, claim_request, decode_signed
from backend.errors import InvalidInput

DISTRIBUTOR = Web3.to_checksum_address("0x" + "d1" * 20)
TOKEN = Web3.to_checksum_address("0x" + "7a" * 20)
CHAIN_ID = 1337


def _signed(account, *, to=DISTRIBUTOR, data=None, chain_id: int | None = CHAIN_ID, value=0, typed=False) -> str:
    tx = {
        "to": to,
        "data": data if data is not None else claim_calldata(TOKEN),
        "nonce": 0,
        "gas": 200_000,
        "value": value,
    }
    if typed:
        tx.update(maxFeePerGas=10, maxPriorityFeePerGas=1)
    else:
        tx["gasPrice"] = 10
    if chain_id is not None:
        tx["chainId"] = chain_id
    return account.sign_transaction(tx).raw_transaction.to_0x_hex()


def _check(raw: str, wallet: str) -> None:
    check_claim(decode_signed(raw), wallet=wallet, distributor=DISTRIBUTOR, token_address=TOKEN, chain_id=CHAIN_ID)


@pytest.mark.parametrize("typed", [False, True])
def test_a_wallets_own_claim_passes_and_decodes(typed):
    account = Account.create()
    tx = decode_signed(_signed(account, typed=typed))
    assert tx.sender == account.address and tx.chain_id == CHAIN_ID and tx.value == 0
    _check(_signed(account, typed=typed), account.address.lower())


def test_the_unsigned_request_is_exactly_what_the_relay_accepts():
    account = Account.create()
    request = claim_request(distributor=DISTRIBUTOR, token_address=TOKEN, wallet=account.address, chain_id=CHAIN_ID)
    assert request["to"] == DISTRIBUTOR and request["chain_id"] == CHAIN_ID
    _check(_signed(account, data=bytes.fromhex(request["data"][2:])), account.address)


@pytest.mark.parametrize("change", ["signer", "to", "data", "chain", "no_chain", "value"])
def test_anything_else_is_refused(change):
    account = Account.create()
    raw = {
        "signer": _signed(Account.create()),
        "to": _signed(account, to=Web3.to_checksum_address("0x" + "ee" * 20)),
        "data": _signed(account, data=claim_calldata("0x" + "7B" * 20)),
        "chain": _signed(account, chain_id=1),
        "no_chain": _signed(account, chain_id=None),  # pre-EIP-155: replayable on any chain
        "value": _signed(account, value=1),
    }[change]
    with pytest.raises(InvalidInput) as raised:
        _check(raw, account.address)
    assert raised.value.code == "distribution.bad_claim_transaction"


@pytest.mark.parametrize("raw", ["", "0x", "0xdeadbeef", "not hex", "0x" + "00" * 5000])
def test_garbage_is_not_a_transaction(raw):
    with pytest.raises(InvalidInput):
        decode_signed(raw)
