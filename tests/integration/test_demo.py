"""`make demo DEMO_EXIT=1`: the whole scenario on a fresh chain, exiting 0, with a summary
whose key facts a user would check: positions agree, refusals carry their codes, the
halt tripped and the market reopened."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from decimal import Decimal

from backend.config import ROOT

DEMO_PORT = os.environ.get("RWA_TEST_DEMO_PORT", "8075")
CHAIN_PORT = os.environ.get("RWA_TEST_DEMO_CHAIN_PORT", "8575")
REFUSED = (
    "compliance.country_not_allowed",
    "compliance.kyc_expired",
    "compliance.not_accredited",
    "compliance.max_balance",
    "compliance.lockup",
    "market.halted",
)


def run_demo(tmp_path, *extra: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "RWA_STATE_DIR": str(tmp_path), "DEMO_EXIT": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", "demo", "--port", DEMO_PORT, "--chain-port", CHAIN_PORT, *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_demo_runs_the_scenario_and_exits_zero(tmp_path):
    # A stale database from an earlier run must not matter: every run is a clean restart.
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "rwa.db").write_bytes(b"not a database")
    result = run_demo(tmp_path, "--halt-seconds", "3")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
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
    assert "market reopened" in output and "Market reopened at" in output
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

    keys = json.loads((tmp_path / "demo-keys.json").read_text())
    assert {"admin", "alice", "bertie", "chiara", "kenji", "mateus", "hannah"} <= set(keys)


def test_demo_refuses_a_port_in_use(tmp_path):
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the previous test's server may be in TIME_WAIT
        busy.bind(("127.0.0.1", int(DEMO_PORT)))
        busy.listen()
        result = run_demo(tmp_path, timeout=120)
    assert result.returncode == 1
    assert f"port {DEMO_PORT} (for the service) is already in use" in result.stdout + result.stderr
