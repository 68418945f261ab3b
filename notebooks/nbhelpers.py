"""Plumbing the notebooks share, kept out of their cells so that the cells show the workflow, not the wiring:
the handlers' log lines collected instead of printed, posting an order as a client does, an execution history as
rows for pandas, and a Slack message drawn as HTML. The sample order, the loopback webhook receiver and the bounded
wait are the ones the tests and chaos use (workflow.local.samples, .receiver, .waiting).

The notebooks import it from their own folder (Jupyter starts a kernel in the notebook's folder).
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import re
import sys
import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO, cast

import requests

HTTP_TIMEOUT = 10.0


class HandlerLogs:
    """The JSON lines the handlers log, collected here instead of printed into the notebook.

    In the local runtime every handler runs in this kernel, on a background thread (the API server, the Step
    Functions interpreter, the queue poller), and Jupyter shows a background thread's output under whichever cell
    happens to be running. Lines written by the notebook's own thread still print as usual."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._partial: dict[int, str] = {}
        self._lock = threading.Lock()
        self._stdout: TextIO | None = None

    def install(self) -> HandlerLogs:
        from handlers.observability import logger  # the Powertools logger every handler writes through

        if self._stdout is None:
            current = sys.stdout
            # Installed again (a notebook run twice in one kernel): replace the earlier collector, do not stack.
            self._stdout = current._cell if isinstance(current, _ByThread) else current
            sys.stdout = cast(TextIO, _ByThread(self._stdout, self))
        for handler in logging.getLogger(logger.service).handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(self)
        return self

    def uninstall(self) -> None:
        if self._stdout is not None:
            sys.stdout = self._stdout
            self._stdout = None

    def write(self, text: str) -> int:
        """Whole lines only: print() writes a line and its newline separately, and threads interleave."""
        thread = threading.get_ident()
        with self._lock:
            pending = self._partial.pop(thread, "") + text
            *complete, rest = pending.split("\n")
            self.lines += [line for line in complete if line.strip()]
            if rest:
                self._partial[thread] = rest
        return len(text)

    def flush(self) -> None:
        pass

    def records(self, level: str | None = None) -> list[dict[str, Any]]:
        """The lines that are JSON objects (all the handlers write), optionally of one level (INFO, ERROR...)."""
        with self._lock:
            lines = list(self.lines)
        found = []
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and (level is None or record.get("level") == level):
                found.append(record)
        return found


class _ByThread:
    """sys.stdout for the notebook's own thread; every other thread's output goes to the log collector."""

    def __init__(self, cell: TextIO, logs: HandlerLogs) -> None:
        self._cell = cell
        self._logs = logs

    def write(self, text: str) -> int:
        if threading.current_thread() is threading.main_thread():
            return self._cell.write(text)
        return self._logs.write(text)

    def flush(self) -> None:
        self._cell.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cell, name)


def post_order(api_url: str, order: Mapping[str, Any], key: str | None = None) -> requests.Response:
    """POST /orders as a client would, with an Idempotency-Key (a new one unless given)."""
    return requests.post(
        f"{api_url}/orders",
        json=order,
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
        timeout=HTTP_TIMEOUT,
    )


def _timestamp(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value))


def _detail(event: Mapping[str, Any]) -> str:
    """The one thing worth reading in an event's details: an error and its cause, or what a task calls."""
    for key, value in event.items():
        if not key.endswith("EventDetails") or not isinstance(value, Mapping):
            continue
        if "error" in value:
            cause = str(value.get("cause") or "")
            with contextlib.suppress(json.JSONDecodeError, AttributeError):  # a Lambda error's cause is JSON
                cause = str(json.loads(cause).get("errorMessage", cause))
            text = f"{value['error']}: {cause}" if cause else str(value["error"])
            return text if len(text) <= 90 else text[:89] + "…"
        if "resource" in value and str(event["type"]).endswith("Scheduled"):
            return f"{value.get('resourceType', '')}:{value['resource']}".strip(":")
    return ""


def history_rows(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per event: when (ms after the execution started), what, in which state, and any error.

    The state is the one most recently entered: right for a workflow without Parallel or Map states, as this one."""
    rows = []
    started: datetime | None = None
    state = ""
    for event in sorted(events, key=lambda e: int(e["id"])):
        at = _timestamp(event["timestamp"])
        started = started or at
        details = next((v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, Mapping)), {})
        if str(event["type"]).endswith("StateEntered"):
            state = str(details.get("name", ""))
        rows.append(
            {
                "id": int(event["id"]),
                "ms": round((at - started).total_seconds() * 1000),
                "type": str(event["type"]),
                "state": state if not str(event["type"]).startswith("Execution") else "",
                "detail": _detail(event),
            }
        )
    return rows


def _mrkdwn(text: str) -> str:
    """Enough of Slack's mrkdwn for an alert: ```pre```, `code`, *bold*, newlines."""
    escaped = html.escape(text)
    escaped = re.sub(r"```(.*?)```", r"<pre style='margin:4px 0'>\1</pre>", escaped, flags=re.S)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    escaped = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", escaped)
    return escaped.replace("\n", "<br>")


def slack_card(message: Mapping[str, Any]) -> str:
    """A Block Kit message as HTML, roughly as Slack shows it (header, fields, sections, buttons)."""
    parts = []
    for block in message.get("blocks", []):
        kind = block.get("type")
        if kind == "header":
            parts.append(f"<div style='font-size:1.15em;font-weight:bold'>{html.escape(block['text']['text'])}</div>")
        elif kind == "section":
            if "text" in block:
                parts.append(f"<div>{_mrkdwn(block['text']['text'])}</div>")
            if "fields" in block:
                cells = "".join(
                    f"<div style='padding:2px 12px 6px 0'>{_mrkdwn(f['text'])}</div>" for f in block["fields"]
                )
                parts.append(f"<div style='display:grid;grid-template-columns:1fr 1fr'>{cells}</div>")
        elif kind == "actions":
            buttons = "".join(
                f"<span style='border:1px solid #bbb;border-radius:4px;padding:2px 8px;margin-right:6px'>"
                f"{html.escape(e['text']['text'])}</span>"
                for e in block.get("elements", [])
            )
            parts.append(f"<div style='margin-top:6px'>{buttons}</div>")
    body = "".join(f"<div style='margin:6px 0'>{part}</div>" for part in parts)
    return (
        "<div style='border-left:4px solid #d93025;padding:4px 12px;max-width:760px;"
        f"font-family:sans-serif;font-size:13px'>{body}</div>"
    )
