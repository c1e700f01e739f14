from eth_account import Account

from backend.trading.signing import recover_signer, sign, typed_data


def _order(trader: str) -> dict:
    return typed_data(
        chain_id=1337,
        exchange="0x" + "11" * 20,
        trader=trader,
        asset="0x" + "22" * 20,
        is_buy=True,
        price=12_500_000,
        quantity=10 * 10**18,
        nonce=7,
        expiry=0,
    )


def test_signature_recovers_to_the_signing_wallet():
    account = Account.create()
    data = _order(account.address)
    assert recover_signer(data, sign(data, account.key.to_0x_hex())) == account.address


def test_changed_order_or_garbage_signature_recovers_to_someone_else():
    account = Account.create()
    data = _order(account.address)
    signature = sign(data, account.key.to_0x_hex())
    tampered = {**data, "message": {**data["message"], "price": 1}}
    assert recover_signer(tampered, signature) != account.address
    assert recover_signer(data, "0x1234") is None


def _eth_account_recover(data: dict, signature: str) -> str | None:
    from eth_account.messages import encode_typed_data
    from hexbytes import HexBytes

    try:
        return Account.recover_message(encode_typed_data(full_message=data), signature=HexBytes(signature))
    except Exception:  # noqa: BLE001 - what recover_signer answered before it was made fast
        return None


def test_hand_rolled_digest_and_recovery_equal_eth_accounts_on_random_orders():
    import copy
    import random
    import secrets

    from eth_account.messages import _hash_eip191_message, encode_typed_data

    from backend.trading.signing import MARKET_BUY_PRICE, ORDER_TYPES, order_digest

    rng = random.Random(11)
    for _ in range(60):
        account = Account.create()
        data = typed_data(
            chain_id=rng.choice((1, 1337, 2**40)),
            exchange=Account.create().address,
            trader=account.address,
            asset=Account.create().address.lower(),
            is_buy=rng.random() < 0.5,
            price=rng.choice((1, rng.randrange(2**64), MARKET_BUY_PRICE)),
            quantity=rng.randrange(1, 2**100),
            nonce=secrets.randbits(rng.choice((8, 128, 256))),
            expiry=rng.choice((0, rng.randrange(2**64))),
        )
        general = copy.deepcopy({**data, "types": dict(ORDER_TYPES)})  # not ours: eth-account's path
        assert order_digest(data) == order_digest(general) == _hash_eip191_message(encode_typed_data(full_message=data))
        signature = sign(data, account.key.to_0x_hex())
        assert recover_signer(data, signature) == _eth_account_recover(data, signature) == account.address
        raw = bytes.fromhex(signature[2:])
        n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
        high_s = raw[:32] + (n - int.from_bytes(raw[32:64], "big")).to_bytes(32, "big") + bytes([raw[64] ^ 1])
        variants = [
            raw[:64] + bytes([raw[64] - 27]),
            high_s,
            raw[:64] + b"\x1d",
            raw[:64] + bytes([37 + raw[64] - 27]),
            b"\0" * 32 + raw[32:],
            raw[:32] + n.to_bytes(32, "big") + raw[64:],
            raw[:64],
            raw + b"\0",
            bytes(rng.randrange(256) for _ in range(65)),
        ]
        for variant in variants:
            for text in ("0x" + variant.hex(), variant.hex()):
                assert recover_signer(data, text) == _eth_account_recover(data, text), text
    assert recover_signer(data, "0xzz") is None and recover_signer(data, "") is None
