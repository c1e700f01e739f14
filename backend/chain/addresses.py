"""Wallet addresses as the service stores them: EIP-55 checksummed, typos refused."""

from __future__ import annotations

from eth_utils import is_address, is_checksum_address, to_checksum_address

from backend.errors import InvalidInput


def checksum_wallet(wallet: str, *, field: str = "wallet") -> str:
    if not isinstance(wallet, str) or not is_address(wallet) or not wallet.startswith("0x"):
        raise InvalidInput(
            "validation.invalid", f"{field} is not an Ethereum address: {wallet!r}", details=[{"field": field}]
        )
    # Mixed case is an EIP-55 checksum, there to catch typos: eth_utils.is_address does not check it.
    digits = wallet[2:]
    if digits not in (digits.lower(), digits.upper()) and not is_checksum_address(wallet):
        raise InvalidInput(
            "validation.invalid", f"{field} fails its EIP-55 checksum (a typo?): {wallet!r}", details=[{"field": field}]
        )
    return to_checksum_address(wallet)
