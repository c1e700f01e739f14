"""Fast EIP-712 signing of SettlementExchange orders for load generators.

eth-account's `sign_typed_data` walks the typed-data structure in pure Python (about
1.6 ms an order); a load generator signing 1,000 orders a second cannot afford that. The
digest is backend.trading.signing's (the one the API verifies with), and coincurve signs it
in about 0.1 ms. The result is byte-for-byte the signature eth-account makes (RFC 6979,
low s); tests/backend/test_bench_signer.py checks that.
"""

from __future__ import annotations

from coincurve import PrivateKey

from backend.trading.signing import order_fields_digest


class OrderSigner:
    """Signs orders of one wallet for one exchange deployment."""

    def __init__(self, private_key: str, *, chain_id: int, exchange: str, trader: str):
        self._key = PrivateKey(bytes.fromhex(private_key.removeprefix("0x")))
        self._chain_id, self._exchange, self._trader = chain_id, exchange, trader

    def digest(self, *, asset: str, is_buy: bool, price: int, quantity: int, nonce: int, expiry: int) -> bytes:
        return order_fields_digest(
            chain_id=self._chain_id,
            exchange=self._exchange,
            trader=self._trader,
            asset=asset,
            is_buy=is_buy,
            price=price,
            quantity=quantity,
            nonce=nonce,
            expiry=expiry,
        )

    def sign(self, **order: int | str | bool) -> str:
        signature = self._key.sign_recoverable(self.digest(**order), hasher=None)  # type: ignore[arg-type]
        return "0x" + (signature[:64] + bytes([signature[64] + 27])).hex()
