"""Compile the DSL chain to Amazon States Language, check it, and fill in its `${Placeholder}`s.

Checks done here, before anything is deployed or run locally: every `Next`/`Default`/Catch target names a state,
every state is reachable, JSONata and variables are used as AWS allows and every variable is assigned before it is
read (workflow.query_checks), the placeholders used are exactly the manifest's substitutions, every Task acts on a
resource the manifest names, no Lambda Task gives up on a function before the function's own timeout, and an
Express definition's worst path fits Express's five minutes (`budget`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from stepfunctions.steps import Chain

from workflow import query, query_checks
from workflow.definition import JSONATA, order_workflow
from workflow.dsl import Graph
from workflow.manifest import MANIFEST, FunctionArn, Manifest, Ref

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
GOLDEN_RESOURCES = {"STANDARD": "order_workflow.asl.json", "EXPRESS": "order_workflow.express.asl.json"}
# The service integrations' parameters that name the resource a Task acts on.
TARGET_PARAMETERS = ("FunctionName", "TableName", "QueueUrl", "TopicArn")
LAMBDA_INVOKE = "lambda:invoke"
# Step Functions' two workflow types: the same definition compiles for either (infra's workflowType, the local
# runtime's RuntimeConfig.workflow_type).
WORKFLOW_TYPES = ("STANDARD", "EXPRESS")


class DefinitionError(ValueError):
    """The compiled definition is not deployable."""


def compile_chain(chain: Chain, comment: str = "", query_language: str | None = None) -> dict[str, Any]:
    """The chain's ASL, checked. `query_language` ("JSONata" | "JSONPath") is the definition's top-level one."""
    fields = {key: value for key, value in (("comment", comment), ("query_language", query_language)) if value}
    graph = Graph(chain, **fields)
    definition: dict[str, Any] = graph.to_dict()
    check(definition)
    return definition


def check_workflow_type(workflow_type: str) -> str:
    if workflow_type not in WORKFLOW_TYPES:
        raise DefinitionError(f"the workflow type is one of {', '.join(WORKFLOW_TYPES)}, not {workflow_type!r}")
    return workflow_type


def compile_order_workflow(workflow_type: str = "STANDARD", query_language: str = JSONATA) -> dict[str, Any]:
    """The order workflow for the workflow type, in JSONata (what ships) or JSONPath (the same workflow, for
    comparison and for users who stay on it)."""
    check_workflow_type(workflow_type)
    definition = compile_chain(
        order_workflow(workflow_type, query_language),
        comment="orderflow: validate, create, queue and notify an order; alert on any failure",
        query_language=query_language,
    )
    check_manifest(definition, MANIFEST)
    check_budget(definition, workflow_type)
    return definition


def to_json(definition: Mapping[str, Any]) -> str:
    return json.dumps(definition, indent=2) + "\n"


def golden_text(workflow_type: str = "STANDARD") -> str:
    return resources.files("workflow.golden").joinpath(GOLDEN_RESOURCES[workflow_type]).read_text(encoding="utf-8")


def _targets(state: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if "Next" in state:
        yield "Next", state["Next"]
    if "Default" in state:
        yield "Default", state["Default"]
    for index, catcher in enumerate(state.get("Catch", [])):
        yield f"Catch[{index}].Next", catcher["Next"]
    for index, choice in enumerate(state.get("Choices", [])):
        yield f"Choices[{index}].Next", choice["Next"]


def check(definition: Mapping[str, Any]) -> None:
    states: Mapping[str, Any] = definition.get("States", {})
    problems = []
    start = definition.get("StartAt")
    if start not in states:
        problems.append(f"StartAt names {start!r}, which is not a state")
    for name, state in states.items():
        for where, target in _targets(state):
            if target not in states:
                problems.append(f"{name}.{where} names {target!r}, which is not a state")
        terminal = state.get("Type") in {"Succeed", "Fail", "Choice"} or state.get("End") is True
        if not terminal and "Next" not in state:
            problems.append(f"{name} has neither Next nor End")
    reachable: set[str] = set()
    pending: list[str] = [str(start)] if start in states else []
    while pending:
        name = pending.pop()
        if name in reachable:
            continue
        reachable.add(name)
        pending.extend(target for _, target in _targets(states[name]) if target in states)
    for name in states:
        if name not in reachable:
            problems.append(f"{name} is not reachable from StartAt")
    # Query languages and variables: what AWS would refuse, and what would fail at run time.
    problems.extend(str(problem) for problem in query_checks.build_problems(definition))
    problems.extend(failure_route_problems(definition))
    if problems:
        raise DefinitionError("; ".join(problems))


# A field read of the state's input or of a caught error output: `$states.input.a.b`, `$states.errorOutput.Cause`.
_FIELD_READ = re.compile(r"\$states\.(?:input|errorOutput)(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def failure_route_problems(definition: Mapping[str, Any]) -> list[str]:
    """A JSONata expression on the failure route (a Catch's Output or Assign, and every state a Catch leads to) that
    reads a field it does not first test with `$exists`: on AWS a read that evaluates to nothing raises
    States.QueryEvaluationError, and there it would end the execution with no alert (an error output may lack its
    Cause; the route's input is whatever reached it). workflow.query_language.Text writes the guarded form."""
    states: Mapping[str, Any] = definition.get("States", {})
    if definition.get("QueryLanguage") != query_checks.JSONATA:
        return []  # JSONPath cannot test a field before it reads it
    route: set[str] = set()
    pending = [str(catcher["Next"]) for state in states.values() for catcher in state.get("Catch", [])]
    while pending:
        name = pending.pop()
        if name in route or name not in states:
            continue
        route.add(name)
        pending.extend(target for _, target in _targets(states[name]))
    fields: list[tuple[str, Any]] = [
        (f"{name}.Catch[{index}]", {key: catcher.get(key) for key in ("Output", "Assign") if key in catcher})
        for name, state in states.items()
        for index, catcher in enumerate(state.get("Catch", []))
    ]
    fields += [(name, {key: value for key, value in states[name].items() if key != "Catch"}) for name in sorted(route)]
    problems = []
    for where, value in fields:
        for pointer, text in query.expressions_in(value):
            for read in dict.fromkeys(_FIELD_READ.findall(text)):
                if f"$exists({read})" not in text:
                    problems.append(
                        f"{where}{pointer} reads {read} on the failure route without testing it with $exists "
                        "(a missing field would end the execution with no alert; query_language.Text guards it)"
                    )
    return problems


def placeholders(definition: Mapping[str, Any]) -> set[str]:
    return set(PLACEHOLDER.findall(json.dumps(definition)))


def check_placeholders(definition: Mapping[str, Any], substitutions: Mapping[str, object]) -> None:
    used = placeholders(definition)
    missing = used - set(substitutions)
    unused = set(substitutions) - used
    if missing or unused:
        raise DefinitionError(
            f"placeholders without a substitution: {sorted(missing)}; substitutions never used: {sorted(unused)}"
        )


@dataclass(frozen=True)
class Task:
    """A Task state's service integration and what it acts on."""

    state: str
    # The integration after "arn:<partition>:states:::", e.g. "lambda:invoke", "sqs:sendMessage".
    integration: str
    # The manifest reference its target placeholder stands for (FunctionArn, TableName, QueueUrl, TopicArn).
    target: Ref
    timeout: int | None


def tasks(definition: Mapping[str, Any], substitutions: Mapping[str, Ref]) -> list[Task]:
    """Every Task of the definition, in state order. A Task whose resource is no placeholder of the manifest's
    substitutions is an error: neither the local runtime nor infra/ (IAM) would know what it acts on."""
    found, problems = [], []
    for name, state in definition.get("States", {}).items():
        if state.get("Type") != "Task":
            continue
        _, separator, integration = str(state.get("Resource")).partition(":::")
        parameters = state.get("Arguments", state.get("Parameters"))  # JSONata's, JSONPath's
        parameters = parameters if isinstance(parameters, dict) else {}
        placeholders_ = [
            match.group(1)
            for key in TARGET_PARAMETERS
            if isinstance(parameters.get(key), str) and (match := PLACEHOLDER.fullmatch(parameters[key]))
        ]
        if not separator or len(placeholders_) != 1 or placeholders_[0] not in substitutions:
            problems.append(f"Task {name} names no resource of the manifest (one of {', '.join(TARGET_PARAMETERS)})")
            continue
        found.append(Task(name, integration, substitutions[placeholders_[0]], state.get("TimeoutSeconds")))
    if problems:
        raise DefinitionError("; ".join(problems))
    return found


def happy_path(definition: Mapping[str, Any]) -> list[str]:
    """The states an order goes through when nothing fails: from StartAt along each `Next` (no Catch, no Choice
    branch) to the End. Each is one state entered: a Standard execution's billed transitions when nothing retries."""
    path: list[str] = []
    name = definition.get("StartAt")
    while name is not None:
        if name in path:
            raise DefinitionError(f"{name} is on a loop of Next: the happy path has no end")
        path.append(str(name))
        name = definition["States"][name].get("Next")
    return path


def invoked_functions(definition: Mapping[str, Any], substitutions: Mapping[str, Ref]) -> list[str]:
    """The functions the definition's Lambda Tasks invoke, in state order (each once)."""
    return list(
        dict.fromkeys(
            task.target.function
            for task in tasks(definition, substitutions)
            if task.integration == LAMBDA_INVOKE and isinstance(task.target, FunctionArn)
        )
    )


def check_task_timeouts(definition: Mapping[str, Any], manifest: Manifest) -> None:
    """A Lambda Task that times out before its function does fails (and is retried) while the first invocation still
    runs, so each one waits at least as long as its function's timeout."""
    problems = []
    for task in tasks(definition, manifest.substitutions):
        if task.integration != LAMBDA_INVOKE:
            continue
        if not isinstance(task.target, FunctionArn):
            problems.append(f"Task {task.state} invokes {task.target!r}, which is not a function")
            continue
        function = manifest.function(task.target.function)
        if task.timeout is not None and task.timeout < function.timeout:
            problems.append(
                f"Task {task.state} times out after {task.timeout}s, before its function {function.name} "
                f"(timeout {function.timeout}s) does"
            )
    if problems:
        raise DefinitionError("; ".join(problems))


def check_manifest(definition: Mapping[str, Any], manifest: Manifest) -> None:
    """The definition against the manifest it runs with (locally and on AWS): placeholders and Task timeouts."""
    check_placeholders(definition, manifest.substitutions)
    check_task_timeouts(definition, manifest)


def substitute(definition: Mapping[str, Any], values: Mapping[str, str]) -> str:
    """The ASL text with every ${Name} replaced. A placeholder without a value is an error, not a blank."""
    text = json.dumps(definition)
    missing = placeholders(definition) - set(values)
    if missing:
        raise DefinitionError(f"no value for placeholders {sorted(missing)}")
    return PLACEHOLDER.sub(lambda m: json.dumps(values[m.group(1)])[1:-1], text)


# How long an execution may run: Express five minutes, Standard one year.
TIME_LIMITS = {"STANDARD": 365 * 24 * 3600, "EXPRESS": 300}
# ASL's defaults where a Retrier leaves a field out.
_RETRY_DEFAULTS = {"IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2.0}


@dataclass(frozen=True)
class StateBudget:
    """One state's worst case: every attempt runs to its timeout (an error just before it, retried), plus every
    retry's delay (IntervalSeconds x BackoffRate^n, capped by MaxDelaySeconds; full jitter only shortens it)."""

    state: str
    seconds: float | None  # None: unbounded (a Task without TimeoutSeconds, a Wait on a path)
    attempts: int = 1
    why: str = ""


@dataclass(frozen=True)
class PathBudget:
    states: tuple[str, ...]
    seconds: float | None  # None: a state on it is unbounded

    def describe(self) -> str:
        total = "unbounded" if self.seconds is None else f"{self.seconds:g} s"
        return f"{' -> '.join(self.states)} ({total})"


def state_budget(name: str, state: Mapping[str, Any]) -> StateBudget:
    kind = state.get("Type")
    if kind == "Wait":
        seconds = state.get("Seconds")
        return StateBudget(name, float(seconds) if seconds is not None else None, why="a Wait of unknown length")
    if kind in ("Parallel", "Map"):
        return StateBudget(name, None, why=f"a {kind} (its branches are not budgeted)")
    if kind != "Task":
        return StateBudget(name, 0.0)
    timeout = state.get("TimeoutSeconds")
    attempts, delays = 1, 0.0
    for retrier in state.get("Retry", []):
        rules = {**_RETRY_DEFAULTS, **retrier}
        cap = rules.get("MaxDelaySeconds")
        for n in range(int(rules["MaxAttempts"])):
            delay = float(rules["IntervalSeconds"]) * float(rules["BackoffRate"]) ** n
            delays += min(delay, float(cap)) if cap is not None else delay
        attempts += int(rules["MaxAttempts"])
    if timeout is None:
        return StateBudget(name, None, attempts, why="a Task without TimeoutSeconds")
    return StateBudget(name, attempts * float(timeout) + delays, attempts)


def budget(definition: Mapping[str, Any]) -> list[PathBudget]:
    """The worst path from StartAt to each terminal state (a Fail, a Succeed, or an End), slowest first. The graph
    is acyclic (retries are the only repetition); a loop would make every budget unbounded, and is refused."""
    states: Mapping[str, Any] = definition["States"]
    costs = {name: state_budget(name, state) for name, state in states.items()}
    worst: dict[str, PathBudget] = {}  # the slowest path from a state to a terminal, by state
    visiting: set[str] = set()

    def slowest(name: str) -> list[PathBudget]:
        if name in visiting:
            raise DefinitionError(f"{name} is on a loop: no path through it has a worst case")
        visiting.add(name)
        own = costs[name].seconds
        found: list[PathBudget] = []
        nexts = [target for _, target in _targets(states[name]) if target in states]
        if not nexts or states[name].get("End") is True:  # an End with a Catch ends here too
            found.append(PathBudget((name,), own))
        for target in dict.fromkeys(nexts):
            for rest in slowest(target):
                total = None if own is None or rest.seconds is None else own + rest.seconds
                found.append(PathBudget((name, *rest.states), total))
        visiting.discard(name)
        return found

    for path in slowest(str(definition.get("StartAt"))):
        end = path.states[-1]
        known = worst.get(end)
        if known is None or _slower(path, known):
            worst[end] = path
    return sorted(worst.values(), key=lambda p: float("inf") if p.seconds is None else p.seconds, reverse=True)


def _slower(a: PathBudget, b: PathBudget) -> bool:
    if a.seconds is None:
        return b.seconds is not None
    return b.seconds is not None and a.seconds > b.seconds


def check_budget(definition: Mapping[str, Any], workflow_type: str) -> None:
    """An Express definition whose worst path passes five minutes is refused, naming the path: an execution cut off
    there skips the failure route (no FAILED status, no alert). Every Task needs a TimeoutSeconds for that."""
    if workflow_type != "EXPRESS":
        return
    unbounded = [b for name, s in definition["States"].items() if (b := state_budget(name, s)).seconds is None]
    if unbounded:
        raise DefinitionError(
            "an EXPRESS definition needs a bound on every state: "
            + "; ".join(f"{b.state} is {b.why}" for b in unbounded)
        )
    limit = TIME_LIMITS["EXPRESS"]
    over = [path for path in budget(definition) if path.seconds is not None and path.seconds > limit]
    if over:
        raise DefinitionError(
            f"the EXPRESS retry budget passes {limit} s on {len(over)} path(s); the worst: {over[0].describe()}. "
            "Give its Tasks shorter timeouts or fewer retries (workflow.retries.POLICIES)"
        )
