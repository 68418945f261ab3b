"""Alarms and the dashboard. Every alarm notifies the alert topic going into ALARM and back to OK; the DLQ alarms are
the manifest's (`Manifest.dead_letter_queues()`, each with its `DlqAlarm`), the others watch the executions, the
API and each function."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from workflow.manifest import Manifest

# The queue the dashboard shows the backlog of: the orders waiting for the worker.
ORDER_QUEUE = "orders"

# Where Step Functions reports executions started through an alias (the API starts every order through `live`):
# https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html documents the execution metrics under
# `StateMachineArn` ("the state machine for the execution in question") and, for "executions with an alias", under
# `StateMachineArn` + `Alias` ("State machine alias used to start the execution"). It leaves open whether an alias's
# executions also count under `StateMachineArn` alone, and whether `Alias` holds the alias's name or its ARN (we
# take the name). So each execution alarm watches both series, as one alarm on their maximum: one notification
# whichever of them is emitted.
EXECUTION_METRICS = (
    "ExecutionsStarted",
    "ExecutionsSucceeded",
    "ExecutionsFailed",
    "ExecutionsTimedOut",
    "ExecutionThrottled",
)


def execution_metric(
    machine: sfn.StateMachine, alias: str | None, metric_name: str, period: cdk.Duration | None = None
) -> cloudwatch.Metric:
    """One execution metric of the state machine: unqualified, or of the executions started through `alias`."""
    dimensions = {"StateMachineArn": machine.state_machine_arn}
    if alias is not None:
        dimensions["Alias"] = alias
    return cloudwatch.Metric(
        namespace="AWS/States",
        metric_name=metric_name,
        dimensions_map=dimensions,
        statistic="Sum",
        period=period or cdk.Duration.minutes(5),
        label=f"{metric_name} ({alias})" if alias else metric_name,
    )


def executions(machine: sfn.StateMachine, alias: str, metric_name: str, period: cdk.Duration) -> cloudwatch.IMetric:
    """The larger of the unqualified series and the alias's, per period (a missing one counts as 0)."""
    return cloudwatch.MathExpression(
        expression="MAX([FILL(machine, 0), FILL(alias, 0)])",
        using_metrics={
            "machine": execution_metric(machine, None, metric_name, period),
            "alias": execution_metric(machine, alias, metric_name, period),
        },
        period=period,
        label=f"{metric_name} (state machine or {alias})",
    )


@dataclass(frozen=True)
class Watched:
    """What the alarms and the dashboard watch."""

    queues: Mapping[str, sqs.IQueue]
    functions: Mapping[str, lambda_.IFunction]
    state_machine: sfn.StateMachine
    api: apigw.HttpApi


def add_alarms(
    scope: Construct, manifest: Manifest, watched: Watched, alert_topic: sns.ITopic
) -> list[cloudwatch.Alarm]:
    alarm_topic = cloudwatch_actions.SnsAction(alert_topic)
    five_minutes = cdk.Duration.minutes(5)
    machine, live = watched.state_machine, manifest.live_alias
    specs: list[tuple[str, str, cloudwatch.IMetric]] = [
        (
            dlq.alarm.name,
            dlq.alarm.description,
            watched.queues[dlq.name].metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(1), statistic="Maximum"
            ),
        )
        for dlq in manifest.dead_letter_queues()
        if dlq.alarm is not None  # the manifest gives every DLQ one
    ]
    specs += [
        ("ExecutionsFailed", "order executions failed", executions(machine, live, "ExecutionsFailed", five_minutes)),
        (
            "ExecutionsTimedOut",
            "order executions timed out",
            executions(machine, live, "ExecutionsTimedOut", five_minutes),
        ),
        (
            "ExecutionsThrottled",
            "Step Functions throttled order executions",
            executions(machine, live, "ExecutionThrottled", five_minutes),
        ),
        ("Api5xx", "the orders API answered 5xx", watched.api.metric_server_error(period=five_minutes)),
    ]
    for name, fn in watched.functions.items():
        specs.append((f"{name}Errors", f"{name} invocations failed", fn.metric_errors(period=five_minutes)))
        specs.append((f"{name}Throttles", f"{name} was throttled", fn.metric_throttles(period=five_minutes)))
    alarms = []
    for name, description, metric in specs:
        alarm = cloudwatch.Alarm(
            scope,
            f"{name}Alarm",
            alarm_description=f"orderflow: {description}",
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(alarm_topic)
        alarm.add_ok_action(alarm_topic)
        alarms.append(alarm)
    return alarms


def add_dashboard(
    scope: Construct, manifest: Manifest, watched: Watched, alarms: list[cloudwatch.Alarm]
) -> cloudwatch.Dashboard:
    functions = list(watched.functions.values())
    api, machine, queues = watched.api, watched.state_machine, watched.queues
    return cloudwatch.Dashboard(
        scope,
        "Dashboard",
        widgets=[
            [
                cloudwatch.GraphWidget(
                    title="Orders API",
                    left=[api.metric_count(), api.metric_client_error(), api.metric_server_error()],
                    right=[api.metric_latency(statistic="p95")],
                ),
                cloudwatch.GraphWidget(
                    title="Order executions",
                    # Both series of each (EXECUTION_METRICS): the dashboard shows which one Step Functions emits.
                    left=[
                        execution_metric(machine, alias, name)
                        for name in EXECUTION_METRICS
                        for alias in (None, manifest.live_alias)
                    ],
                ),
            ],
            [
                cloudwatch.GraphWidget(title="Function errors", left=[f.metric_errors() for f in functions]),
                cloudwatch.GraphWidget(
                    title="Function duration p95", left=[f.metric_duration(statistic="p95") for f in functions]
                ),
            ],
            [
                cloudwatch.GraphWidget(
                    title="Order queue",
                    left=[
                        queues[ORDER_QUEUE].metric_approximate_number_of_messages_visible(),
                        queues[ORDER_QUEUE].metric_approximate_age_of_oldest_message(),
                    ],
                    right=[
                        queues[dlq.name].metric_approximate_number_of_messages_visible()
                        for dlq in manifest.dead_letter_queues()
                    ],
                ),
                cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=12),
            ],
        ],
    )
