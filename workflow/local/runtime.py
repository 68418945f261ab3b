"""The embedded local runtime's life cycle: AWS served in-process by moto (patched by workflow.emulator),
provisioned from the manifest, running the compiled ASL in moto's Step Functions interpreter and our handlers
in-process; then serving the HTTP API and the AWS endpoint, and stopping it all again.

    runtime = LocalRuntime(RuntimeConfig(time_scale=0.01)).start()
    ...
    runtime.stop()

What a running system answers about itself (executions, orders, queues, the waits) is workflow.local.inspection's,
a mixin of LocalRuntime.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from moto import mock_aws

from handlers.adapters.orders_store import OrdersStore
from workflow import asl, openapi
from workflow.emulator import dynamodb, table
from workflow.emulator.wiring import Wiring
from workflow.local.api import LocalApi
from workflow.local.config import RuntimeConfig
from workflow.local.faults import DynamoDBFaults, FaultInjector, StepFunctionsFaults, messaging_failures
from workflow.local.inspection import TERMINAL, Inspection
from workflow.local.lambdas import InProcessLambdas
from workflow.local.observer import LoggedBytes, Observer
from workflow.local.poller import QueuePoller, Ticker
from workflow.local.provisioning import Provisioner
from workflow.local.waiting import Changes, WaitTimeout
from workflow.manifest import MANIFEST, STANDARD_LOG_LEVEL, HttpRoutes, Manifest, Ref, Setting, WorkflowType
from workflow.ops.local_names import ACCOUNT, LocalNames

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sns import SNSClient

__all__ = ["TERMINAL", "LocalRuntime", "RuntimeConfig", "WaitTimeout"]


class LocalRuntime(Inspection):
    def __init__(
        self, config: RuntimeConfig | None = None, manifest: Manifest = MANIFEST, observer: Observer | None = None
    ) -> None:
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
        self.dynamodb_faults = DynamoDBFaults(
            injector=self.random_faults, conditional_table=self.names.table_name("orders")
        )
        # Step Functions API faults a test asks for (`fail("DescribeExecution", "ExecutionDoesNotExist", times=1)`),
        # and the plan's stalls.
        self.sfn_faults = StepFunctionsFaults(injector=self.random_faults)
        self.state_machine_arn = self.names.state_machine_arn()
        # Hears of every call this system served, e.g. what AWS would bill for it (workflow.harness.meter).
        self.observer = observer
        self._logged_bytes: logging.Handler | None = None
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
        observer = self.observer
        self.lambdas = InProcessLambdas(
            {f.name: f for f in self.manifest.functions},
            {f.name: self.function_arn(f.name) for f in self.manifest.functions},
            self.random_faults,
            log_errors=self.config.log_invocation_errors,
            on_invoke=observer.invoked if observer is not None else None,
        )
        table.install(self._wiring(self.lambdas))
        if observer is not None:
            self._logged_bytes = LoggedBytes(observer.logged, _handler_formatter())
            _handler_logger().addHandler(self._logged_bytes)
        self.dynamodb: DynamoDBClient = self.client("dynamodb")
        self.sqs = self.client("sqs")
        self.sns: SNSClient = self.client("sns")
        self.lambda_client: LambdaClient = self.client("lambda")
        self.sfn = self.client("stepfunctions")
        self.orders = OrdersStore(self.dynamodb, self.table_name("orders"), self.table_name("idempotency"))
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
        table.uninstall()
        if self._logged_bytes is not None:
            _handler_logger().removeHandler(self._logged_bytes)
            self._logged_bytes = None
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

    def _wiring(self, lambdas: InProcessLambdas) -> Wiring:
        """What this system plugs into the patched moto (workflow.emulator.wiring)."""
        faults, observer = self.random_faults, self.observer
        return Wiring(
            dispatch=lambdas.dispatch,
            dynamodb_fault=self.dynamodb_faults.take,
            on_dynamodb_write=self._tables_written,
            on_dynamodb_call=self._dynamodb_served if observer is not None else None,
            sfn_fault=self.sfn_faults.take,
            messaging_fails=messaging_failures(faults),
            on_messaging=observer.messaging if observer is not None else None,
            retry_scale=self.config.time_scale,
            duplicate_express_start=lambda: faults.roll(
                faults.plan.duplicate_start, "stepfunctions.StartExecution.duplicated"
            ),
        )

    def _dynamodb_served(self, action: str, params: Mapping[str, Any], answer: Any) -> None:
        if self.observer is not None:
            region = self.config.region
            self.observer.dynamodb(
                action, params, answer, lambda name, key: dynamodb.read_item(ACCOUNT, region, name, key)
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
        if self.observer is not None:
            self.observer.http_request()
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
