"""Retry and Catch rules matched as AWS matches them
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): States.Runtime "isn't
retriable, and will always cause the execution to fail"; `States.ALL` "cannot catch States.DataLimitExceeded
terminal errors or the Runtime error type"; `States.TaskFailed` matches any other error but States.Timeout. moto's
`States.ALL` matched every error, so a Catch on it took States.Runtime (a failed JSONPath, a mocked invocation with
no response), which fails the execution on AWS.

One matcher serves executions (the `ErrorEqualsDecl._eval_body` row) and TestState (test_state_request)."""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.parser.asl.eval.environment import Environment

from workflow.emulator.test_state_request import first_matching


def _name(error_name: Any) -> str:
    return str(getattr(error_name, "error_name", error_name) or "")


def error_equals(self: Any, env: Environment) -> None:
    """Pops the error met, pushes whether this rule's ErrorEquals matches it."""
    error_name = env.stack.pop()
    names = [_name(name) for name in self.error_names]
    env.stack.append(first_matching([{"ErrorEquals": names}], _name(error_name)) == 0)
