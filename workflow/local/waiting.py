"""One bounded wait with backoff, for every poll loop of the local system, the CLI, the tests and the notebooks;
and `quiesce`, the wait for a local system to settle.

    order = poll_until(lambda: store.get(order_id), timeout=30, what=f"order {order_id}")
    quiesce(runtime, timeout=120)

Tight polling from many threads starves moto's interpreter, so the delay grows (x1.5) from `first` to `longest`.
Given `changes` (a Watch on what `check` reads, e.g. writes to one order), the wait between checks ends as soon as
there is a change: no check is wasted on nothing new, and none comes late.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from workflow.manifest import Manifest

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    pass


class Changes:
    """Change counters, one per key, that waiters sleep on: `changed(key)` wakes whoever waits for a change of that
    key after the count they saw. `watch(key)` is what poll_until takes."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._counts: dict[str, int] = {}

    def changed(self, *keys: str) -> None:
        with self._condition:
            for key in keys:
                self._counts[key] = self._counts.get(key, 0) + 1
            self._condition.notify_all()

    def watch(self, key: str) -> Watch:
        return Watch(self, key)

    def _count(self, key: str) -> int:
        with self._condition:
            return self._counts.get(key, 0)

    def _wait_after(self, key: str, count: int, timeout: float) -> None:
        with self._condition:
            self._condition.wait_for(lambda: self._counts.get(key, 0) != count, timeout)


class Watch:
    """One key's changes."""

    def __init__(self, changes: Changes, key: str) -> None:
        self._changes = changes
        self._key = key

    @property
    def count(self) -> int:
        return self._changes._count(self._key)

    def wait_after(self, count: int, timeout: float) -> None:
        """Until the key changed after `count`, or `timeout` seconds."""
        self._changes._wait_after(self._key, count, timeout)


def poll_until(
    check: Callable[[], T | None],
    *,
    timeout: float = 20.0,
    what: str = "the condition",
    first: float = 0.01,
    longest: float = 0.2,
    describe: Callable[[], str] | None = None,
    changes: Watch | None = None,
) -> T:
    """Calls `check` until it returns something truthy, and returns that; raises WaitTimeout after `timeout`
    seconds, saying `what` was awaited (and, with `describe`, what was seen last)."""
    deadline = time.monotonic() + timeout
    delay = first
    while True:
        count = changes.count if changes is not None else 0
        result = check()
        if result:
            return result
        left = deadline - time.monotonic()
        if left <= 0:
            seen = f" ({describe()})" if describe else ""
            raise WaitTimeout(f"{what} not reached within {timeout} s{seen}")
        if changes is not None:
            changes.wait_after(count, min(longest, left))  # the longest wait: a change missed is a check late
        else:
            time.sleep(min(delay, left))
            delay = min(delay * 1.5, longest)


class Settling(Protocol):
    """What `quiesce` reads of a system (a LocalRuntime)."""

    manifest: Manifest

    def running_executions(self) -> int: ...

    def messages_in(self, queue: str) -> int: ...


def quiesce(system: Settling, timeout: float) -> None:
    """Until no execution runs and no queue a function consumes holds anything."""
    consumed = [q.name for q in system.manifest.queues if system.manifest.consumers(q.name)]
    seen: dict[str, int] = {}

    def quiet() -> bool:
        running = system.running_executions()
        seen["running"], seen["queued"] = running, sum(system.messages_in(queue) for queue in consumed)
        return not seen["running"] and not seen["queued"]

    poll_until(
        quiet,
        timeout=timeout,
        what="a quiet system",
        first=0.1,
        longest=1.0,
        describe=lambda: f"{seen.get('running')} running, {seen.get('queued')} queued",
    )
