"""Express state machines as AWS runs them, which moto does not: at-least-once starts with no name de-duplication,
execution ARNs of the `express` resource type, no execution history behind the API, and CloudWatch Logs as the
record.

What AWS does, and what this module makes moto do:
- StartExecution on an Express state machine starts a new execution every time, whatever its name (AWS: "Express
  workflows ... do not support execution name idempotency"), and answers an ARN
  `arn:<partition>:states:<region>:<account>:express:<state machine>:<name>:<id>`.
- DescribeExecution, GetExecutionHistory, DescribeStateMachineForExecution and StopExecution refuse those ARNs with
  InvalidArn ("Resource type not valid in this context: express"); ListExecutions refuses an Express state machine
  with StateMachineTypeNotSupported. (botocore's service model lists exactly these errors for them.)
- Each execution's events go to the state machine's log group, filtered by its logging configuration's level and
  includeExecutionData, as JSON records in AWS's shape (`id`, `type`, `details`, `previous_event_id`,
  `event_timestamp` in epoch milliseconds, `execution_arn`, `redrive_count`). moto carries LocalStack's logging
  session for this but never wires it; the session here writes through moto's logs backend.

Standard state machines are left as moto runs them (their history is the record; the local runtime does not write
their log records). The harness (tests, chaos, the runtime's waits) reads Express executions from the backend
directly, as it reads the orders table: that is the engine's own state, not an AWS API.
"""

from __future__ import annotations

import copy
import datetime
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from moto.core.exceptions import AWSError
from moto.logs.exceptions import ResourceNotFoundException
from moto.logs.models import logs_backends
from moto.stepfunctions.exceptions import InvalidArn, InvalidExecutionInput
from moto.stepfunctions.parser.asl.eval.event.logging import CloudWatchLoggingConfiguration, CloudWatchLoggingSession
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend, stepfunctions_parser_backends

from handlers.arns import execution_name, is_express_arn
from workflow.emulator.patches import moto_original

__all__ = ["is_express_arn"]  # the runtime asks it here, beside the rest of the Express contract

EXPRESS = "EXPRESS"
EXPRESS_REFUSED = "Invalid Arn: 'Resource type not valid in this context: express'"
TYPE_NOT_SUPPORTED = "This operation is not supported by this type of state machine"


class StateMachineTypeNotSupported(AWSError):  # type: ignore[misc]
    TYPE = "StateMachineTypeNotSupported"
    STATUS = 400


# The backend methods the Express contract replaces (StartExecution; the calls AWS refuses for Express).
REFUSING = ("describe_execution", "get_execution_history", "describe_state_machine_for_execution", "stop_execution")
_START = moto_original(StepFunctionsParserBackend, "start_execution")
_LIST = moto_original(StepFunctionsParserBackend, "list_executions")


def starting(duplicate: Callable[[], bool] | None = None) -> Callable[..., Execution]:
    """moto's start_execution, for Express: `duplicate`, asked at each Express start, says whether at-least-once
    delivery starts it a second time."""

    def start_execution(
        self: StepFunctionsParserBackend,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: str | None = None,
        trace_header: str | None = None,
    ) -> Execution:
        return _start_execution(self, state_machine_arn, name, execution_input, trace_header, duplicate)

    return start_execution


def refusing_express(original: Any) -> Any:
    def refusing(self: StepFunctionsParserBackend, execution_arn: str, *args: Any, **kwargs: Any) -> Any:
        if is_express_arn(execution_arn):
            raise InvalidArn(EXPRESS_REFUSED)
        return original(self, execution_arn, *args, **kwargs)

    return refusing


