"""`make demo DEMO_EXIT=1`: the whole scenario on a fresh chain, exiting 0."""

from __future__ import annotations

import os
import subprocess
import sys

from backend.config import ROOT


def test_demo_runs_the_scenario_and_exits_zero(tmp_path):
    env = {**os.environ, "RWA_STATE_DIR": str(tmp_path), "DEMO_EXIT": "1", "COLUMNS": "160"}
    result = subprocess.run([sys.executable, "-m", "backend.cli", "demo", "--port", os.environ.get("RWA_TEST_DEMO_PORT", "8075"), "--chain-port", os.environ.get("RWA_TEST_DEMO_CHAIN_PORT", "8575")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "✓ disclosures anchored" in output
    assert "settled on chain" in output
    assert (tmp_path / "demo-keys.json").exists()
