"""Who is told of each TestState answer and each run (the suite's edge coverage: tests/support/edge_coverage.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflow.testing.runs import Run
    from workflow.testing.states import StateResult


@dataclass(frozen=True)
class Heard:
    """One TestState answer (`result`, for `state_name` of `definition`) or one whole run (`run`, of `definition`)."""

    definition: str
    state_name: str | None
    result: StateResult | None = None
    run: Run | None = None


# Told of every TestState answer and run, in the calling thread; an observer must not raise.
OBSERVERS: list[Callable[[Heard], None]] = []


def tell(heard: Heard) -> None:
    for observer in list(OBSERVERS):
        observer(heard)
