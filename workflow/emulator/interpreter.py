"""Replacements inside moto's Step Functions interpreter that make it faster, or write what AWS writes.

- `ExecutionWorker._get_evaluation_entrypoint` + `AmazonStateLanguageParser.parse`: one parse per definition
  instead of one per execution (a sixth of a local order's time), and one parse at a time (moto's Preprocessor keeps
  its query-language scopes in a class-level list, shared by every parse).
- `json_path.parse` and ResultPath's `parse`: one parse per JSONPath (jsonpath-ng builds a new parser each time:
  about an eighth of an order's CPU).
- `boto_client_for` in moto's Step Functions task modules: one client per region and service instead of one per call.
- the retrier's `time` (workflow.emulator.virtual_time.RetryTime): its sleeps scaled, so production retry intervals
  stay in the definition; a mocked execution's move its virtual clock instead.
- `ExecutionWorker._get_evaluation_environment`: the context object's `Execution.StartTime` as AWS writes it (a
  string, not a datetime no JSONata field nor DescribeExecution could take) and its `RedriveCount` (0).
  `State.RetryCount` stays moto's: only in a state that retries (Task, Map, Parallel), as recorded on AWS (a Pass
  state's `State` is `{Name, EnteredTime}`).
- the state module's `datetime`: the context object's `State.EnteredTime` in AWS's form (`2026-12-03T13:00:09.827Z`),
  not Python's (`…09.827017+00:00`): RecordFailure writes it into the order's history beside AWS's timestamps.
"""

from __future__ import annotations

import datetime
import functools
import sys
import threading
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import Any

from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_factory
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import boto_client, json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from workflow.emulator import jsonata_engine, virtual_time
from workflow.emulator.patches import moto_original

# Imported for its side effect: every Task service module exists (and has imported boto_client_for) before the
# modules holding it are listed.
_ = state_task_service_factory

_PARSE = moto_original(AmazonStateLanguageParser, "parse")
_BOTO_CLIENT_FOR = moto_original(boto_client, "boto_client_for")
_JSON_PATH_PARSE = moto_original(json_path, "parse")
_RESULT_PATH_PARSE = moto_original(result_path, "parse")
_PROGRAMS: dict[str, Any] = {}
_PROGRAMS_LOCK = threading.Lock()
# Two parses at once (two executions of a new definition, or one beside CreateStateMachine's validation) pop each
# other's query-language scope (IndexError): one parse at a time; with the cache, a definition is parsed once. A
# parse that fails (a definition CreateStateMachine refuses) leaves its scopes behind, and every later parse
# inherited them (a JSONPath definition parsed after a refused JSONata one was read as JSONata): each parse starts
# and ends with none.
_PARSE_LOCK = threading.Lock()


def parse_alone(definition: str) -> Any:
    scopes: list[Any] = Preprocessor._query_language_per_scope
    with _PARSE_LOCK:
        scopes.clear()
        try:
            return _PARSE(definition)
        finally:
            scopes.clear()


def cached_entrypoint(maxsize: int = 32) -> Callable[[ExecutionWorker], Any]:
    """A definition's parsed program is the same every time, and its components hold no execution's state (the
    Environment does), so one parse per definition serves every execution of it. A test checks that running
    executions leaves the cached programs as they were (tests/integration/test_engine_hooks.py)."""

    def entrypoint(self: ExecutionWorker) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        with _PROGRAMS_LOCK:
            program = _PROGRAMS.get(definition)
        if program is None:
            program = parse_alone(definition)[0]
            assign_heap_keys(program)
            jsonata_engine.label_fields(program)
            with _PROGRAMS_LOCK:
                while len(_PROGRAMS) >= maxsize:
                    _PROGRAMS.pop(next(iter(_PROGRAMS)))  # the oldest definition: updates come and go
                program = _PROGRAMS.setdefault(definition, program)
        return program

    return entrypoint


def assign_heap_keys(program: Any) -> None:
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


def forget_programs() -> None:
    with _PROGRAMS_LOCK:
        _PROGRAMS.clear()


def cached_json_path_parse(maxsize: int = 1024) -> Any:
    """A parsed path is an immutable expression: one per distinct path."""
    return functools.lru_cache(maxsize=maxsize)(_JSON_PATH_PARSE)


def cached_result_path_parse(maxsize: int = 1024) -> Any:
    """ResultPath imports jsonpath-ng's parse itself; every JSONata Task has an implicit ResultPath "$" in moto."""
    return functools.lru_cache(maxsize=maxsize)(_RESULT_PATH_PARSE)


@functools.cache
def client_modules() -> tuple[ModuleType, ...]:
    """The modules holding moto's `boto_client_for` (imported by name into each task module), its own included;
    listed once, before any of them is patched."""
    return tuple(
        module
        for module in list(sys.modules.values())
        if getattr(module, "__name__", "").startswith("moto.stepfunctions.parser")
        and getattr(module, "boto_client_for", None) is _BOTO_CLIENT_FOR
    )


def reused_clients() -> Callable[..., Any]:
    """boto3 clients are thread-safe, so one per region and service serves every task. (moto's own function takes
    the state's credentials and does not use them: every client it makes is the same fixed-credential one.)"""
    clients: dict[tuple[str, str], Any] = {}
    guard = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with guard:
            if (region, service) not in clients:
                clients[(region, service)] = _BOTO_CLIENT_FOR(region, service)
            return clients[(region, service)]

    boto_client_for.clients = clients  # type: ignore[attr-defined]  # what the probe looks for
    return boto_client_for


def aws_timestamp(moment: datetime.datetime) -> str:
    """AWS's way of writing a time in the context object: UTC, milliseconds, `Z` (`2024-11-05T10:12:24.539Z`)."""
    utc = moment.astimezone(datetime.UTC) if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
    return f"{utc.strftime('%Y-%m-%dT%H:%M:%S')}.{utc.microsecond // 1000:03d}Z"


class _AwsTimestamp(datetime.datetime):
    """A datetime whose isoformat is AWS's: UTC, milliseconds, `Z`; `now` is a mocked execution's virtual time on
    the thread running one (workflow.emulator.virtual_time)."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return aws_timestamp(self)

    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> _AwsTimestamp:
        moment = virtual_time.now_in_thread(tz)
        return cls.combine(moment.date(), moment.timetz())


# What moto's state module sees as `datetime`: the module, but with AWS's timestamps.
AWS_DATETIME = SimpleNamespace(datetime=_AwsTimestamp, timezone=datetime.timezone)


_EVALUATION_ENVIRONMENT = moto_original(ExecutionWorker, "_get_evaluation_environment")


def typed_context(self: ExecutionWorker) -> Any:
    """The execution's environment, its context object's `Execution` as AWS types it
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html): moto puts the start
    time in as a Python datetime (no JSONata field accepts it, and an output holding it made DescribeExecution answer
    500) and leaves RedriveCount out. RedriveTime stays absent: nothing here redrives an execution."""
    env = _EVALUATION_ENVIRONMENT(self)
    execution = env.states.context_object.context_object_data["Execution"]  # shared with $states.context
    started = execution.get("StartTime")
    if isinstance(started, datetime.datetime):
        execution["StartTime"] = aws_timestamp(started)
    execution.setdefault("RedriveCount", 0)
    return env
