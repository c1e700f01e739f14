"""Well-known development secrets, refused outside RWA_ENV=development.

A key is "well known" when anyone can find it: the local node's deterministic accounts (the
first ten of its default mnemonic, plus account 10, the local governance key), the
development admin key, and any admin key short enough to guess. Private keys compare in any
spelling (with or without 0x, any case, surrounding spaces).
"""

from __future__ import annotations

from functools import lru_cache

from backend.dev_keys import DEV_ADMIN_KEY, DEV_GOVERNANCE_KEY, DEV_OPERATOR_KEY, GANACHE_MNEMONIC

MIN_ADMIN_KEY_LENGTH = 32
MNEMONIC_ACCOUNTS = 10


class DevelopmentSecretError(RuntimeError):
    """A development secret configured outside development."""


def normalize_private_key(key: str) -> str:
    """The 64 lowercase hex digits of a private key, whatever its spelling."""
    key = key.strip().lower()
    return key[2:] if key.startswith("0x") else key


@lru_cache(maxsize=1)
def well_known_private_keys() -> frozenset[str]:
    """The local node's mnemonic accounts 0-9 (derived, not copied) and the dev keys."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    derived = {
        Account.from_mnemonic(GANACHE_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key.hex()
        for i in range(MNEMONIC_ACCOUNTS)
    }
    return frozenset(normalize_private_key(k) for k in derived | {DEV_OPERATOR_KEY, DEV_GOVERNANCE_KEY})


def is_well_known_private_key(key: str) -> bool:
    return normalize_private_key(key) in well_known_private_keys()


def refuse_development_secrets(*, admin_key: str, operator_key: str, governance_key: str | None) -> None:
    """Raise DevelopmentSecretError naming the first development secret found."""
    if admin_key.strip() == DEV_ADMIN_KEY or is_well_known_private_key(admin_key):
        raise DevelopmentSecretError("RWA_ADMIN_KEY is the development admin key: set a secret one")
    if len(admin_key.strip()) < MIN_ADMIN_KEY_LENGTH:
        raise DevelopmentSecretError(f"RWA_ADMIN_KEY must be at least {MIN_ADMIN_KEY_LENGTH} characters")
    if is_well_known_private_key(operator_key):
        raise DevelopmentSecretError("RWA_OPERATOR_KEY is a well-known local node key: set a secret one")
    if governance_key and is_well_known_private_key(governance_key):
        raise DevelopmentSecretError("RWA_GOVERNANCE_KEY is a well-known local node key: set a secret one")
    if governance_key and normalize_private_key(governance_key) == normalize_private_key(operator_key):
        raise DevelopmentSecretError("RWA_GOVERNANCE_KEY must differ from RWA_OPERATOR_KEY")


DEVELOPMENT_BANNER = """\
==========================================================================
  DEVELOPMENT MODE (RWA_ENV=development): well-known keys in use.
  The admin key, the operator key and the governance key are public
  development secrets. Never expose this service or its chain to anyone.
==========================================================================
"""
