"""The places where the local runtime reaches into moto (pinned exactly in requirements.lock).

1. `LambdaFunction._invoke_lambda(self, event) -> (payload, errored, logs)`: every Lambda invocation path in moto
   (Step Functions tasks, lambda.invoke, our SQS pollers) ends here; normally it runs Docker. We run our handler
   in-process instead.
2. `DynamoHandler.call_action`: serialized per table, because moto's conditional writes are not atomic across threads
   and real DynamoDB's are (per item). Also where DynamoDB faults are injected.
3. The Step Functions retrier's `time.sleep`: scaled, so production retry intervals stay in the definition while
   local runs wait less.
4. `SQSResponse.call_action` / `SNSResponse.call_action`: only when a fault plan asks for SendMessage / Publish
   failures (workflow.local.faults).
5. `ExecutionWorker._get_evaluation_entrypoint`: one parse per definition instead of one per execution.
6. `boto_client_for` in moto's Step Functions tasks: one client per region and service instead of one per call.
7. `json_path.parse` and ResultPath's `parse`: one parse per JSONPath (a JSONata Task's implicit ResultPath "$"
   too); and `read_item` reads moto's DynamoDB backend for the runtime's own observations.
8. the `datetime` of moto's state module: the context object's `State.EnteredTime` in AWS's form
   (`2026-12-03T13:00:09.827Z`), not Python's (`…09.827017+00:00`): RecordFailure writes it into the order's history
   beside timestamps in AWS's form.
9. `StepFunctionResponse.call_action`: where Step Functions API faults are injected (a stalled answer; an error
   instead of the answer, e.g. the miss of an eventually consistent DescribeExecution).

`check_moto_compatible()` fails loudly when moto changes any of them; a unit test calls it.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import inspect
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.responses import DynamoHandler
from moto.sns.responses import SNSResponse
from moto.sqs.responses import SQSResponse
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import boto_client, json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.responses import StepFunctionResponse

from handlers.domain.order import execution_name
from workflow.local.faults import FaultInjector

InvokeResult = tuple[str, bool, str]
Dispatcher = Callable[[str, Any], InvokeResult]


class MotoChanged(RuntimeError):
    pass


def check_moto_compatible() -> None:
    params = list(inspect.signature(_ORIGINAL_INVOKE).parameters)
    if params != ["self", "event"]:
        raise MotoChanged(
            f"LambdaFunction._invoke_lambda now takes {params}; the in-process hook expects (self, event)"
        )
    if "tuple[str, bool, str]" not in str(inspect.signature(_ORIGINAL_INVOKE).return_annotation):
        raise MotoChanged("LambdaFunction._invoke_lambda no longer returns (payload, errored, logs)")
    if not callable(getattr(DynamoHandler, "call_action", None)) or not hasattr(DynamoHandler, "_get_action"):
        raise MotoChanged("DynamoHandler.call_action/_get_action changed; DynamoDB serialisation cannot hook in")
    for response in (SQSResponse, SNSResponse, StepFunctionResponse):
        if not callable(getattr(response, "call_action", None)) or not hasattr(response, "_get_action"):
            raise MotoChanged(f"{response.__name__}.call_action/_get_action changed; its faults cannot hook in")
    if getattr(retrier_decl, "time", None) is not time and not isinstance(retrier_decl.time, _ScaledTime):
        raise MotoChanged("moto's retrier no longer sleeps through its module-level `time`")
    if list(inspect.signature(_ORIGINAL_ENTRYPOINT).parameters) != [
        "self"
    ] or "AmazonStateLanguageParser.parse" not in (inspect.getsource(_ORIGINAL_ENTRYPOINT)):
        raise MotoChanged("ExecutionWorker._get_evaluation_entrypoint no longer parses the definition; cannot cache it")
    if not isinstance(getattr(Preprocessor, "_query_language_per_scope", None), list):
        raise MotoChanged("moto's Preprocessor no longer keeps its query-language scopes in a class-level list")
    if not callable(getattr(json_path, "parse", None)) or "parse(" not in inspect.getsource(json_path.extract_json):
        raise MotoChanged("moto's json_path.extract_json no longer parses through json_path.parse; cannot cache paths")
    if "EnteredTime=datetime.datetime.now(tz=datetime.timezone.utc).isoformat()" not in inspect.getsource(
        state_module.CommonStateField._eval_body
    ) or getattr(state_module, "datetime", None) not in (datetime, _AWS_DATETIME):
        raise MotoChanged(
            "moto's states no longer write EnteredTime with datetime.now().isoformat(); cannot reformat it"
        )
    if "parse(self.result_path_src)" not in inspect.getsource(result_path.ResultPath._eval_body):
        raise MotoChanged("moto's ResultPath no longer parses through its module's parse; cannot cache its path")
    if not hasattr(dynamodb_backends, "__getitem__"):
        raise MotoChanged("moto.dynamodb.models.dynamodb_backends changed; read_item cannot read the backend")
    if list(inspect.signature(_ORIGINAL_BOTO_CLIENT_FOR).parameters) != ["region", "service", "state_credentials"] or (
        "state_credentials" in inspect.getsource(_ORIGINAL_BOTO_CLIENT_FOR).split(") -> BaseClient:", 1)[-1]
    ):
        raise MotoChanged("moto's boto_client_for now uses the state's credentials (or changed); cannot reuse clients")


class _AwsTimestamp(datetime.datetime):
    """A datetime whose isoformat is AWS's: UTC, milliseconds, `Z`."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        utc = self.astimezone(datetime.UTC)
        return f"{utc.strftime('%Y-%m-%dT%H:%M:%S')}.{utc.microsecond // 1000:03d}Z"


