"""workflow.asl's checks and walks on small hand-written definitions: the exact problems they report, what they find."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from stepfunctions.steps import Chain, Pass, Succeed

from workflow import asl
from workflow.manifest import MANIFEST, FunctionArn, Ref, TableName

EQUIVALENT_MUTANTS: dict[str, str] = {
    "workflow.asl.x_budget__mutmut_6": "budget() reads only each StateBudget's seconds, never the state name it holds",
    "workflow.asl.x_budget__mutmut_77": 'float("INF") is float("inf"): Python parses the name case-insensitively',
    "workflow.asl.x_golden_text__mutmut_3": "the golden files are ASCII (json.dumps escapes the rest): "
    "any locale encoding reads them alike",
    "workflow.asl.x_golden_text__mutmut_9": '"UTF-8" and "utf-8" name the same codec',
    "workflow.asl.x_tasks__mutmut_20": "a Task's Resource (arn:<partition>:states:::<integration>) holds ':::' once: "
    "partition and rpartition split it alike",
}

FAILURE_ROUTE = (
    "on the failure route without testing it with $exists "
    "(a missing field would end the execution with no alert; query_language.Text guards it)"
)


def lambda_task(function: str, **fields: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:${Partition}:states:::lambda:invoke",
        "Arguments": {"FunctionName": "${" + function + "}", "Payload": "{% $states.input %}"},
        **fields,
    }


def task(timeout: int | None = None, **fields: Any) -> dict[str, Any]:
    """A Task for the budget: only its TimeoutSeconds and Retry count."""
    state: dict[str, Any] = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", **fields}
    if timeout is not None:
        state["TimeoutSeconds"] = timeout
    return state


# check


def test_check_workflow_type_returns_a_known_type_and_names_both_for_an_unknown_one() -> None:
    assert asl.check_workflow_type("EXPRESS") == "EXPRESS"
    with pytest.raises(asl.DefinitionError) as raised:
        asl.check_workflow_type("standard")
    assert str(raised.value) == "the workflow type is one of STANDARD, EXPRESS, not 'standard'"


def test_compile_chain_without_a_comment_writes_none() -> None:
    assert asl.compile_chain(Chain([Pass("A"), Succeed("B")])) == {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}},
    }


def test_a_definition_without_states_is_refused_for_its_start() -> None:
    with pytest.raises(asl.DefinitionError) as raised:
        asl.check({"StartAt": "A"})
    assert str(raised.value) == "StartAt names 'A', which is not a state"


def test_check_reports_every_problem_naming_the_field_that_holds_the_target() -> None:
    definition = {
        "StartAt": "Missing",
        "States": {
            "A": {"Type": "Pass", "Next": "Nowhere"},
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "A"}],
                "Default": "Gone",
            },
            "Loose": {"Type": "Pass"},
        },
    }
    with pytest.raises(asl.DefinitionError) as raised:
        asl.check(definition)
    assert str(raised.value) == "; ".join(
        [
            "StartAt names 'Missing', which is not a state",
            "A.Next names 'Nowhere', which is not a state",
            "C.Default names 'Gone', which is not a state",
            "Loose has neither Next nor End",
            "A is not reachable from StartAt",
            "C is not reachable from StartAt",
            "Loose is not reachable from StartAt",
        ]
    )


def test_check_accepts_a_choice_and_a_catch_as_ways_forward() -> None:
    definition: dict[str, Any] = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "T"}], "Default": "D"},
            "T": {**task(5), "End": True, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]},
            "D": {"Type": "Succeed"},
            "F": {"Type": "Fail"},
        },
    }
    asl.check(definition)
    definition["States"]["T"]["Catch"][0]["Next"] = "Lost"
    with pytest.raises(asl.DefinitionError) as raised:
        asl.check(definition)
    assert str(raised.value) == "T.Catch[0].Next names 'Lost', which is not a state; F is not reachable from StartAt"


# failure_route_problems


def test_a_jsonata_definition_without_states_has_no_failure_route() -> None:
    assert asl.failure_route_problems({"QueryLanguage": "JSONata", "StartAt": "A"}) == []


def test_the_failure_route_reports_each_unguarded_read_once_with_where_it_is() -> None:
    catch_to = {"ErrorEquals": ["States.ALL"], "Next": "Alert"}
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {
            "A": {
                **task(5),
                "Next": "B",
                "Catch": [{**catch_to, "Assign": {"cause": "{% $states.errorOutput.Cause %}"}}],
            },
            "B": {**task(5), "End": True, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Lost"}]},
            # On the failure route, with a Catch of its own: its Output is reported once, as a Catch's.
            "Alert": {
                **task(5),
                "Arguments": {"Message": "{% $states.input.order.id %}"},
                "End": True,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed", "Output": "{% $states.input.why %}"}],
            },
            "Failed": {"Type": "Fail"},
        },
    }
    assert asl.failure_route_problems(definition) == [
        f"A.Catch[0]/Assign/cause reads $states.errorOutput.Cause {FAILURE_ROUTE}",
        f"Alert.Catch[0]/Output reads $states.input.why {FAILURE_ROUTE}",
        f"Alert/Arguments/Message reads $states.input.order.id {FAILURE_ROUTE}",
    ]


def test_the_failure_route_walk_goes_on_past_a_target_that_is_not_a_state_or_already_seen() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {
            "A": {**task(5), "Next": "B", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Alert"}]},
            "B": {**task(5), "Next": "C", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}]},
            "C": {**task(5), "Next": "D", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}]},
            "D": {**task(5), "End": True, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Lost"}]},
            "Alert": {**task(5), "Arguments": {"Message": "{% $states.input.cause %}"}, "Next": "Failed"},
            "Failed": {"Type": "Fail"},
        },
    }
    assert asl.failure_route_problems(definition) == [
        f"Alert/Arguments/Message reads $states.input.cause {FAILURE_ROUTE}"
    ]


# placeholders


def test_check_placeholders_accepts_exactly_the_substitutions() -> None:
    asl.check_placeholders({"Resource": "arn:${Partition}:x:${Name}"}, {"Partition": "p", "Name": "n"})


@pytest.mark.parametrize(
    ("substitutions", "message"),
    [
        ({"Partition": "p"}, "placeholders without a substitution: ['Name']; substitutions never used: []"),
        (
            {"Partition": "p", "Name": "n", "Extra": "e", "Another": "a"},
            "placeholders without a substitution: []; substitutions never used: ['Another', 'Extra']",
        ),
        (
            {"Partition": "p", "Other": "o"},
            "placeholders without a substitution: ['Name']; substitutions never used: ['Other']",
        ),
    ],
)
def test_check_placeholders_refuses_a_missing_or_unused_substitution(
    substitutions: dict[str, str], message: str
) -> None:
    with pytest.raises(asl.DefinitionError) as raised:
        asl.check_placeholders({"Resource": "arn:${Partition}:x:${Name}"}, substitutions)
    assert str(raised.value) == message


def test_substitute_puts_each_value_in_as_json_string_text() -> None:
    definition = {"A": "${Name}", "B": "arn:${Partition}:states:::${Name}"}
    text = asl.substitute(definition, {"Name": 'say "hi"\\now', "Partition": "aws", "Unused": "u"})
    assert text == '{"A": "say \\"hi\\"\\\\now", "B": "arn:aws:states:::say \\"hi\\"\\\\now"}'


def test_substitute_refuses_a_placeholder_without_a_value() -> None:
    with pytest.raises(asl.DefinitionError) as raised:
        asl.substitute({"A": "${Name}", "B": "${Other}", "C": "${Partition}"}, {"Partition": "aws"})
    assert str(raised.value) == "no value for placeholders ['Name', 'Other']"


# tasks and functions

SUBSTITUTIONS: dict[str, Ref] = {
    "Fn": FunctionArn("ValidateOrder"),
    "Other": FunctionArn("CreateOrder"),
    "Table": TableName("orders"),
}


def test_tasks_skip_other_states_and_find_each_task_target() -> None:
    definition = {
        "States": {
            "P": {"Type": "Pass", "Next": "A"},
            "A": lambda_task("Fn", TimeoutSeconds=20),
            "W": {"Type": "Wait", "Seconds": 1, "Next": "S"},
            "S": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "${Table}", "Item": {}},
            },
        }
    }
    assert asl.tasks(definition, SUBSTITUTIONS) == [
        asl.Task("A", "lambda:invoke", FunctionArn("ValidateOrder"), 20),
        asl.Task("S", "dynamodb:putItem", TableName("orders"), None),
    ]
    assert asl.tasks({}, SUBSTITUTIONS) == []


def test_tasks_refuse_every_task_that_names_no_resource_of_the_manifest() -> None:
    definition = {
        "States": {
            "NoResource": {"Type": "Task", "Arguments": {"FunctionName": "${Fn}"}},
            "Expression": {**lambda_task("Fn"), "Arguments": "{% $states.input %}"},
            "Unknown": lambda_task("Nobody"),
            "Two": {**lambda_task("Fn"), "Arguments": {"FunctionName": "${Fn}", "TableName": "${Table}"}},
            "Fine": lambda_task("Fn"),
        }
    }
    with pytest.raises(asl.DefinitionError) as raised:
        asl.tasks(definition, SUBSTITUTIONS)
    assert str(raised.value) == "; ".join(
        f"Task {name} names no resource of the manifest (one of FunctionName, TableName, QueueUrl, TopicArn)"
        for name in ("NoResource", "Expression", "Unknown", "Two")
    )


def test_invoked_functions_are_the_lambda_invokes_of_functions_each_once() -> None:
    definition = {
        "States": {
            "A": lambda_task("Other"),
            "NotAFunction": lambda_task("Table"),
            "B": lambda_task("Fn"),
            "C": lambda_task("Other"),
            "Callback": {**lambda_task("Fn"), "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken"},
        }
    }
    assert asl.invoked_functions(definition, SUBSTITUTIONS) == ["CreateOrder", "ValidateOrder"]


def test_a_lambda_task_on_anything_but_a_function_is_refused_each_one() -> None:
    definition = {
        "States": {
            "A": lambda_task("TableOne"),
            "B": lambda_task("TableTwo"),
            "C": lambda_task("Fn", TimeoutSeconds=1),
        }
    }
    substitutions: dict[str, Ref] = {
        "TableOne": TableName("orders"),
        "TableTwo": TableName("idempotency"),
        "Fn": FunctionArn("ValidateOrder"),
    }
    manifest = replace(MANIFEST, substitutions=substitutions)
    with pytest.raises(asl.DefinitionError) as raised:
        asl.check_task_timeouts(definition, manifest)
    timeout = MANIFEST.function("ValidateOrder").timeout
    assert str(raised.value) == (
        "Task A invokes TableName(table='orders'), which is not a function; "
        "Task B invokes TableName(table='idempotency'), which is not a function; "
        f"Task C times out after 1s, before its function ValidateOrder (timeout {timeout}s) does"
    )


# budget


def test_a_state_budget_by_type() -> None:
    assert asl.state_budget("W", {"Type": "Wait", "Seconds": 30}).seconds == 30.0
    assert asl.state_budget("W", {"Type": "Wait", "Seconds": 30}).state == "W"
    assert asl.state_budget("W", {"Type": "Wait", "SecondsPath": "$.delay"}) == asl.StateBudget(
        "W", None, why="a Wait of unknown length"
    )
    assert asl.state_budget("P", {"Type": "Parallel"}) == asl.StateBudget(
        "P", None, why="a Parallel (its branches are not budgeted)"
    )
    assert asl.state_budget("M", {"Type": "Map"}) == asl.StateBudget(
        "M", None, why="a Map (its branches are not budgeted)"
    )
    assert asl.state_budget("S", {"Type": "Pass"}) == asl.StateBudget("S", 0.0)
    assert asl.state_budget("T", task(10)) == asl.StateBudget("T", 10.0)
    assert asl.state_budget("T", task(None, Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 2}])) == asl.StateBudget(
        "T", None, 3, why="a Task without TimeoutSeconds"
    )


def test_a_path_budget_describes_its_states_and_total() -> None:
    assert asl.PathBudget(("A", "B"), None).describe() == "A -> B (unbounded)"
    assert asl.PathBudget(("A",), 12.5).describe() == "A (12.5 s)"


def choice_to(*branches: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """C's Default is the first branch, its Choices the rest (the budget walks them in that order); each ends in E."""
    (first, _), *rest = branches
    return {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Default": first,
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": name} for name, _ in rest],
            },
            **{name: {**state, "Next": "E"} for name, state in branches},
            "E": {"Type": "Succeed"},
        },
    }


