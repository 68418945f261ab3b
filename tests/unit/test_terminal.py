"""`orderflow up`'s console (workflow.cli.terminal): one line per order event from the structured records, red
failures only with colour, --quiet, nothing secret; pretty on a terminal and JSON otherwise."""

from __future__ import annotations

import io
import logging
from typing import Any

from workflow.cli import terminal
from workflow.cli.terminal import REPORT_LOGGER, OrderConsole

RED = "\033[31;1m"
ORDER, BAD = "ord_su4ephi2xmsy6a4ohjew5b3fce", "ord_ppvri2hf5oujeqjad2siqt3crd"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def record(message: str, level: int = logging.INFO, name: str = "orderflow", **extra: Any) -> logging.LogRecord:
    made = logging.makeLogRecord({"name": name, "msg": message, "levelno": level, "levelname": "X", **extra})
    made.created = 1_700_000_000.25
    return made


def report(function: str, request: str, ms: float = 12.0, **extra: Any) -> logging.LogRecord:
    return record(
        "REPORT", logging.DEBUG, REPORT_LOGGER, function=function, request_id=request, duration_ms=ms, **extra
    )


class Keys:
    """Stands in for Powertools' bound keys (what `observability.bind` set for the invocation)."""

    def __init__(self) -> None:
        self.now: dict[str, Any] = {}

    def __call__(self) -> dict[str, Any]:
        return self.now


def feed(console: OrderConsole, keys: Keys, function: str, request: str, order: str | None, *records: Any) -> None:
    keys.now = {"function_name": function, "function_request_id": request, "order_id": order}
    for made in records:
        console.handle(made)
    console.handle(report(function, request, order_id=order if function.endswith("Order") else None))


def run_orders(colour: bool = False, quiet: bool = False) -> list[str]:
    lines: list[str] = []
    keys = Keys()
    console = OrderConsole(
        lines.append, colour=colour, quiet=quiet, keys=keys, targets=["log", "slack"], unconfigured=["teams"]
    )
    feed(console, keys, "StartWorkflow", "r1", ORDER, record("order accepted", execution_arn="arn:…"))
    feed(console, keys, "ValidateOrder", "r2", ORDER, record("order valid", total="25.00", currency="EUR"))
    feed(console, keys, "CreateOrder", "r3", ORDER, record("order created", newly_created=True))
    feed(console, keys, "ProcessOrderWorker", "r4", ORDER, record("order fulfilled"))
    feed(console, keys, "StartWorkflow", "r5", BAD, record("order accepted"))
    keys.now = {"function_name": "ValidateOrder", "function_request_id": "r6", "order_id": BAD}
    console.handle(
        report(
            "ValidateOrder",
            "r6",
            order_id=BAD,
            error_type="OrderValidationError",
            error_message="currency: XYZ is not an ISO 4217 currency code",
        )
    )
    failed = record(
        "ORDER FAILED",
        logging.ERROR,
        alert_order_id=BAD,
        failed_state="ValidateOrder",
        error="OrderValidationError",
        cause="currency: XYZ is not an ISO 4217 currency code; see https://hooks.slack.com/services/T0/B0/secret",
        execution_arn="arn:aws:states:…",
    )
    feed(
        console,
        keys,
        "AlertHandler",
        "r7",
        None,
        failed,
        record("alert delivery failed", logging.ERROR, target="slack", reason="503 from ops@example.com"),
    )
    return lines


def test_a_fulfilled_order_is_one_line_per_status_change_with_its_step_and_duration() -> None:
    lines = run_orders()
    mine = [line for line in lines if "ord_su4ephi2" in line]
    assert "→ PENDING" in mine[0]
    assert "StartWorkflow 12 ms" in mine[0]
    assert "✓ valid" in mine[1]
    assert "25.00 EUR" in mine[1]
    assert "PENDING → CREATED" in mine[2]
    assert "CreateOrder 12 ms" in mine[2]
    assert "CREATED → FULFILLED" in mine[3]
    assert "ProcessOrderWorker" in mine[3]
    assert len(mine) == 4
    assert not any("\033[" in line for line in lines)


def test_a_failed_order_names_its_step_and_reason_and_the_alert_its_targets() -> None:
    lines = [line for line in run_orders() if "ord_ppvri2hf" in line]
    step, failed, alert = lines[1], lines[2], lines[3]
    assert "✗ step failed" in step
    assert "ValidateOrder" in step
    assert "OrderValidationError: currency: XYZ" in step
    assert "PENDING → FAILED" in failed
    assert "at ValidateOrder" in failed
    assert "AlertHandler" not in failed
    assert "alert not delivered" in alert
    assert "log ✓" in alert
    assert "slack ✗" in alert
    assert "(retried)" in alert
    assert "teams not configured" in alert
    # No webhook URL, no address, reaches the terminal.
    assert not any("hooks.slack.com" in line or "@example.com" in line for line in lines)


def test_failures_are_red_only_with_colour_on() -> None:
    coloured = run_orders(colour=True)
    assert all(RED in line for line in coloured if "step failed" in line or "→ FAILED" in line)
    assert not any(RED in line for line in coloured if "FULFILLED" in line or "→ PENDING" in line)


def test_quiet_prints_only_failures() -> None:
    quiet = run_orders(quiet=True)
    assert quiet
    assert not any("ord_su4ephi2" in line for line in quiet)
    assert any("step failed" in line for line in quiet)
    assert any("→ FAILED" in line for line in quiet)
    assert any("alert" in line for line in quiet)


def test_a_refused_alert_is_a_dlq_park_and_a_dlq_depth_is_a_line() -> None:
    lines: list[str] = []
    keys = Keys()
    console = OrderConsole(lines.append, keys=keys, targets=["log", "pagerduty"])
    parked = record(
        "alert refused: parked in the alert DLQ, not retried",
        logging.ERROR,
        target="pagerduty",
        reason="400 invalid routing key",
        alert_id=f"order|{BAD}|ValidateOrder|OrderValidationError|x",
    )
    failed = record("ORDER FAILED", logging.ERROR, alert_order_id=BAD, failed_state="ValidateOrder", error="E")
    feed(console, keys, "AlertHandler", "r1", None, failed, parked)
    console.parked("orders-dlq", 1, 3)
    assert any("DLQ alerts-dlq" in line and "pagerduty refused" in line and "ord_ppvri2hf" in line for line in lines)
    assert any("pagerduty refused: parked in the alert DLQ" in line for line in lines)
    assert "DLQ orders-dlq" in lines[-1]
    assert "+1 parked (3 held)" in lines[-1]


def test_the_format_is_pretty_on_a_terminal_and_json_otherwise_and_no_color_is_respected() -> None:
    assert terminal.log_format(None, Tty()) == terminal.PRETTY
    assert terminal.log_format(None, io.StringIO()) == terminal.JSON
    assert terminal.log_format("json", Tty()) == terminal.JSON
    assert terminal.use_colour(Tty(), {})
    assert not terminal.use_colour(Tty(), {"NO_COLOR": "1"})
    assert not terminal.use_colour(io.StringIO(), {})
