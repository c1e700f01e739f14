"""`rwa demo`: the whole scenario on a fresh chain, in a fresh clone under a path with dots
(where `brownie run` cannot import a script), then serving; a summary whose key facts a user
would check: positions agree, refusals carry their codes, the collapse stopped at the band,
halted, and the market reopened through a call auction that left the stink bid alone.
The demo is the session's `served_demo` (tests/integration/conftest.py), shared with the
README examples; it is stopped with SIGTERM at the end and must leave nothing."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from decimal import Decimal

from backend.config import ROOT
from tests.integration.demo_stack import CHAIN_PORT, DEMO_PORT

REFUSED = (
    "compliance.country_not_allowed",
    "compliance.kyc_expired",
    "compliance.not_accredited",
    "compliance.max_balance",
    "compliance.lockup",
    "market.halted",
)


def test_demo_runs_the_scenario_in_a_clone_under_a_dotted_path(served_demo):
    assert "." in served_demo.root.parent.parent.name and served_demo.root.parent.parent.name == "github.com"
    output = served_demo.output
    assert "✓ contracts deployed" in output
    assert "✓ disclosures anchored for ACME" in output
    assert "✓ disclosures anchored for PERMIAN1" in output
    assert "✓ disclosures anchored for IOWACORN" in output
    assert "settled on chain" in output

    # Every position row of the summary agrees, and the reconcile line says so.
    rows = [
        line
        for line in output.splitlines()
        if re.match(r"^│ (ACME|PERMIAN1|IOWACORN) +│", line) and "0x" in line and "│ settled │" not in line
    ]
    assert len(rows) >= 8, output
    assert all("✓" in row and "✗" not in row for row in rows), rows
    assert re.search(rf"✓ all {len(rows)} positions agree with the chain", output), output

    for code in REFUSED:
        assert code in output, f"{code} missing from the summary"
    assert "halted: volatility" in output
    # A market order signs a real limit (the collar), shown in the steps and the summary.
    assert re.search(r"market buy of 10 ACME signed a limit of 13\.12 .*filled 10 @ 12\.60", output), output
    assert "Market order" in output
    # A wallet's own cancelUpTo on chain takes its resting bids off the book.
    assert "SettlementExchange.cancelUpTo(" in output and "cancelled both bids" in output
    # Issue 14: new listings open through a call; the collapse stops at the band (a limit
    # state), halts, and reopens through a call whose indicative price moves as orders come
    # back; it uncrosses at one price and the stink bid at 9.50 is not swept.
    flat_steps = " ".join(output.split())
    assert "ACME is a new listing: it opens through a call" in flat_steps and "ACME opened" in output
    assert "ACME enters a limit state" in flat_steps and "(limit_state)" in flat_steps
    assert "the halt ends in a reopening call" in flat_steps
    indicative = re.findall(r"indicative price (\d+\.\d\d) for (\d+)", flat_steps)
    assert ("11.80", "60") in indicative and ("11.40", "100") in indicative, indicative
    assert "ACME reopened by auction at 11.40" in flat_steps and "was not swept" in flat_steps
    assert re.search(r"Reopening auction: ACME reopened at 11\.40 .*100 ACME from 3 orders crossed", flat_steps)
    # Operator powers (issue 15): a partial freeze and a recovery, each with its reason, in the audit log.
    flat = " ".join(output.split())  # rich wraps long lines at the terminal's width
    assert "a court garnishment froze 4 of them" in flat and "Lena lost her keys" in flat
    assert "Audit log: every privileged action with its reason" in flat
    for action in ("tokens.freeze", "wallet.recover", "asset.rules", "asset.mint"):
        assert action in output, f"{action} missing from the audit log table"
    assert "unspecified" not in output  # the demo gives every action its reason
    # The royalty is claimed pro rata: each holder's claim is its share of the deposit.
    amount = Decimal(re.search(r"Revenue distribution: ([0-9.]+) cash to PERMIAN1", output).group(1))
    claims = {
        name: (Decimal(held), Decimal(claimed))
        for name, held, claimed in re.findall(
            r"│ (Alice Carter|Bertie Hughes|Kenji Sato) +│ (\d+) +│ ([0-9.]+) +│ 0x", output
        )
    }
    assert set(claims) == {"Alice Carter", "Bertie Hughes", "Kenji Sato"}, output
    issued = sum(held for held, _ in claims.values())
    for held, claimed in claims.values():
        assert abs(claimed - amount * held / issued) < Decimal("0.01")
    assert re.search(r"tx 0x[0-9a-f]{64}", output)
    assert f"http://127.0.0.1:{DEMO_PORT}/docs" in output


def test_demo_writes_api_keys_and_marked_local_wallet_keys(served_demo):
    from eth_account import Account

    keys = json.loads((served_demo.state_dir / "demo-keys.json").read_text())
    investors = {"alice", "bertie", "chiara", "kenji", "mateus", "hannah"}
    assert {"admin", *investors} <= set(keys)
    wallets = json.loads((served_demo.state_dir / "demo-wallets.json").read_text())
    assert "LOCAL TEST KEYS" in wallets["WARNING"]
    assert set(wallets) == {"WARNING", *investors}
    for wallet in investors:
        assert Account.from_key(wallets[wallet]["private_key"]).address == wallets[wallet]["address"]


def test_demo_refuses_a_port_in_use(tmp_path):
    port = int(os.environ.get("RWA_TEST_DEMO_BUSY_PORT", str(DEMO_PORT + 1)))
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", port))
        busy.listen()
        result = subprocess.run(
            [sys.executable, "-m", "backend.cli", "demo", "--port", str(port), "--chain-port", str(CHAIN_PORT + 1)],
            cwd=ROOT,
            env={**os.environ, "RWA_STATE_DIR": str(tmp_path), "DEMO_EXIT": "1", "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert f"port {port} (for the service) is already in use" in result.stdout + result.stderr
