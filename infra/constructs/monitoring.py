"""Alarms and the dashboard: one notification per target for each real problem, none for a customer's typo.

A failed (or stuck) order is alerted once, by the workflow (or FindStuckOrders), through the alert topic. The alarms
watch what no order alert reports (`alarm_specs`). Every alarm notifies the alert topic going into ALARM and back to
OK, but the alert path's own alarms notify the alarm topic, whose e-mail subscriptions do not depend on it. The DLQ
alarms are the manifest's (`Manifest.dead_letter_queues()`, each with its `DlqAlarm`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from handlers import observability
from infra.constructs.messaging import ALARM_TOPIC, ALERT_TOPIC
from workflow.failure_route import ALERT_NOT_PUBLISHED
from workflow.manifest import Manifest

# The queue the dashboard shows the backlog of: the orders waiting for the worker.
ORDER_QUEUE = "orders"
# An order waits seconds for the worker; one that waits this long means the worker stopped or fell behind.
ORDER_QUEUE_MAX_AGE_SECONDS = 300
# The latency objective: 99% of orders FULFILLED within this many seconds of acceptance (FulfilmentSeconds' p99).
FULFILMENT_OBJECTIVE_SECONDS = 60

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
    "ExecutionsAborted",
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
    state_machine_logs: logs.ILogGroup
    api: apigw.HttpApi


@dataclass(frozen=True)
class AlarmSpec:
    name: str
    description: str
    metric: cloudwatch.IMetric
    # The alert path's own alarms go to the alarm topic (e-mail), the rest to the alert topic (the AlertHandler).
    alert_path: bool = False
    threshold: float = 1


def business_metric(name: str, statistic: str = "Sum", period: cdk.Duration | None = None) -> cloudwatch.Metric:
    """One of the handlers' EMF metrics (handlers.observability), by the service's dimension."""
    return cloudwatch.Metric(
        namespace=observability.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": observability.SERVICE},
        statistic=statistic,
        period=period or cdk.Duration.minutes(5),
    )


def unexpected_errors(fn: lambda_.IFunction, period: cdk.Duration) -> cloudwatch.IMetric:
    """A function's errors less its declared business errors (handlers.observability.entry_point counts those): a
    customer's typo raises OrderValidationError in ValidateOrder, which the workflow's Catch handles and alerts once;
    only what nobody declared, or a dependency that stays down, is left."""
    business = cloudwatch.Metric(
        namespace=observability.METRICS_NAMESPACE,
        metric_name=observability.BUSINESS_ERRORS,
        dimensions_map={"service": observability.SERVICE, observability.FUNCTION_DIMENSION: fn.function_name},
        statistic="Sum",
        period=period,
    )
    return cloudwatch.MathExpression(
        expression="FILL(errors, 0) - FILL(business, 0)",
        using_metrics={"errors": fn.metric_errors(period=period), "business": business},
        period=period,
        label="errors that are not business errors",
    )


def alert_not_published(scope: Construct, log_group: logs.ILogGroup) -> cloudwatch.Metric:
    """Executions that ended at AlertNotPublished (workflow.failure_route): their order failed and its alert could not
    be published, so nothing else tells anyone. Read from the state machine's log records: Standard logs ALL without
    data (FailStateEntered names the state), Express logs ERROR or FATAL with data (ExecutionFailed names the
    error); an Express stack logging OFF has no records to read (the stack warns)."""
    metric_name = "AlertsNotPublished"
    entered = logs.FilterPattern.all(
        logs.FilterPattern.string_value("$.type", "=", "FailStateEntered"),
        logs.FilterPattern.string_value("$.details.name", "=", ALERT_NOT_PUBLISHED),
    )
    failed = logs.FilterPattern.all(
        logs.FilterPattern.string_value("$.type", "=", "ExecutionFailed"),
        logs.FilterPattern.string_value("$.details.error", "=", ALERT_NOT_PUBLISHED),
    )
    logs.MetricFilter(
        scope,
        "AlertNotPublishedFilter",
        log_group=log_group,
        filter_pattern=logs.FilterPattern.any(entered, failed),
        metric_namespace=observability.METRICS_NAMESPACE,
        metric_name=metric_name,
        metric_value="1",
    )
    return cloudwatch.Metric(
        namespace=observability.METRICS_NAMESPACE,
        metric_name=metric_name,
        statistic="Sum",
        period=cdk.Duration.minutes(1),
    )


def alarm_specs(scope: Construct, manifest: Manifest, watched: Watched) -> list[AlarmSpec]:
    """One alarm per kind of problem that no order alert reports: the alert path failing, executions that time out
    or are aborted, throttling, API 5xx, a function failing with an error that is not a declared business error, an
    order queue that stopped moving, and the fulfilment latency objective. A failed order is alerted once by the
    workflow itself (PublishFailure), so ExecutionsFailed raises no alarm: it is on the dashboard."""
    five_minutes = cdk.Duration.minutes(5)
    machine, live = watched.state_machine, manifest.live_alias
    specs = _dlq_alarm_specs(manifest, watched)
    specs += [
        AlarmSpec(
            ALERT_NOT_PUBLISHED,
            "an order failed and its alert could not be published (the state machine's logs name the execution)",
            alert_not_published(scope, watched.state_machine_logs),
            alert_path=True,
        ),
        AlarmSpec(
            "ExecutionsTimedOut",
            "order executions timed out",
            executions(machine, live, "ExecutionsTimedOut", five_minutes),
        ),
        AlarmSpec(
            "ExecutionsAborted",
            "order executions were stopped",
            executions(machine, live, "ExecutionsAborted", five_minutes),
        ),
        AlarmSpec(
            "ExecutionsThrottled",
            "Step Functions throttled order executions",
            executions(machine, live, "ExecutionThrottled", five_minutes),
        ),
        AlarmSpec("Api5xx", "the orders API answered 5xx", watched.api.metric_server_error(period=five_minutes)),
        AlarmSpec(
            "OrderQueueStalled",
            f"the oldest order in the order queue waits over {ORDER_QUEUE_MAX_AGE_SECONDS} s: the worker is stalled or "
            "behind (stuck orders are alerted one by one as well)",
            watched.queues[ORDER_QUEUE].metric_approximate_age_of_oldest_message(
                period=five_minutes, statistic="Maximum"
            ),
            threshold=ORDER_QUEUE_MAX_AGE_SECONDS,
        ),
        AlarmSpec(
            "FulfilmentLatency",
            f"the latency objective is missed: 99% of orders are FULFILLED within {FULFILMENT_OBJECTIVE_SECONDS} s of "
            "their acceptance",
            business_metric(observability.FULFILMENT_SECONDS, "p99", cdk.Duration.minutes(15)),
            threshold=FULFILMENT_OBJECTIVE_SECONDS,
        ),
    ]
    return specs + _function_alarm_specs(manifest, watched, five_minutes)


def _dlq_alarm_specs(manifest: Manifest, watched: Watched) -> list[AlarmSpec]:
    """Each dead-letter queue's alarm (the manifest's), on the alarm topic when its source queue is the alert path's."""
    return [
        AlarmSpec(
            dlq.alarm.name,
            dlq.alarm.description,
            watched.queues[dlq.name].metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(1), statistic="Maximum"
            ),
            alert_path=manifest.source_queue(dlq.name).subscribes_to == ALERT_TOPIC,
        )
        for dlq in manifest.dead_letter_queues()
        if dlq.alarm is not None  # the manifest gives every DLQ one
    ]