def list_executions(self: StepFunctionsParserBackend, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
    if _machine_type(self, state_machine_arn) == EXPRESS:
        raise StateMachineTypeNotSupported(TYPE_NOT_SUPPORTED)
    return _LIST(self, state_machine_arn, *args, **kwargs)


def _machine_type(backend: StepFunctionsParserBackend, arn: str) -> str | None:
    """The type of the state machine an ARN names: the machine itself, a version of it or an alias of it."""
    name = arn.split(":")[6] if len(arn.split(":")) > 6 else ""
    for machine in backend.state_machines:
        if machine.name == name:
            return str(machine.type)
    return None


def _start_execution(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: str | None,
    execution_input: str | None,
    trace_header: str | None,
    duplicate: Callable[[], bool] | None,
) -> Execution:
    """moto's start_execution, for Express: no name de-duplication, an `express` ARN, and a logging session."""
    state_machine = self.describe_state_machine(state_machine_arn)
    if state_machine.type != EXPRESS:
        return _START(self, state_machine_arn, name, execution_input, trace_header)
    # A snapshot of the definition for this execution, as moto takes it (without the executions, which hold live
    # worker threads, and sharing the backend).
    clone = copy.deepcopy(state_machine, {id(state_machine.executions): [], id(state_machine.backend): self})
    input_data = execution_input if execution_input is not None else "{}"
    try:
        json.loads(input_data)
    except ValueError as e:
        raise InvalidExecutionInput(str(e)) from None
    name = name or str(uuid.uuid4())
    where = f"{self.partition}:states:{self.region_name}:{self.account_id}"
    arn = f"arn:{where}:express:{state_machine.name}:{name}:{uuid.uuid4()}"
    execution = Execution(
        name=name,
        sm_type=clone.sm_type,
        role_arn=clone.roleArn,
        exec_arn=arn,
        account_id=self.account_id,
        region_name=self.region_name,
        state_machine=clone,
        start_date=datetime.datetime.now(tz=datetime.UTC),
        cloud_watch_logging_session=_logging_session(arn, state_machine),
        input_data=input_data,
        trace_header=trace_header,
        activity_store={},
    )
    state_machine.executions.append(execution)
    execution.start()
    if duplicate is not None and duplicate():
        # Delivered twice: the same name and input start again (the caller is answered with the first).
        _start_execution(self, state_machine_arn, name, execution_input, trace_header, None)
    return execution


def _logging_session(execution_arn: str, state_machine: Any) -> CloudWatchLoggingSession | None:
    logging_configuration = dict(state_machine.loggingConfiguration or {})
    if logging_configuration.get("level", "OFF") == "OFF" or not logging_configuration.get("destinations"):
        return None
    logging_configuration.setdefault("includeExecutionData", False)
    configuration = CloudWatchLoggingConfiguration.from_logging_configuration(
        state_machine_arn=state_machine.arn,
        logging_configuration=logging_configuration,
    )
    return LogRecords(execution_arn, configuration, state_machine.name) if configuration is not None else None


class LogRecords(CloudWatchLoggingSession):  # type: ignore[misc]
    """One execution's log records, written to its state machine's log group as Step Functions writes them."""

    def __init__(self, execution_arn: str, configuration: CloudWatchLoggingConfiguration, machine_name: str) -> None:
        super().__init__(execution_arn, configuration)
        minute = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d-%H-%M")
        self._stream = f"states/{machine_name}/{minute}/{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()  # Parallel and Map branches log from their own threads

    def publish_history_log(self, history_log: Any) -> None:
        at = history_log["event_timestamp"]  # moto passes it as ISO 8601 text
        at = (
            at if isinstance(at, datetime.datetime) else datetime.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        )
        timestamp = int(at.timestamp() * 1000)
        record: dict[str, Any] = {
            "id": history_log["id"],
            "type": str(getattr(history_log["type"], "value", history_log["type"])),
            "details": history_log.get("details") or {},
            "previous_event_id": history_log["previous_event_id"],
            "event_timestamp": str(timestamp),
            "execution_arn": history_log["execution_arn"],
            "redrive_count": "0",
        }
        backend = logs_backends[self.configuration.log_account_id][self.configuration.log_region]
        event = {"timestamp": timestamp, "message": json.dumps(record, default=str)}
        group = self.configuration.log_group_name
        with self._lock:
            try:
                backend.ensure_log_stream(group, self._stream)
                backend.put_log_events(group, self._stream, [event])
            except ResourceNotFoundException:
                pass  # the log group was deleted: AWS drops the records too


def executions_named(account: str, region: str, name: str) -> Iterator[Execution]:
    """Every execution of that name in the backend, on any state machine or version, oldest first (the harness's
    view: Express executions cannot be described through the API)."""
    backend = stepfunctions_parser_backends[account][region]
    found: list[Execution] = []
    for machine in list(backend.state_machines):
        for instance in [machine, *list(getattr(machine, "versions", {}).values())]:
            found.extend(e for e in list(instance.executions) if e.name == name)
    yield from sorted(found, key=lambda e: e.start_date)


def execution_by_arn(account: str, region: str, arn: str) -> Execution | None:
    return next((e for e in executions_named(account, region, execution_name(arn)) if e.exec_arn == arn), None)


def described(execution: Execution) -> dict[str, Any]:
    """An execution as DescribeExecution would answer for it (were Express executions describable)."""
    answer: dict[str, Any] = {
        "executionArn": execution.exec_arn,
        "name": execution.name,
        "status": str(getattr(execution.exec_status, "value", execution.exec_status or "RUNNING")),
        "startDate": execution.start_date,
        "input": json.dumps(execution.input_data),
    }
    if execution.stop_date is not None:
        answer["stopDate"] = execution.stop_date
    if execution.output is not None:
        answer["output"] = json.dumps(execution.output)
    if execution.error is not None:
        answer["error"] = str(execution.error)
    if execution.cause is not None:
        answer["cause"] = str(execution.cause)
    return answer


def running(account: str, region: str) -> int:
    """How many Express executions run now (the harness's view)."""
    backend = stepfunctions_parser_backends[account][region]
    count = 0
    for machine in list(backend.state_machines):
        if machine.type != EXPRESS:
            continue
        for instance in [machine, *list(getattr(machine, "versions", {}).values())]:
            count += sum(1 for e in list(instance.executions) if described(e)["status"] == "RUNNING")
    return count


def history(execution: Execution) -> list[dict[str, Any]]:
    """The execution's events as GetExecutionHistory would answer them (the engine keeps them; AWS does not serve
    them for Express)."""
    return [dict(event) for event in execution.to_history_output()["events"]]
