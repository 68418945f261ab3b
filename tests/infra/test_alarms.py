"""One failed order, one notification per target: which alarms the synthesized template has, where each notifies,
and, scenario by scenario, which of them can fire.

A scenario is the metric values it produces in one period (what Lambda, Step Functions, SQS, the API and our EMF
metrics would count). Each alarm of the template is evaluated on them as CloudWatch would: its metric, or its
metric-math expression over its metrics, against its threshold. So the test reads the alarms as deployed, not our
intentions: an alarm that would page for a customer's typo fails here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from handlers import observability
from tests.infra.conftest import Synth, resources
from workflow.failure_route import ALERT_NOT_PUBLISHED
from workflow.manifest import MANIFEST

# A metric as a scenario names it: (namespace, metric name, the function it is of, or None).
Key = tuple[str, str, str | None]
Scenario = Mapping[Key, float]


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        re.sub(r"Alarm[0-9A-F]{8}$", "", name): alarm["Properties"]
        for name, alarm in resources(template, "AWS::CloudWatch::Alarm").items()
    }


def topic(template: dict[str, Any], name: str) -> dict[str, str]:
    (found,) = [n for n in resources(template, "AWS::SNS::Topic") if re.fullmatch(f"{name}Topic[0-9A-F]{{8}}", n)]
    return {"Ref": found}


def _function_of(dimensions: list[dict[str, Any]]) -> str | None:
    for dimension in dimensions:
        if dimension["Name"] == "FunctionName":
            ref = dimension["Value"]["Ref"]
            return next(f.name for f in MANIFEST.functions if re.fullmatch(f"{f.name}[0-9A-F]{{8}}", ref))
    return None


def _value(metric: Mapping[str, Any], scenario: Scenario) -> float:
    key = (metric["Namespace"], metric["MetricName"], _function_of(metric.get("Dimensions", [])))
    return scenario.get(key, 0.0)


def _evaluate(expression: str, values: Mapping[str, float]) -> float:
    """The metric-math forms our alarms use: FILL(id, 0), MAX([...]) and + / -."""
    python = re.sub(r"FILL\((\w+), 0\)", r"v['\1']", expression).replace("MAX(", "max(")
    assert re.fullmatch(r"[\sv\[\]'\w,()+\-]*", python), f"unexpected metric math: {expression}"
    # Safe: the expression was checked above to hold only ids, brackets, commas, + and -.
    result: float = eval(python, {"__builtins__": {"max": max}}, {"v": values})
    return result


def fires(alarm: Mapping[str, Any], scenario: Scenario) -> bool:
    if "Metrics" in alarm:
        values = {q["Id"]: _value(q["MetricStat"]["Metric"], scenario) for q in alarm["Metrics"] if "MetricStat" in q}
        (returned,) = [q for q in alarm["Metrics"] if q.get("ReturnData", True) and "Expression" in q]
        observed = _evaluate(returned["Expression"], values)
    else:
        observed = _value(alarm, scenario)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    return bool(observed >= alarm["Threshold"])


def lambda_errors(function: str, count: float, *, business: bool) -> dict[Key, float]:
    errors: dict[Key, float] = {("AWS/Lambda", "Errors", function): count}
    if business:  # handlers.observability.entry_point counts a PermanentError as it is raised
        errors[(observability.METRICS_NAMESPACE, observability.BUSINESS_ERRORS, function)] = count
    return errors


def failed_executions(count: float) -> dict[Key, float]:
    return {("AWS/States", "ExecutionsFailed", None): count, ("orderflow", observability.ORDERS_FAILED, None): count}


SCENARIOS: dict[str, tuple[Scenario, set[str]]] = {
    # A customer's typo: ValidateOrder raises OrderValidationError, the workflow's Catch alerts the order once.
    "one validation failure": ({**lambda_errors("ValidateOrder", 1, business=True), **failed_executions(1)}, set()),
    # Fifty of them at once: still the order alerts only (grouped into one storm by the AlertHandler).
    "fifty validation failures": (
        {**lambda_errors("ValidateOrder", 50, business=True), **failed_executions(50)},
        set(),
    ),
    # DynamoDB down: CreateOrder raises OrderStoreUnavailable after its retries (a system error), the API answers 503.
    "a store outage": (
        {
            **lambda_errors("CreateOrder", 40, business=False),
            **failed_executions(10),
            ("AWS/ApiGateway", "5xx", None): 12,
        },
        {"CreateOrderUnexpectedErrors", "Api5xx"},
    ),
    # The AlertHandler fails (a bug, a target that never answers): its alerts retry, then park in the alert DLQ.
    # (A scenario's SQS values are not per queue: every DLQ alarm reads them. Which topic each one notifies is the
    # next test's.)
    "the alert path down": (
        {("AWS/Lambda", "Errors", "AlertHandler"): 6, ("AWS/SQS", "ApproximateNumberOfMessagesVisible", None): 2},
        {"AlertHandlerErrors", "AlertDlqNotEmpty", "OrderDlqNotEmpty", "StuckCheckDlqNotEmpty"},
    ),
    # The alert topic refuses the publish: the executions end at AlertNotPublished.
    "alerts not published": (
        {**failed_executions(3), (observability.METRICS_NAMESPACE, "AlertsNotPublished", None): 3},
        {ALERT_NOT_PUBLISHED},
    ),
    # The worker stalls: the order queue's oldest message ages (each stuck order is also alerted, once).
    "a stalled worker": ({("AWS/SQS", "ApproximateAgeOfOldestMessage", None): 900}, {"OrderQueueStalled"}),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("variant", ["standard", "express"])
def test_which_alarms_can_fire_in_each_scenario(synth: Synth, variant: str, scenario: str) -> None:
    values, expected = SCENARIOS[scenario]
    fired = {name for name, alarm in alarms(getattr(synth, variant)).items() if fires(alarm, values)}
    assert fired == expected


ALERT_PATH = {"AlertDlqNotEmpty", ALERT_NOT_PUBLISHED, "AlertHandlerErrors", "AlertHandlerThrottles"}


@pytest.mark.parametrize("variant", ["standard", "express"])
def test_each_problem_has_one_alarm_and_the_alert_path_s_own_reach_e_mail(synth: Synth, variant: str) -> None:
    template = getattr(synth, variant)
    found = alarms(template)
    dlq_alarms = {q.alarm.name for q in MANIFEST.dead_letter_queues() if q.alarm}
    assert dlq_alarms == {"OrderDlqNotEmpty", "AlertDlqNotEmpty", "StuckCheckDlqNotEmpty"}
    expected = dlq_alarms | {
        ALERT_NOT_PUBLISHED,
        "ExecutionsTimedOut",
        "ExecutionsAborted",
        "ExecutionsThrottled",
        "Api5xx",
        "OrderQueueStalled",
        "FulfilmentLatency",
        "AlertHandlerErrors",
    }
    expected |= {f"{f.name}UnexpectedErrors" for f in MANIFEST.functions if f.name != "AlertHandler"}
    expected |= {f"{f.name}Throttles" for f in MANIFEST.functions}
    assert set(found) == expected
    assert "ExecutionsFailed" not in found  # every failed order is alerted by the workflow: no page per order
    alerts, alarm_topic = topic(template, "Alerts"), topic(template, "Alarms")
    for name, alarm in found.items():
        route = alarm_topic if name in ALERT_PATH else alerts
        assert alarm["AlarmActions"] == [route], name
        assert alarm["OKActions"] == [route], name
    assert len(resources(template, "AWS::CloudWatch::Dashboard")) == 1


def test_operators_e_mail_subscribes_to_the_alarm_topic_not_the_alert_path(synth: Synth) -> None:
    (email,) = [
        s for s in resources(synth.express, "AWS::SNS::Subscription").values() if s["Properties"]["Protocol"] == "email"
    ]
    assert email["Properties"]["TopicArn"] == topic(synth.express, "Alarms")
    assert email["Properties"]["Endpoint"] == "oncall@example.com"


@pytest.mark.parametrize("variant", ["standard", "express"])
def test_alert_not_published_is_read_from_the_state_machine_s_logs(synth: Synth, variant: str) -> None:
    template = getattr(synth, variant)
    (metric_filter,) = resources(template, "AWS::Logs::MetricFilter").values()
    properties = metric_filter["Properties"]
    (log_group,) = [n for n in resources(template, "AWS::Logs::LogGroup") if n.startswith("StateMachineLogs")]
    assert properties["LogGroupName"] == {"Ref": log_group}
    pattern = properties["FilterPattern"]
    # Standard logs ALL without data (FailStateEntered names the state); Express ERROR with data (the error).
    assert '$.type = "FailStateEntered"' in pattern
    assert f'$.details.name = "{ALERT_NOT_PUBLISHED}"' in pattern
    assert f'$.details.error = "{ALERT_NOT_PUBLISHED}"' in pattern
    (transformation,) = properties["MetricTransformations"]
    assert transformation["MetricNamespace"] == observability.METRICS_NAMESPACE
    assert found_alarm_metric(template) == transformation["MetricName"]


def found_alarm_metric(template: dict[str, Any]) -> str:
    return str(alarms(template)[ALERT_NOT_PUBLISHED]["MetricName"])
