"""Compile the DSL chain to Amazon States Language, check it, and fill in its `${Placeholder}`s.

Checks done here, before anything is deployed: every `Next`/`Default`/Catch target names a state, every state is
reachable, and the placeholders used are exactly the manifest's substitutions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

from stepfunctions.steps import Chain, Graph

from workflow.definition import order_workflow
from workflow.manifest import MANIFEST

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
GOLDEN_RESOURCE = "order_workflow.asl.json"


class DefinitionError(ValueError):
    """The compiled definition is not deployable."""


def compile_chain(chain: Chain, comment: str = "") -> dict[str, Any]:
    graph = Graph(chain, comment=comment) if comment else Graph(chain)
    definition: dict[str, Any] = graph.to_dict()
    check(definition)
    return definition


def compile_order_workflow() -> dict[str, Any]:
    definition = compile_chain(
        order_workflow(),
        comment="orderflow: validate, create, queue and notify an order; alert on any failure",
    )
    check_placeholders(definition, MANIFEST.substitutions)
    return definition


def to_json(definition: Mapping[str, Any]) -> str:
    return json.dumps(definition, indent=2) + "\n"


def golden_text() -> str:
    return resources.files("workflow.golden").joinpath(GOLDEN_RESOURCE).read_text(encoding="utf-8")


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
    if problems:
        raise DefinitionError("; ".join(problems))


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


def substitute(definition: Mapping[str, Any], values: Mapping[str, str]) -> str:
    """The ASL text with every ${Name} replaced. A placeholder without a value is an error, not a blank."""
    text = json.dumps(definition)
    missing = placeholders(definition) - set(values)
    if missing:
        raise DefinitionError(f"no value for placeholders {sorted(missing)}")
    return PLACEHOLDER.sub(lambda m: json.dumps(values[m.group(1)])[1:-1], text)
