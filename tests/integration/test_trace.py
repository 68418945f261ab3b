"""`orderflow trace` on the running local system, through its AWS endpoint as against AWS: a fulfilled order's
steps, queue wait and worker, and a failed order's Catch, alert and each target's delivery, with both orders' cost."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.fixtures import Submit, alerts_settled
from workflow import cli
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.ops.alerts import recent_alerts
from workflow.ops.targets import connect

# The shared runtime's targets (ALERT_TARGETS=slack,webhook), and the log, which is always on.
ON = ("log", "slack", "webhook")


def trace(runtime: LocalRuntime, capsys: pytest.CaptureFixture[str], order_id: str, *more: str) -> tuple[int, str]:
    capsys.readouterr()
    endpoint = runtime.aws_endpoint or runtime.serve_aws(port=0)
    code = cli.main(["trace", order_id, "--endpoint-url", endpoint, *more])
    return code, capsys.readouterr().out


def traced(runtime: LocalRuntime, capsys: pytest.CaptureFixture[str], order_id: str) -> dict[str, Any]:
    code, out = trace(runtime, capsys, order_id, "--json")
    assert code == 0, out
    # In-process, the handlers' JSON log lines may share stdout with the command: the document starts at "{\n".
    document: dict[str, Any] = json.loads(out[out.index("{\n") :])
    return document


def steps(document: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(e["kind"], e["step"], e["ok"]) for e in document["entries"]]


def test_a_fulfilled_and_a_failed_order_traced(
    runtime: LocalRuntime, submit: Submit, capsys: pytest.CaptureFixture[str]
) -> None:
    good = submit(sample_order())["json"]["orderId"]
    bad = submit(sample_order(currency="XQZ"))["json"]["orderId"]
    runtime.wait_for_order(good, ["FULFILLED"])
    runtime.wait_for_order(bad, ["FAILED"])
    alerts_settled(runtime)
    local = connect("local", endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0))
    poll_until(
        lambda: [a for a in recent_alerts(local, 1000) if a.subject == bad and len(a.deliveries) == len(ON)],
        what="the failed order's alert delivered to every target",
    )

    fulfilled = traced(runtime, capsys, good)
    assert fulfilled["status"] == "FULFILLED"
    taken = [step for kind, step, ok in steps(fulfilled) if kind in ("state", "notify") and ok]
    assert taken == ["ValidateOrder", "CreateOrder", "EnqueueOrder", "NotifyOrder"]
    assert ("worker", "FULFILLED", True) in steps(fulfilled)
    assert fulfilled["queueWaitSeconds"] is not None
    assert fulfilled["queueWaitSeconds"] >= 0
    assert fulfilled["latencySeconds"] >= fulfilled["queueWaitSeconds"]
    assert not [e for e in fulfilled["entries"] if not e["ok"]]
    cost = fulfilled["cost"]
    assert cost["usage"]["transitions"] == 4
    # the reservation, CreateOrder's put, the fulfilment's update, and each of those two in both of the orders
    # table's indexes (orders-by-time: written, then its status; open-orders: in, then out)
    assert cost["usage"]["write_units"] == 7
    assert 0 < cost["totalUsd"] < 0.001
    assert any("billed ms" in line for line in cost["assumed"])

    failed = traced(runtime, capsys, bad)
    assert ("state", "ValidateOrder", False) in steps(failed)
    (catch,) = [e for e in failed["entries"] if e["kind"] == "catch"]
    assert catch["detail"] == "OrderValidationError caught -> RecordFailure"
    assert [e["step"] for e in failed["entries"] if e["kind"] == "delivery"] == list(ON)
    assert all(e["detail"] == "delivered" for e in failed["entries"] if e["kind"] == "delivery")
    assert failed["cost"]["usage"]["invocations"]["AlertHandler"] == 1
    # the reservation, RecordFailure's write and its orders-by-time entry, a claim and a mark per target
    assert failed["cost"]["usage"]["write_units"] == 3 + 2 * len(ON)

    # What an on-call engineer reads: the failed lines marked, the totals and the cost last.
    code, out = trace(runtime, capsys, bad)
    assert code == 0
    lines = out[out.index(f"order {bad}") :].splitlines()
    assert lines[0] == f"order {bad}  FAILED  (STANDARD, {local.where})"
    assert any(line.startswith("!!") and "ValidateOrder" in line and "XQZ" in line for line in lines)
    assert any(line.startswith("total latency") and "alert deliveries log delivered" in line for line in lines)
    assert any(line.startswith("cost on AWS (STANDARD): $") for line in lines)


def test_an_unknown_order_is_one_line_and_exit_1(runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = runtime.aws_endpoint or runtime.serve_aws(port=0)
    assert cli.main(["trace", "ord_aaaaaaaaaaaaaaaaaaaaaaaaaa", "--endpoint-url", endpoint]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"orderflow trace: no order ord_aaaaaaaaaaaaaaaaaaaaaaaaaa in the local system at {endpoint}"]
