"""Faults for a local run, by configuration: what the chaos suite throws at the pipeline.

    plan = FaultPlan.from_dict({"functions": {"CreateOrder": {"transient": 0.1, "latency_ms": 50}},
                                "dynamodb_throttle": 0.02, "sqs_send_failure": 0.02})
    LocalRuntime(RuntimeConfig(fault_plan=plan, seed=7))

Every rate is a probability per call, drawn from one seeded generator. Where each fault is injected:
- functions: before the handler runs (added latency; a transient error Lambda reports as Lambda.ServiceException,
  which the workflow retries; a permanent error the workflow catches, and the order fails with its alert);
- DynamoDB: any call throttled; CreateOrder's conditional put answered ConditionalCheckFailed; any call stalled;
- Step Functions' API (StartExecution, DescribeExecution, ...): any call stalled;
- SQS SendMessage and SNS Publish answered with a server error (the workflow's Retry, the handlers' error mapping);
- Step Functions StartExecution on an Express state machine starts the execution twice, as Express's at-least-once
  delivery may (Standard de-duplicates by name, so the rate does nothing there);
- a consumer stalled: its queue's event source delivers nothing (FindStuckOrders then alerts the orders waiting);
- the worker's poller "crashes" after the worker wrote, before the messages are deleted (so they come back);
- Slack (the chaos run's stand-in): 500s, 429s with Retry-After, and answers slower than the client waits.

A stalled call answers after `dynamodb_stall_ms` / `sfn_stall_ms`, and still takes effect, as a dependency in trouble
does. A client with a shorter read timeout gives up first, not knowing whether its call happened - but only over a
socket: clients of the in-process mock never time out (the stall only delays them), so a timeout is seen by clients
of the runtime's served AWS endpoint (`LocalRuntime.serve_aws`).
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FunctionFaults:
    transient: float = 0.0
    permanent: float = 0.0
    latency_ms: int = 0
    # Its queue's event source delivers nothing (a stalled consumer: disabled, throttled to zero, or hung): what it
    # should take stays in its queue, and the orders waiting there stop moving.
    stalled: bool = False


@dataclass(frozen=True)
class FaultPlan:
    functions: dict[str, FunctionFaults] = field(default_factory=dict)
    dynamodb_throttle: float = 0.0
    dynamodb_condition_failed: float = 0.0
    sqs_send_failure: float = 0.0
    sns_publish_failure: float = 0.0
    worker_crash_after_write: float = 0.0
    duplicate_start: float = 0.0
    slack_500: float = 0.0
    slack_429: float = 0.0
    slack_timeout: float = 0.0
    # Stalls: the rate of calls that stall, and for how long each one does.
    dynamodb_stall: float = 0.0
    dynamodb_stall_ms: int = 0
    sfn_stall: float = 0.0
    sfn_stall_ms: int = 0

    def __post_init__(self) -> None:
        durations = {f.name: getattr(self, f.name) for f in fields(self) if f.name.endswith("_ms")}
        rates = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name != "functions" and f.name not in durations
        }
        for name, function in self.functions.items():
            rates[f"functions.{name}.transient"] = function.transient
            rates[f"functions.{name}.permanent"] = function.permanent
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate {name} must be within 0..1, not {rate}")
        for name, duration in durations.items():
            if duration < 0:
                raise ValueError(f"{name} must not be negative, not {duration}")
            # A stall of no time would be counted as injected while nothing happened.
            if rates[name.removesuffix("_ms")] > 0 and duration == 0:
                raise ValueError(f"{name.removesuffix('_ms')} needs {name}: how long a stalled call hangs")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}; known: {sorted(known)}")
        functions = {name: FunctionFaults(**spec) for name, spec in (data.get("functions") or {}).items()}
        return cls(**{**data, "functions": functions})

    @classmethod
    def load(cls, path: str | Path) -> FaultPlan:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Draws the faults of a plan from one seeded generator (thread-safe)."""

    def __init__(self, plan: FaultPlan | None = None, seed: int = 0) -> None:
        self.plan = plan or FaultPlan()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}
        # Off while the runtime provisions itself: the faults are for the run, not for setting it up.
        self.armed = False

    def roll(self, rate: float, what: str) -> bool:
        if rate <= 0.0 or not self.armed:
            return False
        with self._lock:
            hit = self._random.random() < rate
            if hit:
                self.injected[what] = self.injected.get(what, 0) + 1
        return hit

    def function(self, name: str) -> FunctionFaults:
        return self.plan.functions.get(name, FunctionFaults())