@pytest.mark.parametrize(
    ("definition", "worst"),
    [
        (choice_to(("X", task(5)), ("Y", task(10)), ("Z", task(10))), asl.PathBudget(("C", "Y", "E"), 10.0)),
        (choice_to(("X", task(5)), ("U", task())), asl.PathBudget(("C", "U", "E"), None)),
        (choice_to(("U", task()), ("V", task())), asl.PathBudget(("C", "U", "E"), None)),
        (choice_to(("U", task()), ("X", task(5))), asl.PathBudget(("C", "U", "E"), None)),
    ],
)
def test_the_budget_keeps_the_slowest_path_to_an_end_and_the_first_of_equals(
    definition: dict[str, Any], worst: asl.PathBudget
) -> None:
    """An unbounded path is slower than any bounded one."""
    assert asl.budget(definition) == [worst]


def test_the_budget_lists_an_unbounded_end_first() -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Default": "S", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "W"}]},
            "S": {"Type": "Succeed"},
            "W": {"Type": "Wait", "SecondsPath": "$.delay", "End": True},
        },
    }
    assert asl.budget(definition) == [asl.PathBudget(("C", "W"), None), asl.PathBudget(("C", "S"), 0.0)]


def test_the_budget_refuses_a_loop() -> None:
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
    }
    with pytest.raises(asl.DefinitionError) as raised:
        asl.budget(definition)
    assert str(raised.value) == "A is on a loop: no path through it has a worst case"


