"""ERC-1404 restriction codes (stable; contracts/compliance/ComplianceRules.sol) and their API reasons."""

from __future__ import annotations

from backend.errors import ChainRejected, DomainError, Refused

REASONS = {
    0: "ok",
    1: "sender_not_whitelisted",
    2: "receiver_not_whitelisted",
    3: "kyc_expired",
    4: "country_not_allowed",
    5: "not_accredited",
    6: "max_holders",
    7: "max_balance",
    8: "lockup",
    9: "frozen",
    10: "paused",
    11: "insufficient_balance",
}

MESSAGES = {
    0: "transfer allowed",
    1: "sender is not whitelisted",
    2: "receiver is not whitelisted",
    3: "KYC has expired",
    4: "receiver's country is not allowed for this asset",
    5: "receiver is not accredited",
    6: "the asset's maximum number of holders is reached",
    7: "the receiver's balance would exceed the maximum per investor",
    8: "the sender's tokens are in lock-up",
    9: "a wallet is frozen",
    10: "transfers of this asset are paused",
    11: "the sender's unfrozen balance is insufficient",
}


def restriction_error(code: int) -> DomainError:
    reason = REASONS.get(code, f"code_{code}")
    return Refused(
        f"compliance.{reason}",
        MESSAGES.get(code, f"transfer restricted (code {code})"),
        details={"restriction_code": code},
    )


def translate_chain_error(exc: ChainRejected) -> DomainError:
    """A token revert carrying a restriction code becomes the matching compliance error."""
    details = exc.details if isinstance(exc.details, dict) else {}
    if details.get("error") == "AssetTokenTransferRestricted" and details.get("args"):
        return restriction_error(int(details["args"][0]))
    return exc
