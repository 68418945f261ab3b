from __future__ import annotations

import inspect
import json
import re
from typing import Any

import pytest
from stepfunctions.steps import Chain, Pass, Succeed

from handlers.domain import errors
from tests.support.derived import happy_path, lambda_tasks
from workflow import asl
from workflow.cli import main
from workflow.failure_route import LIST_KEY, LIST_SHARD
from workflow.manifest import MANIFEST


@pytest.mark.parametrize("workflow_type", asl.WORKFLOW_TYPES)
def test_compiled_asl_matches_the_golden_file(workflow_type: str) -> None:
    """A drift in the DSL's output (or an unreviewed change) fails here; `make golden` rewrites both."""
    assert asl.to_json(asl.compile_order_workflow(workflow_type)) == asl.golden_text(workflow_type)


def test_the_shipped_express_policy_fits_five_minutes_with_every_path_bounded() -> None:
    paths = asl.budget(asl.compile_order_workflow("EXPRESS"))
    assert all(p.seconds is not None for p in paths)
    worst = paths[0]
    assert worst.seconds is not None
    assert worst.seconds <= asl.TIME_LIMITS["EXPRESS"]
    # The failure route is on the worst path: an execution cut off before it would not alert.
    assert worst.states[-2:] == ("PublishFailure", "OrderFailed")
    # Every end is budgeted, the happy path's last task's (an End with a Catch) too.
    last = happy_path(asl.compile_order_workflow("EXPRESS"))[-1]
    assert {p.states[-1] for p in paths} == {last, "HandledElsewhere", "OrderFailed", "AlertNotPublished"}