# What moto's state module sees as `datetime`: the module, but with AWS's timestamps.
_AWS_DATETIME = SimpleNamespace(datetime=_AwsTimestamp, timezone=datetime.timezone)

_ORIGINAL_INVOKE = LambdaFunction._invoke_lambda
_ORIGINAL_CALL_ACTION = DynamoHandler.call_action
_ORIGINAL_SQS_CALL = SQSResponse.call_action
_ORIGINAL_SNS_CALL = SNSResponse.call_action
_ORIGINAL_SFN_CALL = StepFunctionResponse.call_action
_ORIGINAL_ENTRYPOINT = ExecutionWorker._get_evaluation_entrypoint
_ORIGINAL_PARSE = AmazonStateLanguageParser.parse
_ORIGINAL_BOTO_CLIENT_FOR = boto_client.boto_client_for
_ORIGINAL_JSON_PATH_PARSE = json_path.parse
_ORIGINAL_RESULT_PATH_PARSE = result_path.parse
_REPLACED_CLIENT_FOR: list[Callable[..., Any]] = []
_PROGRAMS: dict[str, Any] = {}
_PROGRAMS_LOCK = threading.Lock()
# moto's Preprocessor keeps its query-language scopes in a class-level list, shared by every parse: two parses at
# once (two executions of a new definition, or one beside CreateStateMachine's validation) pop each other's scope
# (IndexError). One parse at a time; with the cache, a definition is parsed once. A parse that fails (a definition
# CreateStateMachine refuses) leaves its scopes behind, and every later parse inherited them (a JSONPath definition
# parsed after a refused JSONata one was read as JSONata): each parse starts and ends with none.
_PARSE_LOCK = threading.Lock()


def _parse_alone(definition: str) -> Any:
    scopes: list[Any] = Preprocessor._query_language_per_scope
    with _PARSE_LOCK:
        scopes.clear()
        try:
            return _ORIGINAL_PARSE(definition)
        finally:
            scopes.clear()


def install_lambda_dispatcher(dispatch: Dispatcher) -> None:
    check_moto_compatible()

    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> InvokeResult:
        if isinstance(event, str | bytes):
            event = json.loads(event or "{}")
        return dispatch(self.function_name, event if event is not None else {})

    LambdaFunction._invoke_lambda = _invoke_lambda


@dataclass
class _Fault:
    action: str
    table: str | None
    remaining: int
    error: str | None  # the JSON error DynamoDB answers with; None: only the delay
    delay: float = 0.0


