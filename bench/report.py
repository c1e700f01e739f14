"""docs/benchmarks.md: each benchmark rewrites its own section, between markers.

`make bench` runs three benchmarks (matching core, REST order entry, settlement), each
on its own and at its own pace; a section is replaced only by the benchmark that owns
it, so re-running one keeps the others' last figures. Every section starts with the
machine it was measured on and how loaded it was: these machines are shared and noisy.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

HEADER = """# Benchmarks

Measured by `make bench` (each part on its own: `make bench-matching`, `make bench-orders`,
`make bench-settlement`), which prints these figures and rewrites its own section below.
Figures are printed, never asserted in tests: the machines are shared and noisy, so each
section says what it ran on and the load average when it started.
"""


def machine() -> str:
    """One line: CPU model, cores, memory, Python, load average."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb // (1024 * 1024)} GiB"
    except (OSError, ValueError, IndexError):
        mem = "? GiB"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, {mem}, Python {platform.python_version()}, load average {load}"


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCHMARKS.parent, check=False
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def write_section(name: str, title: str, body: str, path: Path = BENCHMARKS) -> None:
    """Replace (or append) the section `name` of docs/benchmarks.md with `body`."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"<!-- bench:{name} -->\n## {title}\n\n"
        f"Measured {stamp} at commit {git_commit()} on: {machine()}.\n\n"
        f"{body.strip()}\n<!-- /bench:{name} -->"
    )
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
