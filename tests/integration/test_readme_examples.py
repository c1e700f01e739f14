"""The README's "Use the API" Python examples run as written against a live `make demo`
(the session's served demo), so the front page can never rot again. Only two things are
changed, both what a reader's machine differs in: the service's address (the demo here
serves on its test port) and where `.rwa/` is (the demo's state folder)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import httpx

from backend.config import ROOT

README = ROOT / "README.md"


def readme_examples() -> list[str]:
    """The Python code blocks of the README's "Use the API" section, in order."""
    text = README.read_text()
    section = text.split("## Use the API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_has_the_examples():
    blocks = readme_examples()
    assert len(blocks) == 2
    assert all("http://127.0.0.1:8000" in block for block in blocks)
    assert ".rwa/demo-keys.json" in blocks[0] and ".rwa/demo-wallets.json" in blocks[0]


def test_readme_examples_run_against_the_demo(served_demo, tmp_path):
    (tmp_path / ".rwa").symlink_to(served_demo.state_dir)
    script = "\n".join(readme_examples()).replace("http://127.0.0.1:8000", served_demo.base_url)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    order_id, status = first.split()
    assert status in {"open", "filled", "partially_filled"}, result.stdout

    # The order the first example placed is Bertie's, with the nonce and expiry she signed.
    keys = json.loads((served_demo.state_dir / "demo-keys.json").read_text())
    order = httpx.get(f"{served_demo.base_url}/v1/orders/{order_id}", headers={"X-API-Key": keys["bertie"]}).json()
    assert order["symbol"] == "ACME" and order["side"] == "buy" and order["quantity"] == "5", order
    assert order["nonce"] is not None and order["expires_at"], order
