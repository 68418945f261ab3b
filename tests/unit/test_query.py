"""JSONata as Step Functions speaks it (workflow.query) and the definition checks on it (workflow.query_checks). The
moto internals the local engine patches are checked with the rest of the emulator's (tests/unit/test_emulator.py,
tests/integration/test_emulator.py)."""

from __future__ import annotations

import hashlib
import importlib.metadata
from typing import Any

import pytest

from workflow import query, query_checks


def value(text: str, **variables: Any) -> Any:
    return query.evaluate(query.parse(text), variables)


def test_bindings_carry_states_and_variables_as_values() -> None:
    assert value("$states.input.a & $x", states={"input": {"a": 'say "hi"'}}, x="!") == 'say "hi"!'
    assert value("$x", x=None) is None  # a JSON null is a value, not nothing
    assert value('{"a": $x, "b": [null]}', x=None) == {"a": None, "b": [None]}


def test_undefined_and_runtime_errors_are_query_errors() -> None:
    with pytest.raises(query.Undefined):
        value("$nobody")
    with pytest.raises(query.QueryError, match="number"):
        value('1 + "a"')


FIELD_PATH_INPUTS: list[Any] = [
    {"a": "text", "b": 7, "c": True, "d": {"e": [1, {"f": None}], "g": 2.5}, "h": None, "i": [{"j": "x"}], "k": []},
    {"a": [{"b": 1}, {"b": 2}], "d": [{"e": "one"}]},  # arrays on the way: JSONata maps over them
    {"a": {"b": {"c": [{"d": "deep"}]}}, "d": {"e": 0}},
    "a string",
    [1, 2],
    None,
]
FIELD_PATHS = ["$states.input", "$states.input.a", "$states.input.b", "$states.input.c", "$states.input.d",
               "$states.input.d.e", "$states.input.d.g", "$states.input.h", "$states.input.i", "$states.input.i.j",
               "$states.input.k", "$states.input.missing", "$states.input.a.b", "$states.input.a.b.c",
               "$states.input.d.e.f", "$states", "$counter", "$unbound"]  # fmt: skip


@pytest.mark.parametrize("text", FIELD_PATHS)
def test_a_walked_field_path_answers_what_the_evaluator_answers(text: str) -> None:
    """The fast walk of `$states.input.x` gives JSONata's value wherever it answers, and leaves the rest to it."""
    expression = query.parse(text)
    assert expression.path is not None
    evaluator_only = query.Expression(expression.text, expression.program, expression.references)
    for document in FIELD_PATH_INPUTS:
        variables = {"states": {"input": document}, "counter": 3}
        try:
            expected: Any = query.evaluate(evaluator_only, variables)
        except query.QueryError as error:
            expected = type(error)
        try:
            found: Any = query.evaluate(expression, variables)
        except query.QueryError as error:
            found = type(error)
        assert found == expected, (text, document)


def test_only_plain_field_paths_are_walked() -> None:
    assert query.parse("$states.context.Execution.Id").path == ("states", "context", "Execution", "Id")
    for text in ("$merge([$states.input])", "$states.input[0]", "$states.input.`a b`", "$states.input.in", "$a + 1"):
        assert query.parse(text).path is None, text


def test_step_functions_functions() -> None:
    assert value("$partition([1,2,3,4,5], 2)") == [[1, 2], [3, 4], [5]]
    assert value("$range(0, 10, 2)") == [0, 2, 4, 6, 8, 10]
    # A sequence, as recorded on AWS: one item is that item, none is nothing; an array constructor keeps an array.
    assert value("$range(1, 9, 9)") == 1
    assert value("[$range(1, 9, 9)]") == [1]
    assert value("[$range(3, 1, 1)]") == []
    assert value("$exists($range(3, 1, 1))") is False
    with pytest.raises(query.Undefined):
        value("$range(3, 1, 1)")
    assert value("$range(3, 1, -1)") == [3, 2, 1]
    assert value("$hash('a', 'SHA-256')") == hashlib.sha256(b"a").hexdigest()
    assert value("$hash('a', 'MD5')") == hashlib.md5(b"a").hexdigest()
    assert value("$random(7)") == value("$random(7)")
    assert value("$random(7)") != value("$random(8)")
    assert 0 <= value("$random()") < 1
    assert len(value("$uuid()")) == 36
    assert value("$parse('{\"a\": [1, null]}')") == {"a": [1, None]}
    for bad in ("$partition([1], 0)", "$hash(1, 'MD5')", "$hash('a', 'CRC')", "$parse('{')", "$range(1, 2, 0)"):
        with pytest.raises(query.QueryError):
            value(bad)


def test_parse_refuses_syntax_and_eval() -> None:
    with pytest.raises(query.QueryError, match="does not parse"):
        query.parse("1 +")
    with pytest.raises(query.QueryError, match=r"\$eval"):
        query.parse("$eval('1')")
    with pytest.raises(query.QueryError, match="empty"):
        query.parse("  ")
    # A name bound inside the expression is its own; builtins and Step Functions' functions are not variables.
    assert query.parse("($y := $states.input; $map($y, function($i){$i + $z}) ~> $sum())").references == {
        "states",
        "z",
    }
    assert query.parse("$uuid() & $string($hash($a, 'MD5'))").references == {"a"}