def test_an_express_definition_names_every_state_without_a_bound() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": task(None, Next="W"),
            "W": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "P"},
            "P": {"Type": "Parallel", "Branches": [], "Next": "M"},
            "M": {"Type": "Map", "End": True},
        },
    }
    with pytest.raises(asl.DefinitionError) as raised:
        asl.check_budget(definition, "EXPRESS")
    assert str(raised.value) == (
        "an EXPRESS definition needs a bound on every state: T is a Task without TimeoutSeconds; "
        "W is a Wait of unknown length; P is a Parallel (its branches are not budgeted); "
        "M is a Map (its branches are not budgeted)"
    )
    asl.check_budget(definition, "STANDARD")


def two_tasks(first: int, second: int) -> dict[str, Any]:
    return {
        "StartAt": "A",
        "States": {
            "A": task(first, Next="B", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "F"}]),
            "B": task(second, End=True),
            "F": {"Type": "Fail"},
        },
    }


def test_an_express_path_of_exactly_five_minutes_fits() -> None:
    asl.check_budget(two_tasks(100, 200), "EXPRESS")


def test_an_express_path_over_five_minutes_is_refused_naming_the_worst() -> None:
    with pytest.raises(asl.DefinitionError) as raised:
        asl.check_budget(two_tasks(100, 201), "EXPRESS")
    assert str(raised.value) == (
        "the EXPRESS retry budget passes 300 s on 1 path(s); the worst: A -> B (301 s). "
        "Give its Tasks shorter timeouts or fewer retries (workflow.retries.POLICIES)"
    )
    with pytest.raises(asl.DefinitionError, match=r"on 2 path\(s\); the worst: A -> B \(402 s\)\. "):
        asl.check_budget(two_tasks(301, 101), "EXPRESS")


def test_compiling_the_express_workflow_checks_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    asl.compile_order_workflow("EXPRESS")
    monkeypatch.setitem(asl.TIME_LIMITS, "EXPRESS", 1)
    with pytest.raises(asl.DefinitionError, match="the EXPRESS retry budget passes 1 s"):
        asl.compile_order_workflow("EXPRESS")
    asl.compile_order_workflow("STANDARD")


def test_the_default_golden_text_is_the_standard_workflow() -> None:
    assert asl.golden_text() == asl.to_json(asl.compile_order_workflow())