def test_a_state_worst_case_is_every_attempt_to_its_timeout_and_every_capped_delay() -> None:
    state = {
        "Type": "Task",
        "TimeoutSeconds": 10,
        "Retry": [
            {"ErrorEquals": ["A"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 3, "MaxDelaySeconds": 3},
            {"ErrorEquals": ["B"], "MaxAttempts": 2},  # ASL's defaults: 1 s, x2
        ],
    }
    cost = asl.state_budget("T", state)
    assert cost.attempts == 6
    assert cost.seconds == 6 * 10 + (1 + 2 + 3) + (1 + 2)


def test_an_express_definition_over_five_minutes_is_refused_naming_its_path() -> None:
    """Standard's retry policy (30 s Lambda timeouts, up to 8 attempts) on an Express state machine."""
    standard = asl.compile_order_workflow("STANDARD")
    bounded = {
        **standard,
        "States": {n: {**s, "TimeoutSeconds": s.get("TimeoutSeconds", 5)} if s["Type"] == "Task" else s
                   for n, s in standard["States"].items()},
    }  # fmt: skip
    with pytest.raises(asl.DefinitionError, match=r"passes 300 s .*the worst: ValidateOrder -> CreateOrder -> "):
        asl.check_budget(bounded, "EXPRESS")
    asl.check_budget(bounded, "STANDARD")  # a year is Standard's limit


def test_an_express_task_without_a_timeout_is_refused() -> None:
    with pytest.raises(asl.DefinitionError, match="EnqueueOrder is a Task without TimeoutSeconds"):
        asl.check_budget(asl.compile_order_workflow("STANDARD"), "EXPRESS")


def test_cli_prints_the_budget(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asl", "--workflow-type", "express", "--budget"]) == 0
    out = capsys.readouterr().out
    assert "EXPRESS: an execution may run 300 s" in out
    worst = asl.budget(asl.compile_order_workflow("EXPRESS"))[0]
    assert f"{worst.seconds:g} s  {' -> '.join(worst.states)}" in out


def test_cli_prints_the_same_asl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asl"]) == 0
    assert json.loads(capsys.readouterr().out) == asl.compile_order_workflow()


def test_every_next_target_exists_and_every_state_is_reachable() -> None:
    compiled = asl.compile_order_workflow()
    states = compiled["States"]
    targets = {t for state in states.values() for _, t in asl._targets(state)}
    assert targets <= set(states)
    assert set(states) - targets == {compiled["StartAt"]}


def test_dangling_next_is_refused() -> None:
    compiled: dict[str, Any] = asl.compile_chain(Chain([Pass("A"), Succeed("B")]))
    compiled["States"]["A"]["Next"] = "Missing"
    with pytest.raises(asl.DefinitionError, match="'Missing', which is not a state"):
        asl.check(compiled)


def test_placeholders_are_exactly_the_manifest_substitutions() -> None:
    compiled = asl.compile_order_workflow()
    assert asl.placeholders(compiled) == set(MANIFEST.substitutions)
    with pytest.raises(asl.DefinitionError, match="no value for placeholders"):
        asl.substitute(compiled, {"Partition": "aws"})


def test_every_transient_error_a_lambda_raises_is_retried() -> None:
    transient = {cls.__name__ for cls in vars(errors).values() if inspect.isclass(cls)}
    transient = {
        name
        for name in transient
        if issubclass(getattr(errors, name), errors.TransientError) and name != "TransientError"
    }
    # AlertHandler is not a workflow task: SQS redelivers its failed alerts (the alert queue, then its DLQ), not Retry.
    transient.discard(errors.AlertDeliveryError.__name__)
    definition = asl.compile_order_workflow()
    states = definition["States"]
    for name in lambda_tasks(definition):
        retried = {e for retrier in states[name]["Retry"] for e in retrier["ErrorEquals"]}
        assert transient <= retried, name
        for retrier in states[name]["Retry"]:
            assert retrier["JitterStrategy"] == "FULL"
            assert retrier["MaxDelaySeconds"] >= retrier["IntervalSeconds"]


# The caught error as the failure document keeps it: Error and Cause always there (guarded), the Cause cut.
FAILURE_DOCUMENT_ERROR = {
    "Error": '{% $exists($states.errorOutput.Error) ? $string($states.errorOutput.Error) : "" %}',
    "Cause": (
        "{% $exists($states.errorOutput.Cause) ? ($length($string($states.errorOutput.Cause)) > 16000 ? "
        '$substring($string($states.errorOutput.Cause), 0, 16000) & "… [cut, of " & '
        '$string($length($string($states.errorOutput.Cause))) & " characters]" : $string($states.errorOutput.Cause)) '
        ': "" %}'
    ),
}


def test_every_task_is_caught_and_failures_are_published() -> None:
    definition = asl.compile_order_workflow()
    states = definition["States"]
    tasks = [n for n, s in states.items() if s["Type"] == "Task" and n not in {"RecordFailure", "PublishFailure"}]
    # Every state of the happy path is a task (no Pass or Choice costs a transition), and every task is on it.
    assert tasks == happy_path(definition)
    routes = {}
    for name in tasks:
        catcher = states[name]["Catch"][-1]  # the last catcher takes whatever the ones before did not
        assert catcher["ErrorEquals"] == ["States.ALL"]
        # The Catch writes the failure document itself: no <Step>Failed Pass state between it and the route.
        assert catcher["Output"]["failure"] == {"state": name, "error": FAILURE_DOCUMENT_ERROR}
        routes[name] = catcher["Next"]
    # Up to EnqueueOrder a failure marks the order FAILED; after it the order is with the worker: alert, but do
    # not mark it FAILED.
    enqueued = tasks.index("EnqueueOrder")
    assert routes == {name: "RecordFailure" if i <= enqueued else "PublishFailure" for i, name in enumerate(tasks)}
    assert routes["NotifyOrder"] == "PublishFailure"
    assert [s["Type"] for s in states.values()].count("Pass") == 0
    # A CreateOrder that finds the order written by another execution ends this one; the specific catcher first.
    (handled_elsewhere, _) = states["CreateOrder"]["Catch"]
    assert handled_elsewhere == {"ErrorEquals": [errors.OrderHandledElsewhere.__name__], "Next": "HandledElsewhere"}
    assert states["HandledElsewhere"]["Type"] == "Succeed"
    assert states["PublishFailure"]["Next"] == "OrderFailed"
    # An alert that cannot be published ends the execution in a failure of its own, which an alarm watches.
    assert states["PublishFailure"]["Catch"] == [
        {
            "ErrorEquals": ["States.ALL"],
            "Output": '{% $merge([$states.input, {"alertError": $states.errorOutput}]) %}',
            "Next": "AlertNotPublished",
        }
    ]
    assert states["AlertNotPublished"]["Type"] == "Fail"
    assert states["AlertNotPublished"]["Error"] == "AlertNotPublished"
    # What RecordFailure met goes on to PublishFailure beside the failure document.
    assert states["RecordFailure"]["Catch"][-1]["Output"] == (
        '{% $merge([$states.input, {"recordError": $states.errorOutput}]) %}'
    )


def test_every_task_passes_its_input_on_and_reads_no_other_result() -> None:
    """No later state reads a task's result (the history's TaskSucceeded has it), so each task's output is its
    input: every state sees the execution's input, the failure route its failure document."""
    states = asl.compile_order_workflow()["States"]
    for name, state in states.items():
        if state["Type"] == "Task":
            assert state["Output"] == "{% $states.input %}", name
            assert not any(key in state for key in ("Parameters", "ResultPath", "ResultSelector")), name
    assert "$states.result" not in json.dumps(states)


def test_the_failure_route_drops_the_order_s_personal_data() -> None:
    """Every state a Catch leads to works from the failure document, which holds no email or address: Express logs
    ERROR with data, and FailStateEntered carries its input."""
    states = asl.compile_order_workflow()["States"]
    for name, state in states.items():
        for catcher in state.get("Catch", []):
            if catcher["ErrorEquals"] != ["States.ALL"] or name == "RecordFailure":  # it goes on with the document
                continue
            written = json.dumps(catcher["Output"])
            assert "$states.input.order %" not in written, name
            assert "$states.input %" not in written, name
            assert "shippingAddress" not in written, name
            assert "email" not in written, name


@pytest.mark.parametrize("workflow_type", asl.WORKFLOW_TYPES)
def test_the_jsonpath_edition_is_the_same_workflow_with_a_pass_state_per_failure_route(workflow_type: str) -> None:
    """For users who stay on JSONPath (and `make bench`'s comparison): the same states, requests and routes, and
    the failure document built by a <Step>Failed Pass state, as JSONata's Catch Output builds it."""
    jsonata = asl.compile_order_workflow(workflow_type)
    jsonpath = asl.compile_order_workflow(workflow_type, "JSONPath")
    assert jsonpath["QueryLanguage"] == "JSONPath"
    added = set(jsonpath["States"]) - set(jsonata["States"])
    assert added == {f"{step}Failed" for step in happy_path(jsonata)}
    assert set(jsonata["States"]) <= set(jsonpath["States"])
    for name in added:
        step = name.removesuffix("Failed")
        pass_state = jsonpath["States"][name]
        assert pass_state["Parameters"]["failure"] == {"state": step, "error.$": "$.caught"}
        assert pass_state["Next"] == jsonata["States"][step]["Catch"][-1]["Next"]
        assert {key.removesuffix(".$") for key in pass_state["Parameters"]} == set(
            jsonata["States"][step]["Catch"][-1]["Output"]
        )
    for name, state in jsonata["States"].items():
        other = jsonpath["States"][name]
        assert state.get("Retry") == other.get("Retry"), name
        assert state.get("TimeoutSeconds") == other.get("TimeoutSeconds"), name
        if "Arguments" in state:
            assert _as_jsonpath(state["Arguments"]) == other["Parameters"], name
    assert happy_path(jsonata) == happy_path(jsonpath)


# The values the failure route computes (query_language.Computed), each written once per language.
COMPUTED = {f"{{% {value.jsonata} %}}": value.jsonpath for value in (LIST_SHARD, LIST_KEY)}


def _as_jsonpath(value: Any) -> Any:
    """JSONata's `{% $states.input.x %}` field as JSONPath writes it (`"key.$": "$.x"`), and so the failure route's
    guarded `{% $exists($states.input.x) ? ... %}`, which JSONPath cannot write (it reads the field plainly); a
    computed value as its JSONPath edition (an intrinsic function)."""
    if isinstance(value, dict):
        written = {}
        for key, item in value.items():
            if isinstance(item, str) and item in COMPUTED:
                written[f"{key}.$"] = COMPUTED[item]
                continue
            guarded = re.match(r"\{% \(?\$exists\((\$states\.input[\w.]*)\)", item) if isinstance(item, str) else None
            if guarded or (isinstance(item, str) and item.startswith("{% $states.")):
                path = guarded.group(1) if guarded else item.removeprefix("{% ").removesuffix(" %}")
                written[f"{key}.$"] = path.replace("$states.input", "$").replace("$states.context", "$$")
            else:
                written[key] = _as_jsonpath(item)
        return written
    if isinstance(value, list):
        return [_as_jsonpath(item) for item in value]
    return value


def test_definition_uses_no_partition_lookup() -> None:
    """Resources carry ${Partition}: the DSL's own lookup is a slow boto call baked into the ASL."""
    resources = {s["Resource"] for s in asl.compile_order_workflow()["States"].values() if "Resource" in s}
    assert all(r.startswith("arn:${Partition}:states:::") for r in resources)


def test_the_compiler_refuses_a_failure_route_read_that_can_be_undefined() -> None:
    """On AWS an expression that evaluates to nothing raises States.QueryEvaluationError; on the failure route that
    ends the execution with no alert. Every field the route reads is tested with $exists first (query_language.Text);
    a plain read is refused before deploy, in a Catch's Output as in a state the Catch leads to."""
    definition = asl.compile_order_workflow()
    assert asl.failure_route_problems(definition) == []
    states = definition["States"]
    states["PublishFailure"]["Arguments"]["Message"]["cause"] = "{% $states.input.failure.error.Cause %}"
    states["ValidateOrder"]["Catch"][0]["Output"]["failure"]["error"] = {"Cause": "{% $states.errorOutput.Cause %}"}
    problems = asl.failure_route_problems(definition)
    assert len(problems) == 2
    assert any(p.startswith("PublishFailure/Arguments/Message/cause reads $states.input.failure") for p in problems)
    assert any(
        p.startswith("ValidateOrder.Catch[0]/Output/failure/error/Cause reads $states.errorOutput") for p in problems
    )
    with pytest.raises(asl.DefinitionError, match="without testing it with"):
        asl.check(definition)
    # The happy path may read its input plainly: the API wrote it.
    assert "{% $states.input.orderId %}" in json.dumps(states["ValidateOrder"]["Arguments"])


def test_the_happy_path_follows_next_from_start_at_and_a_loop_is_refused() -> None:
    chain: dict[str, Any] = asl.compile_chain(Chain([Pass("A"), Pass("B"), Succeed("C")]))
    assert asl.happy_path(chain) == ["A", "B", "C"]
    chain["States"]["B"]["Next"] = "A"
    with pytest.raises(asl.DefinitionError, match="A is on a loop of Next"):
        asl.happy_path(chain)


def test_the_invoked_functions_are_the_lambda_tasks_targets_in_state_order() -> None:
    definition = asl.compile_order_workflow()
    functions = asl.invoked_functions(definition, MANIFEST.substitutions)
    assert functions == lambda_tasks(definition)  # each task invokes the function of its own name
    assert set(functions) <= {f.name for f in MANIFEST.functions}
