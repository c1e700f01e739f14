"""The background workers that need no order book, in a process of their own.

Order entry is Python threads under one interpreter lock. The settlement worker (encoding and
sending settle() batches, reading receipts), the compliance mirror (a pass over every asset
each second) and audit anchoring need only the database and the chain, so by default
(RWA_WORKERS=process) they run in a child process, `python -m backend.workers`, and no longer
take the interpreter lock from order entry. The watchers that act on the in-memory venue
(order expiry, the dead-man's switch, on-chain cancels) stay in the service process.
RWA_WORKERS=thread runs the three in the service process as before (the in-process test
client does, so tests can reach app.state.settlement).

The service's lifespan starts the child and stops it, so every way of serving the app
(`rwa serve`, `make demo`, `uvicorn --factory`) gets it. The child:

- dies with its parent, however the parent dies (SIGKILL included): on Linux the kernel sends
  it SIGKILL when the thread that started it ends (prctl PR_SET_PDEATHSIG), and a watch of
  getppid() does the same on any platform within PARENT_POLL seconds. A settlement worker
  left running beside the next service would be two senders on one hot key;
- is restarted by the parent when it exits unexpectedly, after 1 s, doubling up to 30 s
  (back to 1 s once a run lasted a minute); each exit and restart is logged, and /health
  shows the process (pid, state, restarts, last exit code), degraded while it is down;
- reports each worker's last error and the settlement backlog to the parent as a JSON line
  on its stdout every STATUS_INTERVAL seconds. The backlog order admission sheds on is the
  parent's own count of unsettled trades (a thread of the parent, every STATUS_INTERVAL), so
  the bound holds while the child is silent, restarting or dead. A child that
  stays alive but stops reporting (stopped, frozen) is `silent` after SILENT_AFTER seconds
  (/health degraded) and is killed, so restarted, after WEDGED_AFTER;
- opens the database with the service's own engine factory (backend/db.py: WAL, the same
  busy timeout), from the settings the parent hands it on stdin (secrets never in argv).

Nothing is lost or doubled when it is killed: the settlement worker is idempotent end to
end (backend/settlement/worker.py, "Crashes"). One settlement worker per database: two
services on one database were already two senders, and still are (docs/operations.md).
`rwa workers` runs the same loop from the environment, for a supervisor of your own.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import IO, Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.chain.client import Chain
from backend.compliance.worker import MirrorWorker
from backend.config import ROOT, Settings, settings_from_env
from backend.db import make_engine
from backend.governance.anchoring import AnchorWorker
from backend.settlement.worker import SettlementWorker, unsettled_count

log = logging.getLogger(__name__)

STATUS_INTERVAL = 0.5  # seconds between the child's reports
PARENT_POLL = 0.2  # seconds between the child's looks at its parent
STOP_GRACE = 5.0  # the child's workers get this long to stop on SIGTERM
KILL_AFTER = 8.0  # the parent's wait after SIGTERM before SIGKILL
BACKOFF_FIRST, BACKOFF_MAX, STABLE_AFTER = 1.0, 30.0, 60.0
SILENT_AFTER = 4 * STATUS_INTERVAL  # no report for this long: the child is `silent`
WEDGED_AFTER = 30.0  # silent this long: killed (and so restarted)
PR_SET_PDEATHSIG = 1


class Worker(Protocol):
    last_error: str | None

    def start(self) -> None: ...

    def stop(self) -> None: ...


def build(db: Engine, chain: Chain, settings: Settings) -> dict[str, Worker]:
    """The workers `settings` enables, by their app.state name."""
    workers: dict[str, Worker] = {}
    if settings.settlement_enabled:
        workers["settlement"] = SettlementWorker(db, chain, settings)
    if settings.compliance_sync_enabled:
        workers["compliance_mirror"] = MirrorWorker(db, chain, interval_ms=settings.compliance_sync_interval_ms)
    if settings.audit_anchor_interval_s:
        workers["anchors"] = AnchorWorker(db, chain, interval_s=settings.audit_anchor_interval_s)
    return workers


def enabled(settings: Settings) -> list[str]:
    """The names `build` would start, without building anything."""
    flags = {
        "settlement": settings.settlement_enabled,
        "compliance_mirror": settings.compliance_sync_enabled,
        "anchors": bool(settings.audit_anchor_interval_s),
    }
    return [name for name, on in flags.items() if on]


def stop_all(workers: dict[str, Worker], timeout: float | None = None) -> None:
    """Stop in reverse order of start; with `timeout`, give up waiting after that long (the
    threads are daemons: a pass cut off is what a crash is, and every worker survives that)."""

    def stop_each() -> None:
        for worker in reversed(workers.values()):
            worker.stop()

    stopper = threading.Thread(target=stop_each, name="stop-workers", daemon=True)
    stopper.start()
    stopper.join(timeout)


# --- the child ------------------------------------------------------------------------------
def die_with_parent(parent: int) -> None:
    """SIGKILL this process as soon as `parent` is gone, whichever way it went."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the prctl took effect
        os._exit(1)

    def watch() -> None:  # the backstop: other platforms, or a death the kernel did not signal
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def status(workers: dict[str, Worker]) -> dict[str, dict[str, Any]]:
    return {
        name: {"last_error": worker.last_error, "backlog": getattr(worker, "backlog", None)}
        for name, worker in workers.items()
    }


