"""`orderflow up`'s console (workflow.cli.terminal), on the running local system and as the real command on a
pseudo-terminal: a fulfilled and a failed order's lines, and the handlers' JSON lines back once the console is gone.
The formatter's own cases are in tests/unit/test_terminal.py."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import pytest

from tests.unit.test_terminal import RED, Tty
from workflow.local.runtime import LocalRuntime


def post(runtime: LocalRuntime, body: dict[str, Any], key: str) -> str:
    event = {
        "version": "2.0",
        "routeKey": "POST /orders",
        "rawPath": "/orders",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "idempotency-key": key},
        "requestContext": {"requestId": key, "http": {"method": "POST", "path": "/orders", "sourceIp": "127.0.0.1"}},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
    answer = runtime.invoke_api(event)
    assert answer["statusCode"] == 202, answer
    return str(json.loads(answer["body"])["orderId"])


def test_orderflow_up_on_a_terminal_prints_order_lines_and_json_is_back_after(
    runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflow.cli import system
    from workflow.local.samples import sample_order

    screen = Tty()
    monkeypatch.setattr(sys, "stdout", screen)
    monkeypatch.delenv("NO_COLOR", raising=False)
    handlers_logger = logging.getLogger("orderflow")
    json_handlers = list(handlers_logger.handlers)
    installed, _ = system._console(runtime, ["log"], [], quiet=False)
    try:
        good = post(runtime, sample_order(), "terminal-good")
        bad = post(runtime, {**sample_order(), "currency": "XYZ"}, "terminal-bad")
        runtime.wait_for_order(good, ["FULFILLED"], timeout=20)
        deadline = time.monotonic() + 20
        while "→ FAILED" not in screen.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        installed.remove()
    lines = screen.getvalue().splitlines()
    assert any(good[:12] in line and "CREATED → FULFILLED" in line and "ProcessOrderWorker" in line for line in lines)
    failed = [line for line in lines if bad[:12] in line]
    assert any("step failed" in line and RED in line and "OrderValidationError" in line for line in failed), lines
    assert any("→ FAILED" in line and "ValidateOrder" in line for line in failed), lines
    # No handler's JSON on the terminal. (This shared runtime prints an invocation's uncaught error as a JSON line
    # itself, as Lambda writes it to the function's log; `orderflow up` turns that off on a terminal.)
    assert not [line for line in lines if line.lstrip().startswith("{") and "invocation failed" not in line]
    assert handlers_logger.handlers == json_handlers  # JSON lines again once the console is gone


def test_orderflow_up_on_a_pseudo_terminal_prints_coloured_order_lines() -> None:
    """The real command on a real pseudo-terminal (not an isatty stub): it picks the pretty format itself, a good
    order's lines end FULFILLED, a bad one's failure is red, and no JSON reaches the screen."""
    import os
    import pty
    import select
    import signal
    import subprocess

    import requests

    from workflow.local.samples import sample_order

    master, slave = pty.openpty()
    command = [sys.executable, "-m", "workflow.cli", "up", "--port", "0", "--aws-port", "0", "--console-port", "0"]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    process = subprocess.Popen(command, stdout=slave, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    screen = ""

    def read_until(text: str, seconds: float) -> None:
        nonlocal screen
        deadline = time.monotonic() + seconds
        while text not in screen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    screen += os.read(master, 65536).decode("utf-8", "replace")
                except OSError:  # the command ended
                    break
        assert text in screen, screen[-3000:]

    try:
        read_until("Ctrl-C stops.", 60)
        api = screen.split("API:", 1)[1].split(maxsplit=1)[0]
        good = requests.post(f"{api}/orders", json=sample_order(), headers={"Idempotency-Key": "pty-good"}, timeout=10)
        bad = requests.post(
            f"{api}/orders",
            json={**sample_order(), "currency": "XYZ"},
            headers={"Idempotency-Key": "pty-bad"},
            timeout=10,
        )
        good_id, bad_id = good.json()["orderId"], bad.json()["orderId"]
        read_until("CREATED → FULFILLED", 30)
        read_until("→ FAILED", 30)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
        os.close(master)
    lines = screen.replace("\r\n", "\n").splitlines()
    assert any(good_id[:12] in line and "FULFILLED" in line for line in lines), lines
    assert any(bad_id[:12] in line and "step failed" in line and RED in line for line in lines), lines
    assert not [line for line in lines if line.lstrip().startswith("{")]
