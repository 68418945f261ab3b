"""Step Functions, as the orders API's Executions port (handlers.services.orders_ports): the state machine's
executions, each named after its order, started and described.

botocore's answers become the port's, by error code, never by message: ExecutionAlreadyExists; a throttle
StepFunctionsThrottled (the call did not take effect); no answer in time (a timeout, no connection)
StepFunctionsUnavailable (a start may have taken effect all the same); any other refusal of StartExecution
StartExecutionRefused. DescribeExecution of an execution there is none of, or one it refuses to describe (Express
executions, an ARN it does not take), is None.

Executions are described by their state machine's ARN, whichever way they were started (through the `live` alias,
a version, or the state machine itself): handlers.arns.execution_arn.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as NoConnection

from handlers.arns import execution_arn
from handlers.services.orders_ports import (
    Execution,
    ExecutionAlreadyExists,
    StartExecutionRefused,
    StepFunctionsThrottled,
    StepFunctionsUnavailable,
)

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

_THROTTLED = frozenset({"ThrottlingException", "TooManyRequestsException", "ServiceUnavailable"})
# No execution to be seen: none of that name, or one DescribeExecution refuses (Express executions; an ARN it does not
# take).
_NOT_DESCRIBED = frozenset({"ExecutionDoesNotExist", "InvalidArn", "StateMachineTypeNotSupported"})
# botocore's transport failures, the classes its own retries count as transient: no connection (ConnectionError:
# ConnectTimeoutError, EndpointConnectionError) or no answer in time (HTTPClientError: ReadTimeoutError,
# ConnectionClosedError).
_NO_ANSWER = (NoConnection, HTTPClientError)


def _code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


class StepFunctionsExecutions:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._client = client
        self.state_machine_arn = state_machine_arn

    def start(self, name: str, execution_input: Mapping[str, Any]) -> str:
        try:
            started = self._client.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(execution_input)
            )
        except _NO_ANSWER as e:
            raise StepFunctionsUnavailable(f"StartExecution: {type(e).__name__}") from e
        except ClientError as e:
            code = _code(e)
            if code == "ExecutionAlreadyExists":
                raise ExecutionAlreadyExists(f"execution {name} exists") from e
            if code in _THROTTLED:
                raise StepFunctionsThrottled(f"StartExecution answered {code}") from e
            raise StartExecutionRefused(f"StartExecution answered {code}") from e
        return str(started["executionArn"])

    def describe(self, name: str) -> Execution | None:
        try:
            described = self._client.describe_execution(executionArn=self.execution_arn(name))
        except _NO_ANSWER as e:
            raise StepFunctionsUnavailable(f"DescribeExecution: {type(e).__name__}") from e
        except ClientError as e:
            code = _code(e)
            if code in _NOT_DESCRIBED:
                return None
            if code in _THROTTLED:
                raise StepFunctionsThrottled(f"DescribeExecution answered {code}") from e
            raise
        return Execution(
            arn=described["executionArn"],
            input=described.get("input") or "",
            status=described["status"],
            started=described["startDate"],
            stopped=described.get("stopDate"),
            error=described.get("error"),
            cause=described.get("cause"),
        )

    def execution_arn(self, name: str) -> str:
        return execution_arn(self.state_machine_arn, name)  # through an alias or a version too
