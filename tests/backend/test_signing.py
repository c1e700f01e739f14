from eth_account import Account

from backend.trading.signing import recover_signer, sign, typed_data


def _order(trader: str) -> dict:
    return typed_data(chain_id=1337, exchange="0x" + "11" * 20, trader=trader, asset="0x" + "22" * 20,
                      is_buy=True, price=12_500_000, quantity=10 * 10**18, nonce=7, expiry=0)


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
