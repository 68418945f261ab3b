"""What a definition's query languages and variables must satisfy, checked on the ASL document itself.

Two strengths, one walk:
- `creation_problems`: what AWS refuses when a state machine is created or updated (the local engine applies it at
  CreateStateMachine/UpdateStateMachine): a `{% %}` that does not parse or calls $eval, a field of the other query
  language, an Assign AWS would not store (a bad name, a literal over the size limits).
- `build_problems`: also what would fail at run time, which a build can see: a variable read where no state of its
  scope (or of a scope around it) assigns it, a variable read on a path where no earlier state assigned it, and an
  inner scope (a Map's or Parallel's states) assigning an outer scope's variable. workflow.asl runs it on every
  compiled definition. AWS accepts a definition reading a variable nobody assigns; the execution fails with
  States.QueryEvaluationError ("… specified for the field 'Output/result' returned nothing (undefined).", recorded on
  AWS in November 2024), and AWS's variables page describes scope errors at run time.

The rules follow AWS's pages on JSONata (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html)
and on variables (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from workflow import query

JSONATA: Final = "JSONata"
JSONPATH: Final = "JSONPath"
# Fields only a JSONPath state has; a JSONata state says the same with Arguments, Output and the non-Path field.
JSONPATH_ONLY: Final = frozenset(
    {
        "InputPath",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "OutputPath",
        "ItemsPath",
        "TimeoutSecondsPath",
        "HeartbeatSecondsPath",
        "SecondsPath",
        "TimestampPath",
        "ErrorPath",
        "CausePath",
        "MaxConcurrencyPath",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentagePath",
    }
)
JSONATA_ONLY: Final = frozenset({"Arguments", "Output", "Items"})
CATCH_JSONPATH_ONLY: Final = frozenset({"ResultPath"})
CATCH_JSONATA_ONLY: Final = frozenset({"Output"})
# A Choice rule's JSONPath comparison fields (Variable, the comparison operators, And/Or/Not) vs JSONata's Condition.
RULE_JSONATA_ONLY: Final = frozenset({"Condition", "Output"})
RULE_JSONPATH_ONLY: Final = frozenset({"Variable", "And", "Or", "Not"})
# AWS's Assign quotas: 256 KiB for one variable's value, and for all of one Assign's.
ASSIGN_VALUE_LIMIT: Final = 256 * 1024
ASSIGN_TOTAL_LIMIT: Final = 256 * 1024
_NOT_FIELDS: Final = frozenset({"Type", "Next", "End", "Default", "Comment", "QueryLanguage", "Branches"})
# A JSONPath reference to a variable: "$name…" (not "$.", "$[", "$$"), alone or as an intrinsic function's argument.
_JSONPATH_VARIABLE: Final = re.compile(r"(?<![\w$.'])\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Problem:
    where: str  # a JSON pointer into the definition: /States/Name/Field
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class _Scope:
    """One variable scope: the top-level states, or one Parallel branch / Map processor's."""

    states: Mapping[str, Any]
    start: str
    pointer: str
    language: str
    parent: _Scope | None = None
    # Variables this scope's states assign, with where.
    assigned: dict[str, str] = field(default_factory=dict)

    def visible(self) -> set[str]:
        names = set(self.assigned)
        return names | (self.parent.visible() if self.parent else set())

    def outer(self) -> dict[str, str]:
        if self.parent is None:
            return {}
        return {**self.parent.outer(), **self.parent.assigned}


def _language(state: Mapping[str, Any], default: str) -> str:
    value = state.get("QueryLanguage", default)
    return value if value in (JSONATA, JSONPATH) else default


