"""The console's rendering and security helpers: escaping, CSRF tokens, the same-origin check, redaction, the
orders list's filters and page tokens, and the problem pages (no AWS: a werkzeug test client on a stub target)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflow.console.orders import BadFilter, Filter, OrderRow, Page
from workflow.console.render import badge, page, pretty, table
from workflow.console.security import REDACTED, CsrfTokens, redact, redact_text, same_origin
from workflow.console.views import order_rows

HOSTILE = '<script>alert("x")</script>&'


def test_every_rendered_value_is_escaped() -> None:
    html = str(table(("a",), [(HOSTILE,)], empty="none")) + str(badge(HOSTILE)) + str(pretty(HOSTILE))
    html += page(HOSTILE, pretty({"k": HOSTILE}), where=HOSTILE)
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_order_rows_escape_what_the_table_holds() -> None:
    row = OrderRow("ord_" + "a" * 26, HOSTILE, "2026-01-01T00:00:00.000Z", "", "EUR", "1", HOSTILE, HOSTILE)
    assert "<script>" not in str(order_rows(Page([row], None, 0.0)))


def test_a_csrf_token_is_good_for_its_purpose_on_its_console_only() -> None:
    tokens = CsrfTokens()
    token = tokens.issue("redrive:orders")
    assert tokens.valid(token, "redrive:orders")
    assert not tokens.valid(token, "redrive:alerts")
    assert not tokens.valid(None, "redrive:orders")
    assert not tokens.valid("", "redrive:orders")
    assert not tokens.valid(token[:-1] + "0" if token[-1] != "0" else token[:-1] + "1", "redrive:orders")
    assert not tokens.valid("ü" * 64, "redrive:orders")
    assert not CsrfTokens().valid(token, "redrive:orders")  # another process's secret


def test_same_origin_takes_the_origin_else_the_referer() -> None:
    own = "http://127.0.0.1:8900"
    assert same_origin(own, None, own)
    assert not same_origin("http://127.0.0.1:8901", f"{own}/dlq", own)  # Origin decides when present
    assert not same_origin("null", None, own)
    assert same_origin(None, f"{own}/orders/x", own)
    assert not same_origin(None, "http://localhost:8900/dlq", own)
    assert not same_origin(None, None, own)


def test_personal_fields_and_secrets_are_redacted() -> None:
    record = {
        "orderId": "ord_x",
        "customerId": "cust-42",
        "email": "ada@example.com",
        "shippingAddress": {"line1": "1 Main St", "city": "Berlin"},
        "order": {"items": [{"sku": "BOOK-1"}], "email": "ada@example.com", "phoneNumber": "+49 30 1234"},
        "webhookUrl": "https://hooks.slack.com/services/T/B/secret",
        "cause": "could not mail ada@example.com via https://hooks.example/abc",
        "name": "CreateOrder",
    }
    shown = redact(record)
    assert shown["email"] == REDACTED
    assert shown["customerId"] == REDACTED
    assert shown["shippingAddress"] == REDACTED
    assert shown["order"]["email"] == REDACTED
    assert shown["order"]["phoneNumber"] == REDACTED
    assert shown["order"]["items"] == [{"sku": "BOOK-1"}]
    assert shown["webhookUrl"] == REDACTED
    assert "ada@example.com" not in shown["cause"]
    assert "hooks.example" not in shown["cause"]
    assert shown["name"] == "CreateOrder"
    assert redact_text('<svg xmlns="http://www.w3.org/2000/svg">') == '<svg xmlns="http://www.w3.org/2000/svg">'


def test_filters_are_checked() -> None:
    """(Page tokens and the pages themselves: tests/unit/test_order_list.py.)"""
    assert Filter.parse("failed", "24h", None) == Filter("FAILED", "24h", None)
    for status, window, token in (("NOPE", None, None), (None, "3y", None), (None, None, "%%%"), (None, None, "eA")):
        with pytest.raises(BadFilter):
            Filter.parse(status, window, token)


def test_the_timeline_is_the_traces_entries_escaped_with_failures_red() -> None:
    from workflow.console.detail import OrderView
    from workflow.console.views import timeline
    from workflow.ops.trace import Entry, Timeline

    at = datetime(2026, 1, 1, tzinfo=UTC)
    entries = (
        Entry(at, "request", "POST /orders", "accepted (202)"),
        Entry(at, "state", "ValidateOrder", f"failed: {HOSTILE} ada@example.com", 0.035, ok=False),
        Entry(at, "queue", "QUEUED", "message sent", 0.25),
        Entry(at, "delivery", "slack", "delivered", whole_seconds=True),
    )
    trace = Timeline("ord_x", "FAILED", "STANDARD", "c-1", at, entries, ("ord_x",), 1.5, 0.25, None)
    view = OrderView("ord_x", {}, "FAILED", "arn", "FAILED", "", {}, "", {}, "", "fp", trace)
    html = str(timeline(view))
    assert "<script>alert" not in html
    assert "ada@example.com" not in html
    assert '<tr class="failed">' in html
    assert "<dt>Queue wait</dt><dd>0.250 s" in html
    assert "<dt>Alert deliveries</dt>" in html
    assert "+0 s" in html  # whole seconds, as the alert log keeps them


def test_the_live_view_reads_a_marker_not_the_whole_order_while_nothing_changed() -> None:
    """An unchanged order answers 204 from one GetItem and its execution's newest event: no history is read, no graph
    drawn, no timeline built (workflow.console.detail's marker; the change itself: tests/integration)."""
    from typing import Any

    from werkzeug.test import Client

    from handlers.adapters.orders_store import to_item
    from workflow.console.app import ConsoleApp
    from workflow.console.detail import marker_of
    from workflow.ops.targets import Target

    order_id = "ord_" + "a" * 26
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:orderflow-orders"
    arn = f"arn:aws:states:us-east-1:123456789012:execution:orderflow-orders:{order_id}"
    record = {"orderId": order_id, "status": "FULFILLED", "updatedAt": "2026-01-01T00:00:01.000Z", "executionArn": arn}
    asked: list[tuple[str, dict[str, Any]]] = []

    class Stub:
        def __getattr__(self, name: str) -> Any:
            def call(**arguments: Any) -> Any:
                asked.append((name, arguments))
                answers = {
                    "get_item": {"Item": to_item(record)},
                    "describe_state_machine": {"type": "STANDARD"},
                    "get_execution_history": {"events": [{"id": 12, "type": "ExecutionSucceeded"}]},
                }
                return answers[name]

            return call

    outputs = {"OrdersTableName": "orders", "IdempotencyTableName": "keys", "StateMachineArn": machine}
    no_session: Any = None
    target = Target(
        "local", no_session, None, outputs, "the stub", _clients={"dynamodb": Stub(), "stepfunctions": Stub()}
    )
    client = Client(ConsoleApp(target))
    fingerprint = marker_of(record, 12, [])
    answer = client.get(f"/orders/{order_id}/live?fp={fingerprint}", headers={"Host": "127.0.0.1"})
    assert answer.status_code == 204
    assert [name for name, _ in asked] == ["get_item", "describe_state_machine", "get_execution_history"]
    assert asked[-1][1] == {"executionArn": arn, "reverseOrder": True, "maxResults": 1}