def test_jsonata_import_is_the_pinned_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    query._check_distribution()
    monkeypatch.setattr(
        importlib.metadata, "packages_distributions", lambda: {"jsonata": ["jsonata", query.JSONATA_DISTRIBUTION]}
    )
    with pytest.raises(ImportError, match="pip uninstall jsonata"):
        query._check_distribution()


# --- Definition checks --------------------------------------------------------------------------------------------


def jsonata(states: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states}


def messages(problems: list[query_checks.Problem]) -> list[str]:
    return [str(problem) for problem in problems]


def test_fields_of_the_other_language_are_refused() -> None:
    definition = jsonata(
        {
            "P": {"Type": "Pass", "Parameters": {"a": 1}, "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "T"}], "Default": "T"},
            "T": {"Type": "Succeed", "QueryLanguage": "JSONPath", "Output": {"a": 1}},
        }
    )
    found = messages(query_checks.creation_problems(definition))
    assert "/States/P/Parameters: Parameters is a JSONPath field; this state's query language is JSONata" in found
    assert "/States/C/Choices/0/Variable: Variable is a JSONPath Choice field, not JSONata" in found
    assert "/States/T/Output: Output is a JSONata field; this state's query language is JSONPath" in found


def test_assign_names_and_sizes() -> None:
    big = "x" * (query_checks.ASSIGN_VALUE_LIMIT + 1)
    definition = jsonata({"P": {"Type": "Pass", "Assign": {"states": 1, "9lives": 2, "ok": big}, "End": True}})
    found = messages(query_checks.creation_problems(definition))
    assert any("/Assign/states: 'states' is reserved" in line for line in found)
    assert any("/Assign/9lives: '9lives' is not a variable name" in line for line in found)
    assert any("/Assign/ok: the value is" in line for line in found)
    assert any(line.startswith("/States/P/Assign: the Assign is") for line in found)


def test_scope_rules_at_build_not_at_creation() -> None:
    """AWS accepts a definition reading a variable no state of its scope assigns (the execution fails with
    States.QueryEvaluationError); our own build refuses it."""
    definition = jsonata(
        {
            "A": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "M"},
            "M": {
                "Type": "Map",
                "Items": "{% [$outer] %}",
                "ItemProcessor": {
                    "StartAt": "I",
                    "States": {"I": {"Type": "Pass", "Assign": {"inner": "{% $outer %}"}, "End": True}},
                },
                "Next": "B",
            },
            "B": {"Type": "Pass", "Output": "{% $inner %}", "End": True},
        }
    )
    assert query_checks.creation_problems(definition) == []
    assert "/States/B: $inner is read, but no state in its scope (or around it) assigns it" in messages(
        query_checks.build_problems(definition)
    )


def test_build_requires_assignment_on_every_path_before_the_read() -> None:
    definition = jsonata(
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.a %}", "Assign": {"x": 1}, "Next": "Read"}],
                "Default": "Read",
            },
            "Read": {"Type": "Pass", "Output": "{% $x %}", "Next": "Later"},
            "Later": {"Type": "Pass", "Assign": {"x": 2}, "End": True},
        }
    )
    assert query_checks.creation_problems(definition) == []  # AWS accepts it: x is assigned in the scope
    assert messages(query_checks.build_problems(definition)) == [
        "/States/Read: $x is read on a path where no earlier state assigns it"
    ]
    definition["States"]["C"]["Assign"] = {"x": 0}  # now the Default assigns it too
    assert query_checks.build_problems(definition) == []


def test_build_catch_reads_what_the_state_found_and_inner_cannot_assign_outer() -> None:
    definition = jsonata(
        {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Arguments": {"QueueUrl": "q", "MessageBody": "m"},
                "Assign": {"sent": 1},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $sent %}", "Next": "P"}],
                "Next": "P",
            },
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"sent": 2}, "End": True}}},
                ],
                "End": True,
            },
        }
    )
    assert messages(query_checks.build_problems(definition)) == [
        "/States/T/Catch/0: $sent is read on a path where no earlier state assigns it",
        "/States/P/Branches/0/States/B/Assign/sent: $sent belongs to an outer scope (/States/T/Assign); an inner "
        "state cannot assign it (it would fail at run time)",
    ]


def test_jsonpath_variable_reads_are_checked_too() -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$counter", "NumericGreaterThan": 1, "Next": "P"}],
                "Default": "P",
            },
            "P": {"Type": "Pass", "Parameters": {"a.$": "$$.Execution.Id", "b.$": "$.x"}, "End": True},
        },
    }
    assert query_checks.creation_problems(definition) == []
    assert messages(query_checks.build_problems(definition)) == [
        "/States/C: $counter is read, but no state in its scope (or around it) assigns it"
    ]