def _inner_scopes(state: Mapping[str, Any], pointer: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    for index, branch in enumerate(state.get("Branches") or []):
        if isinstance(branch, Mapping):
            yield branch, f"{pointer}/Branches/{index}"
    for key in ("ItemProcessor", "Iterator"):
        processor = state.get(key)
        if isinstance(processor, Mapping):
            yield processor, f"{pointer}/{key}"


def _scopes(definition: Mapping[str, Any]) -> list[_Scope]:
    top = _Scope(
        states=definition.get("States") or {},
        start=str(definition.get("StartAt", "")),
        pointer="",
        language=_language(definition, JSONPATH),
    )
    found, pending = [], [top]
    while pending:
        scope = pending.pop()
        found.append(scope)
        for name, state in scope.states.items():
            if not isinstance(state, Mapping):
                continue
            language = _language(state, scope.language)
            for inner, pointer in _inner_scopes(state, f"{scope.pointer}/States/{name}"):
                pending.append(
                    _Scope(
                        states=inner.get("States") or {},
                        start=str(inner.get("StartAt", "")),
                        pointer=pointer,
                        language=_language(inner, language),
                        parent=scope,
                    )
                )
    return found


def _assignments(state: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, Assign) of a state: its own, each Choice rule's, each Catch's."""
    if isinstance(state.get("Assign"), Mapping):
        yield "Assign", state["Assign"]
    for index, rule in enumerate(state.get("Choices") or []):
        if isinstance(rule, Mapping) and isinstance(rule.get("Assign"), Mapping):
            yield f"Choices/{index}/Assign", rule["Assign"]
    for index, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, Mapping) and isinstance(catcher.get("Assign"), Mapping):
            yield f"Catch/{index}/Assign", catcher["Assign"]


def _variable_name(key: str, language: str) -> str:
    return key[:-2] if language == JSONPATH and key.endswith(".$") else key


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _assign_problems(pointer: str, assign: Mapping[str, Any], language: str) -> Iterator[Problem]:
    total = 0
    for key, value in assign.items():
        name = _variable_name(str(key), language)
        if name == query.RESERVED_VARIABLE:
            yield Problem(f"{pointer}/{key}", "'states' is reserved; a variable cannot be named so")
        elif not query.VARIABLE_NAME.fullmatch(name):
            yield Problem(
                f"{pointer}/{key}",
                f"{name!r} is not a variable name (a letter or _, then letters, digits or _; at most 80)",
            )
        size = _size(value)
        total += size
        if size > ASSIGN_VALUE_LIMIT:
            yield Problem(f"{pointer}/{key}", f"the value is {size} bytes; a variable holds at most 256 KiB")
    if total > ASSIGN_TOTAL_LIMIT:
        yield Problem(pointer, f"the Assign is {total} bytes; one state assigns at most 256 KiB")


def _expression_problems(pointer: str, value: Any) -> Iterator[Problem]:
    for where, text in query.expressions_in(value, pointer):
        try:
            query.parse(text)
        except query.QueryError as error:
            yield Problem(where, str(error))


def _language_problems(pointer: str, state: Mapping[str, Any], language: str) -> Iterator[Problem]:
    wrong, rule_wrong, catch_wrong = (
        (JSONPATH_ONLY, RULE_JSONPATH_ONLY, CATCH_JSONPATH_ONLY)
        if language == JSONATA
        else (JSONATA_ONLY, RULE_JSONATA_ONLY, CATCH_JSONATA_ONLY)
    )
    other = JSONPATH if language == JSONATA else JSONATA
    for name in sorted(wrong & set(state)):
        yield Problem(f"{pointer}/{name}", f"{name} is a {other} field; this state's query language is {language}")
    for index, rule in enumerate(state.get("Choices") or []):
        for name in sorted(rule_wrong & set(rule if isinstance(rule, Mapping) else ())):
            yield Problem(f"{pointer}/Choices/{index}/{name}", f"{name} is a {other} Choice field, not {language}")
    for index, catcher in enumerate(state.get("Catch") or []):
        for name in sorted(catch_wrong & set(catcher if isinstance(catcher, Mapping) else ())):
            yield Problem(f"{pointer}/Catch/{index}/{name}", f"{name} is a {other} Catch field, not {language}")


def _jsonpath_reads(value: Any, key: str = "") -> Iterator[str]:
    """Variables a JSONPath field reads: in a "….$" key's value, a Choice's Variable, a *Path field."""
    if isinstance(value, Mapping):
        for inner_key, item in value.items():
            yield from _jsonpath_reads(item, str(inner_key))
    elif isinstance(value, list):
        for item in value:
            yield from _jsonpath_reads(item, key)
    elif isinstance(value, str) and (key.endswith(".$") or key == "Variable" or key.endswith("Path")):
        yield from _JSONPATH_VARIABLE.findall(value)


def _reads(value: Any, language: str) -> set[str]:
    if language == JSONATA:
        try:
            return query.variables_read(value)
        except query.QueryError:
            return set()  # reported by _expression_problems
    return set(_jsonpath_reads(value))


def _state_reads(state: Mapping[str, Any], language: str) -> tuple[set[str], list[tuple[int, set[str]]]]:
    """(what the state reads when it runs, what each Catch reads): a Catch runs with the variables the state found."""
    own = {key: value for key, value in state.items() if key not in _NOT_FIELDS and key != "Catch"}
    for key in ("ItemProcessor", "Iterator"):
        own.pop(key, None)
    catches = [
        (index, _reads({k: v for k, v in catcher.items() if k != "Next"}, language))
        for index, catcher in enumerate(state.get("Catch") or [])
        if isinstance(catcher, Mapping)
    ]
    return _reads(own, language), catches


def _field_problems(scopes: list[_Scope]) -> list[Problem]:
    """The state-by-state checks; also records, in each scope, which variables its states assign."""
    problems: list[Problem] = []
    for scope in scopes:
        for name, state in scope.states.items():
            if not isinstance(state, Mapping):
                continue
            pointer = f"{scope.pointer}/States/{name}"
            language = _language(state, scope.language)
            problems.extend(_language_problems(pointer, state, language))
            if language == JSONATA:
                fields = {k: v for k, v in state.items() if k not in _NOT_FIELDS | {"ItemProcessor", "Iterator"}}
                problems.extend(_expression_problems(pointer, fields))
            for where, assign in _assignments(state):
                problems.extend(_assign_problems(f"{pointer}/{where}", assign, language))
                for key in assign:
                    scope.assigned.setdefault(_variable_name(str(key), language), f"{pointer}/{where}")
    return problems


def creation_problems(definition: Mapping[str, Any]) -> list[Problem]:
    return _field_problems(_scopes(definition))


def _scope_problems(scopes: list[_Scope]) -> list[Problem]:
    """A variable read where no state of its scope, or of a scope around it, assigns it. AWS accepts such a
    definition; the read fails at run time (States.QueryEvaluationError)."""
    problems = _field_problems(scopes)
    for scope in scopes:
        visible = scope.visible()
        for name, state in scope.states.items():
            if not isinstance(state, Mapping):
                continue
            pointer = f"{scope.pointer}/States/{name}"
            own, catches = _state_reads(state, _language(state, scope.language))
            for variable in sorted(own.union(*(reads for _, reads in catches)) - visible):
                problems.append(
                    Problem(pointer, f"${variable} is read, but no state in its scope (or around it) assigns it")
                )
    return problems


def _successors(state: Mapping[str, Any]) -> Iterator[tuple[str, int | None, str | None]]:
    """(next state, the Catch index it is reached by or None, the Choice rule's Assign key or None)."""
    if isinstance(state.get("Next"), str):
        yield state["Next"], None, None
    if isinstance(state.get("Default"), str):
        yield state["Default"], None, "Assign"
    for index, rule in enumerate(state.get("Choices") or []):
        if isinstance(rule, Mapping) and isinstance(rule.get("Next"), str):
            yield rule["Next"], None, f"Choices/{index}/Assign"
    for index, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, Mapping) and isinstance(catcher.get("Next"), str):
            yield catcher["Next"], index, None


def _assigned_by(state: Mapping[str, Any], language: str, where: str) -> set[str]:
    assign = dict(_assignments(state)).get(where)
    return {_variable_name(str(key), language) for key in assign} if isinstance(assign, Mapping) else set()


def _definitely_assigned(scope: _Scope, entry: set[str]) -> dict[str, set[str]]:
    """For each state of the scope, the variables assigned on every path to it (a forward must-analysis)."""
    found: dict[str, set[str]] = {}
    if scope.start not in scope.states:
        return found
    found[scope.start] = set(entry)
    pending = [scope.start]
    while pending:
        name = pending.pop()
        state = scope.states.get(name)
        if not isinstance(state, Mapping):
            continue
        language = _language(state, scope.language)
        before = found[name]
        for target, catch_index, rule_assign in _successors(state):
            if catch_index is not None:
                after = before | _assigned_by(state, language, f"Catch/{catch_index}/Assign")
            elif state.get("Type") == "Choice":
                after = before | _assigned_by(state, language, rule_assign or "Assign")
            else:
                after = before | _assigned_by(state, language, "Assign")
            if target not in scope.states:
                continue
            merged = after if target not in found else found[target] & after
            if target not in found or merged != found[target]:
                found[target] = merged
                pending.append(target)
    return found


def build_problems(definition: Mapping[str, Any]) -> list[Problem]:
    scopes = _scopes(definition)
    problems = _scope_problems(scopes)  # also fills each scope's assignments
    entries: dict[int, set[str]] = {id(scopes[0]): set()}
    for scope in scopes:  # parents come before their inner scopes
        entry = entries.get(id(scope), set())
        assigned = _definitely_assigned(scope, entry)
        outer = scope.outer()
        for name, state in scope.states.items():
            if not isinstance(state, Mapping) or name not in assigned:
                continue
            pointer = f"{scope.pointer}/States/{name}"
            language = _language(state, scope.language)
            own, catches = _state_reads(state, language)
            for variable in sorted(own - assigned[name]):
                if variable in scope.visible():
                    problems.append(
                        Problem(pointer, f"${variable} is read on a path where no earlier state assigns it")
                    )
            for index, reads in catches:
                for variable in sorted(reads - assigned[name]):
                    if variable in scope.visible():
                        problems.append(
                            Problem(
                                f"{pointer}/Catch/{index}",
                                f"${variable} is read on a path where no earlier state assigns it",
                            )
                        )
            for where, assign in _assignments(state):
                for key in assign:
                    variable = _variable_name(str(key), language)
                    if variable in outer:
                        problems.append(
                            Problem(
                                f"{pointer}/{where}/{key}",
                                f"${variable} belongs to an outer scope ({outer[variable]}); an inner state cannot "
                                "assign it (it would fail at run time)",
                            )
                        )
            for inner in scopes:
                if inner.parent is scope and inner.pointer.startswith(pointer + "/"):
                    entries[id(inner)] = set(assigned[name])
    return problems
