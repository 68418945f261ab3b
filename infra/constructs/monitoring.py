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
    machine = watched.state_machine
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
        ("ExecutionsFailed", "order executions failed", machine.metric_failed(period=five_minutes)),
        ("ExecutionsTimedOut", "order executions timed out", machine.metric_timed_out(period=five_minutes)),
        (
            "ExecutionsThrottled",
            "Step Functions throttled order executions",
            machine.metric_throttled(period=five_minutes),
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
                    left=[
                        machine.metric_started(),
                        machine.metric_succeeded(),
                        machine.metric_failed(),
                        machine.metric_timed_out(),
                        machine.metric_throttled(),
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
