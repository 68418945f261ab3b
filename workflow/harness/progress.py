"""Progress of a long run (`orderflow chaos`, `fuzz`, `cost`, `make bench`) on stderr: done/total, rate and ETA with
rich, on a terminal only. With --json, or when stderr is not a terminal (CI, a pipe), no bar: the run's notes go out
as the plain lines they always were (`chaos: waiting for the system to settle`), and with --json not even those.

    with progress("chaos", total=120, json=args.json) as bar:
        bar.note("submitting")      # the bar's caption on a terminal; a plain line otherwise
        bar.advance()               # one more done
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class Bar:
    """What a run reports: notes, and units done. Silent unless made by progress() on a terminal."""

    def __init__(self, name: str, stream: TextIO, lines: bool, rich: Any = None, task: Any = None) -> None:
        self._name, self._stream, self._lines, self._rich, self._task = name, stream, lines, rich, task

    def note(self, text: str) -> None:
        if self._rich is not None:
            self._rich.update(self._task, description=f"{self._name}: {text}")
        elif self._lines:
            print(f"{self._name}: {text}", file=self._stream, flush=True)

    def advance(self, done: int = 1) -> None:
        if self._rich is not None:
            self._rich.advance(self._task, done)

    def total(self, total: int) -> None:
        if self._rich is not None:
            self._rich.update(self._task, total=total)


def shows_bar(stream: TextIO, json: bool) -> bool:
    try:
        return not json and bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress(name: str, total: int | None, *, json: bool = False, stream: TextIO | None = None) -> Iterator[Bar]:
    """A Bar for a run of `total` units (None: unknown until Bar.total)."""
    out = stream if stream is not None else sys.stderr
    if not shows_bar(out, json):
        yield Bar(name, out, lines=not json)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed:.1f}/s" if task.speed else "", style="progress.data.speed")

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=out), transient=False) as rich:
        task = rich.add_task(name, total=total)
        yield Bar(name, out, lines=False, rich=rich, task=task)
