"""The orderflow stack: every resource of the flow, built from the shared manifest and the ASL compiled by workflow/.

Nothing here names a resource (CloudFormation does) or lists a resource the manifest does not: the functions, tables,
queues, topics, secrets and the state machine's placeholders all come from `workflow.manifest.MANIFEST`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import (
    aws_apigatewayv2 as apigw,
)
from aws_cdk import (
    aws_apigatewayv2_authorizers as authorizers,
)
from aws_cdk import (
    aws_apigatewayv2_integrations as integrations,
)
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
)
from aws_cdk import (
    aws_cloudwatch_actions as cloudwatch_actions,
)
from aws_cdk import (
    aws_dynamodb as dynamodb,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_lambda_event_sources as event_sources,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_secretsmanager as secretsmanager,
)
from aws_cdk import (
    aws_sns as sns,
)
from aws_cdk import (
    aws_sns_subscriptions as subscriptions,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from aws_cdk import (
    aws_ssm as ssm,
)
from aws_cdk import (
    aws_stepfunctions as sfn,
)
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION
from constructs import Construct

from handlers.adapters.http import DEFAULT_ROUTE
from infra import permissions
from workflow import asl
from workflow.manifest import (
    MANIFEST,
    Function,
    FunctionArn,
    HttpRoutes,
    Manifest,
    Partition,
    QueueArn,
    QueueTrigger,
    QueueUrl,
    Ref,
    SecretArn,
    Setting,
    StateMachineArn,
    TableName,
    TopicArn,
)

REPO = Path(__file__).resolve().parent.parent
RUNTIME = lambda_.Runtime.PYTHON_3_14
PYTHON_TAG = "python3.14"
# Powertools publishes its layer's ARN per region as a public SSM parameter; pinning the path to the version we
# test with (requirements.lock) deploys exactly that release, resolved by CloudFormation at deploy time.
POWERTOOLS_LAYER_PARAMETER = f"/aws/service/powertools/python/arm64/{PYTHON_TAG}/{POWERTOOLS_VERSION}"
WORKFLOW_TYPES = ("STANDARD", "EXPRESS")


def logs_execution_data(level: str) -> bool:
    """Whether an Express state machine's log records carry execution data: at ERROR and FATAL they are the failure
    route's, whose inputs hold no personal data (workflow.definition._failure_document); at ALL every state's input
    would carry the order's email and address."""
    return level in ("ERROR", "FATAL")


@dataclass(frozen=True)
class StackSettings:
    """What an operator chooses per deployment (CDK context, see infra/README.md)."""

    workflow_type: str = "STANDARD"
    # Express workflows have no execution history, so their logs are the record; at ALL they can cost more than
    # the executions themselves. ERROR keeps failures (with their data: the failure route carries no customer data,
    # workflow.definition._failure_document) and drops the rest. At ALL every state's input would carry the order's
    # email and address, so ALL logs without data.
    express_log_level: str = "ERROR"
    log_retention_days: int = 30
    oidc_issuer: str | None = None
    oidc_audience: tuple[str, ...] = ()
    alert_emails: tuple[str, ...] = ()
    api_rate_limit: int = 50
    api_burst_limit: int = 100
    # Operator settings the manifest asks for (e.g. SLACK_MAX_ATTEMPTS); absent ones are left unset.
    function_settings: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.workflow_type not in WORKFLOW_TYPES:
            raise ValueError(f"workflowType must be one of {', '.join(WORKFLOW_TYPES)}, not {self.workflow_type!r}")
        if self.express_log_level not in ("ALL", "ERROR", "FATAL", "OFF"):
            raise ValueError(f"expressLogLevel must be ALL, ERROR, FATAL or OFF, not {self.express_log_level!r}")
        if bool(self.oidc_issuer) != bool(self.oidc_audience):
            raise ValueError("a JWT authorizer needs both oidcIssuer and oidcAudience")

    @classmethod
    def from_context(cls, node: Any) -> StackSettings:
        def text(key: str) -> str | None:
            value = node.try_get_context(key)
            return str(value).strip() if value not in (None, "") else None

        def items(key: str) -> tuple[str, ...]:
            value = node.try_get_context(key)
            if isinstance(value, list):
                return tuple(str(v).strip() for v in value if str(v).strip())
            return tuple(v.strip() for v in (text(key) or "").split(",") if v.strip())

        defaults = cls()
        return cls(
            workflow_type=(text("workflowType") or defaults.workflow_type).upper(),
            express_log_level=(text("expressLogLevel") or defaults.express_log_level).upper(),
            log_retention_days=int(text("logRetentionDays") or defaults.log_retention_days),
            oidc_issuer=text("oidcIssuer"),
            oidc_audience=items("oidcAudience"),
            alert_emails=items("alertEmails"),
            api_rate_limit=int(text("apiRateLimit") or defaults.api_rate_limit),
            api_burst_limit=int(text("apiBurstLimit") or defaults.api_burst_limit),
            function_settings={name: value for name in _setting_names() if (value := text(name)) is not None},
        )


