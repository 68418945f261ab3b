"""A patched moto of its own, for the behaviour checks (workflow.emulator.probes, .probes_asl): moto mocked, the
patch table installed with a wiring that records what the patches hand on, one Lambda function whose answers the
probe chooses, and a way to run a tiny definition to its end.

moto and its patches are global to a process: nothing else may run a patched moto meanwhile (the test tier stops
its shared local system first).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import logging
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from moto import mock_aws

from workflow.emulator.dynamodb import Written
from workflow.emulator.patches import Check, MotoChanged
from workflow.emulator.services import InvokeResult
from workflow.emulator.wiring import Wiring

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
FUNCTION = "Probe"
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
# How long a tiny definition may take: its retries wait nothing here (retry_scale 0).
RUN_SECONDS = 10.0


@dataclass
class ProbeFault:
    error: str | None
    delay: float = 0.0


@dataclass
class Run:
    """A finished execution: DescribeExecution's answer (its output parsed, and as it was answered) and its history."""

    arn: str
    status: str
    output: Any
    error: str | None
    events: list[dict[str, Any]]
    answered: str | None = None


@dataclass
class Heard:
    dispatched: list[tuple[str, Any]] = field(default_factory=list)
    dynamodb_calls: list[str] = field(default_factory=list)
    written: list[Written] = field(default_factory=list)
    messaging: list[tuple[str, str]] = field(default_factory=list)


class ProbeSystem:
    def __init__(self, install: Callable[[Wiring], None], uninstall: Callable[[], None]) -> None:
        self._install, self._uninstall = install, uninstall
        self.heard = Heard()
        # Armed by a probe, each taken once: (action, table or execution name) -> the fault.
        self.faults: dict[tuple[str, str | None], ProbeFault] = {}
        self.failing: set[tuple[str, str]] = set()  # (service, action) that fail while listed
        self._names = itertools.count()
        self._mock: Any = None
        self.role = ""

    def wiring(self) -> Wiring:
        return Wiring(
            dispatch=self._dispatch,
            dynamodb_fault=self._fault,
            on_dynamodb_write=self.heard.written.append,
            on_dynamodb_call=lambda action, params, answer: self.heard.dynamodb_calls.append(action),
            sfn_fault=self._fault,
            messaging_fails=lambda service, action: (service, action) in self.failing,
            on_messaging=lambda service, action, params, answer: self.heard.messaging.append((service, action)),
            retry_scale=0.0,
        )

    def start(self) -> ProbeSystem:
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        self._install(self.wiring())
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
        self.role = self.client("iam").create_role(RoleName="probe", AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"
        ]["Arn"]
        self.client("lambda").create_function(
            FunctionName=FUNCTION,
            Runtime="python3.13",
            Role=self.role,
            Handler="probe.handler",
            Code={"ZipFile": _zip()},
        )
        return self

    def stop(self) -> None:
        self._uninstall()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def client(self, service: str) -> Any:
        # No retries: a fault a probe injects is what the client sees. No host prefix: botocore sends TestState to
        # sync-states.<region>.amazonaws.com (its model's hostPrefix), which moto's Step Functions URLs do not match.
        config = Config(retries={"mode": "standard", "total_max_attempts": 1}, inject_host_prefix=False)
        return boto3.client(service, region_name=REGION, config=config)  # type: ignore[call-overload]

    def function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}"

    def _dispatch(self, function: str, event: Any) -> InvokeResult:
        """The probe function: fails as ProbeError when the event says {"fail": true}, else echoes it."""
        self.heard.dispatched.append((function, event))
        if isinstance(event, Mapping) and event.get("fail"):
            error = {"errorType": "ProbeError", "errorMessage": "asked to fail", "stackTrace": []}
            return json.dumps(error), True, ""
        return json.dumps({"echo": event}), False, ""

    def _fault(self, action: str, about: str | None) -> ProbeFault | None:
        return self.faults.pop((action, about), None)

    def name(self, prefix: str = "probe") -> str:
        return f"{prefix}-{next(self._names)}"

    def machine(self, definition: Mapping[str, Any], machine_type: str = "STANDARD", **more: Any) -> str:
        created = self.client("stepfunctions").create_state_machine(
            name=self.name("machine"), definition=json.dumps(definition), roleArn=self.role, type=machine_type, **more
        )
        return str(created["stateMachineArn"])

    def run(
        self, definition: Mapping[str, Any], given: Any = None, machine: str | None = None, within: float = RUN_SECONDS
    ) -> Run:
        """Runs the definition (or starts `machine` again) with the input, to its end (`within` seconds)."""
        sfn = self.client("stepfunctions")
        machine = machine or self.machine(definition)
        arn = sfn.start_execution(stateMachineArn=machine, name=self.name(), input=json.dumps(given or {}))[
            "executionArn"
        ]
        described = self.wait(arn, within)
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        answered = described.get("output")
        return Run(arn, described["status"], _parsed(answered), described.get("error"), events, answered)

    def wait(self, arn: str, within: float = RUN_SECONDS) -> dict[str, Any]:
        sfn = self.client("stepfunctions")
        deadline, delay = time.monotonic() + within, 0.005
        while time.monotonic() < deadline:
            described = dict(sfn.describe_execution(executionArn=arn))
            if described["status"] in TERMINAL:
                return described
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)
        # Stopped, so that a probe that failed leaves nothing running behind it (a real Wait, real retry sleeps).
        with contextlib.suppress(Exception):
            sfn.stop_execution(executionArn=arn, error="ProbeTimedOut")
        raise MotoChanged(f"{arn} did not end within {within} s")


def _parsed(output: str | None) -> Any:
    """An execution's output as JSON; text that is not JSON as it is (for the probe's message)."""
    if output is None:
        return None
    try:
        return json.loads(output)
    except ValueError:
        return output


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("probe.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def expect(condition: bool, problem: str) -> None:
    """A probe's assertion: moto no longer does what the row relies on."""
    if not condition:
        raise MotoChanged(problem)


def run(
    checks: list[Check],
    install: Callable[[Wiring], None],
    uninstall: Callable[[], None],
    install_for: Callable[[Check], Callable[[Wiring], None]] | None = None,
) -> list[str]:
    """Every behaviour check on one probe system: the problems, one line each (none: this moto fits).
    `install_for(check)`, when given, installs the table each check runs on (the test that runs each probe without
    its own rows), on the same system."""
    quiet = logging.getLogger("moto.stepfunctions.parser")  # it logs every caught failure at ERROR
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    system = ProbeSystem(install, uninstall).start()
    problems = []
    try:
        for check in checks:
            if install_for is not None:
                install_for(check)(system.wiring())
            try:
                check.run(system)
            except Exception as error:  # a probe that breaks shows the row as broken, and the rest still run
                problems.append(f"{check.name}: {type(error).__name__}: {error}")
    finally:
        system.stop()
        quiet.setLevel(level)
    return problems
