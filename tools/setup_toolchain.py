"""Provision the Solidity compiler and brownie's ganache network, idempotently.

Run by `make` before anything compiles. Two jobs:

1. Make solc SOLC_VERSION available to py-solc-x (and so to brownie). The normal
   route is py-solc-x's own download; machines without internet access (ours, CI,
   air-gapped sites) cannot download compiler binaries, so we register solcjs from
   node_modules through a launcher that speaks the native CLI subset brownie uses.
2. Add a brownie network `rwa-ganache` running node_modules' ganache with the berlin
   hardfork. brownie keeps networks in ~/.brownie, outside the project, and its
   built-in `development` network launches anvil, not ganache.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLC_VERSION = "0.8.28"
# id -> port. rwa-ganache is the demo's chain; rwa-ganache-test is the one brownie's
# contract tests launch; rwa-ganache-<port> are for the service's integration tests and
# parallel runs, so tests never touch a running demo nor each other.
NETWORKS = {"rwa-ganache": 8545, "rwa-ganache-test": 8560} | {f"rwa-ganache-{p}": p for p in range(8561, 8580)}
# ganache --wallet.deterministic: a valid BIP-39 phrase, so the service and tests can derive keys.
GANACHE_MNEMONIC = "myth like bonus scare over problem client lizard pioneer submit female collect"


def _native_solc_works(binary: Path) -> bool:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60)
    except OSError:
        return False
    return out.returncode == 0 and SOLC_VERSION in out.stdout


def provision_solc() -> str:
    import solcx

    folder = solcx.get_solcx_install_folder()
    target = folder / f"solc-v{SOLC_VERSION}"
    launcher = ROOT / "tools" / "solcjs_launcher.js"
    if target.exists() and _native_solc_works(target):
        if "solcjs" not in target.read_text(errors="ignore")[:2000] or str(launcher) in target.read_text(
            errors="ignore"
        ):
            return f"solc {SOLC_VERSION} already available at {target}"
    if os.environ.get("RWA_TRY_SOLC_DOWNLOAD", "1") == "1" and not target.exists():
        try:
            solcx.install_solc(SOLC_VERSION, show_progress=False)
            if _native_solc_works(target):
                return f"installed native solc {SOLC_VERSION}"
        except Exception as exc:  # noqa: BLE001 - any download failure means: fall back
            print(f"native solc download failed ({type(exc).__name__}); using solcjs", file=sys.stderr)
    module = ROOT / "node_modules" / "solc"
    if not module.exists():
        raise SystemExit("node_modules/solc is missing: run `npm ci` first")
    wrapper = (ROOT / "tools" / "solc_wrapper.sh").read_text()
    wrapper = wrapper.replace("@SOLC_MODULE@", str(module)).replace("@LAUNCHER@", str(launcher))
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text("#!/bin/sh\n# solcjs\n" + wrapper.split("\n", 1)[1])
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    if not _native_solc_works(target):
        raise SystemExit(f"the solcjs launcher at {target} does not answer --version")
    return f"registered solcjs {SOLC_VERSION} launcher at {target}"


def provision_network() -> str:
    import yaml
    from brownie._config import DATA_FOLDER

    config_path = Path(DATA_FOLDER) / "network-config.yaml"
    if not config_path.exists():
        import brownie  # noqa: F401 - importing brownie writes the default file

    data = yaml.safe_load(config_path.read_text())
    dev = data.setdefault("development", [])
    changed = []
    for network_id, port in NETWORKS.items():
        wanted = {
            "name": f"RWA ganache (berlin, port {port})",
            "id": network_id,
            "cmd": str(ROOT / "node_modules" / ".bin" / "ganache"),
            "host": "http://127.0.0.1",
            "cmd_settings": {
                "port": port,
                "accounts": 10,
                "evm_version": "berlin",
                "mnemonic": GANACHE_MNEMONIC,
                "gas_limit": 30_000_000,
            },
        }
        current = next((n for n in dev if n.get("id") == network_id), None)
        if current == wanted:
            continue
        if current is not None:
            dev.remove(current)
        dev.append(wanted)
        changed.append(network_id)
    if not changed:
        return "brownie networks already configured"
    config_path.write_text(yaml.safe_dump(data, sort_keys=False))
    return f"brownie networks {', '.join(changed)} written to {config_path}"


if __name__ == "__main__":
    print(provision_solc())
    print(provision_network())
