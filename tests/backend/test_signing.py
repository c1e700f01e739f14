"""Order signatures: the digest equals eth-account's, and only what the contract's
verifyOrder accepts is accepted (65 bytes, v 27/28, 0 < r < N, 0 < s <= N/2, the trader).
The same verdicts against the deployed contract: tests/integration/test_signature_differential.py."""

import copy
import random
import secrets

from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data

from backend.trading.signing import (
    HALF_N,
    ORDER_TYPES,
    SECP256K1_N,
    order_digest,
    recover_signer,
    sign,
    typed_data,
    verify_order,
)


def _order(trader: str, **changes) -> dict:
    fields = {
        "chain_id": 1337,
        "exchange": "0x" + "11" * 20,
        "trader": trader,
        "asset": "0x" + "22" * 20,
        "is_buy": True,
        "price": 12_500_000,
        "quantity": 10 * 10**18,
        "nonce": 7,
        "expiry": 2_000_000_000,
    }
    return typed_data(**{**fields, **changes})


def _with(raw: bytes, *, r: int | None = None, s: int | None = None, v: int | None = None) -> str:
    r_ = int.from_bytes(raw[:32], "big") if r is None else r
    s_ = int.from_bytes(raw[32:64], "big") if s is None else s
    v_ = raw[64] if v is None else v
    return "0x" + (r_.to_bytes(32, "big") + s_.to_bytes(32, "big") + bytes([v_])).hex()


def test_signature_recovers_to_the_signing_wallet():
    account = Account.create()
    data = _order(account.address)
    signature = sign(data, account.key.to_0x_hex())
    assert recover_signer(data, signature) == account.address
    assert verify_order(data, signature) == (True, order_digest(data))


def test_changed_order_or_garbage_signature_is_not_the_traders():
    account = Account.create()
    data = _order(account.address)
    signature = sign(data, account.key.to_0x_hex())
    tampered = {**data, "message": {**data["message"], "price": 1}}
    assert recover_signer(tampered, signature) != account.address
    assert verify_order(tampered, signature)[0] is False
    for garbage in ("0x1234", "0xzz", "", "0x" + "11" * 65, "0x" + signature[2:].upper()[:-2] + " 1b"):
        assert verify_order(data, garbage)[0] is False, garbage


def test_another_wallets_signature_is_refused():
    account, other = Account.create(), Account.create()
    data = _order(account.address)
    signature = sign(data, other.key.to_0x_hex())
    assert recover_signer(data, signature) == other.address
    assert verify_order(data, signature)[0] is False


def test_only_the_canonical_form_is_accepted():
    """eth-account recovers the same signer from v 0/1 and from the high-s twin; the
    contract refuses both, so the venue does too."""
    account = Account.create()
    data = _order(account.address)
    raw = bytes.fromhex(sign(data, account.key.to_0x_hex())[2:])
    s = int.from_bytes(raw[32:64], "big")
    assert raw[64] in (27, 28) and s <= HALF_N
    assert verify_order(data, raw.hex())[0] is True  # bare hex is the same bytes
    high_s = _with(raw, s=SECP256K1_N - s, v=55 - raw[64])
    assert Account._recover_hash(order_digest(data), signature=bytes.fromhex(high_s[2:])) == account.address
    refused = [
        high_s,
        _with(raw, v=raw[64] - 27),
        _with(raw, v=55 - raw[64]),  # the other parity: another signer
        _with(raw, v=29),
        _with(raw, v=raw[64] + 10),
        _with(raw, r=0),
        _with(raw, s=0),
        _with(raw, r=SECP256K1_N),
        _with(raw, s=HALF_N + 1),
        "0x" + raw[:64].hex(),
        "0x" + (raw + b"\0").hex(),
    ]
    for signature in refused:
        assert verify_order(data, signature)[0] is False, signature
        assert recover_signer(data, signature) != account.address, signature


def test_hand_rolled_digest_and_recovery_equal_eth_accounts_on_random_orders():
    rng = random.Random(11)
    for _ in range(60):
        account = Account.create()
        data = typed_data(
            chain_id=rng.choice((1, 1337, 2**40)),
            exchange=Account.create().address,
            trader=account.address,
            asset=Account.create().address.lower(),
            is_buy=rng.random() < 0.5,
            price=rng.choice((1, rng.randrange(2**64), 2**256 - 1)),
            quantity=rng.randrange(1, 2**100),
            nonce=secrets.randbits(rng.choice((8, 128, 256))),
            expiry=rng.choice((0, rng.randrange(2**64))),
        )
        general = copy.deepcopy({**data, "types": dict(ORDER_TYPES)})  # not ours: eth-account's path
        assert order_digest(data) == order_digest(general) == _hash_eip191_message(encode_typed_data(full_message=data))
        signature = sign(data, account.key.to_0x_hex())
        expected = Account.recover_message(encode_typed_data(full_message=data), signature=bytes.fromhex(signature[2:]))
        assert recover_signer(data, signature) == expected == account.address
        assert verify_order(data, signature)[0] is True