def _function_alarm_specs(manifest: Manifest, watched: Watched, period: cdk.Duration) -> list[AlarmSpec]:
    """Each function's errors (any error, for the alert path's consumers; else those no business error explains) and
    its throttles."""
    alert_consumers = {
        f.name for q in manifest.queues if q.subscribes_to == ALERT_TOPIC for f in manifest.consumers(q.name)
    }
    specs = []
    for name, fn in watched.functions.items():
        if name in alert_consumers:  # the alert path: any error of its own means alerts may not arrive
            specs.append(AlarmSpec(f"{name}Errors", f"{name} failed", fn.metric_errors(period=period), True))
        else:
            specs.append(
                AlarmSpec(
                    f"{name}UnexpectedErrors",
                    f"{name} failed with an error that is not a declared business error",
                    unexpected_errors(fn, period),
                )
            )
        specs.append(
            AlarmSpec(
                f"{name}Throttles",
                f"{name} was throttled",
                fn.metric_throttles(period=period),
                name in alert_consumers,
            )
        )
    return specs


def add_alarms(
    scope: Construct, manifest: Manifest, watched: Watched, topics: Mapping[str, sns.ITopic]
) -> list[cloudwatch.Alarm]:
    """Every alarm notifies its topic going into ALARM and back to OK: the alert topic (the AlertHandler's targets),
    or for the alert path's own alarms the alarm topic, whose e-mail subscriptions do not depend on it."""
    alarms = []
    for spec in alarm_specs(scope, manifest, watched):
        action = cloudwatch_actions.SnsAction(topics[ALARM_TOPIC if spec.alert_path else ALERT_TOPIC])
        alarm = cloudwatch.Alarm(
            scope,
            f"{spec.name}Alarm",
            alarm_description=f"orderflow: {spec.description}",
            metric=spec.metric,
            threshold=spec.threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
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
                    title="Orders",
                    left=[
                        business_metric(name)
                        for name in (
                            observability.ORDERS_ACCEPTED,
                            observability.ORDERS_FULFILLED,
                            observability.ORDERS_FAILED,
                            observability.ORDERS_STUCK,
                        )
                    ],
                ),
                cloudwatch.GraphWidget(
                    title="Acceptance to FULFILLED (s)",
                    left=[business_metric(observability.FULFILMENT_SECONDS, stat) for stat in ("p50", "p99")],
                    left_annotations=[
                        cloudwatch.HorizontalAnnotation(
                            value=FULFILMENT_OBJECTIVE_SECONDS, label="objective: p99 within 60 s"
                        )
                    ],
                ),
            ],
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
