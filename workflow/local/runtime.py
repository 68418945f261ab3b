"""The embedded local runtime: AWS served in-process by moto, provisioned from the manifest, running the compiled
ASL in moto's Step Functions interpreter and our handlers in-process.

    runtime = LocalRuntime(RuntimeConfig(time_scale=0.01)).start()
    ...
    runtime.stop()
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from moto import mock_aws

from handlers.adapters.orders_store import OrdersStore, order_from_item
from workflow import asl, openapi
from workflow.definition import JSONATA
from workflow.local import express, jsonata_engine, moto_hooks, state_machine_versions
from workflow.local.api import LocalApi
from workflow.local.faults import FaultInjector, FaultPlan
from workflow.local.lambdas import InProcessLambdas
from workflow.local.meter import LogBytes, Meter
from workflow.local.poller import QueuePoller, Ticker
from workflow.local.provisioning import Provisioner
from workflow.local.waiting import Changes, WaitTimeout, poll_until
from workflow.manifest import (
    DEFAULT_EXPRESS_LOG_LEVEL,
    DEFAULT_REGION,
    MANIFEST,
    STANDARD_LOG_LEVEL,
    HttpRoutes,
    Manifest,
    Ref,
    Setting,
    WorkflowType,
)
from workflow.ops.history import execution_arn, execution_history
from workflow.ops.local_names import ACCOUNT, LocalNames

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
__all__ = ["TERMINAL", "LocalRuntime", "RuntimeConfig", "WaitTimeout"]


@dataclass(frozen=True)
class RuntimeConfig:
    region: str = DEFAULT_REGION
    # STANDARD or EXPRESS: the state machine's type, and the definition compiled for it. An Express state machine
    # keeps AWS's contract (workflow.local.express): no history behind the API, its log records the record.
    workflow_type: str = "STANDARD"
    # The order workflow's query language: JSONata (what ships) or JSONPath (the same workflow; `make bench`
    # compares the two).
    query_language: str = JSONATA
    # An Express state machine's logging level (the stack's expressLogLevel); Standard's is always ALL.
    express_log_level: str = DEFAULT_EXPRESS_LOG_LEVEL
    # Multiplies every wait the definition and the queues ask for (retry intervals, batching windows, visibility).
    time_scale: float = 1.0
    # Operator settings (Setting refs in the manifest), e.g. SLACK_WEBHOOK_URL. Falls back to the environment.
    settings: Mapping[str, str] = field(default_factory=dict)
    poll_wait_seconds: int = 1
    # Faults to inject at random for this run, at the plan's rates (workflow.local.faults), drawn from `seed`.
    fault_plan: FaultPlan | None = None
    seed: int = 0
    # Print each failed invocation as one JSON line, as the Lambda runtime logs it (off for the chaos report).
    log_invocation_errors: bool = True
    # Send the queues' ticks (Queue.tick_minutes: scheduled jobs such as FindStuckOrders). The cost meter turns them
    # off: a scheduled job costs per month, not per order.
    ticks: bool = True


class LocalRuntime:
    def __init__(self, config: RuntimeConfig | None = None, manifest: Manifest = MANIFEST) -> None:
        self.config = config or RuntimeConfig()
        asl.check_workflow_type(self.config.workflow_type)
        self.manifest = manifest
        self._mock: Any = None
        self._pollers: list[QueuePoller | Ticker] = []
        self._environment_before: dict[str, str | None] = {}
        self._apis: list[LocalApi] = []
        self.lambdas: InProcessLambdas | None = None
        self.queue_urls: dict[str, str] = {}
        self.topic_arns: dict[str, str] = {}
        self.names = LocalNames(self.config.region, manifest)
        # Rolls the fault plan's rates (every function, queue poller and service hook asks it).
        self.random_faults = FaultInjector(self.config.fault_plan, self.config.seed)
        # DynamoDB faults a test or notebook asks for (`throttle("PutItem", times=2)`), and the plan's rate-based ones.
        self.dynamodb_faults = moto_hooks.DynamoDBFaults(
            injector=self.random_faults, conditional_table=self.names.table_name("orders")
        )
        # Step Functions API faults a test asks for (`fail("DescribeExecution", "ExecutionDoesNotExist", times=1)`),
        # and the plan's stalls.
        self.sfn_faults = moto_hooks.StepFunctionsFaults(injector=self.random_faults)
        self.state_machine_arn = self.names.state_machine_arn()
        # What AWS would bill for what this system served (workflow.local.meter; `orderflow cost` reads it).
        self.meter = Meter(partition_keys={self.names.table_name(t.name): t.partition_key for t in manifest.tables})
        self._log_meter: logging.Handler | None = None
        # Every successful write to an order, by its id: what waits for an order sleeps until its order is written.
        self.order_changes = Changes()
        self._orders_table = self.names.table_name("orders")
        self.aws_endpoint: str | None = None
        self._server: Any = None

    # Names: deterministic (workflow.ops.local_names), so references resolve before the resources exist.

    def table_name(self, name: str) -> str:
        return self.names.table_name(name)

    def function_arn(self, name: str) -> str:
        return self.names.function_arn(name)

    def queue_arn(self, name: str) -> str:
        return self.names.queue_arn(name)

    def resolve(self, ref: Ref) -> str | None:
        if isinstance(ref, Setting):
            return self.config.settings.get(ref.name) or os.environ.get(ref.name) or None
        if isinstance(ref, WorkflowType):
            return self.config.workflow_type
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
        # The handlers' business metrics are EMF lines for CloudWatch to read on AWS; here nothing reads them, and they
        # would drown the console and the harnesses' reports (POWERTOOLS_METRICS_DISABLED=false shows them).
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
        # moto logs every caught state failure at ERROR; the execution history already records them.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        moto_hooks.serialize_dynamodb_with_faults(
            self.dynamodb_faults, on_write=self._tables_written, on_call=self._dynamodb_served
        )
        moto_hooks.inject_step_functions_faults(self.sfn_faults)
        moto_hooks.cache_parsed_programs()
        jsonata_engine.install()
        state_machine_versions.install()
        express.install(
            duplicate=lambda: self.random_faults.roll(
                self.random_faults.plan.duplicate_start, "stepfunctions.StartExecution.duplicated"
            )
        )
        moto_hooks.reuse_task_clients()
        moto_hooks.cache_json_paths()
        moto_hooks.aws_entered_times()
        if self.random_faults.plan.sqs_send_failure or self.random_faults.plan.sns_publish_failure:
            moto_hooks.inject_messaging_faults(self.random_faults)
        moto_hooks.count_messaging(self.meter.messaging)
        self._log_meter = LogBytes(self.meter, _handler_formatter())
        _handler_logger().addHandler(self._log_meter)
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
            self.random_faults,
            log_errors=self.config.log_invocation_errors,
            on_invoke=self.meter.invoked,
        )
        moto_hooks.install_lambda_dispatcher(self.lambdas.dispatch)
        self._export_environment()
        provisioned = Provisioner(
            client=self.client,
            names=self.names,
            manifest=self.manifest,
            resolve=self.resolve,
            function_environment=self.function_environment,
            random_faults=self.random_faults,
            region=self.config.region,
            time_scale=self.config.time_scale,
            poll_wait_seconds=self.config.poll_wait_seconds,
            workflow_type=self.config.workflow_type,
            log_level=self.config.express_log_level if self.express else STANDARD_LOG_LEVEL,
            ticks=self.config.ticks,
        ).provision(self.compiled_definition())
        self.queue_urls, self.topic_arns = provisioned.queue_urls, provisioned.topic_arns
        self._pollers = provisioned.pollers
        self.random_faults.armed = True
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
        self._restore_environment()
        # The handlers' secrets are cached per process for minutes, and local secret names repeat from one runtime to
        # the next: the next runtime must read its own values, not this one's.
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()  # type: ignore[no-untyped-call]
        moto_hooks.uninstall()
        jsonata_engine.uninstall()
        express.uninstall()
        state_machine_versions.uninstall()
        if self._log_meter is not None:
            _handler_logger().removeHandler(self._log_meter)
            self._log_meter = None
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
                self._environment_before.setdefault(key, os.environ.get(key))
                os.environ[key] = value

    def _restore_environment(self) -> None:
        """What _export_environment changed, as it was: a later runtime in this process (the test tier starts several)
        must not inherit this one's settings, e.g. a STUCK_ORDER_MINUTES made short for one test."""
        for key, value in self._environment_before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._environment_before.clear()

    def compiled_definition(self, definition: Mapping[str, Any] | None = None) -> str:
        values = {}
        for name, ref in self.manifest.substitutions.items():
            value = self.resolve(ref)
            if value is None:
                raise asl.DefinitionError(f"placeholder {name} resolves to nothing locally")
            values[name] = value
        if definition is not None:
            asl.check_manifest(definition, self.manifest)  # as compile_order_workflow checks its own output
        return asl.substitute(
            definition or asl.compile_order_workflow(self.config.workflow_type, self.config.query_language), values
        )

    # Observing

    @property
    def express(self) -> bool:
        return self.config.workflow_type == express.EXPRESS

    def describe_execution(self, execution_arn: str) -> dict[str, Any]:
        """DescribeExecution's answer, for Express executions too (read from the engine: the API refuses them)."""
        if not express.is_express_arn(execution_arn):
            return dict(self.sfn.describe_execution(executionArn=execution_arn))
        found = express.execution_by_arn(ACCOUNT, self.config.region, execution_arn)
        if found is None:
            raise LookupError(f"no execution {execution_arn}")
        return express.described(found)

    def execution_events(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every event of an execution, for Express too (the engine's record: the API refuses them, and the log
        records hold only what the logging level keeps)."""
        if not express.is_express_arn(execution_arn):
            return execution_history(self.sfn, execution_arn)
        found = express.execution_by_arn(ACCOUNT, self.config.region, execution_arn)
        if found is None:
            raise LookupError(f"no execution {execution_arn}")
        return express.history(found)

    def running_executions(self) -> int:
        if self.express:
            return express.running(ACCOUNT, self.config.region)
        listed = self.sfn.list_executions(stateMachineArn=self.state_machine_arn, statusFilter="RUNNING", maxResults=1)
        return len(listed["executions"])

    def wait_for_execution(self, execution_arn: str, timeout: float = 30.0) -> dict[str, Any]:
        """The execution once it is terminal."""
        seen: dict[str, Any] = {}

        def terminal() -> dict[str, Any] | None:
            seen.update(self.describe_execution(execution_arn))
            return dict(seen) if seen["status"] in TERMINAL else None

        return poll_until(
            terminal,
            timeout=timeout,
            what=f"{execution_arn} terminal",
            first=0.005,
            longest=0.1,
            describe=lambda: f"still {seen.get('status')}",
        )

    def messages_in(self, queue: str) -> int:
        """Messages a queue holds, visible or in flight (0: everything sent to it so far was handled)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_urls[queue],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def execution_arn(self, order_id: str) -> str:
        """The execution the API started for an order (named after it; public answers do not carry its ARN). An
        Express execution's ARN ends in an id of its own: the first one of that name."""
        if not self.express:
            return execution_arn(self.state_machine_arn, order_id)
        arns = self.execution_arns(order_id)
        if not arns:
            raise LookupError(f"no execution of order {order_id}")
        return arns[0]

    def execution_arns(self, name: str) -> list[str]:
        """Every execution of that name, oldest first (an Express order may run twice: at-least-once starts)."""
        if not self.express:
            return [execution_arn(self.state_machine_arn, name)]
        return [e.exec_arn for e in express.executions_named(ACCOUNT, self.config.region, name)]

    def order(self, order_id: str) -> dict[str, Any] | None:
        """The order as the handlers' own store reads it (consistent read; straight from moto's backend, so that
        watching orders costs the pipeline little, and no fault meant for the handlers is injected into it)."""
        item = moto_hooks.read_item(ACCOUNT, self.config.region, self._orders_table, {"orderId": {"S": order_id}})
        return order_from_item(item) if item is not None else None

    def _dynamodb_served(self, action: str, params: Mapping[str, Any], answer: Any) -> None:
        self.meter.dynamodb(
            action, params, answer, lambda table, key: moto_hooks.read_item(ACCOUNT, self.config.region, table, key)
        )

    def _tables_written(self, written: list[tuple[str, Mapping[str, Any]]]) -> None:
        orders = [
            str(item["orderId"].get("S"))
            for table, item in written
            if table == self._orders_table and "orderId" in item
        ]
        if orders:
            self.order_changes.changed(*orders)

    def wait_for_order(self, order_id: str, statuses: Iterable[str], timeout: float = 30.0) -> dict[str, Any]:
        """The order once it has one of `statuses`."""
        wanted = set(statuses)
        seen: list[dict[str, Any] | None] = [None]

        def arrived() -> dict[str, Any] | None:
            seen[0] = self.order(order_id)
            return seen[0] if seen[0] is not None and seen[0].get("status") in wanted else None

        return poll_until(
            arrived,
            timeout=timeout,
            what=f"order {order_id} {sorted(wanted)}",
            longest=0.1,
            changes=self.order_changes.watch(order_id),
            describe=lambda: f"it is {seen[0].get('status') if seen[0] else 'absent'}",
        )

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
        self.meter.http_request()
        response = self.lambda_client.invoke(FunctionName="StartWorkflow", Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read())
        if "FunctionError" in response:
            return {
                "statusCode": 500,
                "headers": {"content-type": "application/problem+json"},
                "body": json.dumps({"title": "Internal Server Error", "status": 500, "detail": "see the logs"}),
            }
        return dict(payload)


def _handler_logger() -> logging.Logger:
    """The handlers' logger. Imported when the runtime starts, not with this module: Powertools reads its level
    (POWERTOOLS_LOG_LEVEL) when the logger is made, and harnesses set it before they start a runtime."""
    from handlers.observability import logger

    return logging.getLogger(logger.service)


def _handler_formatter() -> logging.Formatter | None:
    """The formatter the handlers' log lines are written with (Powertools' JSON), so the meter counts their bytes."""
    for handler in _handler_logger().handlers:
        if handler.formatter is not None:
            return handler.formatter
    return None
