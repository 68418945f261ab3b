"""Step Functions' ARNs: how an execution's ARN is built from its state machine's and read back. AWS's grammar, not
a business rule, so it lives outside the domain; pure string functions, so the domain's alerts may use them for an
alert's identity and link, as the executions adapter, the local engine and the operator tools do.

- Standard: `arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>`
- Express:  `arn:<partition>:states:<region>:<account>:express:<state machine>:<name>:<run id>`
"""

from __future__ import annotations


def is_express_arn(execution_arn: str) -> bool:
    """An Express execution's ARN (`arn:...:states:<region>:<account>:express:<machine>:<name>:<id>`)."""
    parts = execution_arn.split(":")
    return len(parts) > 8 and parts[5] == "express"


def execution_name(execution_arn: str) -> str:
    """The name an execution was started with, from its ARN of either type (`...:<machine>:<name>[:<id>]`)."""
    parts = execution_arn.split(":")
    return parts[7] if len(parts) > 7 else parts[-1]


def started_as(execution_arn: str) -> str:
    """The execution as it was started: its ARN, less the id Express gives each of its runs
    (`arn:...:express:<state machine>:<name>:<id>`), so the runs of one at-least-once start are one."""
    return ":".join(execution_arn.split(":")[:8]) if is_express_arn(execution_arn) else execution_arn


def region_of(arn: str, default: str) -> str:
    """The region an ARN names (its fourth field), or `default` when it has none."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else default


def execution_arn(state_machine_arn: str, execution_name: str) -> str:
    """`...:stateMachine:<sm>[:<alias or version>]` -> `...:execution:<sm>:<name>`: executions started through an
    alias or a version belong to the state machine itself. Raises ValueError for any other ARN."""
    prefix, found, qualified = state_machine_arn.rpartition(":stateMachine:")
    if not found or not prefix:
        raise ValueError(f"not a state machine ARN: {state_machine_arn}")
    return f"{prefix}:execution:{qualified.split(':', 1)[0]}:{execution_name}"
