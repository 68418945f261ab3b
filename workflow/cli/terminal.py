"""`orderflow up` on a terminal: one line per order event, made from the structured log records the local system
already writes (no text is parsed).

Two kinds of record reach the console's logging handler (OrderConsole):

- the handlers' records (Powertools' logger, `orderflow`): the message, its extra fields, and the keys bound for the
  invocation (order id, correlation id, function, request id), read from Powertools' formatter;
- the local Lambda runtime's REPORT record after each invocation (workflow.local.lambdas): function, request id,
  duration, error.

The handlers' records of one invocation are held until its REPORT, so each line shows its step and duration; a
REPORT with an error is a failed step (red). An alert's line names its targets and what became of each. Free text
(causes, reasons) is shown with URLs and e-mail addresses masked: no webhook URL or address reaches the terminal.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from handlers.domain.alerts import EMAIL_IN_TEXT

PRETTY, JSON = "pretty", "json"
REPORT_LOGGER = "workflow.local.lambdas"
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_URL = re.compile(r"\b(?:https?|wss?)://\S+", re.IGNORECASE)
_MAX_TEXT = 160
_REMEMBERED = 10_000  # orders whose last status is kept (the "from" of the next change)


def scrub(text: object, limit: int = _MAX_TEXT) -> str:
    """Free text as the console may show it: no URLs, no e-mail addresses, one line, at most `limit` characters."""
    said = EMAIL_IN_TEXT.sub("<address>", _URL.sub("<url>", str(text))).replace("\n", " ").strip()
    return said if len(said) <= limit else said[: limit - 1] + "…"


def short_id(order_id: str | None) -> str:
    """`ord_su4ephi2` of `ord_su4ephi2xmsy6a4ohjew5b3fce`: enough to tell orders apart and to grep for."""
    return (order_id or "")[:12]


def log_format(choice: str | None, stream: TextIO) -> str:
    """--log-format as given, or pretty on a terminal and JSON otherwise (CI, pipes, log shippers)."""
    if choice:
        return choice
    return PRETTY if _isatty(stream) else JSON


def use_colour(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Colours on a terminal only, and never with NO_COLOR set (https://no-color.org)."""
    return _isatty(stream) and not environ.get("NO_COLOR")


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@dataclass(frozen=True)
class Event:
    """One line: `change` is the status change or what happened; `step` and `ms` the invocation that did it."""

    at: float
    order_id: str | None
    change: str
    detail: str = ""
    tone: str = ""  # "", "good", "bad", "warn"
    failure: bool = False  # shown with --quiet
    step: str | None = None
    ms: float | None = None


_TONES = {"good": "32", "bad": "31;1", "warn": "33", "dim": "2"}


def render(event: Event, colour: bool) -> str:
    def paint(text: str, tone: str) -> str:
        return f"\033[{_TONES[tone]}m{text}\033[0m" if colour and tone in _TONES and text else text

    clock = time.strftime("%H:%M:%S", time.localtime(event.at)) + f".{int(event.at * 1000) % 1000:03d}"
    step = ""
    if event.step:
        step = event.step + (f" {event.ms:.0f} ms" if event.ms is not None else "")
    line = f"{paint(clock, 'dim')}  {short_id(event.order_id) or '-':<12}  {paint(f'{event.change:<24}', event.tone)}"
    line += f"  {step:<26}"
    if event.detail:
        line += "  " + (paint(event.detail, "bad") if event.tone == "bad" else event.detail)
    return line.rstrip()


@dataclass
class _Invocation:
    events: list[Event] = field(default_factory=list)
    alerts: list[tuple[Event, Mapping[str, Any]]] = field(default_factory=list)
    failed_targets: dict[str, str] = field(default_factory=dict)
    parked: set[tuple[str, str]] = field(default_factory=set)  # (order id, target)
    unconfigured: dict[str, str] = field(default_factory=dict)
    orders: set[str] = field(default_factory=set)
    since: float = field(default_factory=time.monotonic)