# --- Faults at the services' front doors (the emulator's hooks ask these: workflow.emulator.wiring) --------------

THROTTLED = "ProvisionedThroughputExceededException"
CONDITION_FAILED = "ConditionalCheckFailedException"


@dataclass
class _Fault:
    action: str
    about: str | None  # a DynamoDB table, or an execution's name; None: any
    remaining: int
    error: str | None  # the error code answered instead; None: only the delay
    delay: float = 0.0


@dataclass
class DynamoDBFaults:
    """Faults for the next N calls of an action (optionally on one table), as DynamoDB shows them under load:
    throttling, a failed condition, or added latency; then the plan's rate-based ones."""

    faults: list[_Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Rate-based faults of a fault plan; `conditional_table` is where ConditionalCheckFailed is injected on PutItem.
    injector: FaultInjector = field(default_factory=FaultInjector)
    conditional_table: str | None = None

    def throttle(self, action: str, times: int, table: str | None = None) -> None:
        self._add(_Fault(action, table, times, THROTTLED))

    def fail_condition(self, action: str, times: int, table: str | None = None) -> None:
        self._add(_Fault(action, table, times, CONDITION_FAILED))

    def delay(self, action: str, seconds: float, times: int, table: str | None = None) -> None:
        self._add(_Fault(action, table, times, None, seconds))

    def _add(self, fault: _Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take(self, action: str, table: str | None) -> _Fault | None:
        asked = _take(self.lock, self.faults, action, table)
        if asked is not None:
            return asked
        plan = self.injector.plan
        if self.injector.roll(plan.dynamodb_throttle, f"dynamodb.{action}.throttled"):
            return _Fault(action, table, 0, THROTTLED)
        if (
            action == "PutItem"
            and table == self.conditional_table
            and self.injector.roll(plan.dynamodb_condition_failed, "dynamodb.PutItem.condition_failed")
        ):
            return _Fault(action, table, 0, CONDITION_FAILED)
        if self.injector.roll(plan.dynamodb_stall, f"dynamodb.{action}.stalled"):
            return _Fault(action, table, 0, None, plan.dynamodb_stall_ms / 1000)
        return None


@dataclass
class StepFunctionsFaults:
    """Faults for the next N calls of a Step Functions API action (optionally about one execution, by its name), and
    the plan's stalls: a stalled answer (the call still takes effect after the delay, as on AWS when the client has
    given up), or an error answered instead, e.g. `fail("DescribeExecution", "ExecutionDoesNotExist", 1, name)`:
    AWS's DescribeExecution is eventually consistent, and may not see an execution that StartExecution has just
    refused to start again (ExecutionAlreadyExists)."""

    faults: list[_Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    injector: FaultInjector = field(default_factory=FaultInjector)

    def delay(self, action: str, seconds: float, times: int, name: str | None = None) -> None:
        self._add(_Fault(action, name, times, None, seconds))

    def fail(self, action: str, error: str, times: int, name: str | None = None) -> None:
        self._add(_Fault(action, name, times, error))

    def _add(self, fault: _Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take(self, action: str, name: str | None) -> _Fault | None:
        asked = _take(self.lock, self.faults, action, name)
        if asked is not None:
            return asked
        plan = self.injector.plan
        if self.injector.roll(plan.sfn_stall, f"stepfunctions.{action}.stalled"):
            return _Fault(action, name, 0, None, plan.sfn_stall_ms / 1000)
        return None


def _take(lock: threading.Lock, faults: list[_Fault], action: str, about: str | None) -> _Fault | None:
    """The first fault asked for that fits this call, counted down."""
    with lock:
        for fault in faults:
            if fault.action == action and fault.about in (None, about) and fault.remaining > 0:
                fault.remaining -= 1
                return fault
    return None


_MESSAGING = {"sqs": ("SendMessage", "SendMessageBatch"), "sns": ("Publish", "PublishBatch")}


def messaging_failures(injector: FaultInjector) -> Callable[[str, str], bool] | None:
    """Whether an SQS SendMessage or SNS Publish fails, at the plan's rates (None: the plan has neither)."""
    plan = injector.plan
    rates = {"sqs": plan.sqs_send_failure, "sns": plan.sns_publish_failure}
    if not any(rates.values()):
        return None

    def fails(service: str, action: str) -> bool:
        return action in _MESSAGING[service] and injector.roll(rates[service], f"{service}.{action}.failed")

    return fails