def _error(kind: str, message: str) -> str:
    return json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": f"{message} (injected fault)"})


_THROTTLED = _error(
    "ProvisionedThroughputExceededException",
    "The level of configured provisioned throughput for the table was exceeded",
)
_CONDITION_FAILED = _error("ConditionalCheckFailedException", "The conditional request failed")


@dataclass
class DynamoDBFaults:
    """Faults for the next N calls of an action (optionally on one table), as DynamoDB shows them under load:
    throttling, a failed condition, or added latency."""

    faults: list[_Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Rate-based faults of a fault plan; `conditional_table` is where ConditionalCheckFailed is injected on PutItem.
    injector: FaultInjector = field(default_factory=FaultInjector)
    conditional_table: str | None = None

    def throttle(self, action: str, times: int, table: str | None = None) -> None:
        self._add(_Fault(action, table, times, _THROTTLED))

    def fail_condition(self, action: str, times: int, table: str | None = None) -> None:
        self._add(_Fault(action, table, times, _CONDITION_FAILED))

    def delay(self, action: str, seconds: float, times: int, table: str | None = None) -> None:
        self._add(_Fault(action, table, times, None, seconds))

    def _add(self, fault: _Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take(self, action: str, table: str | None) -> _Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.action == action and fault.table in (None, table) and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        plan = self.injector.plan
        if self.injector.roll(plan.dynamodb_throttle, f"dynamodb.{action}.throttled"):
            return _Fault(action, table, 0, _THROTTLED)
        if (
            action == "PutItem"
            and table == self.conditional_table
            and self.injector.roll(plan.dynamodb_condition_failed, "dynamodb.PutItem.condition_failed")
        ):
            return _Fault(action, table, 0, _CONDITION_FAILED)
        if self.injector.roll(plan.dynamodb_stall, f"dynamodb.{action}.stalled"):
            return _Fault(action, table, 0, None, plan.dynamodb_stall_ms / 1000)
        return None


@dataclass
class _ApiFault:
    action: str
    name: str | None  # the execution's name, from StartExecution's `name` or the `executionArn`; None: any
    remaining: int
    error: str | None  # the error code answered instead; None: only the delay
    delay: float = 0.0


@dataclass
class StepFunctionsFaults:
    """Faults for the next N calls of a Step Functions API action (optionally about one execution, by its name), and
    the plan's stalls: a stalled answer (the call still takes effect after the delay, as on AWS when the client has
    given up), or an error answered instead, e.g. `fail("DescribeExecution", "ExecutionDoesNotExist", 1, name)`:
    AWS's DescribeExecution is eventually consistent, and may not see an execution that StartExecution has just
    refused to start again (ExecutionAlreadyExists)."""

    faults: list[_ApiFault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    injector: FaultInjector = field(default_factory=FaultInjector)

    def delay(self, action: str, seconds: float, times: int, name: str | None = None) -> None:
        self._add(_ApiFault(action, name, times, None, seconds))

    def fail(self, action: str, error: str, times: int, name: str | None = None) -> None:
        self._add(_ApiFault(action, name, times, error))

    def _add(self, fault: _ApiFault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take(self, action: str, name: str | None) -> _ApiFault | None:
        with self.lock:
            for fault in self.faults:
                if fault.action == action and fault.name in (None, name) and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        plan = self.injector.plan
        if self.injector.roll(plan.sfn_stall, f"stepfunctions.{action}.stalled"):
            return _ApiFault(action, name, 0, None, plan.sfn_stall_ms / 1000)
        return None


def inject_step_functions_faults(faults: StepFunctionsFaults) -> None:
    """Step Functions API calls meet `faults` before moto serves them: a delay (other calls go on meanwhile), then
    the call served, or the fault's error answered in its place, as moto answers its own errors."""
    check_moto_compatible()

    def call_action(self: StepFunctionResponse) -> Any:
        arn = self._get_param("executionArn")
        fault = faults.take(self._get_action(), execution_name(arn) if arn else self._get_param("name"))
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.error is not None:
                body = json.dumps({"__type": fault.error, "message": "injected fault"})
                headers = {**_error_headers("application/x-amz-json-1.0"), "x-amzn-errortype": fault.error}
                return 400, headers, body
        return _ORIGINAL_SFN_CALL(self)

    StepFunctionResponse.call_action = call_action


_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


class _TableLocks:
    """One lock per table: DynamoDB's conditional writes are atomic per item, and moto's are not across threads, so
    calls on one table run one at a time while calls on other tables go on. A call on several tables (a
    transaction, a batch) holds all of theirs, taken in name order so that two such calls cannot deadlock."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.RLock] = {}

    def of(self, tables: Iterable[str]) -> list[threading.RLock]:
        with self._guard:
            return [self._locks.setdefault(name, threading.RLock()) for name in sorted(set(tables))]


_LOCKS = _TableLocks()


def read_item(account: str, region: str, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
    """An item as a consistent GetItem returns it (DynamoDB JSON), read from moto's backend under the table's lock:
    for the local runtime's own observations (waits, reports), which need not pay for a request's parsing and
    serialization, nor for faults meant for the handlers."""
    with contextlib.ExitStack() as held:
        for lock in _LOCKS.of([table]):
            held.enter_context(lock)
        item = dynamodb_backends[account][region].get_item(table, dict(key))
        return dict(item.to_json()["Attributes"]) if item is not None else None


def tables_of(action: str, params: Mapping[str, Any]) -> list[str]:
    """The tables a DynamoDB call touches ("" for a call on none, e.g. ListTables)."""
    if isinstance(params.get("TableName"), str):
        return [params["TableName"]]
    if action.startswith("Transact"):
        return [
            str(operation.get("TableName"))
            for item in params.get("TransactItems", [])
            for operation in item.values()
            if isinstance(operation, dict)
        ] or [""]
    if isinstance(params.get("RequestItems"), dict):
        return list(params["RequestItems"]) or [""]
    return [""]


# What a write wrote: (table, the item or its key) per item, in DynamoDB's JSON.
Written = list[tuple[str, Mapping[str, Any]]]


def written_items(action: str, params: Mapping[str, Any]) -> Written:
    """What a successful write wrote: (table, the item or its key), in DynamoDB's JSON."""
    if action == "PutItem":
        return [(str(params.get("TableName")), params.get("Item") or {})]
    if action in {"UpdateItem", "DeleteItem"}:
        return [(str(params.get("TableName")), params.get("Key") or {})]
    written: Written = []
    for item in params.get("TransactItems", []):
        for kind, operation in item.items():
            if kind != "ConditionCheck" and isinstance(operation, dict):
                written.append((str(operation.get("TableName")), operation.get("Item") or operation.get("Key") or {}))
    for table, requests in (params.get("RequestItems") or {}).items():
        for request in requests:
            for operation in request.values():
                written.append((table, operation.get("Item") or operation.get("Key") or {}))
    return written


def serialize_dynamodb_with_faults(
    faults: DynamoDBFaults,
    on_write: Callable[[Written], None] | None = None,
    on_call: Callable[[str, Mapping[str, Any], Any], None] | None = None,
) -> None:
    """DynamoDB calls on one table run one at a time (see _TableLocks), after `faults` had its say: an injected
    error, or latency before the call. `on_write` hears of every write that succeeded: what it wrote; `on_call` of
    every call served (its action, parameters and answer), for the meter."""
    check_moto_compatible()
    locks = _LOCKS

    def call_action(self: DynamoHandler) -> Any:
        action = self._get_action()
        params = getattr(self, "params", None) or {}
        fault = faults.take(action, params.get("TableName"))
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)  # outside the locks: other calls go on meanwhile
            if fault.error is not None:
                return 400, _error_headers("application/x-amz-json-1.0"), fault.error
        tables = tables_of(action, params)
        with contextlib.ExitStack() as held:
            for lock in locks.of(tables):
                held.enter_context(lock)
            answer = _ORIGINAL_CALL_ACTION(self)
        if on_call is not None:  # counted before anyone waiting for the write hears of it
            on_call(action, params, answer)
        if on_write is not None and action in _WRITES and _status(answer) < 300:
            on_write(written_items(action, params))
        return answer

    DynamoHandler.call_action = call_action


def _status(answer: Any) -> int:
    """A moto response's status: (status, headers, body), or just a body for 200."""
    if isinstance(answer, tuple) and answer and isinstance(answer[0], int):
        return answer[0]
    return 200


def cache_parsed_programs(maxsize: int = 32) -> None:
    """moto parses the ASL again for every execution (a sixth of a local order's time); a definition's parsed program
    is the same every time, and its components hold no execution's state (the Environment does), so one parse per
    definition serves every execution of it. A test checks that running executions leaves the cached programs as
    they were (tests/integration/test_engine_hooks.py)."""
    check_moto_compatible()

    def entrypoint(self: ExecutionWorker) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        with _PROGRAMS_LOCK:
            program = _PROGRAMS.get(definition)
        if program is None:
            program = _parse_alone(definition)[0]
            _assign_heap_keys(program)
            with _PROGRAMS_LOCK:
                while len(_PROGRAMS) >= maxsize:
                    _PROGRAMS.pop(next(iter(_PROGRAMS)))  # the oldest definition: updates come and go
                program = _PROGRAMS.setdefault(definition, program)
        return program

    ExecutionWorker._get_evaluation_entrypoint = entrypoint
    AmazonStateLanguageParser.parse = staticmethod(_parse_alone)


def _assign_heap_keys(program: Any) -> None:
    """A component's `heap_key` is its identity, under which each execution keeps that component's state (a retrier's
    attempt count, its next backoff) in the execution's own heap. moto makes it on first use; shared by concurrent
    executions, two first uses could race and give one component two identities, so every one is made now."""
    stack, seen = [program], set()
    while stack:
        component = stack.pop()
        if id(component) in seen:
            continue
        seen.add(id(component))
        if isinstance(component, EvalComponent):
            _ = component.heap_key
        children = vars(component).values() if hasattr(component, "__dict__") else ()
        for child in children:
            if isinstance(child, list | tuple | set | frozenset):
                stack.extend(child)
            elif isinstance(child, dict):
                stack.extend(child.values())
            elif hasattr(child, "__dict__") and not isinstance(child, type):
                stack.append(child)


def parsed_program(definition: str) -> Any | None:
    """The cached program of a definition, if one is cached (for the test that checks it holds no execution's state)."""
    with _PROGRAMS_LOCK:
        return _PROGRAMS.get(definition)


def cache_json_paths(maxsize: int = 1024) -> None:
    """moto's Step Functions parse every JSONPath again where it is used (jsonpath-ng builds a new parser each time:
    about an eighth of an order's CPU). A parsed path is an immutable expression: one per distinct path. ResultPath
    imports jsonpath-ng's parse itself; every JSONata Task has an implicit ResultPath "$" in moto, parsed per state."""
    check_moto_compatible()
    json_path.parse = functools.lru_cache(maxsize=maxsize)(_ORIGINAL_JSON_PATH_PARSE)
    result_path.parse = functools.lru_cache(maxsize=maxsize)(_ORIGINAL_RESULT_PATH_PARSE)


def reuse_task_clients() -> None:
    """moto's Step Functions tasks build a boto3 client for every call (about an eighth of a local order's time).
    boto3 clients are thread-safe, so one per region and service serves them all. (moto's own function takes the
    state's credentials and does not use them: every client it makes is the same fixed-credential one.)"""
    check_moto_compatible()
    clients: dict[tuple[str, str], Any] = {}
    guard = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with guard:
            if (region, service) not in clients:
                clients[(region, service)] = _ORIGINAL_BOTO_CLIENT_FOR(region, service)
            return clients[(region, service)]

    _set_boto_client_for(boto_client_for)


def _set_boto_client_for(replacement: Callable[..., Any]) -> None:
    """The function is imported by name into each task module: replace it there and at its source."""
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("moto.stepfunctions.parser") and (
            getattr(module, "boto_client_for", None) in (_ORIGINAL_BOTO_CLIENT_FOR, *_REPLACED_CLIENT_FOR)
        ):
            module.boto_client_for = replacement  # type: ignore[attr-defined]
    _REPLACED_CLIENT_FOR[:] = [replacement]


def _error_headers(content_type: str) -> dict[str, str]:
    # AWS answers every error with a request id; moto's Step Functions integrations read it.
    return {"content-type": content_type, "x-amzn-requestid": str(uuid.uuid4())}


def inject_messaging_faults(injector: FaultInjector) -> None:
    """SQS SendMessage and SNS Publish fail at the plan's rates, as a throttled or failing service answers. 400s,
    not 500s: botocore would retry a 500 inside moto's own Step Functions client and hide the fault."""
    check_moto_compatible()

    def failing(original: Callable[[Any], Any], service: str, actions: set[str], rate: Callable[[], float]) -> Any:
        def call_action(self: Any) -> Any:
            action = self._get_action()
            if action in actions and injector.roll(rate(), f"{service}.{action}.failed"):
                if service == "sqs":
                    body = json.dumps({"__type": "com.amazonaws.sqs#KmsThrottled", "message": "injected fault"})
                    return 400, _error_headers("application/x-amz-json-1.0"), body
                body = (
                    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttled</Code>"
                    "<Message>Rate exceeded (injected fault)</Message></Error><RequestId>0</RequestId></ErrorResponse>"
                )
                return 400, _error_headers("text/xml"), body
            return original(self)

        return call_action

    SQSResponse.call_action = failing(
        _ORIGINAL_SQS_CALL, "sqs", {"SendMessage", "SendMessageBatch"}, lambda: injector.plan.sqs_send_failure
    )
    SNSResponse.call_action = failing(
        _ORIGINAL_SNS_CALL, "sns", {"Publish", "PublishBatch"}, lambda: injector.plan.sns_publish_failure
    )


def count_messaging(on_call: Callable[[str, str, Mapping[str, Any], Any], None]) -> None:
    """Every SQS and SNS call served, to `on_call(service, action, params, answer)` (for the meter); on top of any
    fault hook already installed."""
    check_moto_compatible()

    def counted(inner: Callable[[Any], Any], service: str) -> Callable[[Any], Any]:
        def call_action(self: Any) -> Any:
            answer = inner(self)
            on_call(service, self._get_action(), getattr(self, "params", None) or {}, answer)
            return answer

        return call_action

    SQSResponse.call_action = counted(SQSResponse.call_action, "sqs")
    SNSResponse.call_action = counted(SNSResponse.call_action, "sns")


class _ScaledTime:
    def __init__(self, scale: float) -> None:
        self.scale = scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds * self.scale)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def scale_retry_intervals(scale: float) -> None:
    check_moto_compatible()
    retrier_decl.time = _ScaledTime(scale)


def aws_entered_times() -> None:
    """The context object's State.EnteredTime as AWS writes it (`$$.State.EnteredTime`, `$states.context...`)."""
    check_moto_compatible()
    state_module.datetime = _AWS_DATETIME


def uninstall() -> None:
    state_module.datetime = datetime
    json_path.parse = _ORIGINAL_JSON_PATH_PARSE
    result_path.parse = _ORIGINAL_RESULT_PATH_PARSE
    ExecutionWorker._get_evaluation_entrypoint = _ORIGINAL_ENTRYPOINT
    AmazonStateLanguageParser.parse = staticmethod(_ORIGINAL_PARSE)
    with _PROGRAMS_LOCK:
        _PROGRAMS.clear()
    _set_boto_client_for(_ORIGINAL_BOTO_CLIENT_FOR)
    _REPLACED_CLIENT_FOR.clear()
    LambdaFunction._invoke_lambda = _ORIGINAL_INVOKE
    DynamoHandler.call_action = _ORIGINAL_CALL_ACTION
    SQSResponse.call_action = _ORIGINAL_SQS_CALL
    SNSResponse.call_action = _ORIGINAL_SNS_CALL
    StepFunctionResponse.call_action = _ORIGINAL_SFN_CALL
    retrier_decl.time = time
