"""The long runs' progress (workflow.harness.progress): a rich bar on a terminal's stderr; nothing with --json, and no
bar when stderr is not a terminal (the notes stay the plain lines they were)."""

from __future__ import annotations

import io

from workflow.harness.progress import progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(stream: io.StringIO, json: bool) -> str:
    with progress("chaos", 4, json=json, stream=stream) as bar:
        bar.note("submitting")
        for _ in range(4):
            bar.advance()
    return stream.getvalue()


def test_on_a_terminal_the_bar_shows_done_of_total() -> None:
    shown = run(Tty(), json=False)
    assert "chaos: submitting" in shown
    assert "4/4" in shown


def test_not_a_terminal_no_bar_only_the_plain_notes() -> None:
    shown = run(io.StringIO(), json=False)
    assert shown == "chaos: submitting\n"


def test_json_is_silent_on_a_terminal_and_off_it() -> None:
    assert run(Tty(), json=True) == ""
    assert run(io.StringIO(), json=True) == ""
