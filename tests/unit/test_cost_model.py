"""The cost model against a second, independent calculation of one fixed input (done by hand below)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from workflow.cost.model import DEFAULT_BILLED_MS, Assumptions, Facts, FunctionFacts, Prices, Usage, price
from workflow.cost.template import invoked_by_workflow
from workflow.manifest import MANIFEST, QueueTrigger

FACTS = Facts(
    workflow_type="STANDARD",
    functions={"Api": FunctionFacts(256, "arm64"), "Task": FunctionFacts(512, "x86_64")},
    workflow_functions=frozenset({"Task"}),
    queue_functions=frozenset(),
    log_level="ALL",
    log_execution_data=False,
    tracing=True,
    alarms=10,
    dashboards=1,
    kms_keys=1,
    secrets=2,
)
USAGE = Usage(
    orders=1,
    transitions=4,
    invocations={"Api": 1, "Task": 2},
    read_units=2,
    write_units=3,
    sqs_requests=3,
    sns_publishes=1,
    http_requests=1,
    handler_log_bytes=1000,
    workflow_log_bytes={"ALL": 3000, "ERROR": 0},
)
ASSUMPTIONS = Assumptions(
    billed_ms={"Api": 100, "Task": 50},
    express_ms_per_transition=25,
    platform_log_bytes=0,
    xray_sampling=1.0,
    empty_polls_per_month=0,
)


def test_standard_by_hand() -> None:
    estimate = price(USAGE, FACTS, ASSUMPTIONS, Prices.load())
    by_hand = {
        "Step Functions": 4 * 25.0,  # 4 transitions x $25 per 1M
        # Api: $0.20/1M + 0.1 s x 0.25 GB x $13.3334/1M GB-s; Task twice: $0.20 + 0.05 s x 0.5 GB x $16.6667
        "Lambda": (0.2 + 0.1 * 0.25 * 13.3334) + 2 * (0.2 + 0.05 * 0.5 * 16.6667),
        "DynamoDB": 2 * 0.125 + 3 * 0.625,
        "SQS": 3 * 0.40,
        "SNS": 0.50,
        "API Gateway": 1.00,
        "CloudWatch Logs": (1000 + 3000) / 1e9 * 0.50 * 1e6,  # 4 KB an order, $0.50 a GB
        "X-Ray": 1 * 5.00,  # one trace an order, all sampled here
    }
    assert estimate.by_service == pytest.approx(by_hand)
    assert estimate.total_per_million == pytest.approx(sum(by_hand.values()), abs=0.01)
    assert estimate.fixed_monthly["CloudWatch alarms"] == pytest.approx(1.0)
    assert sum(estimate.fixed_monthly.values()) == pytest.approx(1.0 + 3.0 + 1.0 + 0.8)


def test_express_by_hand() -> None:
    express = Facts(**{**FACTS.__dict__, "workflow_type": "EXPRESS"})
    estimate = price(USAGE, express, ASSUMPTIONS, Prices.load())
    # Duration: Task 2 x 50 ms + 4 transitions x 25 ms = 200 ms -> 0.2 s billed; memory 64 MB = 0.0625 GB.
    assert estimate.by_service["Step Functions"] == pytest.approx(1.00 + 0.2 * 0.0625 * 16.67)


def test_a_missing_price_is_named() -> None:
    with pytest.raises(KeyError, match=r"stepfunctions\.standard\.transition"):
        price(USAGE, FACTS, ASSUMPTIONS, Prices({"prices": {}}))


def test_one_order_takes_what_its_history_shows() -> None:
    from workflow.cost.run import one_order

    def task(function: str) -> dict[str, Any]:
        parameters = json.dumps({"FunctionName": f"arn:aws:lambda:us-east-1:1:function:{function}"})
        return {
            "type": "TaskScheduled",
            "taskScheduledEventDetails": {"resourceType": "lambda", "parameters": parameters},
        }

    events: list[dict[str, Any]] = [
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "ValidateOrder"}},
        task("ValidateOrder"),
        {"type": "TaskFailed", "taskFailedEventDetails": {"error": "Lambda.ServiceException"}},
        task("ValidateOrder"),  # retried once
        {"type": "TaskFailed", "taskFailedEventDetails": {"error": "OrderValidationError"}},
        {"type": "PassStateEntered", "stateEnteredEventDetails": {"name": "ValidateOrderFailed"}},
        {"type": "FailStateEntered", "stateEnteredEventDetails": {"name": "OrderFailed"}},
        {"type": "ExecutionFailed", "executionFailedEventDetails": {}},
    ]
    typical = Usage(
        orders=40,
        transitions=7,
        invocations={"StartWorkflow": 1, "ValidateOrder": 1, "CreateOrder": 1, "NotifyOrder": 1, "Worker": 0.2},
        read_units=1,
        write_units=7,
        sqs_requests=1.3,
        sns_publishes=1,
        http_requests=1,
        handler_log_bytes=2000,
    )
    one = one_order(events, typical)
    assert one.transitions == 3 + 1  # three states entered, one retry
    assert one.invocations == {"StartWorkflow": 1, "Worker": 0.2, "ValidateOrder": 2}  # the workflow's from history
    assert one.write_units == 7  # what the history does not show: the typical order's
    assert one.workflow_log_bytes["ERROR"] > 0


def test_lambda_platform_lines_are_billed_only_where_the_system_log_level_writes_them() -> None:
    facts = Facts(
        **{
            **FACTS.__dict__,
            "functions": {"Api": FunctionFacts(256, "arm64", "INFO"), "Task": FunctionFacts(512, "x86_64", "WARN")},
        }
    )
    assumptions = Assumptions(**{**ASSUMPTIONS.__dict__, "platform_log_bytes": 350})
    estimate = price(USAGE, facts, assumptions, Prices.load())
    # Api's one invocation writes START/END/REPORT; Task's two (at WARN) do not.
    assert estimate.by_service["CloudWatch Logs"] == pytest.approx((1000 + 3000 + 350) / 1e9 * 0.50 * 1e6)


@pytest.mark.parametrize("workflow_type", ["STANDARD", "EXPRESS"])
def test_a_function_without_an_assumed_duration_is_refused_not_priced_at_nothing(workflow_type: str) -> None:
    facts = Facts(
        **{
            **FACTS.__dict__,
            "workflow_type": workflow_type,
            "functions": {**FACTS.functions, "Reserve": FunctionFacts(256, "arm64")},
            "workflow_functions": frozenset({"Task", "Reserve"}),
        }
    )
    usage = Usage(**{**USAGE.__dict__, "invocations": {**USAGE.invocations, "Reserve": 1}})
    refused = r"no billed duration is assumed for the function 'Reserve': give it billed_ms.*--durations"
    with pytest.raises(KeyError, match=refused):
        price(usage, facts, ASSUMPTIONS, Prices.load())


def test_every_function_an_order_runs_has_an_assumed_duration() -> None:
    """The defaults cover the workflow's functions (from the compiled definition) and every function the manifest
    triggers per order; only a scheduled one (its queue ticks, whatever the orders) is priced by the month."""
    workflow = invoked_by_workflow()
    assert {"ValidateOrder", "CreateOrder", "NotifyOrder"} <= workflow
    scheduled = {
        f.name
        for f in MANIFEST.functions
        if isinstance(f.trigger, QueueTrigger) and MANIFEST.queue(f.trigger.queue).tick_minutes is not None
    }
    assert scheduled == {"FindStuckOrders"}
    per_order = {f.name for f in MANIFEST.functions} - scheduled
    assert workflow <= per_order
    missing = per_order - set(DEFAULT_BILLED_MS)
    assert not missing, f"no billed duration assumed for {sorted(missing)} (billed_ms in workflow/manifest.py)"


def test_the_snapshot_tells_a_reviewed_change_in_dollars_from_batching_noise() -> None:
    from workflow.cost.snapshot import differences, load, snapshot

    committed = load()
    report: dict[str, Any] = {
        "assumptions": {"orders": 40, "prices_checked": committed["prices_checked"]},
        "usage_per_order": {
            **committed["usage_per_order"],
            "invocations": dict(committed["usage_per_order"]["invocations"]),
        },
        **{
            kind: {
                "total_per_million": committed[kind]["total_per_million"],
                "by_service": dict(committed[kind]["by_service"]),
                "fixed_monthly": {"alarms and the rest": committed[kind]["fixed_per_month"]},
            }
            for kind in ("standard", "express")
        },
    }
    assert snapshot(report) == committed
    assert differences(snapshot(report), committed) == []
    report["express"]["by_service"]["SQS"] *= 1.6  # the worker batched differently on a busy machine
    report["standard"]["by_service"]["DynamoDB"] *= 1.05  # within a deterministic service's margin
    assert differences(snapshot(report), committed) == []
    standard = report["standard"]["by_service"]
    standard["DynamoDB"] = committed["standard"]["by_service"]["DynamoDB"]
    standard["Step Functions"] += 25.0  # one more state on the happy path
    report["usage_per_order"]["transitions"] += 1
    report["usage_per_order"]["invocations"]["HypotheticalStep"] = 1.0
    assert differences(snapshot(report), committed) == [
        f"standard Step Functions: ${standard['Step Functions'] - 25:,.2f} -> "
        f"${standard['Step Functions']:,.2f} per 1M orders",
        f"transitions per order: {committed['usage_per_order']['transitions']} -> "
        f"{committed['usage_per_order']['transitions'] + 1}",
        f"functions invoked: {sorted(committed['usage_per_order']['invocations'])} -> "
        f"{sorted([*committed['usage_per_order']['invocations'], 'HypotheticalStep'])}",
    ]
