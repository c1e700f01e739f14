"""backend/periodic.py: the loop every sweeper and watcher shares."""

import threading

from backend.errors import DomainError
from backend.periodic import PeriodicWorker


class Scripted(PeriodicWorker):
    """Raises what `script` says, one item a pass, then counts quiet passes."""

    name = "scripted"

    def __init__(self, script, *, wait_first=False):
        super().__init__(interval=0.01)
        self.script, self.passes, self.wait_first = list(script), 0, wait_first
        self.errors_seen: list[str | None] = []
        self.done = threading.Event()

    def run_once(self):
        self.errors_seen.append(self.last_error)
        self.passes += 1
        if self.script:
            raise self.script.pop(0)
        self.done.set()


def test_a_failing_pass_is_recorded_and_the_thread_lives_on():
    worker = Scripted([DomainError("chain.unreachable", "the chain is down"), RuntimeError("a bug")])
    worker.start()
    try:
        assert worker.done.wait(5)
    finally:
        worker.stop()
    # pass 2 saw the outage's message, pass 3 the bug's; the quiet pass cleared it
    assert worker.errors_seen[:3] == [None, "the chain is down", "a bug"]
    assert worker.last_error is None


def test_stop_ends_the_thread_and_wait_first_skips_the_first_pass_when_stopped_at_once():
    worker = Scripted([], wait_first=True)
    worker.interval = 60
    worker.start()
    worker.stop()
    assert worker.passes == 0 and worker._thread is None
