"""One bounded wait with backoff, for every poll loop of the local system, the CLI, the tests and the notebooks.

    order = poll_until(lambda: store.get(order_id), timeout=30, what=f"order {order_id}")

Tight polling from many threads starves moto's interpreter, so the delay grows (x1.5) from `first` to `longest`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    pass


def poll_until(
    check: Callable[[], T | None],
    *,
    timeout: float = 20.0,
    what: str = "the condition",
    first: float = 0.01,
    longest: float = 0.2,
    describe: Callable[[], str] | None = None,
) -> T:
    """Calls `check` until it returns something truthy, and returns that; raises WaitTimeout after `timeout`
    seconds, saying `what` was awaited (and, with `describe`, what was seen last)."""
    deadline = time.monotonic() + timeout
    delay = first
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            seen = f" ({describe()})" if describe else ""
            raise WaitTimeout(f"{what} not reached within {timeout} s{seen}")
        time.sleep(delay)
        delay = min(delay * 1.5, longest)
