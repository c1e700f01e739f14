"""A background thread that runs one pass of work every `interval` seconds.

The service's sweepers and watchers (order expiry, the dead-man's switch, on-chain cancels, the
compliance mirror, audit anchoring) share this loop: start, stop, and `last_error` (what the
health check shows) behave the same for each. A pass that raises is logged and the thread lives
on; an expected outage (a domain error such as "chain unreachable": anything with a `message`) is
logged once per new message instead of with a traceback every tick.
"""

from __future__ import annotations

import logging
import threading


class PeriodicWorker:
    """Subclasses implement `run_once`; `name` names the thread and the log lines."""

    name = "worker"
    wait_first = False  # True: the first pass comes one interval after start

    def __init__(self, *, interval: float):
        self.interval = interval
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._log = logging.getLogger(type(self).__module__)

    def run_once(self) -> object:
        raise NotImplementedError

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
            self._thread = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _loop(self) -> None:
        if self.wait_first and self._stop.wait(self.interval):
            return
        while not self._stop.is_set():
            try:
                self.run_once()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001  (the worker must outlive any one pass; logged below)
                expected = getattr(exc, "message", None)  # a DomainError: an outage, not a bug
                if isinstance(expected, str):
                    if expected != self.last_error:
                        self._log.warning("%s: %s (retrying)", self.name, expected)
                    self.last_error = expected
                else:
                    self._log.exception("%s pass failed", self.name)
                    self.last_error = str(exc)
            self._stop.wait(self.interval)
