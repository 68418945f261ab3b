"""The embedded local runtime: AWS served in-process by moto, provisioned from the manifest, running the compiled
ASL in moto's Step Functions interpreter and our handlers in-process.

    runtime = LocalRuntime(RuntimeConfig(time_scale=0.01)).start()
    ...
    runtime.stop()
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import threading
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from moto import mock_aws

from handlers.orders_store import OrdersStore
from workflow import asl, graph, openapi
from workflow.local import moto_hooks
from workflow.local.api import LocalApi
from workflow.local.faults import FaultInjector, FaultPlan
from workflow.local.lambdas import InProcessLambdas
from workflow.local.names import STACK, STATE_MACHINE, LocalNames
from workflow.local.poller import QueuePoller
from workflow.manifest import (
    MANIFEST,
    PYTHON_RUNTIME,
    HttpRoutes,
    Manifest,
    QueueTrigger,
    Ref,
    Setting,
    StateMachineArn,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class WaitTimeout(TimeoutError):
    pass


@dataclass(frozen=True)
class RuntimeConfig:
    region: str = "us-east-1"
    # Multiplies every wait the definition and the queues ask for (retry intervals, batching windows, visibility).
    time_scale: float = 1.0
    # Operator settings (Setting refs in the manifest), e.g. SLACK_WEBHOOK_URL. Falls back to the environment.
    settings: Mapping[str, str] = field(default_factory=dict)
    poll_wait_seconds: int = 1
    # Faults to inject for this run (workflow.local.faults), drawn from `seed`.
    faults: FaultPlan | None = None
    seed: int = 0
    # Print each failed invocation as one JSON line, as the Lambda runtime logs it (off for the chaos report).
    log_invocation_errors: bool = True


class LocalRuntime:
    def __init__(self, config: RuntimeConfig | None = None, manifest: Manifest = MANIFEST) -> None:
        self.config = config or RuntimeConfig()
        self.manifest = manifest
        self._mock: Any = None
        self._pollers: list[QueuePoller] = []
        self._apis: list[LocalApi] = []
        self.lambdas: InProcessLambdas | None = None
        self.queue_urls: dict[str, str] = {}
        self.topic_arns: dict[str, str] = {}
        self.names = LocalNames(self.config.region, manifest)
        self.injector = FaultInjector(self.config.faults, self.config.seed)
        self.faults = moto_hooks.DynamoDBFaults(
            injector=self.injector, conditional_table=self.names.table_name("orders")
        )
        self.state_machine_arn = self.names.state_machine_arn()
        self.aws_endpoint: str | None = None
        self._server: Any = None

    # Names: deterministic (workflow.local.names), so references resolve before the resources exist.

    def table_name(self, name: str) -> str:
        return self.names.table_name(name)

    def function_arn(self, name: str) -> str:
        return self.names.function_arn(name)

    def queue_arn(self, name: str) -> str:
        return self.names.queue_arn(name)

    def resolve(self, ref: Ref) -> str | None:
        match ref:
            case Setting(name):
                return self.config.settings.get(name) or os.environ.get(name) or None
            case StateMachineArn(alias=str()):
                # moto cannot start an execution through an alias: callers start the state machine itself, whose
                # definition is the one the alias's newest version holds (`orderflow workflow update` keeps both).
                return self.names.state_machine_arn()
        return self.names.resolve(ref)

    def resolve_setting(self, name: str) -> str | None:
        return self.resolve(Setting(name))

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            region_name=self.config.region,
            config=Config(retries={"mode": "standard", "max_attempts": 3}),
        )

    # Life cycle

    def start(self) -> LocalRuntime:
        os.environ["AWS_DEFAULT_REGION"] = self.config.region
        # moto logs every caught state failure at ERROR; the execution history already records them.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        moto_hooks.serialize_dynamodb(self.faults)
        if self.injector.plan.sqs_send_failure or self.injector.plan.sns_publish_failure:
            moto_hooks.inject_messaging_faults(self.injector)
        moto_hooks.scale_retry_intervals(self.config.time_scale)
        self.dynamodb: DynamoDBClient = self.client("dynamodb")
        self.sqs: SQSClient = self.client("sqs")
        self.sns: SNSClient = self.client("sns")
        self.lambda_client: LambdaClient = self.client("lambda")
        self.sfn: SFNClient = self.client("stepfunctions")
        self.orders = OrdersStore(self.dynamodb, self.table_name("orders"), self.table_name("idempotency"))
        self.lambdas = InProcessLambdas(
            {f.name: f for f in self.manifest.functions},
            {f.name: self.function_arn(f.name) for f in self.manifest.functions},
            self.injector,
            log_errors=self.config.log_invocation_errors,
        )
        moto_hooks.install_lambda_dispatcher(self.lambdas.dispatch)
        self._export_environment()
        self._provision()
        self.injector.armed = True
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for api in self._apis:
            api.stop()
        self._apis.clear()
        for poller in self._pollers:
            poller.stop()
        self._pollers.clear()
        moto_hooks.uninstall()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def function_environment(self, name: str) -> dict[str, str]:
        env = {}
        for key, ref in self.manifest.function(name).environment.items():
            value = self.resolve(ref)
            if value is not None:
                env[key] = value
        return env

    def _export_environment(self) -> None:
        """All handlers share this process, so their environments are merged; the manifest must not contradict
        itself (one variable, one value)."""
        merged: dict[str, str] = {}
        for function in self.manifest.functions:
            for key, value in self.function_environment(function.name).items():
                if merged.setdefault(key, value) != value:
                    raise ValueError(f"functions disagree on {key}: {merged[key]!r} vs {value!r}")
        for key, value in merged.items():
            if value:
                os.environ[key] = value

    def _provision(self) -> None:
        iam = self.client("iam")
        role = iam.create_role(
            RoleName=f"{STACK}-local",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        for table in self.manifest.tables:
            name = self.table_name(table.name)
            self.dynamodb.create_table(
                TableName=name,
                AttributeDefinitions=[{"AttributeName": table.partition_key, "AttributeType": "S"}],
                KeySchema=[{"AttributeName": table.partition_key, "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
            if table.ttl_attribute:
                self.dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
        # Dead-letter queues first: a redrive policy names an existing queue.
        for queue in sorted(self.manifest.queues, key=lambda q: q.dead_letter_queue is not None):
            attributes: dict[Any, str] = {
                "VisibilityTimeout": str(max(1, round(queue.visibility_timeout * self.config.time_scale))),
                "MessageRetentionPeriod": str(queue.retention_seconds),
            }
            if queue.dead_letter_queue:
                attributes["RedrivePolicy"] = json.dumps(
                    {
                        "deadLetterTargetArn": self.queue_arn(queue.dead_letter_queue),
                        "maxReceiveCount": queue.max_receive_count,
                    }
                )
            url = self.sqs.create_queue(QueueName=self.names.queue_name(queue.name), Attributes=attributes)["QueueUrl"]
            self.queue_urls[queue.name] = url
        for topic in self.manifest.topics:
            self.topic_arns[topic.name] = self.sns.create_topic(Name=self.names.topic_name(topic.name))["TopicArn"]
        secrets = self.client("secretsmanager")
        for secret in self.manifest.secrets:
            secrets.create_secret(
                Name=self.names.secret_name(secret.name),
                Description=secret.description,
                # Secrets Manager wants a value; anything but a URL means "not configured" to the AlertHandler.
                SecretString=self.resolve(Setting(secret.local_value_from)) or "not-configured",
            )
        code = _placeholder_zip()
        for function in self.manifest.functions:
            self.lambda_client.create_function(
                FunctionName=function.name,
                Runtime=PYTHON_RUNTIME,
                Role=role,
                Handler=function.handler,
                Code={"ZipFile": code},
                Timeout=function.timeout,
                MemorySize=function.memory,
                Architectures=["arm64"],
                Environment={"Variables": self.function_environment(function.name)},
            )
        for queue in self.manifest.queues:
            if queue.subscribes_to:
                self.sns.subscribe(
                    TopicArn=self.topic_arns[queue.subscribes_to],
                    Protocol="sqs",
                    Endpoint=self.names.queue_arn(queue.name),
                    Attributes={"RawMessageDelivery": "true"},
                )
        created = self.sfn.create_state_machine(
            name=STATE_MACHINE,
            definition=self.compiled_definition(),
            roleArn=role,
            type="STANDARD",
            publish=True,
            versionDescription="as provisioned",
        )
        self.sfn.create_state_machine_alias(
            name=self.manifest.live_alias,
            routingConfiguration=[{"stateMachineVersionArn": created["stateMachineVersionArn"], "weight": 100}],
        )
        for function in self.manifest.functions:
            if isinstance(function.trigger, QueueTrigger):
                poller = QueuePoller(
                    self.sqs,
                    self.lambda_client,
                    self.queue_urls[function.trigger.queue],
                    self.queue_arn(function.trigger.queue),
                    function.name,
                    function.trigger.batch_size,
                    self.config.region,
                    wait_seconds=self.config.poll_wait_seconds,
                    # Scaled, but not below half a second: a window shorter than the fan-out of one publish would
                    # split what AWS gathers into one batch.
                    batch_window=(
                        max(0.5, function.trigger.batch_window * self.config.time_scale)
                        if function.trigger.batch_window
                        else 0.0
                    ),
                    faults=self.injector,
                )
                poller.start()
                self._pollers.append(poller)

    def compiled_definition(self, definition: Mapping[str, Any] | None = None) -> str:
        values = {}
        for name, ref in self.manifest.substitutions.items():
            value = self.resolve(ref)
            if value is None:
                raise asl.DefinitionError(f"placeholder {name} resolves to nothing locally")
            values[name] = value
        return asl.substitute(definition or asl.compile_order_workflow(), values)

    # Observing

    def wait_for_execution(self, execution_arn: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll with backoff (tight polling from many threads starves moto's interpreter) until terminal."""
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] in TERMINAL:
                return dict(described)
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"{execution_arn} still {described['status']} after {timeout}s")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    def messages_in(self, queue: str) -> int:
        """Messages a queue holds, visible or in flight (0: everything sent to it so far was handled)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_urls[queue],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def execution_arn(self, order_id: str) -> str:
        """The execution the API started for an order (named after it; public answers do not carry its ARN)."""
        return graph.execution_arn(self.state_machine_arn, order_id)

    def order(self, order_id: str) -> dict[str, Any] | None:
        """The order as the handlers' own store reads it (consistent read)."""
        return self.orders.get(order_id)

    def wait_for_order(self, order_id: str, statuses: Iterable[str], timeout: float = 30.0) -> dict[str, Any]:
        wanted = set(statuses)
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            order = self.order(order_id)
            if order is not None and order.get("status") in wanted:
                return order
            if time.monotonic() >= deadline:
                seen = order.get("status") if order else "absent"
                raise WaitTimeout(f"order {order_id} is {seen}, not {sorted(wanted)}, after {timeout}s")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    def serve_aws(self, host: str = "127.0.0.1", port: int = 4566) -> str:
        """Serve the AWS APIs of this running system (moto's server app, same state) so that CLI commands in other
        processes act on it exactly as they would on AWS. Returns the endpoint URL; port 0 picks a free port."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        from workflow.local.guard import AwsEndpointGuard, QuietRequestHandler

        class RequestHandler(QuietRequestHandler, MotoRequestHandler):  # type: ignore[misc]
            pass

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        try:
            server = make_server(
                host,
                port,
                # Loopback pages only, no CORS, no moto dashboard (workflow.local.guard).
                AwsEndpointGuard(DomainDispatcherApplication(create_backend_app)),
                threaded=True,
                request_handler=RequestHandler,
            )
        except SystemExit:  # werkzeug reports a port in use on stderr and exits
            raise OSError(errno.EADDRINUSE, f"port {port} is in use") from None
        threading.Thread(target=server.serve_forever, name="aws-endpoint", daemon=True).start()
        self._server = server
        self.aws_endpoint = f"http://{host}:{server.server_port}"
        return self.aws_endpoint

    def serve_api(self, host: str = "127.0.0.1", port: int = 3000) -> LocalApi:
        """Serve the HTTP API's routes (from the manifest) on a local port, like API Gateway would."""
        routes: tuple[str, ...] = ()
        for function in self.manifest.functions:
            if isinstance(function.trigger, HttpRoutes):
                routes += function.trigger.routes
        contract = openapi.to_json(openapi.document()).encode("utf-8")
        api = LocalApi(routes, self.invoke_api, host=host, port=port, documents={"/openapi.json": lambda: contract})
        api.start()
        self._apis.append(api)
        return api

    def invoke_api(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """What API Gateway does with a request: invoke the StartWorkflow function with the event."""
        response = self.lambda_client.invoke(FunctionName="StartWorkflow", Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read())
        if "FunctionError" in response:
            return {
                "statusCode": 500,
                "headers": {"content-type": "application/problem+json"},
                "body": json.dumps({"title": "Internal Server Error", "status": 500, "detail": "see the logs"}),
            }
        return dict(payload)


def _placeholder_zip() -> bytes:
    """moto wants a code package; the code that runs is our installed `handlers` package, in-process."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "orderflow handlers run in-process in the local runtime\n")
    return buffer.getvalue()
