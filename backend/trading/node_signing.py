"""Node signing, for local demos only: an unlocked node account signs an order's typed data
through the node itself (eth_signTypedData_v4). Order entry allows it only in development on
a local chain (terms.node_signing_allowed); everywhere else the investor's wallet signs.
"""

from __future__ import annotations

from typing import Any

from web3.types import RPCEndpoint

from backend.chain.client import Chain
from backend.errors import InvalidInput
from backend.models.compliance import Investor


def node_signature(chain: Chain, investor: Investor, typed: dict[str, Any]) -> str:
    """Local demos: unlocked node accounts can sign through the node itself (only in
    development on a local chain: see terms.node_signing_allowed)."""
    # uint256 values as decimal strings: ganache parses JSON numbers as doubles and
    # fails above 2**53, which every 18-decimal quantity exceeds.
    message = {k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in typed["message"].items()}
    try:
        response = chain.w3.provider.make_request(
            RPCEndpoint("eth_signTypedData_v4"), [investor.wallet, {**typed, "message": message}]
        )
    except Exception:  # noqa: BLE001 - the node could not sign: the client must
        response = {}
    result = response.get("result") if isinstance(response, dict) else None
    if not result:
        raise InvalidInput(
            "order.signature_required",
            "the node holds no key for this wallet: sign the typed data from POST /v1/orders/typed-data "
            "with the order's wallet",
            details=[{"field": "signature"}],
        )
    return str(result)


# Order entry's statements, built once with bind parameters (building a statement's