def _setting_names() -> list[str]:
    """The operator settings the functions take (the manifest's Setting references): each may be set in context."""
    names = {ref.name for f in MANIFEST.functions for ref in f.environment.values() if isinstance(ref, Setting)}
    return sorted(names)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


def stage_lambda_code(out: Path) -> Path:
    """The Lambda package: our `handlers` package alone (boto3 comes with the runtime, Powertools as a layer)."""
    target = out / "handlers"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO / "handlers", target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return out


class OrderflowStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings | None = None,
        manifest: Manifest = MANIFEST,
        definition: dict[str, Any] | None = None,
        lambda_code_dir: Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings or StackSettings()
        self.manifest = manifest
        self.retention = _retention(self.settings.log_retention_days)
        self.definition = definition if definition is not None else asl.compile_order_workflow()
        asl.check_placeholders(self.definition, manifest.substitutions)

        self.key = kms.Key(
            self,
            "TopicKey",
            description="orderflow: encrypts the alert and order-event topics",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # CloudWatch alarms publish to the (encrypted) alert topic.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )
        self.tables = {t.name: self._table(t.name, t.partition_key, t.ttl_attribute) for t in manifest.tables}
        self.queues: dict[str, sqs.Queue] = {}
        for queue in sorted(manifest.queues, key=lambda q: q.dead_letter_queue is not None):
            self.queues[queue.name] = self._queue(queue.name)
        self.topics = {
            t.name: sns.Topic(self, f"{_camel(t.name)}Topic", master_key=self.key, enforce_ssl=True)
            for t in manifest.topics
        }
        account = cdk.Aws.ACCOUNT_ID
        # enforce_ssl writes a topic policy, which replaces SNS's default one: CloudWatch alarms of this account
        # need their own Allow to publish to the alert topic.
        self.topics["alerts"].add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topics["alerts"].topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{cdk.Aws.PARTITION}:cloudwatch:{cdk.Aws.REGION}:{account}:alarm:*"
                    },
                },
            )
        )
        for queue in manifest.queues:
            if queue.subscribes_to:
                self.topics[queue.subscribes_to].add_subscription(
                    subscriptions.SqsSubscription(self.queues[queue.name], raw_message_delivery=True)
                )
        for email in self.settings.alert_emails:
            self.topics["alerts"].add_subscription(subscriptions.EmailSubscription(email))
        self.secrets = {
            s.name: secretsmanager.Secret(self, f"{_camel(s.name)}Secret", description=s.description)
            for s in manifest.secrets
        }

        code_dir = stage_lambda_code(lambda_code_dir or REPO / "build" / "lambda")
        self.code = lambda_.Code.from_asset(str(code_dir))
        self.powertools = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "PowertoolsLayer",
            ssm.StringParameter.value_for_string_parameter(self, POWERTOOLS_LAYER_PARAMETER),
        )
        self.functions = {f.name: self._function(f) for f in manifest.functions}

        self.state_machine, self.live_alias = self._state_machine()
        # Environment that refers to the state machine can only be set once it exists.
        for function in manifest.functions:
            for key, ref in function.environment.items():
                if isinstance(ref, StateMachineArn):
                    self.functions[function.name].add_environment(key, self.value_of(ref))
        for function in manifest.functions:
            self._grant(self.functions[function.name].role, permissions.FUNCTIONS[function.name])
            self._trigger(function)

        self.api, self.stage = self._api()
        self.alarms = self._alarms()
        self._dashboard()
        self._outputs()

    # References and permissions

    def value_of(self, ref: Ref) -> str:
        match ref:
            case TableName(table):
                return self.tables[table].table_name
            case QueueUrl(queue):
                return self.queues[queue].queue_url
            case QueueArn(queue):
                return self.queues[queue].queue_arn
            case TopicArn(topic):
                return self.topics[topic].topic_arn
            case FunctionArn(function):
                return self.functions[function].function_arn
            case SecretArn(secret):
                return self.secrets[secret].secret_arn
            case StateMachineArn(alias=None):
                return self.state_machine.state_machine_arn
            case StateMachineArn(alias=alias) if alias == self.manifest.live_alias:
                return self.live_alias.attr_arn
            case Partition():
                return cdk.Aws.PARTITION
        raise TypeError(f"{ref!r} has no value in the stack")

    def resource_arns(self, resource: str) -> list[str]:
        kind, _, name = resource.partition(":")
        match kind:
            case "table":
                return [self.tables[name].table_arn]
            case "queue":
                return [self.queues[name].queue_arn]
            case "topic":
                return [self.topics[name].topic_arn]
            case "secret":
                return [self.secrets[name].secret_arn]
            case "function":
                return [self.functions[name].function_arn]
            case "state-machine-alias":
                return [self.state_machine.state_machine_arn]
            case "executions":
                return [
                    cdk.Arn.format(
                        cdk.ArnComponents(
                            service="states",
                            resource="execution",
                            resource_name=f"{self.state_machine.state_machine_name}:*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        ),
                        self,
                    )
                ]
        raise KeyError(f"unknown resource {resource!r} in infra/permissions.py")

    def _grant(self, role: iam.IRole | None, accesses: Iterable[permissions.Access]) -> None:
        if role is None:
            raise ValueError("every function has its own role")
        for access in accesses:
            conditions = None
            if access.resource == "state-machine-alias":
                conditions = {"StringEquals": {"states:StateMachineQualifier": self.manifest.live_alias}}
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=list(access.actions), resources=self.resource_arns(access.resource), conditions=conditions
                )
            )
            if access.resource.startswith("topic:"):
                # The topics are encrypted with our key: publishing needs it.
                self.key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")

    # Storage and messaging

    def _table(self, name: str, partition_key: str, ttl_attribute: str | None) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            f"{_camel(name)}Table",
            partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=ttl_attribute,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def _queue(self, name: str) -> sqs.Queue:
        queue = self.manifest.queue(name)
        consumers = [
            f for f in self.manifest.functions if isinstance(f.trigger, QueueTrigger) and f.trigger.queue == name
        ]
        for consumer in consumers:
            if queue.visibility_timeout < 6 * consumer.timeout:
                raise ValueError(
                    f"queue {name}: visibility timeout {queue.visibility_timeout}s is under 6x {consumer.name}'s "
                    f"timeout ({consumer.timeout}s); messages would be redelivered while still being processed"
                )
        dead_letter = (
            sqs.DeadLetterQueue(max_receive_count=queue.max_receive_count, queue=self.queues[queue.dead_letter_queue])
            if queue.dead_letter_queue
            else None
        )
        return sqs.Queue(
            self,
            f"{_camel(name)}Queue",
            visibility_timeout=cdk.Duration.seconds(queue.visibility_timeout),
            retention_period=cdk.Duration.seconds(queue.retention_seconds),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=dead_letter,
        )

    # Functions

    def _function(self, function: Function) -> lambda_.Function:
        name = function.name
        log_group = logs.LogGroup(
            self, f"{name}Logs", retention=self.retention, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        role = iam.Role(
            self,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"orderflow {name}: its own log group, X-Ray, and infra/permissions.py",
        )
        log_group.grant(role, "logs:CreateLogStream", "logs:PutLogEvents")
        environment = {"POWERTOOLS_SERVICE_NAME": "orderflow"}
        for key, ref in function.environment.items():
            if isinstance(ref, Setting):
                if ref.name in self.settings.function_settings:
                    environment[key] = self.settings.function_settings[ref.name]
            elif not isinstance(ref, StateMachineArn):
                environment[key] = self.value_of(ref)
        return lambda_.Function(
            self,
            name,
            description=f"orderflow {name} ({function.handler})",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=function.handler,
            code=self.code,
            layers=[self.powertools],
            timeout=cdk.Duration.seconds(function.timeout),
            memory_size=function.memory,
            environment=environment,
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
        )

    def _trigger(self, function: Function) -> None:
        fn = self.functions[function.name]
        match function.trigger:
            case QueueTrigger(queue, batch_size, batch_window, max_concurrency):
                fn.add_event_source(
                    event_sources.SqsEventSource(
                        self.queues[queue],
                        batch_size=batch_size,
                        max_batching_window=cdk.Duration.seconds(batch_window) if batch_window else None,
                        max_concurrency=max_concurrency or None,
                        report_batch_item_failures=True,
                    )
                )
            case HttpRoutes() | None:
                pass  # the API routes are added with the API

    # The state machine

    def _state_machine(self) -> tuple[sfn.StateMachine, sfn.CfnStateMachineAlias]:
        express = self.settings.workflow_type == "EXPRESS"
        log_group = logs.LogGroup(
            self, "StateMachineLogs", retention=self.retention, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        if express:
            level = self.settings.express_log_level
            log_options = sfn.LogOptions(
                destination=log_group,
                level=sfn.LogLevel[level],
                include_execution_data=logs_execution_data(level),
            )
        else:
            # Standard keeps every execution's history (with its data) for 90 days; the logs carry the events
            # without repeating customer data.
            log_options = sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False)
        role = iam.Role(
            self,
            "StateMachineRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="orderflow state machine: its three functions, the orders table, the queue, the alert topic",
        )
        self._grant(role, permissions.STATE_MACHINE)
        # The partition is written into the definition at synth (a pseudo parameter, known to CloudFormation and
        # to cfn-lint); the other placeholders become DefinitionSubstitutions, filled in at deploy.
        definition = json.dumps(self.definition, indent=2)
        substitutions = {}
        for name, ref in self.manifest.substitutions.items():
            if isinstance(ref, Partition):
                definition = definition.replace("${" + name + "}", cdk.Aws.PARTITION)
            else:
                substitutions[name] = self.value_of(ref)
        machine = sfn.StateMachine(
            self,
            "Orders",
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions=substitutions,
            state_machine_type=sfn.StateMachineType.EXPRESS if express else sfn.StateMachineType.STANDARD,
            role=role,
            logs=log_options,
            tracing_enabled=True,
        )
        # Every deployed definition is published as a version and the live alias routed to it; StartWorkflow
        # starts executions through the alias, so `orderflow workflow update` can move it between deployments.
        # A change of workflow type replaces the state machine; new logical ids make CloudFormation create the
        # version and alias for the new machine instead of moving the old alias across machines.
        kind = self.settings.workflow_type.capitalize()
        version = sfn.CfnStateMachineVersion(
            self,
            f"Orders{kind}Version",
            state_machine_arn=machine.state_machine_arn,
            state_machine_revision_id=machine.state_machine_revision_id,
            description="published by cdk deploy",
        )
        # A new definition replaces the version resource: keep the old version so the alias can move back to it.
        version.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        alias = sfn.CfnStateMachineAlias(
            self,
            f"{kind}LiveAlias",
            name=self.manifest.live_alias,
            description="what the API starts; moved by cdk deploy and orderflow workflow update",
            routing_configuration=[
                sfn.CfnStateMachineAlias.RoutingConfigurationVersionProperty(
                    state_machine_version_arn=version.attr_arn, weight=100
                )
            ],
        )
        return machine, alias

    # The API

    def _api(self) -> tuple[apigw.HttpApi, apigw.HttpStage]:
        authorizer: apigw.IHttpRouteAuthorizer
        if self.settings.oidc_issuer:
            authorizer = authorizers.HttpJwtAuthorizer(
                "JwtAuthorizer", self.settings.oidc_issuer, jwt_audience=list(self.settings.oidc_audience)
            )
        else:
            authorizer = authorizers.HttpIamAuthorizer()
        api = apigw.HttpApi(
            self,
            "Api",
            description="orderflow orders API",
            create_default_stage=False,
            default_authorizer=authorizer,
        )
        access_logs = logs.LogGroup(
            self, "ApiAccessLogs", retention=self.retention, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        stage = apigw.HttpStage(
            self,
            "ApiStage",
            http_api=api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=self.settings.api_rate_limit, burst_limit=self.settings.api_burst_limit
            ),
        )
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn,
            format=json.dumps(
                {
                    "requestId": "$context.requestId",
                    "ip": "$context.identity.sourceIp",
                    "requestTime": "$context.requestTime",
                    "routeKey": "$context.routeKey",
                    "status": "$context.status",
                    "responseLength": "$context.responseLength",
                    "integrationError": "$context.integrationErrorMessage",
                    "latency": "$context.responseLatency",
                }
            ),
        )
        for function in self.manifest.functions:
            if isinstance(function.trigger, HttpRoutes):
                integration = integrations.HttpLambdaIntegration(
                    f"{function.name}Integration", self.functions[function.name]
                )
                for route in function.trigger.routes:
                    if route == DEFAULT_ROUTE:
                        # Whatever matches no route: the function answers it with a problem body (404, or 405 with
                        # Allow), where API Gateway would answer {"message": "Not Found"}.
                        apigw.HttpRoute(
                            self,
                            f"{function.name}DefaultRoute",
                            http_api=api,
                            route_key=apigw.HttpRouteKey.DEFAULT,
                            integration=integration,
                            authorizer=authorizer,
                        )
                        continue
                    method, path = route.split(" ", 1)
                    api.add_routes(path=path, methods=[apigw.HttpMethod(method)], integration=integration)
        return api, stage

    # Operations: alarms, dashboard, outputs

    def _alarms(self) -> list[cloudwatch.Alarm]:
        alarm_topic = cloudwatch_actions.SnsAction(self.topics["alerts"])
        five_minutes = cdk.Duration.minutes(5)
        specs: list[tuple[str, str, cloudwatch.IMetric]] = [
            (
                "OrderDlqNotEmpty",
                "orders are parked in the order DLQ: inspect with `orderflow dlq list`, redrive when fixed",
                self.queues["orders-dlq"].metric_approximate_number_of_messages_visible(
                    period=cdk.Duration.minutes(1), statistic="Maximum"
                ),
            ),
            (
                "AlertDlqNotEmpty",
                "alerts could not be delivered (Slack down?) and are parked in the alert DLQ",
                self.queues["alerts-dlq"].metric_approximate_number_of_messages_visible(
                    period=cdk.Duration.minutes(1), statistic="Maximum"
                ),
            ),
            ("ExecutionsFailed", "order executions failed", self.state_machine.metric_failed(period=five_minutes)),
            (
                "ExecutionsTimedOut",
                "order executions timed out",
                self.state_machine.metric_timed_out(period=five_minutes),
            ),
            (
                "ExecutionsThrottled",
                "Step Functions throttled order executions",
                self.state_machine.metric_throttled(period=five_minutes),
            ),
            ("Api5xx", "the orders API answered 5xx", self.api.metric_server_error(period=five_minutes)),
        ]
        for name, fn in self.functions.items():
            specs.append((f"{name}Errors", f"{name} invocations failed", fn.metric_errors(period=five_minutes)))
            specs.append((f"{name}Throttles", f"{name} was throttled", fn.metric_throttles(period=five_minutes)))
        alarms = []
        for name, description, metric in specs:
            alarm = cloudwatch.Alarm(
                self,
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

    def _dashboard(self) -> None:
        functions = list(self.functions.values())
        cloudwatch.Dashboard(
            self,
            "Dashboard",
            widgets=[
                [
                    cloudwatch.GraphWidget(
                        title="Orders API",
                        left=[self.api.metric_count(), self.api.metric_client_error(), self.api.metric_server_error()],
                        right=[self.api.metric_latency(statistic="p95")],
                    ),
                    cloudwatch.GraphWidget(
                        title="Order executions",
                        left=[
                            self.state_machine.metric_started(),
                            self.state_machine.metric_succeeded(),
                            self.state_machine.metric_failed(),
                            self.state_machine.metric_timed_out(),
                            self.state_machine.metric_throttled(),
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
                            self.queues["orders"].metric_approximate_number_of_messages_visible(),
                            self.queues["orders"].metric_approximate_age_of_oldest_message(),
                        ],
                        right=[
                            self.queues["orders-dlq"].metric_approximate_number_of_messages_visible(),
                            self.queues["alerts-dlq"].metric_approximate_number_of_messages_visible(),
                        ],
                    ),
                    cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=12),
                ],
            ],
        )

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "ApiUrl", value=self.stage.url, description="POST /orders, GET /orders/{orderId}")
        for key, ref in self.manifest.all_outputs().items():
            cdk.CfnOutput(self, key, value=self.value_of(ref))


_RETENTIONS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
}


def _retention(days: int) -> logs.RetentionDays:
    try:
        return _RETENTIONS[days]
    except KeyError:
        raise ValueError(f"logRetentionDays must be one of {sorted(_RETENTIONS)}, not {days}") from None
