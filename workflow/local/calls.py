"""Which AWS calls each function makes, as IAM actions, and how they compare with what the manifest grants.

The integration tier proves least privilege with it (tests/integration/conftest.py): every call a function makes
must be granted, and every grant must be used by some call.

Attribution: the local runtime runs each handler inside `invoking(name)` (workflow.local.lambdas), which marks the
thread. A botocore hook on the sessions made after a recorder started hears each API call and, when the thread is
marked, every started `CallRecorder` records (function, IAM action). A thread, not a contextvar: moto runs a Step
Functions execution on a thread it starts inside StartExecution, and that execution's own calls (its Tasks'
integrations) are the state machine's, not the caller's; Python may copy a contextvar into such a thread (3.14's
`thread_inherit_context`) but never a thread-local. A thread a handler started itself would not be marked either (no
handler starts one): a grant only its calls use would be reported unused, and its ungranted calls would go unseen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import botocore.handlers

if TYPE_CHECKING:
    from botocore.model import OperationModel

# Every handler hears it (unlike before-call, which stops at the first handler that answers), before the parameters
# are validated: a call the code attempts counts, whatever happens to it next.
_EVENT = "before-parameter-build"
_UNIQUE_ID = "orderflow-call-recorder"


class _Running(threading.local):
    """The functions whose invocations run on this thread, innermost last."""

    def __init__(self) -> None:
        self.functions: list[str] = []


_running = _Running()


@contextmanager
def invoking(function: str) -> Iterator[None]:
    """The AWS calls this thread makes meanwhile are `function`'s (invocations nest: the innermost one's)."""
    _running.functions.append(function)
    try:
        yield
    finally:
        _running.functions.pop()


def current_function() -> str | None:
    """The function whose invocation this thread is running, if any."""
    return _running.functions[-1] if _running.functions else None


@dataclass(frozen=True, order=True)
class Call:
    function: str
    # The IAM action the call needs, e.g. "dynamodb:PutItem".
    action: str


def iam_action(model: OperationModel) -> str:
    """`<prefix>:<Operation>`. The IAM prefix is the service's signing name for every service the functions call
    ("states" for Step Functions, whose endpoint and SDK names differ); a service where the two differed would be
    reported as an ungranted call, not pass unseen."""
    return f"{model.service_model.signing_name}:{model.name}"


class CallRecorder:
    """Records the calls functions make while it is started. It hears the clients of every botocore session made
    after it started (boto3's default session that the handlers' module-level clients come from, and the sessions
    Powertools makes for its own clients) and clients made later from boto3's default session of the moment: a
    client copies its session's hooks when it is made, so one made before can be heard by no one."""

    def __init__(self) -> None:
        self._calls: set[Call] = set()
        self._lock = threading.Lock()

    def start(self) -> CallRecorder:
        _install()
        with _recorders_lock:
            if self not in _recorders:
                _recorders.append(self)
        return self

    def stop(self) -> None:
        with _recorders_lock:
            if self in _recorders:
                _recorders.remove(self)

    def calls(self) -> frozenset[Call]:
        with self._lock:
            return frozenset(self._calls)

    def heard(self, call: Call) -> None:
        # A set: what matters is which calls a function makes, not how often (and memory stays flat).
        with self._lock:
            self._calls.add(call)


_recorders: list[CallRecorder] = []
_recorders_lock = threading.Lock()


def _heard(model: OperationModel, **_: Any) -> None:
    function = current_function()
    if function is None:
        return  # the harness, the runtime or moto's own Step Functions tasks: no function's call
    call = Call(function, iam_action(model))
    with _recorders_lock:
        recorders = list(_recorders)
    for recorder in recorders:
        recorder.heard(call)


def _install() -> None:
    """Hook every botocore session made from now on (as moto hooks them), and boto3's default one if it exists."""
    if (_EVENT, _heard) not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append((_EVENT, _heard))
    if boto3.DEFAULT_SESSION is not None:
        # unique_id: registering again (a second recorder, a session already hooked) changes nothing.
        boto3.DEFAULT_SESSION.events.register(_EVENT, _heard, unique_id=_UNIQUE_ID)


# function -> IAM action -> the manifest access entries that grant it (named in the report).
Grants = Mapping[str, Mapping[str, str]]

# The access entry that grants an action, for the report's "add ..." advice (workflow/manifest.py's Access kinds).
_GRANTED_BY = {
    "dynamodb": 'TableAccess("<table>", ("{operation}",))',
    "dynamodb:Query": 'QueryIndex("<table>", "<index>")',
    "sns:Publish": 'PublishTo("<topic>")',
    "sqs:SendMessage": 'SendTo("<queue>")',
    "secretsmanager:GetSecretValue": 'ReadSecret("<secret>")',
    "states:StartExecution": "StartExecutions()",
    "states:DescribeExecution": "DescribeExecutions()",
}


@dataclass(frozen=True)
class Findings:
    # Calls a function made that its access does not grant: AWS would deny them.
    ungranted: tuple[Call, ...]
    # Actions a function's access grants that no recorded call needed.
    unused: tuple[Call, ...]

    def __bool__(self) -> bool:
        return bool(self.ungranted or self.unused)

    def report(self, grants: Grants, where: str = "the integration tier") -> str:
        lines = [f"least privilege: the functions' access in workflow/manifest.py and the AWS calls of {where}:"]
        for call in self.ungranted:
            lines.append(
                f"- {call.function} called {call.action}, which its access does not grant (AWS would deny it): add "
                f"{_advice(call.action)} to {call.function}'s access"
            )
        for call in self.unused:
            lines.append(
                f"- {call.function} is granted {call.action} by {grants[call.function][call.action]}, but no test "
                f"made that call: remove it from {call.function}'s access, or test the code path that needs it"
            )
        return "\n".join(lines)


def _advice(action: str) -> str:
    service, _, operation = action.partition(":")
    advice = _GRANTED_BY.get(action) or _GRANTED_BY.get(service)
    if advice is None:
        return f"an entry granting {action} (a new Access kind, with its IAM translation in infra/permissions.py)"
    return advice.format(operation=operation)


def ungranted(calls: Iterable[Call], grants: Grants) -> tuple[Call, ...]:
    """The calls a function made without its access granting them."""
    return tuple(sorted({c for c in calls if c.action not in grants.get(c.function, {})}))


def compare(calls: Iterable[Call], grants: Grants) -> Findings:
    """Calls made without their grant, and grants no call used. Only the latter needs every call a function can
    make to have been recorded (the whole integration tier)."""
    made = set(calls)
    unused = {Call(function, action) for function, actions in grants.items() for action in actions} - made
    return Findings(ungranted=ungranted(made, grants), unused=tuple(sorted(unused)))
