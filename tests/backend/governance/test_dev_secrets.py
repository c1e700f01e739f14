"""Outside RWA_ENV=development every well-known key is refused, in any spelling."""

from __future__ import annotations

import pytest

from backend.config import DEV_GOVERNANCE_KEY, DEV_OPERATOR_KEY, Settings, settings_from_env
from backend.dev_secrets import DevelopmentSecretError, refuse_development_secrets

GOOD_ADMIN = "a-long-random-admin-key-0123456789abcdef"
GOOD_OPERATOR = "0x" + "5a" * 32
GOOD_GOVERNANCE = "0x" + "6b" * 32
# Account 3 of the node's default mnemonic (ganache --wallet.deterministic)
ACCOUNT_3 = "0x646f1ce2fdad0e6deeeb5c7e8e5543bdde65e86029e2fd9fc169899c440a7913"


def refuse(**overrides: str | None) -> None:
    keys = {"admin_key": GOOD_ADMIN, "operator_key": GOOD_OPERATOR, "governance_key": GOOD_GOVERNANCE}
    keys.update(overrides)
    refuse_development_secrets(**keys)  # type: ignore[arg-type]


def spellings(key: str) -> list[str]:
    bare = key.removeprefix("0x")
    return [key, bare, bare.upper(), "0X" + bare.upper(), "0x" + bare.upper(), f"  {key}  "]


def test_good_secrets_pass():
    refuse()
    refuse(governance_key=None)  # no governance key held by this service


@pytest.mark.parametrize("key", spellings(DEV_OPERATOR_KEY) + spellings(ACCOUNT_3) + spellings(DEV_GOVERNANCE_KEY))
def test_well_known_operator_keys_are_refused_in_any_spelling(key):
    with pytest.raises(DevelopmentSecretError, match="RWA_OPERATOR_KEY"):
        refuse(operator_key=key)
    with pytest.raises(DevelopmentSecretError, match="RWA_GOVERNANCE_KEY"):
        refuse(governance_key=key)


@pytest.mark.parametrize("index_key", range(10))
def test_every_account_of_the_default_mnemonic_is_refused(index_key):
    from backend.chain.local_node import dev_private_key

    with pytest.raises(DevelopmentSecretError):
        refuse(operator_key=dev_private_key(index_key))


@pytest.mark.parametrize("admin", ["dev-admin-key", "short", "x" * 31, DEV_OPERATOR_KEY.upper()])
def test_weak_admin_keys_are_refused(admin):
    with pytest.raises(DevelopmentSecretError, match="RWA_ADMIN_KEY"):
        refuse(admin_key=admin)


def test_governance_key_must_differ_from_operator_key():
    with pytest.raises(DevelopmentSecretError, match="differ"):
        refuse(governance_key=GOOD_OPERATOR.upper())


def test_settings_outside_development_refuse_the_defaults(monkeypatch):
    for name in ("RWA_ADMIN_KEY", "RWA_OPERATOR_KEY", "RWA_GOVERNANCE_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RWA_ENV", "production")
    with pytest.raises(RuntimeError):
        settings_from_env()
    monkeypatch.setenv("RWA_ADMIN_KEY", GOOD_ADMIN)
    monkeypatch.setenv("RWA_OPERATOR_KEY", GOOD_OPERATOR)
    settings = settings_from_env()
    assert settings.governance_key is None  # the dev governance key is a development default only
    monkeypatch.setenv("RWA_GOVERNANCE_KEY", DEV_GOVERNANCE_KEY.removeprefix("0x"))
    with pytest.raises(RuntimeError, match="RWA_GOVERNANCE_KEY"):
        settings_from_env()


def test_development_keeps_its_defaults():
    settings = Settings()
    settings.check()
    assert settings.governance_key == DEV_GOVERNANCE_KEY


def test_serve_prints_the_development_banner_and_refuses_dev_keys_elsewhere(monkeypatch):
    from typer.testing import CliRunner

    import backend.api.app
    import backend.cli

    served = []
    monkeypatch.setattr(backend.cli.local_node, "port_in_use", lambda *a, **k: False)
    monkeypatch.setattr(backend.api.app, "create_app", lambda settings: settings)
    monkeypatch.setattr(backend.cli.uvicorn, "run", lambda app, **kw: served.append(app))
    monkeypatch.setattr(backend.cli.console, "width", 200)
    for name in ("RWA_ADMIN_KEY", "RWA_OPERATOR_KEY", "RWA_GOVERNANCE_KEY", "RWA_ENV"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(backend.cli.app, ["serve", "--port", "1"])
    assert result.exit_code == 0, result.output
    assert "DEVELOPMENT MODE" in result.output and len(served) == 1
    result = CliRunner().invoke(backend.cli.app, ["serve", "--port", "1"], env={"RWA_ENV": "production"})
    assert result.exit_code == 1 and "RWA_ADMIN_KEY" in result.output and len(served) == 1