def serve(settings: Settings, stop: threading.Event, report: IO[str] | None = None) -> None:
    """Run the enabled workers until `stop` is set, reporting to `report` if given."""
    workers = build(make_engine(settings.database_url), Chain(settings), settings)
    for worker in workers.values():
        worker.start()
    log.info("worker process %d running: %s", os.getpid(), ", ".join(workers) or "nothing enabled")
    while True:
        if report is not None:
            try:
                report.write(json.dumps(status(workers)) + "\n")
                report.flush()
            except (BrokenPipeError, ValueError):  # the parent is gone: the watch ends us too
                break
        if stop.wait(STATUS_INTERVAL):
            break
    stop_all(workers, timeout=STOP_GRACE)


def main(argv: list[str] | None = None) -> int:
    """`python -m backend.workers [--parent PID]`: with --parent, settings come as one JSON line
    on stdin and reports go to stdout; without, settings come from the environment."""
    args = sys.argv[1:] if argv is None else argv
    parent = int(args[args.index("--parent") + 1]) if "--parent" in args else None
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:workers[%(process)d]:%(name)s:%(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if parent is None:
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        serve(settings_from_env(), stop)
        return 0
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us itself
    settings = Settings.model_validate_json(sys.stdin.readline())
    report = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything printed goes to the log, not into the reports
    serve(settings, stop, report)
    return 0


# --- the parent -------------------------------------------------------------------------------
class WorkerStatus:
    """A worker of the child process as the service sees it (app.state.settlement and
    app.state.compliance_mirror in process mode): its last reported error and backlog."""

    def __init__(self) -> None:
        self.last_error: str | None = None
        self.backlog: int | None = None


class WorkerProcess:
    """Starts `python -m backend.workers` and keeps it running until `stop`."""

    def __init__(self, settings: Settings, names: list[str], db: Engine | None = None):
        self.settings = settings
        self.workers = {name: WorkerStatus() for name in names}
        # The settlement backlog counted here (see the module's docstring), not taken from reports.
        self._db = db if "settlement" in self.workers else None
        self._state = "stopped"  # starting, running, restarting, stopped (`silent`: see state)
        self._reported = 0.0  # time.monotonic() of the child's last report
        self.pid: int | None = None
        self.restarts = 0
        self.last_exit_code: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        # The supervising thread starts every child and lives as long as they do: the kernel's
        # parent-death signal follows the thread that started the process, not the process.
        self._stop.clear()
        self._thread = threading.Thread(target=self._supervise, name="worker-process", daemon=True)
        self._thread.start()
        threading.Thread(target=self._watch, name="worker-process-watch", daemon=True).start()
        if self._db is not None:
            threading.Thread(target=self._count_backlog, name="settlement-backlog", daemon=True).start()

    @property
    def state(self) -> str:
        """starting, running, silent (running, but no report for SILENT_AFTER), restarting, stopped."""
        if self._state == "running" and time.monotonic() - self._reported > SILENT_AFTER:
            return "silent"
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        self._state = value

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=KILL_AFTER)
            except subprocess.TimeoutExpired:
                log.warning("the worker process %d did not stop in %.0f s: killed", process.pid, KILL_AFTER)
                process.kill()
        if self._thread is not None:
            self._thread.join(timeout=KILL_AFTER)
        self.state = "stopped"

    def health(self) -> dict[str, Any]:
        return {
            "mode": "process",
            "state": self.state,
            "pid": self.pid,
            "restarts": self.restarts,
            "last_exit_code": self.last_exit_code,
        }

    def _supervise(self) -> None:
        backoff = BACKOFF_FIRST
        while not self._stop.is_set():
            began = time.monotonic()
            code = self._run_child()
            if self._stop.is_set() or code is None:
                break
            self.restarts += 1
            self.last_exit_code = code
            self.state = "restarting"
            if time.monotonic() - began > STABLE_AFTER:
                backoff = BACKOFF_FIRST
            log.error(
                "the worker process %s exited with %s: restarting it in %.0f s (restart %d)",
                self.pid,
                code,
                backoff,
                self.restarts,
            )
            if self._stop.wait(backoff):
                break
            backoff = min(backoff * 2, BACKOFF_MAX)
        self.state = "stopped"

    def _run_child(self) -> int | None:
        """Start the child, take its reports until it exits; its exit code (None: stopping)."""
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}
        command = [sys.executable, "-m", "backend.workers", "--parent", str(os.getpid())]
        with self._lock:
            if self._stop.is_set():
                return None
            self.state = "starting"
            # A process group of its own: a Ctrl-C in the terminal reaches the service only,
            # which stops the child itself (even one still importing, before it ignores SIGINT).
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, process_group=0
            )
            self._process, self.pid = process, process.pid
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(self.settings.model_dump_json() + "\n")
            process.stdin.close()
        except BrokenPipeError:
            pass  # it died at once: its exit code tells
        if self.restarts:
            log.warning("worker process restarted: pid %d", process.pid)
        for line in process.stdout:
            self._take(line)
        return process.wait()

    def _watch(self) -> None:
        """Kill a child silent for WEDGED_AFTER: the supervisor then restarts it."""
        while not self._stop.wait(STATUS_INTERVAL):
            with self._lock:
                process = self._process
            silent = time.monotonic() - self._reported
            if self.state == "silent" and silent > WEDGED_AFTER and process is not None and process.poll() is None:
                log.error("the worker process %d has not reported for %.0f s: killing it", process.pid, silent)
                process.kill()

    def _count_backlog(self) -> None:
        """The unsettled trades, every STATUS_INTERVAL, whatever the child is doing."""
        assert self._db is not None
        while not self._stop.is_set():
            try:
                with Session(self._db) as session:
                    self.workers["settlement"].backlog = unsettled_count(session)
            except Exception:  # e.g. the database busy: the last count stands, try again
                log.warning("counting the settlement backlog failed", exc_info=True)
            if self._stop.wait(STATUS_INTERVAL):
                break

    def _take(self, line: str) -> None:
        try:
            reports = json.loads(line)
        except ValueError:
            return
        self._reported = time.monotonic()
        self.state = "running"
        for name, report in reports.items():
            worker = self.workers.get(name)
            if worker is not None:
                worker.last_error = report.get("last_error")
                if not (name == "settlement" and self._db is not None):
                    worker.backlog = report.get("backlog")


if __name__ == "__main__":
    raise SystemExit(main())
