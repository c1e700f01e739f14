"""Every engine rejection reaches the API as its own domain error, never the generic one."""

from __future__ import annotations

from backend.matching import RejectCode
from backend.trading.projection import REJECT_CODES


def test_every_engine_reject_code_has_an_api_error_code():
    assert {code.name for code in RejectCode} <= set(REJECT_CODES)


def test_an_order_expired_before_it_was_sequenced_is_order_expired():
    code, kind = REJECT_CODES[RejectCode.EXPIRED.name]
    assert (code, kind.status) == ("order.expired", 422)
