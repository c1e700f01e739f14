import pytest

from backend.auth.service import Principal, require_asset_authority
from backend.errors import Forbidden

ISSUER = "0xAbCdEf0000000000000000000000000000000001"


def test_admins_act_on_any_asset_and_issuers_only_on_their_own():
    require_asset_authority(Principal(role="admin"), issuer_wallet=ISSUER, symbol="ACME", action="issue")
    require_asset_authority(
        Principal(role="issuer", issuer_wallet=ISSUER.lower()), issuer_wallet=ISSUER, symbol="ACME", action="issue"
    )
    for principal in (
        Principal(role="issuer", issuer_wallet="0x" + "99" * 20),
        Principal(role="issuer"),
        Principal(role="investor", investor_id=1),
    ):
        with pytest.raises(Forbidden) as caught:
            require_asset_authority(principal, issuer_wallet=ISSUER, symbol="ACME", action="file documents")
        assert caught.value.code == "auth.forbidden" and "ACME" in caught.value.message
