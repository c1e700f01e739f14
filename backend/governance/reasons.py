"""The fixed vocabulary of reasons for privileged actions (docs/API.md)."""

from __future__ import annotations

from backend.errors import InvalidInput

REASON_CODES: dict[str, str] = {
    "court_order": "a court or arbitral decision (seizure, forced transfer, freeze)",
    "lost_keys": "the holder lost the wallet's keys (recovery)",
    "sanctions": "a sanctions hit or screening result",
    "regulator_request": "a supervisor's request or order",
    "error_correction": "undoing an operator or system mistake",
    "corporate_action": "issuance, buy-back, split, redemption, rule changes the issuer decided",
    "market_integrity": "halts, resumes and freezes to protect orderly trading",
    "kyc_update": "onboarding outcomes: revocation after failed or expired KYC, reinstatement",
    "key_compromise": "a key is suspected leaked (rotation, freeze)",
    "scheduled_rotation": "routine API key rotation",
}
MAX_REASON = 1000


def check_reason(reason_code: str | None, reason: str | None) -> tuple[str, str]:
    """The (reason_code, reason) of an action, or the 422 that refuses it."""
    if reason_code not in REASON_CODES:
        raise InvalidInput(
            "governance.unknown_reason_code",
            f"reason_code must be one of {', '.join(REASON_CODES)}",
            details=[{"field": "reason_code"}],
        )
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("governance.reason_required", "a reason is required", details=[{"field": "reason"}])
    if len(text) > MAX_REASON or any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInput(
            "governance.reason_required",
            f"reason must be at most {MAX_REASON} printable characters",
            details=[{"field": "reason"}],
        )
    return reason_code, text