class OrderConsole(logging.Handler):
    """A logging handler that writes one line per order event. `keys` returns the keys Powertools bound for the
    current invocation; `targets` the alert targets that are on (the log is always); `routed` which of them an alert
    goes to (ALERT_ROUTES); `unconfigured` those ALERT_TARGETS names that lack their settings."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        colour: bool = False,
        quiet: bool = False,
        keys: Callable[[], Mapping[str, Any]] = dict,
        targets: Sequence[str] = ("log",),
        unconfigured: Sequence[str] = (),
        routed: Callable[[Mapping[str, Any], Sequence[str]], Iterable[str]] | None = None,
    ) -> None:
        super().__init__(logging.DEBUG)
        self._write = write
        self._colour = colour
        self._quiet = quiet
        self._keys = keys
        self._targets = tuple(targets)
        self._unconfigured = tuple(unconfigured)
        self._routed = routed
        self._open: dict[str, _Invocation] = {}
        self._status: OrderedDict[str, str] = OrderedDict()
        self._guard = threading.Lock()

    # What the system reports outside the logs (the DLQ watch in `orderflow up`).

    def parked(self, queue: str, added: int, total: int) -> None:
        self._show(
            Event(
                time.time(),
                None,
                f"DLQ {queue}",
                f"+{added} parked ({total} held): orderflow dlq show {queue}",
                tone="bad",
                failure=True,
            )
        )

    # logging.Handler

    def emit(self, record: logging.LogRecord) -> None:
        try:
            with self._guard:
                if record.name == REPORT_LOGGER:
                    self._report(record)
                else:
                    self._handler_record(record)
        except Exception:  # the console must never break an invocation
            self.handleError(record)

    def _fields(self, record: logging.LogRecord) -> dict[str, Any]:
        fields: dict[str, Any] = dict(self._keys()) if record.name != REPORT_LOGGER else {}
        fields.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        return fields

    def _handler_record(self, record: logging.LogRecord) -> None:
        f = self._fields(record)
        request = f.get("function_request_id")
        invocation = self._open.setdefault(str(request), _Invocation()) if request else None
        if invocation is not None and f.get("order_id"):
            invocation.orders.add(str(f["order_id"]))
        event = self._event(record, f, invocation)
        if event is None:
            return
        if invocation is None:
            self._show(event)
        else:
            invocation.events.append(event)
        self._expire()

    def _event(self, record: logging.LogRecord, f: Mapping[str, Any], inv: _Invocation | None) -> Event | None:
        at, order, message = record.created, f.get("order_id"), record.getMessage()
        match message:
            case "order accepted":
                return self._change(at, order, "PENDING", "accepted")
            case "order created":
                return self._change(at, order, "CREATED", "")
            case "order fulfilled":
                return self._change(at, order, "FULFILLED", "")
            case "order valid":
                return Event(at, order, "✓ valid", scrub(f"{f.get('total', '')} {f.get('currency', '')}"))
            case "order notification published":
                return Event(at, order, "✓ notified", "order event published")
            case "idempotent replay" | "idempotent replay: the order is written":
                return Event(at, order, "replay", "same Idempotency-Key: the first order's answer")
            case "ORDER FAILED" | "ORDER STUCK":
                stuck = message == "ORDER STUCK"
                order = f.get("alert_order_id") or order
                state = "STUCK" if stuck else "FAILED"
                where = "in" if stuck else "at"
                event = self._change(at, order, state, f"{f.get('error', '?')}: {scrub(f.get('cause', ''))}")
                # The step it failed at (or stopped in), not the AlertHandler that reported it.
                event = replace(event, tone="bad", failure=True, step=f"{where} {f.get('failed_state', '?')}")
                if inv is not None:
                    inv.alerts.append((event, {**f, "alert_type": "ORDER_STUCK" if stuck else "ORDER_FAILED"}))
                return event
            case "ORDER RESOLVED":
                alert = Event(at, f.get("alert_order_id") or order, "alert: resolved", scrub(f.get("reason", "")))
                if inv is not None:
                    inv.alerts.append((alert, f))
                    return None
                return alert
            case "alert configuration":
                problem = str(f.get("problem", ""))
                name = re.match(r"alert target (\w+)", problem)
                if inv is not None and name:
                    inv.unconfigured[name.group(1)] = problem
                return Event(at, None, "alert target", scrub(problem), tone="warn")
            case "alert delivery failed":
                if inv is not None:
                    inv.failed_targets[str(f.get("target"))] = scrub(f.get("reason", ""), 80)
                    return None
            case "alert refused: parked in the alert DLQ, not retried":
                alert_id = str(f.get("alert_id", ""))
                parked_order = alert_id.split("|")[1] if alert_id.startswith("order|") else order
                if inv is not None:
                    inv.parked.add((str(parked_order or ""), str(f.get("target"))))
                return Event(
                    at,
                    parked_order,
                    "DLQ alerts-dlq",
                    f"{f.get('target')} refused the alert: {scrub(f.get('reason', ''))}",
                    tone="bad",
                    failure=True,
                )
            case "duplicate alerts dropped":
                return Event(at, order, "alert: duplicate", f"{f.get('target')} had it already")
            case "invocation failed":
                return None
        return self._other(record, f, message)

    def _other(self, record: logging.LogRecord, f: Mapping[str, Any], message: str) -> Event:
        shown = [f"{k}={scrub(f[k], 80)}" for k in ("status", "target", "count", "reason", "detail") if k in f]
        tone = "bad" if record.levelno >= logging.ERROR else "warn" if record.levelno >= logging.WARNING else ""
        return Event(
            record.created,
            f.get("order_id"),
            scrub(message, 24),
            " ".join(shown),
            tone=tone,
            failure=record.levelno >= logging.ERROR,
        )

    def _change(self, at: float, order: Any, status: str, detail: str) -> Event:
        order_id = str(order) if order else None
        before = self._status.get(order_id) if order_id else None
        if order_id:
            self._status[order_id] = status
            self._status.move_to_end(order_id)
            while len(self._status) > _REMEMBERED:
                self._status.popitem(last=False)
        change = f"{before} → {status}" if before and before != status else f"→ {status}"
        return Event(at, order_id, change, detail, tone="good" if status == "FULFILLED" else "")

    def _report(self, record: logging.LogRecord) -> None:
        f = self._fields(record)
        function, ms = str(f.get("function", "?")), float(f.get("duration_ms") or 0.0)
        invocation = self._open.pop(str(f.get("request_id")), None) or _Invocation()
        for event in invocation.events:
            self._show(event if event.step else replace(event, step=function, ms=ms))
        for event, alert in invocation.alerts:
            self._show(self._alert_line(replace(event, step=function, ms=ms), alert, invocation))
        if f.get("error_type"):
            orders: list[str | None] = [f["order_id"]] if f.get("order_id") else [*sorted(invocation.orders)] or [None]
            for order in orders:
                self._show(
                    Event(
                        record.created,
                        order,
                        "✗ step failed",
                        f"{f['error_type']}: {scrub(f.get('error_message', ''))}",
                        tone="bad",
                        failure=True,
                        step=function,
                        ms=ms,
                    )
                )
        elif f.get("failed_items"):
            self._show(
                Event(
                    record.created,
                    None,
                    "✗ messages failed",
                    f"{f['failed_items']} of {f.get('batch')} (SQS retries them, then parks them in the DLQ)",
                    tone="bad",
                    failure=True,
                    step=function,
                    ms=ms,
                )
            )

    def _alert_line(self, event: Event, alert: Mapping[str, Any], inv: _Invocation) -> Event:
        """Where the alert went: the log always; each target that is on and that ALERT_ROUTES sends it to."""
        on = [t for t in self._targets if t != "log"]
        routed = set(self._routed(alert, on)) if self._routed is not None else set(on)
        said, bad = ["log ✓"], False
        for target in (t for t in on if t in routed):
            if (event.order_id or "", target) in inv.parked:
                said.append(f"{target} refused: parked in the alert DLQ")
                bad = True
            elif target in inv.failed_targets:
                said.append(f"{target} ✗ {inv.failed_targets[target]} (retried)")
                bad = True
            elif target in inv.unconfigured:
                said.append(f"{target} not configured")
            else:
                said.append(f"{target} ✓")
        unconfigured = {*self._unconfigured, *inv.unconfigured} - set(on)
        said += [f"{target} not configured" for target in sorted(unconfigured)]
        if event.change.startswith("alert"):  # a resolution
            return replace(event, detail=f"{event.detail}; to {', '.join(said)}")
        return Event(
            event.at,
            event.order_id,
            "alert not delivered" if bad else "alert sent",
            ", ".join(said),
            tone="bad" if bad else "warn",
            failure=True,
            step=event.step,
            ms=event.ms,
        )

    def _expire(self) -> None:
        """Records of an invocation whose REPORT never came (it cannot happen locally; kept safe anyway)."""
        now = time.monotonic()
        for request, invocation in list(self._open.items()):
            if now - invocation.since > 60:
                del self._open[request]
                for event in invocation.events:
                    self._show(event)

    def _show(self, event: Event) -> None:
        if self._quiet and not event.failure:
            return
        self._write(render(event, self._colour))


def powertools_keys() -> Callable[[], Mapping[str, Any]]:
    """The keys the handlers bound for the current invocation (thread-safe keys of Powertools' formatter)."""
    from handlers.observability import logger

    formatter: Any = logger.registered_formatter
    return lambda: dict(formatter.thread_safe_get_current_keys())


class Installed:
    """The console in place of the handlers' JSON lines, and the REPORT records on; `remove()` puts all back."""

    def __init__(self, console: OrderConsole) -> None:
        from handlers.observability import logger

        self._console = console
        self._handlers_logger = logging.getLogger(logger.service)
        self._report = logging.getLogger(REPORT_LOGGER)
        self._json_handlers = list(self._handlers_logger.handlers)
        self._before = (self._report.level, self._report.propagate, self._handlers_logger.propagate)
        for handler in self._json_handlers:
            self._handlers_logger.removeHandler(handler)
        self._handlers_logger.addHandler(console)
        self._handlers_logger.propagate = False
        self._report.setLevel(logging.DEBUG)
        self._report.propagate = False
        self._report.addHandler(console)

    def remove(self) -> None:
        self._report.removeHandler(self._console)
        self._handlers_logger.removeHandler(self._console)
        for handler in self._json_handlers:
            self._handlers_logger.addHandler(handler)
        self._report.setLevel(self._before[0])
        self._report.propagate, self._handlers_logger.propagate = self._before[1], self._before[2]
