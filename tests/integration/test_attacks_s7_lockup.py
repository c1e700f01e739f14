"""Attack review s7 (issue 16): the chain's lock-up is no longer read once a wallet is followed.

Before the balance follower, a funds reading older than funds_max_age_ms was read again live,
with ComplianceRules.lockedBalance beside the balance (balances.live_read's `lock_at`), so a
lock-up the compliance mirror had not seen (its event sync lagging: it runs in the worker
process, once a second, and not at all while that process is down) was still counted within a
second (tests/integration/test_lockup_funds.py, the first order of a wallet). A followed
wallet's reading has no lock (`locked` None), and the follower keeps it current for ever: from
the wallet's second order on, only the mirror's lock counts, however long the mirror lags.
"""

from __future__ import annotations

import time

from tests.integration.test_lockup_funds import (
    _refused_as_locked,
    _sell,
    _seller_with_locked_tokens,
    mirror_forgets_the_lock,
)


def test_the_chains_lock_counts_for_a_followed_wallet_when_the_mirror_has_not_seen_it(
    client, admin, chain_info, make_asset, make_investor
):
    asset, seller = _seller_with_locked_tokens(client, admin, chain_info, make_asset, make_investor)
    symbol, token = asset["symbol"], asset["token_address"]
    assert _sell(seller, client, symbol, "10").status_code == 201  # first sight: read live, then followed
    follower = client.app.state.venue.balances.follower
    deadline = time.monotonic() + 5
    while follower.position(seller.wallet.address, token) is None:
        assert time.monotonic() < deadline, "the seller is not followed"
        time.sleep(0.02)

    mirror_forgets_the_lock(client, symbol, seller.wallet.address)
    time.sleep(1.1)  # past funds_max_age_ms: a cached reading would be read again, with the chain's lock

    # 50 free, 10 of them in the resting sell: 60 more reach 20 into the locked 100 (code 8 at settlement).
    _refused_as_locked(_sell(seller, client, symbol, "60"))
