"""A leaked hot (operator) key tries every governance-only power on the real deployment.

tests/integration/test_governance.py checks forced transfer, mint, freeze, pause, rules and two
role grants; this file tries the rest of the agent's and admins' powers (each call simulated
from the hot key's address: a revert means the chain refuses it), and the control case (the
governance key may) for the token's."""

from __future__ import annotations

from eth_account import Account
from eth_utils import keccak
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError

from backend.chain.artifacts import load_abi
from backend.config import DEV_GOVERNANCE_KEY, DEV_OPERATOR_KEY

OPERATOR = Account.from_key(DEV_OPERATOR_KEY).address
GOVERNANCE = Account.from_key(DEV_GOVERNANCE_KEY).address
ADMIN_ROLE = b"\0" * 32
UNIT = 10**18
WHY = {"reason_code": "court_order", "reason": "hot-key attack test"}


def _contract(node, settings, name: str, address: str):
    return node.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_abi(settings.build_dir, name))


def _refuses(fn, sender: str) -> bool:
    try:
        fn.call({"from": sender})
    except (ContractCustomError, ContractLogicError):
        return True
    return False


def test_the_hot_key_cannot_use_any_other_governance_power(
    client, admin, node, settings, chain_info, make_asset, make_investor
):
    asset = make_asset()
    alice, bob = make_investor(), make_investor()
    minted = client.post(
        f"/v1/admin/assets/{asset['symbol']}/mint",
        headers=admin,
        json={"wallet": alice.wallet.address, "quantity": "100", **WHY},
    )
    assert minted.status_code == 200, minted.text
    contracts = chain_info["contracts"]
    token = _contract(node, settings, "AssetToken", asset["token_address"])
    a, b = alice.wallet.address, bob.wallet.address
    sig = token.get_function_by_signature
    token_powers = {
        "burn": sig("burn(address,uint256)")(a, UNIT),
        "partial freeze": sig("freezePartialTokens(address,uint256)")(a, UNIT),
        "set frozen tokens": token.functions.setFrozenTokens(a, UNIT),
        "recover a wallet": sig("recoverWallet(address,address)")(a, b),
        "replace a disclosure": token.functions.setDocument(b"\x01" * 32, "ipfs://fake", b"\x02" * 32),
        "forced transfer with a reason": sig("forcedTransfer(address,address,uint256,uint8,bytes32)")(
            a, b, UNIT, 1, b"\x03" * 32
        ),
    }
    for what, fn in token_powers.items():
        assert _refuses(fn, OPERATOR), f"the hot key could {what}"
        assert not _refuses(fn, GOVERNANCE), f"the governance key could not {what}"

    exchange = _contract(node, settings, "SettlementExchange", contracts["settlement_exchange"])
    distributor = _contract(node, settings, "RevenueDistributor", contracts["revenue_distributor"])
    factory = _contract(node, settings, "AssetFactory", contracts["asset_factory"])
    others = {
        "add another settlement operator": exchange.functions.grantRole(keccak(text="OPERATOR_ROLE"), b),
        "register an asset for revenue": distributor.functions.registerAsset(b),
        "grant itself the issuer's distributor roles": distributor.functions.grantRole(ADMIN_ROLE, OPERATOR),
        "create an asset": factory.functions.createAsset("X", "XATT", 0, "ipfs://x", OPERATOR, UNIT),
    }
    if "audit_anchor" in contracts:
        anchor = _contract(node, settings, "AuditAnchor", contracts["audit_anchor"])
        others["add another anchorer"] = anchor.functions.grantRole(keccak(text="ANCHORER_ROLE"), b)
    for what, fn in others.items():
        assert _refuses(fn, OPERATOR), f"the hot key could {what}"
    # control: the refusals are the roles', not malformed calls
    assert not _refuses(others["create an asset"], GOVERNANCE)
    assert not _refuses(others["add another settlement operator"], GOVERNANCE)
